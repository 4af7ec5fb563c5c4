//! The Charts tab: events per time bucket, stacked by type, for the stream and for the whole
//! store; and a number in the state plotted over the stream's history (chosen with "Plot in
//! Charts" in a member's history, on the State tab).

use std::collections::HashMap;
use std::sync::Arc;

use egui::{Color32, Ui};
use egui_plot::{Bar, BarChart, Line, Plot};

use super::TabContext;
use super::schema::store_key;
use crate::gui::inspect::Answer;
use crate::gui::job::{Job, Repaint};
use crate::gui::view::View;
use crate::store::Store;

/// Buckets along the time axis.
const BUCKETS: usize = 48;
/// Types drawn on their own; the rest are stacked as "other".
const TYPES_SHOWN: usize = 8;

/// Events per time bucket, per type.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// Nanoseconds since the epoch where the first bucket starts, and each bucket's width.
    pub start: i64,
    pub width: i64,
    /// (type, count per bucket), the most frequent types first, then "other".
    pub types: Vec<(String, Vec<u32>)>,
    /// Events without a readable time, not counted.
    pub untimed: usize,
}

/// Counts `events` (indices into the store) per time bucket and type: one pass for the time
/// range, one to count, nothing kept per event.
pub fn histogram<I>(store: &Store, events: I, buckets: usize) -> Histogram
where
    I: ExactSizeIterator<Item = u32> + Clone,
{
    let total = events.len();
    let instants = |events: I| {
        events.filter_map(|i| {
            let event = &store.events()[i as usize];
            event.instant().map(|t| (t, event.type_id))
        })
    };
    let (mut timed, mut first, mut last) = (0, i64::MAX, i64::MIN);
    for (t, _) in instants(events.clone()) {
        timed += 1;
        first = first.min(t);
        last = last.max(t);
    }
    let untimed = total - timed;
    if timed == 0 {
        return Histogram {
            start: 0,
            width: 1,
            types: Vec::new(),
            untimed,
        };
    }
    let buckets = buckets.max(1);
    let width = ((last - first) / i64::try_from(buckets).unwrap_or(1)).max(1) + 1;
    let mut per_type: HashMap<u32, Vec<u32>> = HashMap::new();
    for (t, type_id) in instants(events) {
        let bucket = usize::try_from((t - first) / width)
            .unwrap_or(0)
            .min(buckets - 1);
        per_type.entry(type_id).or_insert_with(|| vec![0; buckets])[bucket] += 1;
    }
    let mut types: Vec<(String, Vec<u32>)> = per_type
        .into_iter()
        .map(|(type_id, counts)| (store.type_name(type_id).to_owned(), counts))
        .collect();
    types.sort_by(|a, b| {
        let total = |c: &[u32]| c.iter().map(|&n| u64::from(n)).sum::<u64>();
        total(&b.1).cmp(&total(&a.1)).then(a.0.cmp(&b.0))
    });
    if types.len() > TYPES_SHOWN {
        let mut other = vec![0; buckets];
        for (_, counts) in types.drain(TYPES_SHOWN..) {
            for (o, c) in other.iter_mut().zip(counts) {
                *o += c;
            }
        }
        types.push(("other types".to_owned(), other));
    }
    Histogram {
        start: first,
        width,
        types,
        untimed,
    }
}

pub fn ui(ui: &mut Ui, cx: &mut TabContext<'_>) {
    cx.charts.ui(ui, cx.view, cx.answer);
}

/// The histograms drawn, kept until the store or stream changes. The whole store's (millions
/// of events) is counted on a thread.
#[derive(Default)]
pub struct Charts {
    stream: Option<((u64, u32), Arc<Histogram>)>,
    store: Option<(u64, Arc<Histogram>)>,
    counting: Option<Job<Histogram>>,
}

impl Charts {
    /// Whether the whole store's histogram is being counted.
    pub fn is_counting(&self) -> bool {
        self.counting.is_some()
    }

    pub fn ui(&mut self, ui: &mut Ui, view: &View, answer: Option<&Answer>) {
        let store_key = store_key(&view.store);
        let stream_key = (store_key, view.stream);
        if self.stream.as_ref().is_none_or(|(k, _)| *k != stream_key) {
            let h = histogram(&view.store, view.stream().events.iter().copied(), BUCKETS);
            self.stream = Some((stream_key, Arc::new(h)));
        }
        egui::ScrollArea::vertical()
            .auto_shrink(false)
            .id_salt("charts")
            .show(ui, |ui| {
                member_chart(ui, view, answer);
                ui.add_space(8.0);
                if let Some((_, h)) = &self.stream {
                    ui.strong(format!(
                        "Events of {} per time bucket, by type",
                        view.stream().id
                    ));
                    histogram_plot(ui, "stream-histogram", h, &view.store);
                }
                ui.add_space(8.0);
                ui.strong("Events of the whole store per time bucket, by type");
                match &self.store {
                    Some((key, h)) if *key == store_key => {
                        histogram_plot(ui, "store-histogram", h, &view.store);
                    }
                    _ => {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label("counting every event…");
                        });
                    }
                }
            });
    }

    /// Takes in the whole store's histogram, or starts counting it for a store not counted.
    pub fn count_store(&mut self, store: &Arc<Store>, repaint: Repaint) {
        let key = store_key(store);
        if let Some(counting) = &mut self.counting
            && let Some(h) = counting.latest()
        {
            self.store = Some((counting.key(), Arc::new(h)));
            self.counting = None;
        }
        let wanted = |k: Option<u64>| k == Some(key);
        if wanted(self.store.as_ref().map(|(k, _)| *k))
            || wanted(self.counting.as_ref().map(Job::key))
        {
            return;
        }
        let store = store.clone();
        // A new count replaces one for an older store (a preview), which is cancelled.
        self.counting = Job::spawn("histogram", key, repaint, move |worker| {
            let all = 0..u32::try_from(store.events().len()).unwrap_or(u32::MAX);
            worker.send(histogram(&store, all, BUCKETS));
        })
        .ok();
    }
}

fn member_chart(ui: &mut Ui, view: &View, answer: Option<&Answer>) {
    let Some(pointer) = &view.chart else {
        ui.weak("To plot a number of the state over time: on the State tab, click a member, then \"Plot in Charts\".");
        return;
    };
    ui.strong(format!(
        "{pointer} over the history of {}",
        view.stream().id
    ));
    let points = answer
        .filter(|a| a.ask.chart.as_ref() == Some(pointer))
        .and_then(|a| a.series.clone());
    let Some(points) = points else {
        ui.spinner();
        return;
    };
    if points.is_empty() {
        ui.label(format!("{pointer} never holds a number in this stream."));
        return;
    }
    if points.len() > 1 {
        ui.weak(format!(
            "Gaps: {pointer} is absent (or not a number) after some events."
        ));
    }
    #[allow(clippy::cast_precision_loss)]
    let cursor = view.cursor_seq() as f64;
    Plot::new("member-chart")
        .height(180.0)
        .x_axis_label("seq")
        .show(ui, |plot| {
            for run in points.iter() {
                plot.line(
                    Line::new(pointer.clone(), run.clone()).color(Color32::from_rgb(90, 170, 255)),
                );
            }
            plot.vline(egui_plot::VLine::new("cursor", cursor).color(Color32::GRAY));
        });
}

fn histogram_plot(ui: &mut Ui, id: &str, h: &Histogram, store: &Store) {
    if h.types.is_empty() {
        ui.weak("No event has a readable time.");
        return;
    }
    // The legend above the plot, where it hides no bar; a type has its colour in every chart.
    ui.horizontal_wrapped(|ui| {
        for (name, _) in &h.types {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
            ui.painter().rect_filled(rect, 2.0, type_color(store, name));
            ui.label(name);
            ui.add_space(6.0);
        }
    });
    #[allow(clippy::cast_precision_loss)]
    let x_of =
        |bucket: usize| (h.start + h.width * i64::try_from(bucket).unwrap_or(0)) as f64 / 60e9;
    #[allow(clippy::cast_precision_loss)]
    let width = h.width as f64 / 60e9;
    let mut charts: Vec<BarChart> = Vec::new();
    for (name, counts) in &h.types {
        let bars = counts
            .iter()
            .enumerate()
            .map(|(b, &n)| Bar::new(x_of(b) + width / 2.0, f64::from(n)).width(width * 0.9))
            .collect();
        let chart = BarChart::new(name.clone(), bars).color(type_color(store, name));
        let below: Vec<&BarChart> = charts.iter().collect();
        let chart = chart.stack_on(&below);
        charts.push(chart);
    }
    Plot::new(id)
        .height(170.0)
        .x_axis_formatter(|mark, _| minutes_to_time(mark.value))
        .show(ui, |plot| {
            for chart in charts {
                plot.bar_chart(chart);
            }
        });
    if h.untimed > 0 {
        ui.weak(format!(
            "{} events without a readable time are not counted.",
            h.untimed
        ));
    }
}

/// An axis label for minutes since the epoch: `2024-03-01 10:15`.
#[allow(clippy::cast_possible_truncation)]
pub fn minutes_to_time(minutes: f64) -> String {
    chrono::DateTime::from_timestamp((minutes * 60.0) as i64, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// The colour of an event type in every chart: by its type id in `store` (the order the store
/// first has the types), grey for the types stacked together as "other".
pub fn type_color(store: &Store, name: &str) -> Color32 {
    match store.type_names().iter().position(|t| t == name) {
        Some(i) => palette(i % PALETTE_DISTINCT),
        None => OTHER,
    }
}

/// How many of the palette's colours are for series of their own (the last is "other"'s).
const PALETTE_DISTINCT: usize = 8;
/// The colour of "other types".
const OTHER: Color32 = Color32::from_rgb(140, 140, 140);

/// The colours of stacked series, in order.
pub fn palette(i: usize) -> Color32 {
    const COLORS: [Color32; 9] = [
        Color32::from_rgb(90, 170, 255),
        Color32::from_rgb(235, 170, 60),
        Color32::from_rgb(90, 190, 100),
        Color32::from_rgb(230, 90, 80),
        Color32::from_rgb(170, 120, 230),
        Color32::from_rgb(80, 200, 200),
        Color32::from_rgb(230, 130, 190),
        Color32::from_rgb(180, 180, 90),
        OTHER,
    ];
    COLORS[i % COLORS.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ReadOptions;
    use std::path::Path;

    fn store_of(lines: &[&str]) -> Store {
        let text = lines.join("\n").into_bytes();
        Store::from_bytes(Path::new("t.jsonl"), text, &ReadOptions::default()).unwrap()
    }

    #[test]
    fn events_are_counted_per_bucket_and_type() {
        let lines = [
            r#"{"stream":"o","type":"A","time":"2024-01-01T10:00:00Z"}"#,
            r#"{"stream":"o","type":"B","time":"2024-01-01T10:00:30Z"}"#,
            r#"{"stream":"o","type":"A","time":"2024-01-01T10:03:59Z"}"#,
            r#"{"stream":"o","type":"A","time":"2024-01-01T10:04:00Z"}"#,
            r#"{"stream":"o","type":"A"}"#,
        ];
        let store = store_of(&lines);
        let h = histogram(&store, 0..5, 4);
        assert_eq!(h.untimed, 1);
        assert_eq!(
            h.types,
            [
                ("A".to_owned(), vec![1, 0, 0, 2]),
                ("B".to_owned(), vec![1, 0, 0, 0])
            ]
        );
        assert_eq!(
            h.start,
            crate::store::parse_instant("2024-01-01T10:00:00Z").unwrap()
        );
    }

    #[test]
    fn a_type_has_one_colour_in_every_chart() {
        let lines = [
            r#"{"stream":"a","type":"Rare","time":"2024-01-01T10:00:00Z"}"#,
            r#"{"stream":"b","type":"Common","time":"2024-01-01T10:00:30Z"}"#,
            r#"{"stream":"b","type":"Common","time":"2024-01-01T10:01:00Z"}"#,
            r#"{"stream":"a","type":"Common","time":"2024-01-01T10:02:00Z"}"#,
            r#"{"stream":"a","type":"Rare","time":"2024-01-01T10:03:00Z"}"#,
        ];
        let store = store_of(&lines);
        // Ranked differently in stream a (Rare first) and in the store (Common first), each
        // type keeps its colour.
        let stream_a = histogram(&store, [0, 3, 4].into_iter(), 2);
        let whole = histogram(&store, 0..5, 2);
        assert_eq!(stream_a.types[0].0, "Rare");
        assert_eq!(whole.types[0].0, "Common");
        let colour = |h: &Histogram, name: &str| {
            assert!(h.types.iter().any(|(n, _)| n == name));
            type_color(&store, name)
        };
        assert_eq!(colour(&stream_a, "Rare"), colour(&whole, "Rare"));
        assert_ne!(type_color(&store, "Rare"), type_color(&store, "Common"));
        assert_eq!(type_color(&store, "other types"), OTHER);
    }
}
