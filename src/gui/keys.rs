//! The keyboard: which list the arrow keys walk, where a key moves in a list, and the sheet of
//! every shortcut (F1 or `?`). Plain data; the app turns keys into commands, the panels draw.

/// A list the arrow keys walk: the stream's events (as the action list of Redux's devtools) or the
/// streams. The one last clicked or typed in has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum List {
    #[default]
    Events,
    Streams,
}

/// A move through a list's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
}

impl Move {
    /// The keys that move, as egui names them.
    pub const KEYS: [(egui::Key, Move); 6] = [
        (egui::Key::ArrowUp, Move::Up),
        (egui::Key::ArrowDown, Move::Down),
        (egui::Key::PageUp, Move::PageUp),
        (egui::Key::PageDown, Move::PageDown),
        (egui::Key::Home, Move::Home),
        (egui::Key::End, Move::End),
    ];
}

/// Where the current item is among the rows a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// It is row `i`.
    At(usize),
    /// It is not shown (a filter hides it); row `i` is the first after it.
    Before(usize),
}

/// The row a move from `place` lands on, in a list of `len` rows showing `page` at a time;
/// `None` when the list is empty. A move past either end stays at that end.
pub fn target(len: usize, place: Place, by: Move, page: usize) -> Option<usize> {
    let last = len.checked_sub(1)?;
    let page = page.max(1);
    let (here, next) = match place {
        Place::At(i) => (i, i + 1),
        Place::Before(i) => (i, i),
    };
    Some(
        match by {
            Move::Home => 0,
            Move::End => last,
            Move::Up => here.saturating_sub(1),
            Move::PageUp => here.saturating_sub(page),
            Move::Down => next,
            Move::PageDown => next + page - 1,
        }
        .min(last),
    )
}

/// Every shortcut of the window, as the sheet lists them: (keys, what they do).
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("Ctrl+O", "open a store file"),
    ("Ctrl+F", "find events in the whole store"),
    (
        "← / →",
        "the previous / next event of the stream (the Read model: its moment)",
    ),
    (
        "↑ / ↓",
        "the previous / next row of the event list or the stream list",
    ),
    ("Page Up / Page Down", "a page up / down the list"),
    (
        "Home / End",
        "the list's first / last row (the Read model: first / last moment)",
    ),
    ("Space", "play / pause the stream"),
    (
        "P",
        "pin the event at the cursor for Compare (again: unpin)",
    ),
    ("J", "jump to the pinned event"),
    ("M", "the Read model: every stream at one moment, and back"),
    ("F", "follow the source as it grows"),
    (
        "Enter",
        "in a path or filter field: open, save or search what it says",
    ),
    (
        "Enter (stream filter)",
        "show the first stream that matches",
    ),
    ("Tab (path field)", "complete the file or folder name"),
    ("Esc", "cancel a load; close this sheet"),
    ("F1 or ?", "this sheet"),
];

/// Draws the sheet; `false` once the user closed it.
pub fn sheet_ui(ctx: &egui::Context) -> bool {
    let mut open = true;
    egui::Window::new("Keyboard shortcuts")
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .show(ctx, |ui| {
            egui::Grid::new("shortcuts")
                .num_columns(2)
                .striped(true)
                .spacing([24.0, 6.0])
                .show(ui, |ui| {
                    for (keys, what) in SHORTCUTS {
                        ui.strong(*keys);
                        ui.label(*what);
                        ui.end_row();
                    }
                });
            ui.weak("The arrow keys walk the list last clicked or typed in.");
        });
    let escaped = ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape));
    open && !escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_stay_inside_the_list() {
        assert_eq!(target(0, Place::Before(0), Move::Down, 10), None);
        assert_eq!(target(5, Place::At(2), Move::Down, 10), Some(3));
        assert_eq!(target(5, Place::At(4), Move::Down, 10), Some(4));
        assert_eq!(target(5, Place::At(0), Move::Up, 10), Some(0));
        assert_eq!(target(50, Place::At(3), Move::PageDown, 10), Some(13));
        assert_eq!(target(50, Place::At(3), Move::PageUp, 10), Some(0));
        assert_eq!(target(50, Place::At(30), Move::PageUp, 10), Some(20));
        assert_eq!(target(50, Place::At(30), Move::Home, 10), Some(0));
        assert_eq!(target(50, Place::At(3), Move::End, 10), Some(49));
    }

    #[test]
    fn from_a_hidden_item_the_neighbours_are_the_rows_around_it() {
        // The cursor's event is filtered out; row 4 is the first after it.
        assert_eq!(target(9, Place::Before(4), Move::Down, 10), Some(4));
        assert_eq!(target(9, Place::Before(4), Move::Up, 10), Some(3));
        assert_eq!(target(9, Place::Before(9), Move::Down, 10), Some(8));
        assert_eq!(target(9, Place::Before(0), Move::Up, 10), Some(0));
    }
}
