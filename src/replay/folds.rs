//! The store-wide fold: every stream at one moment, folded in parallel, with what folding built
//! kept across calls.
//!
//! [`Folds`] keeps, for each stream it has folded, its [`Checkpoints`] and its state at the
//! last moment asked for. Moving the moment costs, per stream, the events between the two
//! moments (forward), or a checkpoint and fewer than [`CHECKPOINT_EVERY`] events (backward or
//! far ahead); a stream with no event between the two moments costs a binary search. The same
//! cache serves one stream at a time ([`Folds::take`], [`Folds::keep`]), so a view of one
//! stream and the view of the whole store share their checkpoints.
//!
//! Memory: per stream, its state at the current moment as compact JSON text (unless made
//! [`Folds::without_states`]), 40 bytes of bookkeeping, and, once it has [`CHECKPOINT_EVERY`]
//! events or a failed one, its checkpoints (one state as compact text per `CHECKPOINT_EVERY`
//! events folded): for the 2 M-event benchmark store (65 000 streams whose states print as
//! about 1.2 KB) about 90 MB at the end of the store; for the 150 000 streams of the scale
//! benchmark, whose states print as about 320 bytes, about 55 MB. States are kept as text
//! because as trees (`serde_json::Value`, members in order, numbers as written) they take five
//! times as much: 400 MB there. A stream moved by a step is parsed, advanced and printed
//! again, which costs microseconds.
//!
//! A caller that reads each changed state once, as it is made ([`Folds::move_to_each`]), need
//! not keep them: the window's Read model runs its filters on them and keeps their answers.
//! Without states a stream moved by a step is folded from its checkpoint, fewer than
//! [`CHECKPOINT_EVERY`] events, and a new question ([`Folds::forget_states`]) folds every
//! stream again from its checkpoint.

use std::sync::Arc;

use rayon::prelude::*;
use serde_json::Value;

use super::{CHECKPOINT_EVERY, Checkpoints, Point, Reducer, Replay};
use crate::store::{Instant, Store, Stream};

/// A moment of the whole store: every stream at the same time, or the same position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// After each stream's last event whose time is at or before this instant.
    Time(Instant),
    /// After each stream's events whose position is at or before this one.
    Position(u64),
    /// After every event.
    End,
}

impl Moment {
    /// The same point in one stream.
    pub fn point(self) -> Point {
        match self {
            Self::Time(instant) => Point::Time(instant),
            Self::Position(position) => Point::Position(position),
            Self::End => Point::End,
        }
    }
}

/// One stream at the current moment.
#[derive(Debug, Clone, Copy)]
pub struct Folded<'f> {
    /// The stream's index in the store.
    pub stream: u32,
    /// How many of its events are applied (at least one: streams with none are left out).
    pub count: usize,
    /// The state, as compact JSON text.
    pub state: &'f str,
}

impl Folded<'_> {
    /// The state as a tree.
    pub fn value(&self) -> Value {
        // Written by `Value::to_string`, which always reads back.
        serde_json::from_str(self.state).unwrap_or_default()
    }
}

/// What [`Folds`] keeps of one stream.
#[derive(Default)]
struct Slot {
    /// What folding the stream built, when it is more than a start: a stream shorter than
    /// [`CHECKPOINT_EVERY`] with no failed event keeps nothing here (most streams of a big
    /// store are such; boxed, so that they pay 8 bytes for it, not 120).
    checkpoints: Option<Box<Checkpoints>>,
    /// The state after `count` events as compact JSON text, when folded.
    state: Option<Box<str>>,
    count: usize,
    /// Whether `count` is where the stream was last folded to (a fold that keeps no state).
    folded: bool,
    /// Whether the stream's times (positions) never go down, so that a moment is found by
    /// binary search; `None` until looked at.
    times_sorted: Option<bool>,
    positions_sorted: Option<bool>,
}

/// Every stream folded with one reducer, kept across moments and calls.
pub struct Folds {
    reducer: Arc<dyn Reducer>,
    /// A copy of the reducer for each thread of the pool, where it forks (a projection's
    /// engine runs one call at a time: one engine for all would fold on one core); made at the
    /// first move, kept for the next ones. Empty: the reducer serves every thread.
    forks: Option<Vec<Box<dyn Reducer>>>,
    slots: Vec<Slot>,
    moment: Option<Moment>,
    /// Whether each stream's state is kept ([`Folds::states`]) or only given to the caller of
    /// [`Folds::move_to_each`].
    keep_states: bool,
}

/// What moving to a moment cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Moved {
    /// Streams whose state changed.
    pub streams: usize,
    /// Events applied.
    pub events: usize,
}

impl Folds {
    /// A cache for folds with `reducer`; nothing is folded until a moment is asked for.
    pub fn new(reducer: Arc<dyn Reducer>) -> Self {
        Self {
            reducer,
            forks: None,
            slots: Vec::new(),
            moment: None,
            keep_states: true,
        }
    }

    /// A cache that keeps no states, only how far each stream is folded and its checkpoints:
    /// [`Folds::states`] and [`Folds::state`] give nothing, and a caller reads each state as it
    /// is made, with [`Folds::move_to_each`]. For 150 000 streams, 47 MB less.
    pub fn without_states(reducer: Arc<dyn Reducer>) -> Self {
        Self {
            keep_states: false,
            ..Self::new(reducer)
        }
    }

    /// Forgets where each stream was folded to (not its checkpoints): the next move folds
    /// every stream again and gives each to [`Folds::move_to_each`]'s `visit`.
    pub fn forget_states(&mut self) {
        for slot in &mut self.slots {
            slot.state = None;
            slot.folded = false;
        }
    }

    /// The reducer the states are folded with.
    pub fn reducer(&self) -> &Arc<dyn Reducer> {
        &self.reducer
    }

    /// The moment of [`Folds::states`], once one was asked for.
    pub fn moment(&self) -> Option<Moment> {
        self.moment
    }

    /// Folds every stream of `store` that `wanted` lets through to `moment`, in parallel.
    /// `store` is the store of earlier calls or a grown snapshot of it (streams keep their
    /// index and their first events). Streams left out keep what they had.
    pub fn move_to(
        &mut self,
        store: &Store,
        moment: Moment,
        wanted: impl Fn(&Stream) -> bool + Sync,
    ) -> Moved {
        let mut nothing = vec![(); store.streams().len()];
        self.move_to_each(store, moment, wanted, &mut nothing, || (), |(), _, ()| {})
    }

    /// [`Folds::move_to`], giving each stream whose state changed to `visit`, on the thread
    /// that folded it, with `found[stream]` to keep what it finds: `Some` state, or `None` when
    /// the stream has no event at the moment any more. `init` makes what the visits of one
    /// piece of work share, as rayon's `map_init` does (a filter that cannot cross threads).
    ///
    /// # Panics
    ///
    /// If `found` does not have an item for each of the store's streams.
    pub fn move_to_each<S, T: Send>(
        &mut self,
        store: &Store,
        moment: Moment,
        wanted: impl Fn(&Stream) -> bool + Sync,
        found: &mut [T],
        init: impl Fn() -> S + Sync + Send,
        visit: impl Fn(&mut S, Option<Folded<'_>>, &mut T) + Sync + Send,
    ) -> Moved {
        let streams = store.streams();
        assert_eq!(found.len(), streams.len(), "one item found for each stream");
        self.slots
            .resize_with(streams.len().max(self.slots.len()), Slot::default);
        let reducer = &*self.reducer;
        let forks = self.forks.get_or_insert_with(|| {
            (0..rayon::current_num_threads())
                .map(|_| reducer.fork())
                .collect::<Option<Vec<_>>>()
                .unwrap_or_default()
        });
        let forks = &*forks;
        let keep = self.keep_states;
        // One pass over every stream, on both cores, with no list of the changed ones (a
        // jump's list of 150 000 streams was 13 MB while rayon joined its pieces). What `init`
        // makes is made only by a piece of work that meets a changed stream: made for every
        // piece, it made a step (one stream changed of hundreds of thousands) twice as slow.
        let (moved, events) = self.slots[..streams.len()]
            .par_iter_mut()
            .zip(streams.par_iter())
            .zip(found.par_iter_mut())
            .enumerate()
            .map_init(
                || None,
                |shared: &mut Option<S>, (i, ((slot, stream), found))| {
                    if !wanted(stream) {
                        return (0, 0);
                    }
                    let count = slot.count_at(store, stream, moment);
                    if slot.folded && count == slot.count {
                        return (0, 0);
                    }
                    // Each thread of the pool folds with its own copy, never another's.
                    let mine = rayon::current_thread_index().and_then(|i| forks.get(i));
                    let reducer = mine.map_or(reducer, |fork| &**fork);
                    let (applied, state) = slot.fold_to(store, stream, reducer, count);
                    let folded = (count > 0).then_some(Folded {
                        stream: i as u32,
                        count,
                        state: &state,
                    });
                    visit(shared.get_or_insert_with(&init), folded, found);
                    slot.state = keep.then_some(state);
                    (1, applied)
                },
            )
            .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        self.moment = Some(moment);
        Moved {
            streams: moved,
            events,
        }
    }

    /// Every folded stream with at least one event at the current moment, by stream index.
    pub fn states(&self) -> impl Iterator<Item = Folded<'_>> {
        self.slots.iter().enumerate().filter_map(|(i, slot)| {
            let state = slot.state.as_ref()?;
            (slot.count > 0).then_some(Folded {
                stream: i as u32,
                count: slot.count,
                state,
            })
        })
    }

    /// One stream at the current moment (`None`: not folded, or no event there yet).
    pub fn state(&self, stream: u32) -> Option<Folded<'_>> {
        let slot = self.slots.get(stream as usize)?;
        let state = slot.state.as_ref()?;
        (slot.count > 0).then_some(Folded {
            stream,
            count: slot.count,
            state,
        })
    }

    /// Takes out what folding one stream has built (or a start), to go on with it elsewhere
    /// and give it back with [`Folds::keep`]; meanwhile a move folds that stream afresh.
    pub fn take(&mut self, stream: u32) -> Checkpoints {
        self.slots
            .get_mut(stream as usize)
            .and_then(|slot| slot.checkpoints.take())
            .map_or_else(|| Checkpoints::new(&*self.reducer), |kept| *kept)
    }

    /// Keeps what a replay resumed from [`Folds::take`] built.
    pub fn keep(&mut self, stream: u32, checkpoints: Checkpoints) {
        let index = stream as usize;
        if self.slots.len() <= index {
            self.slots.resize_with(index + 1, Slot::default);
        }
        self.slots[index].checkpoints = Some(Box::new(checkpoints));
    }

    /// Every event that failed so far, as (stream index, index in the stream, why).
    pub fn failures(&self) -> impl Iterator<Item = (u32, usize, &str)> {
        self.slots.iter().enumerate().flat_map(|(i, slot)| {
            slot.checkpoints.iter().flat_map(move |checkpoints| {
                checkpoints
                    .failures
                    .iter()
                    .map(move |(&k, why)| (i as u32, k, why.as_str()))
            })
        })
    }
}

impl Slot {
    /// Folds the stream to `count` events: the events applied, and the new state, which the
    /// caller keeps or not.
    fn fold_to(
        &mut self,
        store: &Store,
        stream: &Stream,
        reducer: &dyn Reducer,
        count: usize,
    ) -> (usize, Box<str>) {
        let checkpoints = self
            .checkpoints
            .take()
            .map_or_else(|| Checkpoints::new(reducer), |kept| *kept);
        let mut replay = Replay::resume(store, stream, reducer, checkpoints);
        let near = count > self.count && count - self.count < CHECKPOINT_EVERY;
        let (state, applied) = match self.state.take().filter(|_| near) {
            Some(before) => (
                replay.advance_text(&before, self.count, count),
                count - self.count,
            ),
            None => (replay.text_after(count), count % CHECKPOINT_EVERY),
        };
        let built = replay.into_checkpoints();
        self.checkpoints =
            (built.covered() > 0 || !built.failures.is_empty()).then(|| Box::new(built));
        self.count = count;
        self.folded = true;
        (applied, state.into_boxed_str())
    }

    /// How many of the stream's events are applied at `moment`: as [`Point::count`] says, by
    /// binary search where the stream's times (positions) never go down.
    fn count_at(&mut self, store: &Store, stream: &Stream, moment: Moment) -> usize {
        let events = store.events();
        let indices = &stream.events;
        match moment {
            Moment::End => indices.len(),
            Moment::Time(at) => {
                let sorted = *self.times_sorted.get_or_insert_with(|| {
                    let mut last = i64::MIN;
                    indices.iter().all(|&i| {
                        events[i as usize].instant().is_some_and(|t| {
                            let up = t >= last;
                            last = t;
                            up
                        })
                    })
                });
                if sorted {
                    indices
                        .partition_point(|&i| events[i as usize].instant().is_some_and(|t| t <= at))
                } else {
                    Point::Time(at).count(store, stream).unwrap_or(0)
                }
            }
            Moment::Position(at) => {
                let sorted = *self.positions_sorted.get_or_insert_with(|| {
                    indices
                        .windows(2)
                        .all(|w| store.position(w[0]) <= store.position(w[1]))
                });
                if sorted {
                    indices.partition_point(|&i| store.position(i) <= at)
                } else {
                    Point::Position(at).count(store, stream).unwrap_or(0)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::MergePatch;
    use crate::replay::tests::store;
    use crate::store::{EventRef, parse_instant};
    use serde_json::json;

    /// Three orders, one event a minute, round robin, 300 events each.
    fn orders() -> Store {
        let lines: Vec<String> = (0..900)
            .map(|i| {
                format!(
                    r#"{{"stream":"order-{}","type":"T","time":"2024-01-01T{:02}:{:02}:00Z","data":{{"n":{i},"k{}":{}}}}}"#,
                    i % 3,
                    i / 60,
                    i % 60,
                    i % 5,
                    if i % 7 == 0 { "null".to_owned() } else { i.to_string() }
                )
            })
            .collect();
        store(&lines)
    }

    fn at(minute: usize) -> Moment {
        let text = format!("2024-01-01T{:02}:{:02}:00Z", minute / 60, minute % 60);
        Moment::Time(parse_instant(&text).unwrap())
    }

    fn expected(store: &Store, moment: Moment) -> Vec<(u32, Value)> {
        expected_with(store, moment, &MergePatch)
    }

    fn expected_with(store: &Store, moment: Moment, reducer: &dyn Reducer) -> Vec<(u32, Value)> {
        store
            .streams()
            .iter()
            .enumerate()
            .filter_map(|(i, stream)| {
                let mut replay = Replay::new(store, stream, reducer);
                let count = moment.point().count(store, stream).unwrap();
                (count > 0).then(|| (i as u32, replay.state_after(count)))
            })
            .collect()
    }

    fn states(folds: &Folds) -> Vec<(u32, Value)> {
        folds.states().map(|f| (f.stream, f.value())).collect()
    }

    #[test]
    fn every_move_agrees_with_a_fold_from_the_start() {
        let store = orders();
        let mut folds = Folds::new(Arc::new(MergePatch));
        let moments = [0, 1, 2, 400, 401, 899, 130, 131, 2, 899].map(at);
        for moment in moments.into_iter().chain([Moment::Time(i64::MAX), at(3)]) {
            folds.move_to(&store, moment, |_| true);
            assert_eq!(states(&folds), expected(&store, moment), "{moment:?}");
        }
        for position in [0, 5, 899, 17] {
            let moment = Moment::Position(position);
            folds.move_to(&store, moment, |_| true);
            assert_eq!(
                states(&folds),
                expected(&store, moment),
                "position {position}"
            );
        }
        folds.move_to(&store, Moment::End, |_| true);
        assert_eq!(states(&folds), expected(&store, Moment::End));
    }

    #[test]
    fn a_fold_without_states_gives_each_changed_state_once() {
        let store = orders();
        let mut folds = Folds::without_states(Arc::new(MergePatch));
        // Per stream: how many times it was visited, and the state it was last given.
        let mut found: Vec<(usize, Option<Value>)> = vec![(0, None); 3];
        let mut visited = 0;
        let mut check = |folds: &mut Folds, moment: Moment, visits: usize| {
            let moved = folds.move_to_each(
                &store,
                moment,
                |_| true,
                &mut found,
                || (),
                |(), folded, (n, seen)| {
                    *n += 1;
                    *seen = folded.map(|f| f.value());
                },
            );
            let total: usize = found.iter().map(|(n, _)| n).sum();
            assert_eq!(total - visited, visits, "visits at {moment:?}");
            assert_eq!(moved.streams, visits, "{moment:?}");
            visited = total;
            let seen: Vec<(u32, Value)> = (0..3)
                .filter_map(|i| Some((i, found[i as usize].1.clone()?)))
                .collect();
            assert_eq!(seen, expected(&store, moment), "{moment:?}");
            assert_eq!(folds.states().count(), 0, "no state is kept");
        };
        check(&mut folds, at(400), 3);
        check(&mut folds, at(401), 1);
        check(&mut folds, at(401), 0);
        check(&mut folds, at(130), 3);
        check(&mut folds, Moment::End, 3);
        check(&mut folds, at(0), 3);
        folds.forget_states();
        check(&mut folds, at(0), 3);
        check(&mut folds, Moment::Position(1), 1);
    }

    #[test]
    fn a_projection_folds_on_every_thread_with_a_copy_of_its_own() {
        let projection = crate::replay::Projection::from_source(
            "p.js",
            "fromAll().when({ $init: () => ({ n: 0, sum: 0 }),
               T: (s, e) => { s.n += 1; s.sum += e.data.n; s.last = e.sequenceNumber; } })",
            crate::replay::Limits::default(),
        )
        .unwrap();
        let reducer: Arc<dyn Reducer> = Arc::new(projection);
        let store = orders();
        let mut folds = Folds::new(reducer.clone());
        for moment in [at(400), at(401), at(130), Moment::End, Moment::Position(17)] {
            folds.move_to(&store, moment, |_| true);
            assert_eq!(
                states(&folds),
                expected_with(&store, moment, &*reducer),
                "{moment:?}"
            );
        }
        let copies = folds.forks.as_ref().map_or(0, Vec::len);
        assert_eq!(copies, rayon::current_num_threads());
    }

    #[test]
    fn a_step_costs_the_events_in_between() {
        let store = orders();
        let mut folds = Folds::new(Arc::new(MergePatch));
        folds.move_to(&store, at(600), |_| true);
        let moved = folds.move_to(&store, at(602), |_| true);
        assert_eq!(
            moved,
            Moved {
                streams: 2,
                events: 2
            }
        );
        let moved = folds.move_to(&store, at(602), |_| true);
        assert_eq!(moved, Moved::default(), "the same moment costs nothing");
        let moved = folds.move_to(&store, at(10), |_| true);
        assert_eq!(moved.streams, 3);
        assert!(moved.events <= 3 * CHECKPOINT_EVERY, "{moved:?}");
    }

    #[test]
    fn one_stream_s_replay_shares_the_checkpoints() {
        let store = orders();
        let mut folds = Folds::new(Arc::new(MergePatch));
        folds.move_to(&store, Moment::End, |_| true);
        let checkpoints = folds.take(1);
        assert_eq!(checkpoints.covered(), 256, "built by the store-wide fold");
        folds.keep(1, checkpoints);
        let stream = &store.streams()[1];
        let mut replay = Replay::resume(&store, stream, &MergePatch, folds.take(1));
        assert_eq!(replay.state_after(1), json!({"n": 1, "k1": 1}));
    }

    #[test]
    fn streams_left_out_are_not_folded() {
        let store = orders();
        let mut folds = Folds::new(Arc::new(MergePatch));
        folds.move_to(&store, Moment::End, |s| &*s.id != "order-1");
        let folded: Vec<u32> = folds.states().map(|f| f.stream).collect();
        assert_eq!(folded, [0, 2]);
    }

    /// Merge patches, refusing a payload that says `fail`.
    struct Refusing;

    impl Reducer for Refusing {
        fn initial(&self) -> Value {
            json!({})
        }

        fn apply(&self, state: &mut Value, event: &EventRef<'_>) -> Result<(), String> {
            if event.data_json().is_some_and(|data| data.contains("fail")) {
                return Err("refused".to_owned());
            }
            MergePatch.apply(state, event)
        }
    }

    #[test]
    fn a_short_stream_keeps_only_its_state_unless_an_event_failed() {
        // Hundreds of thousands of short streams: each costs its state and a few words.
        assert!(size_of::<Slot>() <= 40, "{}", size_of::<Slot>());
        let store = store(&[
            r#"{"stream":"a","type":"T","data":{"n":1}}"#.to_owned(),
            r#"{"stream":"b","type":"T","data":{"fail":true}}"#.to_owned(),
            r#"{"stream":"a","type":"T","data":{"n":2}}"#.to_owned(),
        ]);
        let mut folds = Folds::new(Arc::new(Refusing));
        for moment in [
            Moment::Position(1),
            Moment::End,
            Moment::Position(0),
            Moment::End,
        ] {
            folds.move_to(&store, moment, |_| true);
            let kept: Vec<bool> = folds
                .slots
                .iter()
                .map(|s| s.checkpoints.is_some())
                .collect();
            assert_eq!(kept, [false, true], "at {moment:?}");
            let failed: Vec<(u32, usize)> = folds.failures().map(|(s, k, _)| (s, k)).collect();
            assert_eq!(failed, [(1, 0)], "at {moment:?}");
        }
        assert_eq!(states(&folds), [(0, json!({"n": 2})), (1, json!({}))]);
    }
}
