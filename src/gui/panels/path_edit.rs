//! A field for a file path that completes as a shell does: while it is typed, the files and
//! folders of the folder typed so far that start with the name being typed are listed under
//! it, and Tab (or a click) puts the chosen one in. Enter stays the field's own (open, save,
//! load), so it is not an accept key here.

use std::path::Path;
use std::sync::Arc;

use egui::{CompletionPopup, CompletionQuery, Key, Suggestion, TextEdit, Ui};

/// Most candidates listed at once.
const MOST: usize = 60;

/// A folder's entries as last listed: (folder, [(name, is a folder)]).
type Listing = Arc<(String, Vec<(String, bool)>)>;

/// Draws a path field named `name` (its accessible label, and where its state is kept).
pub fn path_edit(
    ui: &mut Ui,
    name: &str,
    text: &mut String,
    hint: &str,
    width: f32,
) -> egui::Response {
    let id = ui.make_persistent_id(("path", name));
    // Folders are read only while the field is being typed in, and once per folder.
    let focused = ui.memory(|m| m.has_focus(id));
    let ctx = ui.ctx().clone();
    let field = TextEdit::singleline(text)
        .hint_text(hint)
        .desired_width(width);
    let output = CompletionPopup::new(id)
        .word_boundary(|c| c == '/' || c == std::path::MAIN_SEPARATOR)
        .align(egui::RectAlign::BOTTOM_START)
        .accept_keys([Key::Tab])
        .show(ui, field, |query| {
            if focused {
                suggestions(&ctx, id, query)
            } else {
                Vec::new()
            }
        });
    let response = output.text_edit.response.response;
    super::name_widget(&response, egui::Role::TextInput, name);
    response
}

/// The entries of the folder before the word being typed that start with it: folders with a
/// `/` after them, so that Tab goes on into them. Hidden ones only when the word starts with
/// a dot; nothing for an empty field.
fn suggestions(ctx: &egui::Context, id: egui::Id, query: &CompletionQuery<'_>) -> Vec<Suggestion> {
    if query.text.is_empty() {
        return Vec::new();
    }
    let folder: String = query.text.chars().take(query.word_range.start.0).collect();
    let listing = listing(ctx, id, &folder);
    let hidden = query.word.starts_with('.');
    listing
        .1
        .iter()
        .filter(|(name, _)| name.starts_with(query.word) && (hidden || !name.starts_with('.')))
        .filter(|(name, _)| name != query.word)
        .take(MOST)
        .map(|(name, dir)| {
            let insert = if *dir {
                format!("{name}/")
            } else {
                name.clone()
            };
            Suggestion::new(insert)
        })
        .collect()
}

/// The entries of `folder` (the current directory when empty), listed again only when the
/// folder changes.
fn listing(ctx: &egui::Context, id: egui::Id, folder: &str) -> Listing {
    let key = id.with("listing");
    if let Some(listed) = ctx.data(|d| d.get_temp::<Listing>(key))
        && listed.0 == folder
    {
        return listed;
    }
    let dir = if folder.is_empty() {
        Path::new(".")
    } else {
        Path::new(folder)
    };
    let mut entries: Vec<(String, bool)> = std::fs::read_dir(dir)
        .map(|read| {
            read.filter_map(Result::ok)
                .filter_map(|entry| {
                    let name = entry.file_name().into_string().ok()?;
                    // The entry's own type needs no extra stat; a link is followed to see
                    // whether it leads to a folder.
                    let dir = entry
                        .file_type()
                        .is_ok_and(|t| t.is_dir() || (t.is_symlink() && entry.path().is_dir()));
                    Some((name, dir))
                })
                .collect()
        })
        .unwrap_or_default();
    entries.sort();
    let listed: Listing = Arc::new((folder.to_owned(), entries));
    ctx.data_mut(|d| d.insert_temp(key, listed.clone()));
    listed
}
