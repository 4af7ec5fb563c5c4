//! The line of each event's record, kept apart from [`super::Event`]: in a file of JSON Lines
//! each record is on the line after the one before, so a group of events needs only its
//! first line. Eight bytes an event were an eighth of the index (16 MB of a 2 M-event store);
//! this keeps a quarter of a byte an event where lines follow on, and all of them exactly
//! where they do not (blank lines, records over several lines, a JSON array).

use super::blocks::Blocks;

/// Events per group: a power of two, so that finding a group is a shift.
const GROUP_BITS: u32 = 6;
const GROUP: usize = 1 << GROUP_BITS;

/// Where a group keeps each event's line: nowhere (they follow on from `first`).
const FOLLOWS: u32 = u32::MAX;

/// One group of [`GROUP`] events.
#[derive(Debug, Clone, Copy)]
struct Group {
    /// The line of the group's first event (0: it has none, a database's row).
    first: u64,
    /// Where the group's lines start in [`Lines::odd`]; [`FOLLOWS`] while each event's line
    /// is the one after the event before (or 0 after 0).
    odd: u32,
}

impl Group {
    /// The line of the `k`th event of a group whose lines follow on.
    fn following(&self, k: usize) -> u64 {
        if self.first == 0 {
            0
        } else {
            self.first + k as u64
        }
    }
}

/// The lines of a store's events, by event index; 0 where an event has none. Clones share
/// what they hold, as [`Blocks`] do, so that a growing store's snapshots copy nothing.
#[derive(Debug, Clone, Default)]
pub(super) struct Lines {
    groups: Blocks<Group>,
    /// Every line of the groups where lines do not follow on, a group after another.
    odd: Blocks<u64>,
    len: usize,
}

impl Lines {
    /// Appends the line of event [`Lines::len`].
    pub fn push(&mut self, line: u64) {
        let k = self.len % GROUP;
        self.len += 1;
        if k == 0 {
            self.groups.push(Group {
                first: line,
                odd: FOLLOWS,
            });
            return;
        }
        let last = self.groups.len() - 1;
        let Some(group) = self.groups.get_mut(last) else {
            return;
        };
        if group.odd == FOLLOWS {
            if line == group.following(k) {
                return;
            }
            // The group's lines stop following on: its lines so far go in `odd`. An event
            // index is 32 bits, so `odd` (at most one line per event) is indexed by 32 too.
            group.odd = self.odd.len() as u32;
            let group = *group;
            for earlier in 0..k {
                self.odd.push(group.following(earlier));
            }
        }
        self.odd.push(line);
    }

    /// The line of event `index` (0: none), or `None` past the end.
    pub fn get(&self, index: usize) -> Option<u64> {
        if index >= self.len {
            return None;
        }
        let group = self.groups.get(index >> GROUP_BITS)?;
        let k = index & (GROUP - 1);
        if group.odd == FOLLOWS {
            Some(group.following(k))
        } else {
            self.odd.get(group.odd as usize + k).copied()
        }
    }

    /// Gives back what the last blocks hold in spare room.
    pub fn shrink_to_fit(&mut self) {
        self.groups.shrink_to_fit();
        self.odd.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lines_of(lines: &[u64]) -> Lines {
        let mut kept = Lines::default();
        for &line in lines {
            kept.push(line);
        }
        kept
    }

    #[test]
    fn lines_that_follow_on_take_no_room_per_event() {
        let lines: Vec<u64> = (1..=1000).collect();
        let kept = lines_of(&lines);
        assert_eq!(kept.odd.len(), 0);
        assert!((0..1000).all(|i| kept.get(i) == Some(lines[i])));
        assert_eq!(kept.get(1000), None);
        // A database's rows: no lines at all.
        let rows = lines_of(&[0; 100]);
        assert_eq!(rows.odd.len(), 0);
        assert!((0..100).all(|i| rows.get(i) == Some(0)));
    }

    #[test]
    fn a_group_with_a_gap_keeps_its_lines() {
        // A blank line after the 70th record: the second group keeps its 64 lines.
        let lines: Vec<u64> = (1..=70).chain(72..=200).collect();
        let kept = lines_of(&lines);
        assert_eq!(kept.odd.len(), GROUP);
        assert!((0..lines.len()).all(|i| kept.get(i) == Some(lines[i])));
        // A line far beyond 32 bits.
        let far = lines_of(&[1, 2, 1 << 40, (1 << 40) + 1]);
        assert_eq!(far.get(2), Some(1 << 40));
        assert_eq!(far.get(3), Some((1 << 40) + 1));
    }

    #[test]
    fn a_clone_keeps_its_lines_while_the_original_grows() {
        let mut kept = lines_of(&[1, 2, 3]);
        let snapshot = kept.clone();
        kept.push(9);
        assert_eq!((snapshot.get(3), kept.get(3)), (None, Some(9)));
        assert_eq!(snapshot.get(2), Some(3));
    }

    proptest! {
        /// Any lines, growing by any steps (0 where a source has none), come back as pushed.
        #[test]
        fn gives_back_every_line(steps in prop::collection::vec(0u64..4, 0..400), rows in any::<bool>()) {
            let mut line = 0;
            let lines: Vec<u64> = steps
                .iter()
                .map(|step| {
                    line += step.max(&1);
                    if rows { 0 } else { line + step / 3 * 1000 }
                })
                .collect();
            let kept = lines_of(&lines);
            for (i, &line) in lines.iter().enumerate() {
                prop_assert_eq!(kept.get(i), Some(line));
            }
            prop_assert_eq!(kept.get(lines.len()), None);
        }
    }
}
