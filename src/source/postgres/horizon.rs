//! The safe horizon of a followed table: which rows can still appear below the highest
//! position read, and when they can no longer.
//!
//! Every preset's position comes from a sequence taken as the row is inserted (message-db's
//! `global_position bigserial`, Emmett's `emt_global_message_position`, `eventsourcing`'s
//! `notification_id`, Marten's `mt_events_sequence`; a `table` is assumed to be the same). A
//! sequence is not transactional: a transaction can take position 11, another take 12 and
//! commit first, and 11 becomes visible only later — or never, if its transaction rolls back.
//! Reading `position > last` alone would miss 11 for good.
//!
//! So each read runs in a snapshot (`pg_current_snapshot()`: `xmin:xmax:in-progress ids`) and
//! every hole below the highest position read is kept, with a *mark*: one past the newest
//! transaction that was in progress then. The transaction holding a hole's position took it
//! before a higher position that we saw committed, so it was among those in progress (it got its
//! transaction id in the same `INSERT` that took the position — the one assumption, true of
//! every preset's writer). Once a later snapshot's `xmin` reaches the mark, all of them have
//! ended: the hole is read once more in that snapshot, what is there now is new, and the hole
//! is forgotten. A snapshot with nothing in progress leaves no holes at all, which is the usual
//! case while loading a quiet store. Positions are compared, never counted, so holes that are
//! never filled (rolled back, cached sequence values) cost one look each.
//!
//! Emmett's own readers reach the same result another way (they order by its `transaction_id`
//! column and read below `pg_snapshot_xmin`); `eventsourcing` takes a table lock to insert, so
//! its holes are only rollbacks. One rule serves every preset, and survives a reconnect: the
//! horizon is positions, not a session's state.

use std::str::FromStr;

/// A snapshot as `pg_current_snapshot()::text` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Every transaction below this has ended.
    pub xmin: u64,
    /// Every transaction at or above this had not started.
    pub xmax: u64,
    /// Transactions in progress, between the two.
    pub in_progress: Vec<u64>,
}

impl FromStr for Snapshot {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("not a snapshot: {text}");
        let mut parts = text.trim().splitn(3, ':');
        let xmin = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let xmax = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let in_progress = parts
            .next()
            .unwrap_or("")
            .split(',')
            .filter(|p| !p.is_empty())
            .map(|p| p.parse().map_err(|_| bad()))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            xmin,
            xmax,
            in_progress,
        })
    }
}

/// Positions that may still fill in, from `lo` to `hi` (inclusive), looked at again once a
/// snapshot's `xmin` reaches `mark`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hole {
    pub lo: i64,
    pub hi: i64,
    mark: u64,
}

/// What has been read of a table: the highest position, and the holes below it.
#[derive(Debug, Clone, Default)]
pub struct Horizon {
    last: Option<i64>,
    holes: Vec<Hole>,
}

impl Horizon {
    /// The highest position read.
    pub fn last(&self) -> Option<i64> {
        self.last
    }

    /// Holes still open.
    #[cfg(test)]
    pub fn holes(&self) -> usize {
        self.holes.len()
    }

    /// The holes whose transactions have all ended by `snapshot`: read them in that snapshot,
    /// and what is there is new. [`Horizon::settle`] forgets them once that read is done.
    pub fn due(&self, snapshot: &Snapshot) -> Vec<Hole> {
        self.holes
            .iter()
            .filter(|hole| hole.mark <= snapshot.xmin)
            .cloned()
            .collect()
    }

    /// Forgets the holes that were due at `snapshot`, now read.
    pub fn settle(&mut self, snapshot: &Snapshot) {
        self.holes.retain(|hole| hole.mark > snapshot.xmin);
    }

    /// Notes the positions (ascending, all above [`Horizon::last`]) read in `snapshot`.
    pub fn saw(&mut self, positions: &[i64], snapshot: &Snapshot) {
        let Some(&top) = positions.last() else {
            return;
        };
        if let Some(newest) = snapshot.in_progress.iter().max() {
            let mark = newest + 1;
            let mut below = self.last;
            for &position in positions {
                let lo = below.map_or(i64::MIN, |b| b.saturating_add(1));
                if position > lo {
                    self.holes.push(Hole {
                        lo,
                        hi: position - 1,
                        mark,
                    });
                }
                below = Some(position);
            }
        }
        self.last = Some(top);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(text: &str) -> Snapshot {
        text.parse().unwrap()
    }

    #[test]
    fn snapshots_parse() {
        assert_eq!(
            snapshot("10:14:10,12"),
            Snapshot {
                xmin: 10,
                xmax: 14,
                in_progress: vec![10, 12]
            }
        );
        assert_eq!(snapshot("7:7:").in_progress, Vec::<u64>::new());
        assert!("x:1:".parse::<Snapshot>().is_err());
    }

    #[test]
    fn a_quiet_snapshot_leaves_no_holes() {
        let mut horizon = Horizon::default();
        horizon.saw(&[1, 2, 5, 9], &snapshot("20:20:"));
        assert_eq!((horizon.last(), horizon.holes()), (Some(9), 0));
    }

    #[test]
    fn a_hole_below_a_commit_waits_for_the_transactions_in_progress() {
        let mut horizon = Horizon::default();
        horizon.saw(&[1, 2], &snapshot("30:30:"));
        // 3 was taken by transaction 31, still open; 4 committed.
        let busy = snapshot("31:33:31");
        horizon.saw(&[4], &busy);
        assert_eq!(horizon.holes(), 1);
        assert!(horizon.due(&busy).is_empty());
        assert!(horizon.due(&snapshot("31:34:31")).is_empty());
        let later = snapshot("32:34:");
        let due = horizon.due(&later);
        assert_eq!(
            due.iter().map(|h| (h.lo, h.hi)).collect::<Vec<_>>(),
            [(3, 3)]
        );
        assert_eq!(horizon.holes(), 1, "kept until read");
        horizon.settle(&later);
        assert_eq!((horizon.last(), horizon.holes()), (Some(4), 0));
    }

    #[test]
    fn the_first_read_can_have_a_hole_below_it() {
        let mut horizon = Horizon::default();
        horizon.saw(&[2, 3], &snapshot("5:7:5"));
        let due = horizon.due(&snapshot("7:7:"));
        assert_eq!(
            due.iter().map(|h| (h.lo, h.hi)).collect::<Vec<_>>(),
            [(i64::MIN, 1)]
        );
    }
}
