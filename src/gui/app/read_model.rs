//! The Read model view's commands and per-frame work: moving its moment, opening a stream at
//! it, adding columns, and asking its workers for what it shows.

use super::{App, Ready, Screen};
use crate::gui::command::Command;
use crate::gui::job::repaint_of;
use crate::gui::read_model::ReadModel;
use crate::replay::Moment;

impl App {
    pub(super) fn apply_read_model(&mut self, command: Command) {
        let repaint = repaint_of(&self.ctx);
        let Screen::Ready(ready) = &mut self.screen else {
            return;
        };
        let events = ready.view.store.events().len();
        let last = events.saturating_sub(1);
        let Ready {
            read_model,
            folds,
            view,
            read_model_shown,
            source,
            ..
        } = &mut **ready;
        let settings = &self.settings;
        let model = read_model.get_or_insert_with(|| {
            // What was kept for the source, read once, when the view is first shown.
            let saved = source
                .settings_key()
                .and_then(|key| settings.read_models.get(&key).cloned())
                .unwrap_or_default();
            ReadModel::new(&saved, events, folds.clone(), repaint)
        });
        match command {
            Command::ShowReadModel(shown) => *read_model_shown = shown,
            Command::SetMoment(k) => model.cursor = k.min(last),
            Command::MomentBack => model.cursor = model.cursor.saturating_sub(1),
            Command::MomentForward => model.cursor = (model.cursor + 1).min(last),
            Command::MomentFirst => model.cursor = 0,
            Command::MomentLast => model.cursor = last,
            Command::OpenAtMoment { stream, count } => {
                view.apply(&Command::SelectStream(stream));
                view.apply(&Command::SetCursor(count.saturating_sub(1)));
                *read_model_shown = false;
            }
            Command::AddColumn(filter) => {
                model.add_column(&filter);
                *read_model_shown = true;
            }
            _ => {}
        }
    }

    /// The Find window's commands.
    pub(super) fn apply_find(&mut self, command: &Command) {
        match command {
            Command::ShowFind(shown) => self.windows.find = *shown,
            Command::CancelFind => self.find.cancel(),
            Command::Find => {
                if let Screen::Ready(ready) = &self.screen {
                    self.find.start(&ready.view.store, repaint_of(&self.ctx));
                }
            }
            _ => {}
        }
    }

    /// Asks the Read model's workers for what it shows, and keeps what it shows for the source.
    pub(super) fn refresh_read_model(&mut self) {
        let fold = self.projections.fold();
        let repaint = repaint_of(&self.ctx);
        let Screen::Ready(ready) = &mut self.screen else {
            return;
        };
        ready.view.watch_marks = ready
            .read_model
            .as_mut()
            .map(|model| model.marks_in(&ready.view.store, ready.view.stream))
            .unwrap_or_default();
        let (Some(model), true) = (&mut ready.read_model, ready.read_model_shown) else {
            return;
        };
        let store = ready.view.store.clone();
        model.refresh(&store, &fold, &repaint);
        #[allow(clippy::cast_precision_loss)]
        let minutes = match model.moment(&store) {
            Moment::Time(t) => Some(t as f64 / 60e9),
            _ => None,
        };
        model.moment_minutes = minutes;
        if let Some(key) = ready.source.settings_key() {
            let saved = model.saved();
            if self.settings.read_models.get(&key) != Some(&saved) {
                self.settings.read_models.insert(key, saved);
            }
        }
    }
}
