//! UI tests with `egui_kittest`, headless: panels through a `Harness` (find widgets by role and
//! label, click, type, assert on emitted commands) and the whole app opening a fixture store.
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use eventlens::audit::check;
use eventlens::gui::keys::List;
use eventlens::gui::panels::event_list::EventList;
use eventlens::gui::panels::streams::StreamsPanel;
use eventlens::gui::panels::timeline::Timeline;
use eventlens::gui::settings::{Axis, Tab};
use eventlens::gui::view::View;
use eventlens::gui::{App, Command, Launch, Screen};
use eventlens::source::Source;
use eventlens::store::ReadOptions;

fn fixture_view() -> View {
    let source = Source::Path(common::fixture("orders.jsonl").into());
    let (store, _) = eventlens::source::read(&source, &ReadOptions::default()).unwrap();
    let store = Arc::new(store);
    let report = Arc::new(check(&store));
    View::new(store, report)
}

/// Steps the app until its background work has caught up with what is on screen.
fn settle(harness: &mut Harness<'_, App>) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        harness.step();
        if harness.state().is_settled() && harness.state().view().is_some() {
            harness.run_ok();
            if harness.state().is_settled() {
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the app did not settle; notices: {:?}",
            harness.state().notices
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The stream shown and the cursor's seq.
fn place(harness: &Harness<'_, App>) -> (String, u64) {
    let view = harness.state().view().unwrap();
    (view.stream().id.to_string(), view.cursor_seq())
}

fn app_on(file: &str, stream: Option<&str>, at: Option<u64>) -> Harness<'static, App> {
    app_with(Launch {
        file: Some(file.into()),
        stream: stream.map(str::to_owned),
        at,
        ..Launch::default()
    })
}

/// The whole app launched as `launch` says, settled.
fn app_with(launch: Launch) -> Harness<'static, App> {
    // No system fonts here (the test harness has no font provider of its own): every glyph
    // comes from egui's fonts or the window's bundled ones, and a missing one panics.
    let mut harness = Harness::builder()
        .with_size([1400.0, 860.0])
        .build_eframe(|cc| App::new(cc, launch));
    settle(&mut harness);
    harness
}

#[test]
fn streams_panel_filters_and_selects() {
    let mut harness = Harness::new_ui_state(
        |ui, (panel, view, cmds): &mut (StreamsPanel, View, Vec<Command>)| panel.ui(ui, view, cmds),
        (StreamsPanel::default(), fixture_view(), Vec::new()),
    );
    harness.run();
    assert_eq!(harness.state().0.rows().len(), 2);
    harness.get_by_label("Filter streams").focus();
    harness.run();
    harness.get_by_label("Filter streams").type_text("der-2");
    harness.run();
    assert_eq!(harness.state().0.rows(), [1]);
    harness.get_by_label("order-2").click();
    harness.run();
    assert_eq!(
        harness.state().2,
        [Command::SelectStream(1), Command::FocusList(List::Streams)]
    );
}

/// The payload search of a long stream runs on a background job (here every stream counts as
/// long): the frame that takes the key does not wait for it, its rows come once it is done, and
/// while another stream's rows are being found the old stream's rows are not shown.
#[test]
fn the_event_list_filters_long_streams_in_the_background() {
    type State = (EventList, View, Vec<Command>);
    let mut harness = Harness::new_ui_state(
        |ui, (list, view, cmds): &mut State| list.ui(ui, view, cmds),
        (
            EventList::filtering_in_frame_up_to(0),
            fixture_view(),
            Vec::new(),
        ),
    );
    let until_filtered = |harness: &mut Harness<'_, State>| {
        step_while(harness, |(list, ..)| list.is_filtering());
    };
    // The events of the stream shown whose payload holds `text`, by index in the stream.
    let holding = |view: &View, text: &str| -> Vec<u32> {
        let events = &view.stream().events;
        (0..events.len() as u32)
            .filter(|&k| {
                let event = view.store.event(events[k as usize]);
                event.data_json().is_some_and(|d| d.contains(text))
            })
            .collect()
    };
    harness.step();
    assert_eq!(harness.state().1.stream().id.as_ref(), "order-1");
    assert_eq!(
        harness.state().0.rows().len(),
        harness.state().1.len(),
        "without a filter, every event, within the frame"
    );
    assert!(!harness.state().0.is_filtering());

    harness.get_by_label("Search payloads").focus();
    harness.step();
    harness.get_by_label("Search payloads").type_text("SKU-1");
    harness.step();
    assert!(
        harness.state().0.is_filtering(),
        "the key's frame did not wait"
    );
    until_filtered(&mut harness);
    let expected = holding(&harness.state().1, "SKU-1");
    assert!(!expected.is_empty() && expected.len() < harness.state().1.len());
    assert_eq!(harness.state().0.rows(), expected);
    harness.get_by_label(&format!(
        "{} of {}",
        expected.len(),
        harness.state().1.len()
    ));

    // Asked between frames, as the arrow keys ask: the job cannot have answered yet.
    let (list, view, _) = harness.state_mut();
    view.apply(&Command::SelectStream(1));
    assert_eq!(view.stream().id.as_ref(), "order-2");
    assert!(
        list.rows_for(view).is_empty(),
        "order-1's rows are not shown as order-2's"
    );
    assert!(list.is_filtering());
    until_filtered(&mut harness);
    assert!(holding(&harness.state().1, "SKU-1").is_empty());
    harness.get_by_label("No event of order-2 matches: payloads containing \"SKU-1\".");
}

#[test]
fn timeline_buttons_push_commands() {
    let mut harness = Harness::builder()
        .with_size([1500.0, 160.0])
        .build_ui_state(
            |ui, (timeline, view, axis, cmds): &mut (Timeline, View, Axis, Vec<Command>)| {
                timeline.ui(ui, view, axis, cmds);
            },
            (
                Timeline::default(),
                fixture_view(),
                Axis::Sequence,
                Vec::new(),
            ),
        );
    harness.run();
    for label in [
        "First (Home)",
        "Back (Left)",
        "Play (Space)",
        "Forward (Right)",
        "Last (End)",
    ] {
        harness.get_by_label(label).click();
        harness.run();
    }
    assert_eq!(
        harness.state().3,
        [
            Command::First,
            Command::StepBack,
            Command::TogglePlay,
            Command::StepForward,
            Command::Last
        ]
    );
    harness.get_by_label("Time").click();
    harness.run();
    assert_eq!(harness.state().2, Axis::Time);
}

type TimelineState = (Timeline, View, Axis, Vec<Command>);

/// Steps a panel while `busy` says its background job is under way, and once more.
fn step_while<S>(harness: &mut Harness<'_, S>, busy: impl Fn(&S) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while busy(harness.state()) {
        assert!(Instant::now() < deadline, "the job never ended");
        std::thread::sleep(Duration::from_millis(5));
        harness.step();
    }
    harness.step();
}

/// Steps a timeline until its layout is done.
fn until_placed(harness: &mut Harness<'_, TimelineState>) {
    step_while(harness, |(timeline, ..)| timeline.is_placing());
}

#[test]
fn the_timeline_lays_out_long_streams_in_the_background() {
    // A timeline on the fixture that lays out streams of more than `in_frame` events on a job
    // (order-1 has 5, order-2 has 2), showing order-2, drawn twice (the first frame sizes).
    let timeline_on_order_2 = |in_frame: usize, axis: Axis| {
        let mut view = fixture_view();
        view.apply(&Command::SelectStream(1));
        let mut harness = Harness::builder().with_size([900.0, 120.0]).build_ui_state(
            |ui, (timeline, view, axis, cmds): &mut TimelineState| {
                timeline.ui(ui, view, axis, cmds);
            },
            (
                Timeline::placing_in_frame_up_to(in_frame),
                view,
                axis,
                Vec::new(),
            ),
        );
        harness.step();
        harness.step();
        harness
    };
    for axis in [Axis::Time, Axis::Sequence] {
        let mut expected = timeline_on_order_2(usize::MAX, axis);
        expected.state_mut().1.apply(&Command::SelectStream(0));
        expected.step();
        assert!(
            !expected.state().0.is_placing(),
            "laid out within the frame"
        );
        let expected = expected
            .state()
            .0
            .layout()
            .map(|(p, d)| (p.clone(), d.to_vec()));

        let mut harness = timeline_on_order_2(2, axis);
        assert!(!harness.state().0.is_placing(), "order-2 is short");
        assert_eq!(harness.state().0.layout().map(|(p, _)| p.len()), Some(2));
        // Asked between frames, as the arrow keys ask.
        harness.state_mut().1.apply(&Command::SelectStream(0));
        harness.step();
        assert!(
            harness.state().0.is_placing(),
            "{axis:?}: the frame did not wait for the layout"
        );
        if axis == Axis::Time {
            harness.get_by_label_contains("Placing the 5 events of order-1");
            assert!(
                harness.state().0.layout().is_none_or(|(p, _)| p.len() == 5),
                "order-2's layout is not order-1's"
            );
        } else {
            // Evenly, at once: only the density waits for the job.
            assert_eq!(harness.state().0.layout().map(|(p, _)| p.len()), Some(5));
        }
        until_placed(&mut harness);
        assert!(harness.query_by_label_contains("Placing the").is_none());
        let layout = harness
            .state()
            .0
            .layout()
            .map(|(p, d)| (p.clone(), d.to_vec()));
        assert_eq!(
            layout, expected,
            "{axis:?}: the job lays out as the frame does"
        );
        assert!(layout.is_some_and(|(_, density)| density.iter().any(|&d| d > 0.0)));

        // The store grown (here: read again, a new snapshot): the stream's layout stands in
        // until the new one comes, rather than blanking the strip at every growth.
        harness.state_mut().1.store = fixture_view().store;
        harness.step();
        assert!(harness.state().0.is_placing());
        assert!(harness.query_by_label_contains("Placing the").is_none());
        until_placed(&mut harness);
        let layout = harness
            .state()
            .0
            .layout()
            .map(|(p, d)| (p.clone(), d.to_vec()));
        assert_eq!(layout, expected);
    }
}

#[test]
fn the_app_opens_a_store_steps_and_shows_diff_and_state() {
    let mut harness = app_on(&common::fixture("orders.jsonl"), None, None);
    let view = harness.state().view().unwrap();
    assert_eq!(
        (&*view.stream().id, view.cursor_seq()),
        ("order-1", 5),
        "first stream, last event"
    );
    // Back to seq 4 (the discount) and then seq 3 (quantity 2 → 6) with the keyboard.
    harness.key_press(egui::Key::ArrowLeft);
    harness.key_press(egui::Key::ArrowLeft);
    settle(&mut harness);
    assert_eq!(harness.state().view().unwrap().cursor_seq(), 3);
    harness.get_by_label("Diff").click();
    settle(&mut harness);
    harness.get_by_label("/items/SKU-1/qty");
    harness.get_by_label("2 -> 6");
    harness.get_by_label("39.98 -> 119.94");
    harness.get_by_label("State").click();
    settle(&mut harness);
    assert_eq!(harness.state().settings.tab, Tab::State);
    harness.get_by_label("State after seq 3");
    harness.get_by_label("18446744073709551615");
    // Blame: click the member, follow the history back to where qty was first set.
    harness.get_by_label("qty").click();
    settle(&mut harness);
    harness.get_by_label("History of /items/SKU-1/qty");
    harness.get_by_label("seq 2").click();
    settle(&mut harness);
    assert_eq!(harness.state().view().unwrap().cursor_seq(), 2);
}

#[test]
fn event_rows_are_clicked_and_filtered_by_type() {
    let mut harness = app_on(&common::fixture("orders.jsonl"), Some("order-1"), None);
    harness.get_by_label("QuantityChanged").click();
    settle(&mut harness);
    assert_eq!(harness.state().view().unwrap().cursor_seq(), 3);
    harness.get_by_label("Event types").click();
    harness.run_ok();
    harness
        .get_by_role_and_label(egui::accesskit::Role::CheckBox, "ItemAdded")
        .click();
    harness
        .get_by_role_and_label(egui::accesskit::Role::CheckBox, "ItemRemoved")
        .click();
    harness.run_ok();
    assert_eq!(
        harness.state().ready().unwrap().events.rows(),
        [1, 4],
        "ItemAdded is seq 2, ItemRemoved seq 5"
    );
}

#[test]
fn deep_links_and_compare() {
    let mut harness = app_on(
        &common::fixture("orders.kurrent.json"),
        Some("order-1"),
        Some(1),
    );
    assert_eq!(harness.state().view().unwrap().cursor_seq(), 1);
    harness.get_by_label("Compare").click();
    settle(&mut harness);
    harness.get_by_label("Pin seq 1").click();
    settle(&mut harness);
    harness.key_press(egui::Key::End);
    settle(&mut harness);
    harness.get_by_label("From pinned seq 1 to cursor seq 4");
    harness.get_by_label("/discount");
    assert_eq!(harness.state().view().unwrap().pin, Some(1));
}

#[test]
fn playback_runs_with_space_and_stops_at_the_end() {
    let mut harness = app_on(&common::sample_store(), Some("order-1001"), Some(1));
    let forward = |harness: &Harness<'_, App>| harness.get_by_label("Forward (Right)").rect();
    let paused = forward(&harness);
    harness.key_press(egui::Key::Space);
    harness.step();
    harness.step();
    assert!(harness.state().view().unwrap().playback.playing);
    harness.get_by_label("Pause (Space)");
    assert_eq!(
        forward(&harness),
        paused,
        "Play/Pause keeps the buttons still"
    );
    let before = harness.state().view().unwrap().cursor;
    for _ in 0..60 {
        harness.step(); // kittest steps a fixed 1/60 s
    }
    let after = harness.state().view().unwrap().cursor;
    assert!(after > before, "the cursor moved from {before} to {after}");
    harness.key_press(egui::Key::Space);
    harness.step();
    assert!(!harness.state().view().unwrap().playback.playing);
}

#[test]
fn errors_show_in_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.jsonl");
    std::fs::write(
        &broken,
        "{\"stream\":\"s\",\"type\":\"T\",\"data\":{}}\n{oops\n",
    )
    .unwrap();
    let harness = app_on(&broken.display().to_string(), None, None);
    let notice = &harness.state().notices[0];
    assert!(
        notice.starts_with("1 record of") && notice.contains("line 2"),
        "{notice}"
    );
    harness.get_by_label_contains("could not be read and were skipped");

    let mut harness = Harness::builder().build_eframe(|cc| {
        App::new(
            cc,
            Launch {
                file: Some(dir.path().join("missing.jsonl")),
                ..Launch::default()
            },
        )
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while harness.state().notices.is_empty() {
        harness.step();
        assert!(Instant::now() < deadline);
    }
    harness.run_ok();
    assert!(
        harness.state().notices[0].contains("No such file or directory"),
        "{:?}",
        harness.state().notices
    );
    assert!(
        harness.get_all_by_label("Open sample").count() >= 1,
        "back on the start screen"
    );
}

/// A file dropped on the window, as the windowing layer hands it to egui.
#[derive(Debug)]
struct Dropped(std::path::PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &std::path::Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn a_dropped_file_opens() {
    let mut harness = Harness::builder()
        .with_size([1400.0, 860.0])
        .build_eframe(|cc| App::new(cc, Launch::default()));
    harness.run_ok();
    assert!(harness.get_all_by_label("Open sample").count() >= 1);
    harness.input_mut().dropped_files.push(Arc::new(Dropped(
        common::fixture("orders.cloudevents.jsonl").into(),
    )));
    settle(&mut harness);
    let view = harness.state().view().unwrap();
    assert_eq!(
        (view.store.events().len(), &*view.stream().id),
        (7, "order-1")
    );
}

#[test]
fn a_big_store_shows_its_beginning_while_the_rest_is_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    eventlens::sample::write_orders(
        &eventlens::sample::SampleSpec {
            events: 150_000,
            ..Default::default()
        },
        &mut out,
    )
    .unwrap();
    drop(out);
    let launch = Launch {
        file: Some(path),
        ..Launch::default()
    };
    let mut harness = Harness::builder()
        .with_size([1400.0, 860.0])
        .build_eframe(|cc| App::new(cc, launch));
    let deadline = Instant::now() + Duration::from_secs(60);
    while harness.state().ready().is_none() {
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
        assert!(Instant::now() < deadline, "nothing was shown");
    }
    let ready = harness.state().ready().unwrap();
    assert!(!ready.complete, "the first store shown is a preview");
    let shown = ready.view.store.events().len();
    assert!(shown > 0 && shown < 150_000, "{shown}");
    let (stream, cursor) = (ready.view.stream, ready.view.cursor);
    harness.get_by_label_contains("showing the first");

    settle(&mut harness);
    let ready = harness.state().ready().unwrap();
    assert!(ready.complete && ready.loading.is_none());
    assert_eq!(ready.view.store.events().len(), 150_000);
    assert_eq!((ready.view.stream, ready.view.cursor), (stream, cursor));
}

/// Steps the app until `ready` holds (background work the app does not wait for).
fn wait_for(harness: &mut Harness<'_, App>, what: &str, ready: impl Fn(&Harness<'_, App>) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready(harness) {
        assert!(Instant::now() < deadline, "waited in vain for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    harness.run_ok();
}

#[test]
fn a_projection_folds_and_its_failures_show_in_the_list_audit_and_timeline() {
    let mut harness = app_with(Launch {
        file: Some(common::sample_store().into()),
        stream: Some("order-1002".into()),
        at: Some(13),
        projection: Some(common::fixture("projections/faulty.js").into()),
        ..Launch::default()
    });
    let view = harness.state().view().unwrap();
    assert_eq!(view.cursor_seq(), 13);
    // Seq 13 is the stream's 13th event (index 12): failed, marked in the list.
    assert!(view.failures.contains_key(&12), "{:?}", view.failures);
    harness.get_by_label("⚠ 13");
    harness.get_by_label_contains("This event was not applied: the handler DiscountApplied failed: Error: a discount over 5 % needs approval (at faulty.js:11:17)");
    harness.get_by_label_contains("Projection… (fold: faulty.js)");
    // The check's findings and the projection's, store-wide, in the Audit tab.
    let codes: Vec<&str> = view
        .report
        .findings
        .iter()
        .map(|f| f.code.as_str())
        .collect();
    assert_eq!(
        codes,
        [
            "projection_error",
            "projection_error",
            "duplicate_id",
            "seq_gap",
            "time_backwards"
        ]
    );
    harness.get_by_label("Audit").click();
    settle(&mut harness);
    assert_eq!(harness.get_all_by_label("projection_error").count(), 2);
    harness
        .get_by_label_contains("the handler RefundIssued failed")
        .click();
    settle(&mut harness);
    // The first row (line order) is order-1001's endless loop; clicking it went there.
    assert_eq!(place(&harness), ("order-1001".to_owned(), 29));
    harness.get_by_label_contains("it ran past the time limit of 250 ms");
    // Filtering the table by text.
    harness.get_by_label("Filter findings").click();
    harness.get_by_label("Filter findings").type_text("seq_gap");
    settle(&mut harness);
    assert_eq!(harness.query_all_by_label("projection_error").count(), 0);
    harness.get_by_label("seq_gap");
}

#[test]
fn switching_back_to_merge_patches_keeps_the_cursor() {
    let mut harness = app_with(Launch {
        file: Some(common::sample_store().into()),
        stream: Some("order-1042".into()),
        at: Some(16),
        projection: Some(common::fixture("projections/by-source.js").into()),
        ..Launch::default()
    });
    harness.get_by_label("State").click();
    settle(&mut harness);
    harness.get_by_label("bySource");
    harness.state_mut().push(Command::UseProjection(false));
    settle(&mut harness);
    assert_eq!(harness.state().view().unwrap().cursor_seq(), 16);
    assert!(harness.query_by_label("bySource").is_none());
    harness.get_by_label("shipping_address");
    harness.state_mut().push(Command::UseProjection(true));
    settle(&mut harness);
    harness.get_by_label("bySource");
}

#[test]
fn schema_and_charts_tabs() {
    let mut harness = app_on(&common::sample_store(), Some("order-1042"), Some(16));
    harness.get_by_label("Schema").click();
    wait_for(&mut harness, "the inventory", |h| {
        h.query_by_label_contains("DiscountApplied · 307 events · 1 shape")
            .is_some()
    });
    // Plot a member: State tab, click it, "Plot in Charts".
    harness.get_by_label("State").click();
    settle(&mut harness);
    harness.get_by_label("order_no").click();
    settle(&mut harness);
    harness.get_by_label("History of /order_no");
    harness.get_by_label("Plot in Charts").click();
    settle(&mut harness);
    assert_eq!(harness.state().settings.tab, Tab::Charts);
    harness.get_by_label("/order_no over the history of order-1042");
    harness.get_by_label("Events of order-1042 per time bucket, by type");
    harness.get_by_label("Events of the whole store per time bucket, by type");
    // The whole store is counted on a thread.
    wait_for(&mut harness, "the store's histogram", |h| {
        h.state().ready().is_some_and(|r| !r.charts.is_counting())
    });
    assert!(harness.query_by_label("counting every event…").is_none());
}

/// Saves the Export window's choice `label` to `path` (typed in its path field) and returns
/// the outcome the window shows.
fn export_to(harness: &mut Harness<'_, App>, label: &str, path: &std::path::Path) -> String {
    harness.get_by_label(label).click();
    settle(harness);
    harness
        .get_by_label("Export path")
        .set_text_value_accesskit(&path.display().to_string());
    settle(harness);
    harness
        .query_by_role_and_label(egui::accesskit::Role::Button, "Save")
        .or_else(|| harness.query_by_role_and_label(egui::accesskit::Role::Button, "Replace"))
        .expect("a Save button")
        .click();
    settle(harness);
    let outcome = harness.state().exports.outcome.clone();
    match outcome {
        Some(Ok(done) | Err(done)) => {
            harness.get_by_label(&done);
            done
        }
        None => panic!("nothing was saved"),
    }
}

/// The sample store copied into a fresh folder, the app on order-1042 at seq 16 with the Export
/// window open, and what the command line prints for the copy given the rest of `args`.
fn export_setup() -> (
    tempfile::TempDir,
    Harness<'static, App>,
    impl Fn(&[&str]) -> String,
) {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("orders.jsonl");
    std::fs::copy(common::sample_store(), &store).unwrap();
    let file = store.display().to_string();
    let mut harness = app_on(&file, Some("order-1042"), Some(16));
    harness.get_by_label("Export…").click();
    settle(&mut harness);
    let cli = move |args: &[&str]| {
        let mut all = vec![args[0], file.as_str()];
        all.extend(&args[1..]);
        common::eventlens(&all).stdout
    };
    (dir, harness, cli)
}

#[test]
fn exported_states_and_diffs_are_what_the_command_line_prints() {
    let (dir, mut harness, cli) = export_setup();
    // The state is chosen first, named after the stream and seq, beside the store.
    harness.get_by_label_contains("order-1042 after seq 16, folded with merge patches");
    let suggested = dir.path().join("order-1042-at-16.state.json");
    assert_eq!(
        harness.state().exports.path,
        suggested.display().to_string()
    );
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();

    let done = export_to(&mut harness, "State at the cursor (JSON)", &suggested);
    assert!(done.starts_with("Saved the state to "), "{done}");
    assert_eq!(
        read("order-1042-at-16.state.json"),
        cli(&["state", "--stream", "order-1042", "--at", "16"])
    );

    let to = dir.path().join("diff.json");
    let done = export_to(
        &mut harness,
        "Diff of the cursor's event (RFC 6902 JSON Patch)",
        &to,
    );
    assert!(done.starts_with("Saved a diff of "), "{done}");
    assert_eq!(
        read("diff.json"),
        cli(&["diff", "--stream", "order-1042", "--at", "16"])
    );

    // Pinned at 16, the cursor at 30: the comparison's patch.
    harness.state_mut().push(Command::Pin);
    harness.state_mut().push(Command::GoTo {
        stream: "order-1042".into(),
        seq: 30,
    });
    settle(&mut harness);
    let to = dir.path().join("compare.json");
    export_to(
        &mut harness,
        "Diff from the pinned point to the cursor (RFC 6902 JSON Patch)",
        &to,
    );
    assert_eq!(
        read("compare.json"),
        cli(&[
            "diff",
            "--stream",
            "order-1042",
            "--from",
            "16",
            "--to",
            "30"
        ])
    );
}

#[test]
fn exported_events_and_findings_are_what_the_command_line_prints() {
    let (dir, mut harness, cli) = export_setup();
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    // The list filtered to one type (the Export window moved aside, as it covers the list).
    harness.get_by_label("Export…").click();
    settle(&mut harness);
    harness.get_by_label("Event types").click();
    settle(&mut harness);
    harness
        .get_by_role_and_label(egui::accesskit::Role::CheckBox, "ItemAdded")
        .click();
    settle(&mut harness);
    harness.get_by_label("Export…").click();
    settle(&mut harness);
    harness.get_by_label_contains("events of order-1042 (type ItemAdded)");
    let to = dir.path().join("items.jsonl");
    export_to(&mut harness, "Events shown in the list (JSON Lines)", &to);
    let expected = cli(&[
        "events",
        "--stream",
        "order-1042",
        "--type",
        "ItemAdded",
        "--json",
    ]);
    assert!(expected.lines().count() > 1);
    assert_eq!(read("items.jsonl"), expected);

    // Findings: all of them as JSON, the ones the filter leaves as CSV.
    let to = dir.path().join("findings.json");
    export_to(&mut harness, "Findings shown in the Audit tab (JSON)", &to);
    assert_eq!(read("findings.json"), cli(&["check", "--json"]));
    harness.get_by_label("Audit").click();
    settle(&mut harness);
    harness
        .get_by_label("Filter findings")
        .set_text_value_accesskit("seq_gap");
    settle(&mut harness);
    let to = dir.path().join("gaps.csv");
    export_to(&mut harness, "Findings shown in the Audit tab (CSV)", &to);
    let all = cli(&["check", "--csv"]);
    let gaps: Vec<&str> = all
        .lines()
        .filter(|l| l.starts_with("severity,") || l.contains(",seq_gap,"))
        .collect();
    assert!(gaps.len() > 1, "{all}");
    assert_eq!(read("gaps.csv"), format!("{}\n", gaps.join("\n")));

    // Never over the store, by its own path or another.
    let store = dir.path().join("orders.jsonl");
    let before = std::fs::read(&store).unwrap();
    let mut targets = vec![store.clone()];
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&store, dir.path().join("link.jsonl")).unwrap();
        targets.push(dir.path().join("link.jsonl"));
    }
    for target in targets {
        let done = export_to(
            &mut harness,
            "Events shown in the list (JSON Lines)",
            &target,
        );
        assert!(
            done.contains("is the store being read: eventlens never writes over it"),
            "{done}"
        );
    }
    assert_eq!(std::fs::read(&store).unwrap(), before);
}

#[test]
fn a_projection_state_exports_as_state_projection_prints_it() {
    let dir = tempfile::tempdir().unwrap();
    let script = common::fixture("projections/faulty.js");
    let mut harness = app_with(Launch {
        file: Some(common::sample_store().into()),
        stream: Some("order-1002".into()),
        at: Some(15),
        projection: Some(script.clone().into()),
        ..Launch::default()
    });
    harness.get_by_label("Export…").click();
    settle(&mut harness);
    harness.get_by_label_contains("order-1002 after seq 15, folded with faulty.js");
    let to = dir.path().join("state.json");
    export_to(&mut harness, "State at the cursor (JSON)", &to);
    let cli = common::eventlens(&[
        "state",
        &common::sample_store(),
        "--stream",
        "order-1002",
        "--at",
        "15",
        "--projection",
        &script,
    ]);
    assert_eq!(std::fs::read_to_string(&to).unwrap(), cli.stdout);
    // The script being read is not written over either.
    let done = export_to(&mut harness, "State at the cursor (JSON)", script.as_ref());
    assert!(
        done.contains("is the projection script: eventlens never writes over it"),
        "{done}"
    );
}

#[test]
fn the_schema_tab_shows_where_a_member_was_renamed() {
    let mut harness = app_on(&common::fixture("schema-drift.jsonl"), Some("cart-1"), None);
    harness.get_by_label("Schema").click();
    wait_for(&mut harness, "the inventory", |h| {
        h.query_by_label_contains("ItemAdded · 6 events · 2 shapes")
            .is_some()
    });
    harness.get_by_label("{price: number, qty: number, sku: string}");
    harness.get_by_label("{price: string, quantity: number, sku: string}");
    harness.get_by_label_contains("CheckedOut · 3 events · 3 shapes");
    // The first event with `quantity`: a link there.
    harness.get_by_label("cart-3 seq 2").click();
    settle(&mut harness);
    assert_eq!(place(&harness), ("cart-3".to_owned(), 2));
}

/// A JSON line of an event of `stream` with `seq`.
fn line(stream: &str, seq: u64) -> String {
    format!("{{\"stream\":\"{stream}\",\"seq\":{seq},\"type\":\"T\",\"data\":{{\"n\":{seq}}}}}\n")
}

fn append(path: &std::path::Path, text: &str) {
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

#[test]
fn the_window_follows_a_file_that_grows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.jsonl");
    std::fs::copy(common::fixture("orders.jsonl"), &path).unwrap();
    let mut harness = app_on(path.to_str().unwrap(), Some("order-1"), None);
    let view = harness.state().view().unwrap();
    assert_eq!((view.len(), view.cursor), (5, 4), "on order-1's last event");
    harness.get_by_label("Follow (F)").click();
    wait_for(&mut harness, "following", |h| {
        h.state()
            .ready()
            .is_some_and(eventlens::gui::Ready::is_following)
    });
    harness.get_by_label("● Following (F)");
    append(
        &path,
        &(line("order-1", 6) + &line("order-2", 3) + &line("order-3", 1)),
    );
    wait_for(&mut harness, "the new events", |h| {
        h.state()
            .view()
            .is_some_and(|v| v.store.events().len() == 10)
    });
    let view = harness.state().view().unwrap();
    assert_eq!(view.store.streams().len(), 3);
    assert_eq!(
        (view.len(), view.cursor, view.cursor_seq()),
        (6, 5, 6),
        "the cursor moved with the end"
    );
    harness.get_by_label("order-3");
    // A cursor elsewhere stays where it is; the check covers what is new.
    harness.key_press(egui::Key::Home);
    harness.run_ok();
    append(&path, &line("order-1", 9));
    wait_for(&mut harness, "seq 9", |h| {
        h.state().view().is_some_and(|v| v.len() == 7)
    });
    let view = harness.state().view().unwrap();
    assert_eq!(view.cursor, 0, "a cursor not at the end stays");
    let gap = view
        .report
        .findings
        .iter()
        .find(|f| f.seq == Some(9))
        .unwrap();
    assert_eq!((gap.code.as_str(), gap.line), ("seq_gap", Some(11)));
    assert_eq!(
        view.finding_count(view.stream),
        1,
        "the new finding is marked"
    );
    // F stops following.
    harness.key_press(egui::Key::F);
    harness.run_ok();
    assert!(!harness.state().ready().unwrap().is_following());
    harness.get_by_label("Follow (F)");
}

#[test]
fn the_fields_window_maps_a_time_kept_under_another_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ts.jsonl");
    let text: String = (1..=3)
        .map(|seq| {
            format!(
                "{{\"stream\":\"o-1\",\"seq\":{seq},\"type\":\"T\",\"ts\":{},\"data\":{{\"n\":{seq}}}}}\n",
                1_709_287_200_000_u64 + seq * 60_000
            )
        })
        .collect::<Vec<_>>()
        .concat();
    std::fs::write(&path, text).unwrap();
    let mut harness = app_on(path.to_str().unwrap(), Some("o-1"), Some(2));
    assert!(!harness.state().view().unwrap().has_times);
    harness.get_by_label("Time (none)");
    harness.get_by_label("Fields…").click();
    harness.run_ok();
    harness.get_by_label_contains("/ts looks like one: pick it for time");
    harness.get_by_label("time pointer").focus();
    harness.get_by_label("time pointer").type_text("/ts");
    harness.run_ok();
    harness.get_by_label("Apply (read the store again)").click();
    settle(&mut harness);
    let view = harness.state().view().unwrap();
    assert!(view.has_times);
    assert_eq!(view.cursor_seq(), 2, "back where it was");
    let event = view.store.event(view.stream().events[view.cursor]);
    assert_eq!(event.time(), Some("2024-03-01T10:02:00.000Z"));
    let key = std::fs::canonicalize(&path).unwrap().display().to_string();
    let saved = &harness.state().settings.fields[&key];
    assert_eq!(
        saved.time.as_deref(),
        Some("/ts"),
        "remembered for the source"
    );
    assert!(harness.query_by_label("Time (none)").is_none());
}

#[test]
fn an_answer_for_another_point_is_dimmed_and_says_what_is_coming() {
    use eventlens::gui::inspect::{Ask, Fold, StoreRef};
    use eventlens::gui::panels::tabs::{TabContext, inspector_ui};
    let mut view = fixture_view();
    let mut inspector = eventlens::gui::inspect::start(
        std::sync::Arc::new(|| {}),
        eventlens::gui::read_model::SharedFolds::default(),
    );
    inspector.ask(Ask {
        store: StoreRef(view.store.clone()),
        fold: Fold::merge_patch(),
        stream: view.stream,
        cursor: 1,
        pin: None,
        blame: None,
        chart: None,
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    while !inspector.is_current() {
        inspector.poll();
        assert!(Instant::now() < deadline, "no answer");
        std::thread::sleep(Duration::from_millis(5));
    }
    let answer = inspector.latest().unwrap().clone();
    view.cursor = 4;
    let mut harness = Harness::new_ui_state(
        |ui,
         (view, answer, tab, cmds): &mut (
            View,
            Arc<eventlens::gui::inspect::Answer>,
            Tab,
            Vec<Command>,
        )| {
            let (mut audit, mut schema, mut charts, mut trace) = Default::default();
            let mut cx = TabContext {
                view,
                answer: Some(answer),
                audit: &mut audit,
                schema: &mut schema,
                charts: &mut charts,
                trace: &mut trace,
                complete: true,
                cmds,
            };
            inspector_ui(ui, &mut cx, false, tab);
        },
        (view, answer, Tab::State, Vec::new()),
    );
    // The spinner keeps repainting: a few frames, not a settled run.
    harness.run_steps(3);
    harness.get_by_label("computing seq 5…");
    harness.get_by_label("(below, dimmed: seq 2)");
}

#[test]
fn a_followed_store_is_audited_by_the_projection_in_the_streams_that_grew() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.jsonl");
    std::fs::copy(common::sample_store(), &path).unwrap();
    let mut harness = app_with(Launch {
        file: Some(path.clone()),
        stream: Some("order-1002".into()),
        projection: Some(common::fixture("projections/faulty.js").into()),
        ..Launch::default()
    });
    let projection_errors = |h: &Harness<'_, App>| {
        h.state().view().map_or(0, |v| {
            v.report
                .findings
                .iter()
                .filter(|f| f.code.as_str() == "projection_error")
                .count()
        })
    };
    wait_for(&mut harness, "the projection's audit", |h| {
        projection_errors(h) == 2
    });
    harness.key_press(egui::Key::F);
    wait_for(&mut harness, "following", |h| {
        h.state()
            .ready()
            .is_some_and(eventlens::gui::Ready::is_following)
    });
    append(
        &path,
        "{\"stream\":\"order-1002\",\"seq\":18,\"type\":\"DiscountApplied\",\"data\":{\"discount\":{\"percent\":10}}}\n",
    );
    wait_for(&mut harness, "the new event's projection error", |h| {
        projection_errors(h) == 3
    });
    let view = harness.state().view().unwrap();
    let new = view
        .report
        .findings
        .iter()
        .find(|f| f.code.as_str() == "projection_error" && f.seq == Some(18))
        .unwrap();
    assert!(new.message.contains("needs approval"), "{}", new.message);
    assert_eq!(
        view.cursor_seq(),
        18,
        "the cursor moved to the new last event"
    );
}

/// Steps the app until it has something to say.
fn first_notice(harness: &mut Harness<'_, App>) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    while harness.state().notices.is_empty() {
        harness.step();
        assert!(Instant::now() < deadline, "no notice came");
        std::thread::sleep(Duration::from_millis(10));
    }
    harness.run_ok();
    harness.state().notices[0].clone()
}

#[test]
fn the_connection_field_connects_and_a_refused_connection_is_said_in_the_window() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut harness = Harness::builder()
        .with_size([1400.0, 860.0])
        .build_eframe(|cc| App::new(cc, Launch::default()));
    harness.run_ok();
    harness.get_by_label("PostgreSQL connection").focus();
    harness
        .get_by_label("PostgreSQL connection")
        .type_text(&format!("ann:s3cret@127.0.0.1:{port}/orders"));
    harness.key_press(egui::Key::Enter);
    let notice = first_notice(&mut harness);
    assert!(
        notice.contains(&format!("postgres://ann@127.0.0.1:{port}/orders"))
            && notice.contains("is the server running")
            && !notice.contains("s3cret"),
        "{notice}"
    );
    assert!(
        harness.get_all_by_label("Connect").count() >= 1,
        "back on the start screen"
    );
    assert!(
        harness.state().settings.connections.is_empty(),
        "only stores opened are remembered"
    );
}

/// A new database `name` on the test server with Marten's event table (Marten is .NET, not
/// here: DDL written to match its schema) and `rows` inserted by SQL; `None` (with a notice)
/// without a server.
fn marten_database(name: &str, rows: &str) -> Option<String> {
    let url = std::env::var("EVENTLENS_PG_URL").ok();
    if !common::available(
        "a PostgreSQL server (EVENTLENS_PG_URL)",
        url.is_some(),
        "EVENTLENS_REQUIRE_PG",
    ) {
        return None;
    }
    let admin = url.unwrap_or_default();
    let mut client = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
    // One statement each: these refuse to run in a transaction.
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .unwrap();
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    let url = format!("{base}/{name}");
    let mut db = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    db.batch_execute(&format!(
        "CREATE TABLE mt_events (seq_id bigint PRIMARY KEY, id uuid NOT NULL, stream_id varchar, version bigint NOT NULL,
                                 data jsonb NOT NULL, type varchar(500) NOT NULL, timestamp timestamptz NOT NULL DEFAULT now());
         {rows}"
    ))
    .unwrap();
    Some(url)
}

#[test]
fn a_postgresql_store_opens_in_the_window_and_is_remembered_without_its_password() {
    let Some(url) = marten_database(
        "eventlens_ui",
        "INSERT INTO mt_events VALUES
           (1, gen_random_uuid(), 'order-1042', 1, '{\"qty\": 1}', 'order_placed', '2024-03-01 10:00:00+00'),
           (2, gen_random_uuid(), 'order-1042', 2, '{\"qty\": 6}', 'quantity_changed', '2024-03-01 10:15:00+00');",
    ) else {
        return;
    };
    let admin = std::env::var("EVENTLENS_PG_URL").unwrap_or_default();
    let harness = app_with(Launch {
        file: Some(url.clone().into()),
        stream: Some("order-1042".into()),
        ..Launch::default()
    });
    let view = harness.state().view().unwrap();
    assert_eq!(view.stream().id.as_ref(), "order-1042");
    assert_eq!(view.store.events().len(), 2);
    harness.get_by_label_contains("preset marten");
    let remembered = &harness.state().settings.connections;
    assert_eq!(remembered.len(), 1);
    let password = admin
        .split(':')
        .nth(2)
        .and_then(|p| p.split('@').next())
        .unwrap();
    assert!(
        !remembered[0].contains(password) && remembered[0].ends_with("/eventlens_ui"),
        "{remembered:?}"
    );
}

#[test]
fn a_big_database_opens_on_its_streams_and_a_pick_reads_only_that_stream() {
    let Some(url) = marten_database(
        "eventlens_ui_catalog",
        "INSERT INTO mt_events
           SELECT n, gen_random_uuid(), CASE WHEN n % 3 = 0 THEN 'payment-' ELSE 'order-' END || (n % 10),
                  n / 10 + 1, jsonb_build_object('n', n), 'changed', now()
           FROM generate_series(0, 299) n;",
    ) else {
        return;
    };
    let mut harness = Harness::builder()
        .with_size([1400.0, 860.0])
        .build_eframe(|cc| App::new(cc, Launch::default()));
    // Read whole only when empty: this store is shown as its catalog first.
    harness.state_mut().read_whole_up_to = 0;
    harness.run_ok();
    harness.get_by_label("PostgreSQL connection").focus();
    harness
        .get_by_label("PostgreSQL connection")
        .type_text(&url);
    harness.key_press(egui::Key::Enter);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !harness.state().is_settled() || harness.state().catalog.is_none() {
        harness.step();
        assert!(Instant::now() < deadline, "{:?}", harness.state().notices);
        std::thread::sleep(Duration::from_millis(10));
    }
    harness.run_ok();
    harness.get_by_label_contains("300 events in 20 streams, counted by the server");
    harness.get_by_label_contains("payment (100 events, 10 streams)");
    harness.get_by_label("Filter database streams").focus();
    harness
        .get_by_label("Filter database streams")
        .type_text("order-4");
    harness.run_ok();
    harness.get_by_label("order-4").click();
    settle(&mut harness);
    let view = harness.state().view().unwrap();
    assert_eq!(view.stream().id.as_ref(), "order-4");
    assert_eq!(
        view.store.events().len(),
        20,
        "only order-4's rows are read"
    );
    assert_eq!(view.store.streams().len(), 1);
    // Back to the catalog, then a category.
    harness.get_by_label("Streams…").click();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !harness.state().is_settled() || harness.state().catalog.is_none() {
        harness.step();
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(10));
    }
    harness.run_ok();
    harness.get_by_label_contains("payment (100 events").click();
    settle(&mut harness);
    let view = harness.state().view().unwrap();
    assert_eq!(view.store.events().len(), 100);
    assert!(
        view.store
            .streams()
            .iter()
            .all(|s| s.id.starts_with("payment-"))
    );
}

#[test]
fn a_database_without_events_says_so_and_stays_on_the_start_screen() {
    let Some(url) = marten_database("eventlens_ui_empty", "") else {
        return;
    };
    let mut harness = Harness::builder()
        .with_size([1400.0, 860.0])
        .build_eframe(|cc| {
            App::new(
                cc,
                Launch {
                    file: Some(url.clone().into()),
                    ..Launch::default()
                },
            )
        });
    let notice = first_notice(&mut harness);
    assert!(notice.contains("has no events"), "{notice}");
    assert!(harness.state().view().is_none());
    assert!(
        harness.get_all_by_label("Connect").count() >= 1,
        "back on the start screen"
    );
}

fn read_model<'a>(harness: &'a Harness<'_, App>) -> &'a eventlens::gui::read_model::ReadModel {
    let ready = harness.state().ready().unwrap();
    assert!(ready.read_model_shown, "the Read model view is shown");
    ready.read_model.as_ref().unwrap()
}

/// The Read model view: M shows it at the store's end; the keys move its moment; a filter
/// narrows the table (a wrong one says where, in place); a row opens its stream there.
#[test]
fn the_read_model_moves_its_moment_filters_and_opens_a_stream() {
    let mut harness = app_on(&common::fixture("orders.jsonl"), None, None);
    harness.key_press(egui::Key::M);
    settle(&mut harness);
    assert_eq!(read_model(&harness).cursor, 6, "at the end of the store");
    harness.get_by_label("2 of 2 streams with an event at this moment");
    harness.key_press(egui::Key::Home);
    settle(&mut harness);
    assert_eq!(read_model(&harness).cursor, 0);
    harness.get_by_label("1 of 1 stream with an event at this moment");
    harness.key_press(egui::Key::ArrowRight);
    harness.key_press(egui::Key::ArrowRight);
    settle(&mut harness);
    assert_eq!(
        read_model(&harness).cursor,
        2,
        "order-2's first event, 10:06"
    );
    harness.get_by_label("2 of 2 streams with an event at this moment");
    harness.get_by_label("Where filter").focus();
    harness
        .get_by_label("Where filter")
        .type_text(".tags | (length > 1");
    settle(&mut harness);
    harness.get_by_label_contains("^ expected closing parenthesis");
    harness.get_by_label("Where filter").type_text(")");
    settle(&mut harness);
    harness.get_by_label("1 of 2 streams with an event at this moment");
    let rows = &read_model(&harness).table.latest().unwrap().rows;
    assert_eq!(
        rows.iter().map(|r| r.stream).collect::<Vec<_>>(),
        [1],
        "only order-2"
    );
    harness
        .get_by_role_and_label(egui::accesskit::Role::Link, "order-2")
        .click();
    settle(&mut harness);
    let ready = harness.state().ready().unwrap();
    assert!(!ready.read_model_shown, "back to the stream");
    assert_eq!(
        (&*ready.view.stream().id, ready.view.cursor_seq()),
        ("order-2", 1),
        "at the moment: after its first event"
    );
}

/// A member of the State tree becomes a column of every stream; a watchpoint lists where it
/// starts holding, marks it, and its link moves the moment there; all of it is kept for the
/// source.
#[test]
fn a_column_from_the_state_tree_and_a_watchpoint() {
    let mut harness = app_on(&common::fixture("orders.jsonl"), Some("order-1"), None);
    harness.get_by_label("State").click();
    settle(&mut harness);
    harness.get_by_label("total").click();
    settle(&mut harness);
    harness.get_by_label("History of /total");
    harness.get_by_label("Add as column").click();
    settle(&mut harness);
    assert_eq!(read_model(&harness).columns[0].filter, ".total");
    harness.get_by_label(".total");
    let answer = read_model(&harness).table.latest().cloned().unwrap();
    let values: Vec<String> = answer
        .rows
        .iter()
        .map(|r| r.values[0].to_string())
        .collect();
    assert_eq!(values, ["0", "null"], "order-1's total, order-2 has none");
    harness.get_by_label("Watchpoint filter").focus();
    harness
        .get_by_label("Watchpoint filter")
        .type_text(".total > 100");
    harness.get_by_label("Add watchpoint").click();
    settle(&mut harness);
    let changes = read_model(&harness).watched[0].changes.clone().unwrap();
    assert_eq!(
        *changes,
        [(3, true), (6, false)],
        "holds after order-1's seq 3 until seq 5"
    );
    harness
        .get_by_label_contains(".total > 100 — holds for 1 stream")
        .click();
    settle(&mut harness);
    harness
        .get_by_label_contains("order-1 seq 3 · 2024-03-01T11:10:00+01:00 · starts holding")
        .click();
    settle(&mut harness);
    assert_eq!(read_model(&harness).cursor, 3);
    // Marked on the stream's timeline too: order-1's third event (seq 3).
    let view = harness.state().view().unwrap();
    assert_eq!(
        (&*view.stream().id, view.watch_marks.as_slice()),
        ("order-1", &[2][..])
    );
    let key = std::fs::canonicalize(common::fixture("orders.jsonl"))
        .unwrap()
        .display()
        .to_string();
    // Counts by the column over time, one click away.
    harness.get_by_label("Counts by").click();
    harness.run();
    // The column's name is its header's button too; the popup's option comes first.
    let options = harness.get_all_by_role_and_label(egui::accesskit::Role::Button, ".total");
    options.into_iter().next().unwrap().click();
    settle(&mut harness);
    let counted = read_model(&harness).counted.as_ref().unwrap();
    let (steps, counts) = &**counted.counts.as_ref().unwrap();
    assert_eq!(counts.keys, ["0", "119.94", "39.98", "null"]);
    assert_eq!(steps.last, 20, "every minute from 10:00 to 10:20");
    let saved = &harness.state().settings.read_models[&key];
    assert_eq!(saved.columns, [".total"]);
    assert_eq!(saved.watchpoints[0].filter, ".total > 100");
}

/// Find searches every event of the store, by text or by a jq filter, counts what it found,
/// says when nothing matches, and a result is a link to its event.
#[test]
fn find_searches_the_whole_store_and_links_to_what_it_found() {
    let mut harness = app_on(&common::fixture("orders.jsonl"), None, None);
    harness.get_by_label("Find… (Ctrl+F)").click();
    settle(&mut harness);
    harness.get_by_label("Find what").focus();
    harness.get_by_label("Find what").type_text("山田");
    harness.key_press(egui::Key::Enter);
    harness.step();
    wait_for(&mut harness, "the text search", |h| {
        !h.state().find.is_searching()
    });
    harness.get_by_label("1 event found");
    harness.get_by_label("jq filter").click();
    harness.state_mut().find.text = ".meta.user == \"ops\" and .data.total > 100".into();
    harness.run();
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Find")
        .click();
    harness.step();
    wait_for(&mut harness, "the filter search", |h| {
        !h.state().find.is_searching()
    });
    assert_eq!(
        harness.state().find.found,
        [3],
        "order-1 seq 3, total 119.94"
    );
    harness.get_by_label("1 event found");
    harness
        .get_by_label("order-1 seq 3 · QuantityChanged · 2024-03-01T11:10:00+01:00")
        .click();
    settle(&mut harness);
    assert_eq!(harness.state().view().unwrap().cursor_seq(), 3);
    harness.state_mut().find.text = ".data.total > 1000".into();
    harness.state_mut().push(Command::Find);
    harness.step();
    wait_for(&mut harness, "an empty search", |h| {
        !h.state().find.is_searching()
    });
    harness.get_by_label("No event matches .data.total > 1000.");
    harness.state_mut().find.text = ".data | (.x".into();
    harness.state_mut().push(Command::Find);
    settle(&mut harness);
    harness.get_by_label_contains("^ expected closing parenthesis");
}

fn cursor(harness: &Harness<'_, App>) -> usize {
    harness.state().view().unwrap().cursor
}

fn stream_id(harness: &Harness<'_, App>) -> String {
    harness.state().view().unwrap().stream().id.to_string()
}

/// Up/Down, Page Up/Down and Home/End walk the event list as it is filtered (moving the
/// cursor), and the stream list once it was clicked.
#[test]
fn arrow_keys_walk_the_event_list_and_the_stream_list() {
    let mut harness = app_on(&common::sample_store(), Some("order-1042"), Some(1));
    assert_eq!(cursor(&harness), 0);
    harness.key_press(egui::Key::ArrowDown);
    settle(&mut harness);
    assert_eq!(cursor(&harness), 1);
    harness.key_press(egui::Key::ArrowUp);
    harness.key_press(egui::Key::ArrowUp);
    settle(&mut harness);
    assert_eq!(cursor(&harness), 0, "Up at the first row stays there");
    harness.key_press(egui::Key::End);
    settle(&mut harness);
    let last = harness.state().view().unwrap().len() - 1;
    assert_eq!(cursor(&harness), last);
    harness.key_press(egui::Key::PageUp);
    settle(&mut harness);
    let page = last - cursor(&harness);
    assert!(page > 1, "a page is the rows shown, not one: moved {page}");
    harness.key_press(egui::Key::Home);
    settle(&mut harness);
    assert_eq!(cursor(&harness), 0);

    // Filtered by type, Down goes to the next event of that type.
    let Screen::Ready(ready) = &mut harness.state_mut().screen else {
        panic!("no store open");
    };
    ready.events.types.insert("QuantityChanged".into());
    let stream = ready.view.stream();
    let of_type: Vec<usize> = (0..stream.events.len())
        .filter(|&k| ready.view.store.event(stream.events[k]).type_name() == "QuantityChanged")
        .collect();
    harness.key_press(egui::Key::ArrowDown);
    settle(&mut harness);
    assert_eq!(cursor(&harness), of_type[0]);
    harness.key_press(egui::Key::ArrowDown);
    settle(&mut harness);
    assert_eq!(cursor(&harness), of_type[1]);

    // A click on a stream gives the keys to the stream list.
    if let Screen::Ready(ready) = &mut harness.state_mut().screen {
        ready.events.types.clear();
    }
    harness.get_by_label("order-1044").click();
    settle(&mut harness);
    assert_eq!(harness.state().view().unwrap().keys, List::Streams);
    harness.key_press(egui::Key::ArrowDown);
    settle(&mut harness);
    assert_eq!(stream_id(&harness), "order-1045");
    harness.key_press(egui::Key::ArrowUp);
    harness.key_press(egui::Key::ArrowUp);
    settle(&mut harness);
    assert_eq!(stream_id(&harness), "order-1043");
    harness.key_press(egui::Key::Home);
    settle(&mut harness);
    assert_eq!(stream_id(&harness), "order-1000");
    // And a click on an event gives them back.
    let view = harness.state().view().unwrap();
    let last_type = view
        .store
        .event(*view.stream().events.last().unwrap())
        .type_name()
        .to_owned();
    // The Event tab names the type too; the list's row is drawn after it.
    let found: Vec<_> = harness.get_all_by_label(&last_type).collect();
    found.last().unwrap().click();
    settle(&mut harness);
    assert_eq!(harness.state().view().unwrap().keys, List::Events);
}

/// Enter in the stream filter shows the first stream that matches; Up/Down in the field walk
/// the streams it lets through.
#[test]
fn enter_in_the_stream_filter_shows_the_first_match() {
    let mut harness = app_on(&common::sample_store(), Some("order-1000"), None);
    harness.get_by_label("Filter streams").focus();
    harness.get_by_label("Filter streams").type_text("102");
    harness.run();
    harness.key_press(egui::Key::Enter);
    settle(&mut harness);
    assert_eq!(stream_id(&harness), "order-1020");
    assert_eq!(harness.state().view().unwrap().keys, List::Streams);
    harness.key_press(egui::Key::ArrowDown);
    settle(&mut harness);
    assert_eq!(
        stream_id(&harness),
        "order-1021",
        "Down walks the filtered list"
    );
    harness.get_by_label("Filter streams").focus();
    harness.run();
    harness.key_press(egui::Key::ArrowDown);
    settle(&mut harness);
    assert_eq!(
        stream_id(&harness),
        "order-1022",
        "Down in the field walks it too"
    );
}

/// P pins the cursor's event (again: unpins it), J jumps back to it.
#[test]
fn p_pins_and_j_jumps_to_the_pin() {
    let mut harness = app_on(&common::sample_store(), Some("order-1042"), Some(3));
    harness.key_press(egui::Key::P);
    settle(&mut harness);
    assert_eq!(harness.state().view().unwrap().pin, Some(2));
    // The pinned row carries the pin's flag; one row only.
    assert_eq!(harness.get_all_by_label("Pinned").count(), 1);
    harness.key_press(egui::Key::End);
    settle(&mut harness);
    assert_ne!(cursor(&harness), 2);
    harness.key_press(egui::Key::J);
    settle(&mut harness);
    assert_eq!(cursor(&harness), 2);
    harness.key_press(egui::Key::P);
    settle(&mut harness);
    assert_eq!(harness.state().view().unwrap().pin, None);
    assert!(harness.query_by_label("Pinned").is_none());
}

/// A finding in context: a badge on its event's row, a box in the Event tab with a link to
/// the record it names, and its Audit row, at the cursor, showing the whole message.
#[test]
fn a_finding_links_to_the_record_it_names() {
    let mut harness = app_on(&common::sample_store(), Some("order-1068"), Some(3));
    harness.get_by_label("1 finding here");
    harness.get_by_label("Event").click();
    settle(&mut harness);
    harness.get_by_label("duplicate_id");
    harness.get_by_label_contains("was already used at line 1229");
    harness
        .get_by_label("Go to line 1229 (order-1045 seq 26)")
        .click();
    settle(&mut harness);
    assert_eq!(place(&harness), ("order-1045".to_owned(), 26));
    // The first use of the id is not the finding, and links back to it.
    harness.get_by_label("Named by");
    harness.get_by_label("at line 1297 (order-1068 seq 3)");
    // The Audit tab's row goes back to the finding's event.
    harness.get_by_label("Audit").click();
    settle(&mut harness);
    harness.get_by_label("duplicate_id").click();
    settle(&mut harness);
    assert_eq!(place(&harness), ("order-1068".to_owned(), 3));
    assert_eq!(harness.get_all_by_label("1 finding here").count(), 1);
}

/// The history of a member that is gone at the cursor: from the Diff tab's removed entry,
/// and by typing its JSON Pointer. A removed object opens as a tree.
#[test]
fn a_removed_member_has_a_history() {
    let mut harness = app_on(&common::fixture("orders.jsonl"), Some("order-1"), Some(5));
    harness.get_by_label("Diff").click();
    settle(&mut harness);
    harness.get_by_label("- removed");
    // The removed item is a folded tree: open it and see its members.
    assert!(harness.query_by_label("price").is_none());
    harness.get_by_label_contains("{2}").click();
    settle(&mut harness);
    harness.get_by_label("price");
    harness.get_by_label("/items/SKU-1").click();
    settle(&mut harness);
    assert_eq!(harness.state().settings.tab, Tab::State);
    harness.get_by_label("History of /items/SKU-1");
    assert_eq!(harness.get_all_by_label("remove").count(), 1);
    // Typed: the quantity of the removed item, set twice, then removed with it.
    harness.get_by_label("Member pointer").focus();
    harness
        .get_by_label("Member pointer")
        .type_text("items/SKU-1/qty");
    harness.key_press(egui::Key::Enter);
    settle(&mut harness);
    harness.get_by_label("History of /items/SKU-1/qty");
    for seq in ["seq 2", "seq 3", "seq 5"] {
        harness.get_by_label(seq);
    }
    harness.get_by_label("seq 3").click();
    settle(&mut harness);
    assert_eq!(harness.state().view().unwrap().cursor_seq(), 3);
    harness.get_by_label("History of /items/SKU-1/qty");
}

/// F1 (or ?) shows a sheet of every shortcut; Esc closes it.
#[test]
fn f1_shows_every_shortcut() {
    let mut harness = app_on(&common::sample_store(), None, None);
    harness.key_press(egui::Key::F1);
    settle(&mut harness);
    for (keys, what) in eventlens::gui::keys::SHORTCUTS {
        harness.get_by_label(keys);
        harness.get_by_label(what);
    }
    harness.key_press(egui::Key::Escape);
    settle(&mut harness);
    assert!(harness.query_by_label("jump to the pinned event").is_none());
    harness.key_press(egui::Key::Questionmark);
    settle(&mut harness);
    harness.get_by_label("jump to the pinned event");
}

/// Enter in Export's "Save to" saves, as Enter does in every path field.
#[test]
fn enter_in_the_export_path_saves() {
    let (dir, mut harness, _cli) = export_setup();
    let to = dir.path().join("by-enter.json");
    harness.get_by_label("Export path").focus();
    harness
        .get_by_label("Export path")
        .set_text_value_accesskit(&to.display().to_string());
    harness.run();
    harness.get_by_label("Export path").focus();
    harness.run();
    harness.key_press(egui::Key::Enter);
    wait_for(&mut harness, "the export", |h| {
        h.state().exports.outcome.is_some()
    });
    assert!(to.is_file(), "{:?}", harness.state().exports.outcome);
}

/// Tab in a path field completes the name being typed from the folder typed so far, and
/// goes on into a folder.
#[test]
fn tab_in_a_path_field_completes_the_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("alpha-store.jsonl"), "").unwrap();
    std::fs::create_dir(dir.path().join("beta")).unwrap();
    std::fs::write(dir.path().join("beta").join("gamma.jsonl"), "").unwrap();
    let mut harness = app_on(&common::sample_store(), None, None);
    harness.get_by_label("Store path").focus();
    harness.run();
    // Types `text` in place of what the field holds, presses Tab `tabs` times: what it holds then.
    let complete = |harness: &mut Harness<'_, App>, text: String, tabs: usize| {
        harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        harness.get_by_label("Store path").type_text(&text);
        harness.run();
        for _ in 0..tabs {
            harness.key_press(egui::Key::Tab);
            harness.run();
        }
        harness
            .get_by_label("Store path")
            .value()
            .unwrap_or_default()
    };
    let shown = dir.path().display();
    assert_eq!(
        complete(&mut harness, format!("{shown}/al"), 1),
        format!("{shown}/alpha-store.jsonl")
    );
    assert_eq!(
        complete(&mut harness, format!("{shown}/b"), 2),
        format!("{shown}/beta/gamma.jsonl"),
        "Tab went into the folder and completed its one file"
    );
}

/// A payload search or a findings filter that matches nothing says so, with what was asked.
#[test]
fn empty_results_say_what_matched_nothing() {
    let mut harness = app_on(&common::sample_store(), Some("order-1042"), None);
    harness.get_by_label("Search payloads").focus();
    harness
        .get_by_label("Search payloads")
        .type_text("no-such-sku");
    settle(&mut harness);
    harness.get_by_label("No event of order-1042 matches: payloads containing \"no-such-sku\".");
    harness.get_by_label("Audit").click();
    settle(&mut harness);
    harness.get_by_label("Filter findings").focus();
    harness
        .get_by_label("Filter findings")
        .type_text("no-such-code");
    settle(&mut harness);
    harness.get_by_label("No finding among the errors, warnings, info matches \"no-such-code\".");
}

/// A member named by the empty string shows as `""`, not as nothing.
#[test]
fn an_empty_member_name_shows_as_quotes() {
    use eventlens::gui::panels::json_tree::{TreeOptions, json_tree_ui};
    let value: serde_json::Value = serde_json::from_str(r#"{"": {"x": 1}, "b": 2}"#).unwrap();
    let highlight = std::collections::BTreeSet::new();
    let mut harness = Harness::new_ui(move |ui| {
        let options = TreeOptions {
            id_salt: "t",
            highlight: &highlight,
            blame_links: true,
            open_depth: 2,
        };
        json_tree_ui(ui, &value, &options);
    });
    harness.run();
    harness.get_by_label("\"\"");
    harness.get_by_label("x");
}

/// Sorting the stream list shows the top of the new order, not the selected stream's place.
#[test]
fn sorting_the_stream_list_scrolls_to_its_top() {
    let mut harness = app_on(&common::sample_store(), Some("order-1250"), None);
    assert!(
        harness.query_by_label("order-1000").is_none(),
        "the list starts at the selection"
    );
    harness.get_by_label("Size").click();
    settle(&mut harness);
    let Screen::Ready(ready) = &harness.state().screen else {
        panic!("no store open");
    };
    let biggest = ready.streams.rows()[0];
    let id = ready.view.store.streams()[biggest as usize].id.to_string();
    harness.get_by_label(&id);
}

/// Every script of the sample, and emoji, render as glyphs: this harness has no system fonts
/// and panics on a glyph no font has, so the names below are drawn by egui's fonts and the
/// window's bundled ones (DejaVu Sans, Droid Sans Fallback), as on a machine without CJK fonts.
#[test]
fn the_samples_scripts_and_emoji_have_glyphs() {
    let names = [
        ("order-1000", 2, "Matcha whisk (茶筅)"),
        ("order-1010", 1, "山田 太郎"),
        ("order-1001", 1, "김민준"),
        ("order-1017", 1, "محمد علي"),
        ("order-1014", 1, "Nguyễn Văn An"),
    ];
    for (stream, seq, name) in names {
        let mut harness = app_on(&common::sample_store(), Some(stream), Some(seq));
        harness.get_by_label("Event").click();
        settle(&mut harness);
        assert!(
            harness.query_all_by_label_contains(name).next().is_some(),
            "{name} is shown"
        );
        let bundled: Vec<String> = harness.ctx.fonts(|f| {
            f.discovered_fonts()
                .iter()
                .map(|font| font.name.clone())
                .collect()
        });
        let wanted = if name.is_ascii() || name.starts_with('N') || name.starts_with('م') {
            "bundled:DejaVu Sans"
        } else {
            "bundled:Droid Sans Fallback"
        };
        assert!(bundled.iter().any(|b| b == wanted), "{name}: {bundled:?}");
    }
    // An emoji typed into the payload search is drawn in the field and in the message.
    let mut harness = app_on(&common::sample_store(), Some("order-1000"), None);
    harness.get_by_label("Search payloads").focus();
    harness.get_by_label("Search payloads").type_text("📦");
    settle(&mut harness);
    harness.get_by_label("No event of order-1000 matches: payloads containing \"📦\".");
}

/// The Trace tab: the cursor's transaction as a causation tree across streams, each row a link,
/// and every involved stream's state at the cursor's time.
#[test]
fn the_trace_tab_follows_a_transaction_and_its_links() {
    let mut harness = app_on(&common::fixture("checkout.jsonl"), Some("order-7"), Some(2));
    harness.get_by_label("Trace").click();
    settle(&mut harness);
    harness.get_by_label("Correlation tx-1: 6 events in 3 streams");
    harness.get_by_label("▶ order-7 seq 2");
    // Every event of order-7 is in the transaction: all three marked on the timeline.
    assert_eq!(harness.state().view().unwrap().trace_marks, [0, 1, 2]);
    // At the cursor's time (09:00:03) the payment is authorized and no shipment exists yet.
    harness.get_by_label("\"authorized\"");
    assert!(harness.query_by_label("\"dispatched\"").is_none());
    harness.get_by_label("no event yet at this time");
    harness.get_by_label("shipment-7 seq 2").click();
    settle(&mut harness);
    assert_eq!(place(&harness), ("shipment-7".to_owned(), 2));
    harness.get_by_label("▶ shipment-7 seq 2");
    harness.get_by_label("\"dispatched\"");
    assert!(
        harness
            .query_by_label("no event yet at this time")
            .is_none()
    );
    // The failed payment's transaction, through to the refund.
    harness.state_mut().push(Command::GoTo {
        stream: "order-8".into(),
        seq: 1,
    });
    settle(&mut harness);
    harness.get_by_label("Correlation tx-2: 4 events in 2 streams");
    assert_eq!(harness.state().view().unwrap().trace_marks, [0, 1]);
    harness.get_by_label("payment-8 seq 2").click();
    settle(&mut harness);
    assert_eq!(place(&harness), ("payment-8".to_owned(), 2));
    harness.get_by_label("\"refunded\"");
    // An event without a correlation id says where it looked, and takes another field.
    harness.state_mut().push(Command::GoTo {
        stream: "order-9".into(),
        seq: 1,
    });
    settle(&mut harness);
    harness.get_by_label_contains(
        "This event has no correlation id: eventlens looked for meta.correlationId",
    );
    harness.get_by_label("Correlation field").focus();
    harness
        .get_by_label("Correlation field")
        .type_text("/meta/user");
    harness.key_press(egui::Key::Enter);
    settle(&mut harness);
    harness.get_by_label("Correlation ops: 1 event in 1 stream");
}

/// A new user's walk on the sample: order-1011's payment, then through the transaction to
/// its refund, with the three streams' states at each moment.
#[test]
fn the_trace_tab_walks_a_sample_order_to_its_refund() {
    let mut harness = app_on(&common::sample_store(), Some("order-1011"), Some(15));
    harness.get_by_label("Trace").click();
    settle(&mut harness);
    harness.get_by_label("Correlation corr-98c3a0f2e6fcb2ef: 7 events in 3 streams");
    harness.get_by_label("▶ order-1011 seq 15");
    // Paid, authorized, nothing shipped yet.
    harness.get_by_label("\"paid\"");
    harness.get_by_label("\"authorized\"");
    harness.get_by_label("no event yet at this time");
    harness.get_by_label("order-1011 seq 17").click();
    settle(&mut harness);
    assert_eq!(place(&harness), ("order-1011".to_owned(), 17));
    harness.get_by_label("▶ order-1011 seq 17");
    // The refund: the order refunded, its shipment returned, the payment not yet released.
    harness.get_by_label("\"returned\"");
    assert!(
        harness
            .query_by_label("no event yet at this time")
            .is_none()
    );
    harness.get_by_label("payment-1011 seq 2").click();
    settle(&mut harness);
    assert_eq!(place(&harness), ("payment-1011".to_owned(), 2));
    assert_eq!(harness.query_all_by_label("\"refunded\"").count(), 2);
}

#[test]
fn the_kafka_field_reads_a_key_s_partition_then_every_partition() {
    let Some(broker) = common::kafka::Broker::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let produced = broker.produce("orders", dir.path(), &[]);
    let mut harness = Harness::builder()
        .with_size([1400.0, 860.0])
        .build_eframe(|cc| App::new(cc, Launch::default()));
    harness.run_ok();
    harness.get_by_label("Kafka topic").focus();
    harness
        .get_by_label("Kafka topic")
        .type_text(&format!("{}/orders", broker.bootstrap));
    harness.get_by_label("Kafka key").focus();
    harness.get_by_label("Kafka key").type_text("order-7");
    harness.get_by_label("Read topic").click();
    settle(&mut harness);
    let partition = produced
        .iter()
        .find(|m| m["key"] == "order-7")
        .map(|m| m["partition"].as_i64().unwrap())
        .unwrap();
    let in_partition = produced
        .iter()
        .filter(|m| m["partition"].as_i64() == Some(partition))
        .count();
    let view = harness.state().view().unwrap();
    assert_eq!(view.stream().id.as_ref(), "order-7");
    assert_eq!(view.store.events().len(), in_partition);
    harness.get_by_label_contains(&format!("Only partition {partition} of 4 of the topic"));
    assert_eq!(
        harness.state().settings.connections,
        [format!("kafka://{}/orders", broker.bootstrap)]
    );
    harness.get_by_label("Read every partition").click();
    let deadline = Instant::now() + Duration::from_secs(30);
    while harness
        .state()
        .view()
        .is_none_or(|v| v.store.events().len() != produced.len())
    {
        harness.step();
        assert!(Instant::now() < deadline, "{:?}", harness.state().notices);
        std::thread::sleep(Duration::from_millis(10));
    }
    settle(&mut harness);
    let view = harness.state().view().unwrap();
    assert_eq!(view.stream().id.as_ref(), "order-7", "still on the stream");
    assert!(harness.query_by_label("Read every partition").is_none());
}

#[test]
fn a_broker_that_is_not_there_is_said_in_the_window() {
    let port = common::kafka::free_port();
    let mut harness = Harness::builder()
        .with_size([1400.0, 860.0])
        .build_eframe(|cc| App::new(cc, Launch::default()));
    harness.run_ok();
    harness.get_by_label("Kafka topic").focus();
    harness
        .get_by_label("Kafka topic")
        .type_text(&format!("127.0.0.1:{port}/orders"));
    harness.key_press(egui::Key::Enter);
    let notice = first_notice(&mut harness);
    assert!(
        notice.contains(&format!("kafka://127.0.0.1:{port}/orders"))
            && notice.contains("cannot reach a broker"),
        "{notice}"
    );
    assert!(harness.state().settings.connections.is_empty());
}
