//! An append-only sequence kept in blocks that snapshots share: a store that grows hands out
//! copies of itself ([`super::Store`] is `Clone`) without copying millions of events, and
//! appending never moves what an earlier copy still reads.

use std::ops::Index;
use std::sync::Arc;

/// Items per block: a power of two, so that finding an item is a shift and a mask.
const BLOCK_BITS: u32 = 16;
const BLOCK: usize = 1 << BLOCK_BITS;

/// A growable sequence of `T` in blocks of 65 536 items. Cloning costs one reference count
/// per block; the first push after a clone copies only the last block (at most a block's
/// items), and only if the clone still holds it.
#[derive(Debug, Clone)]
pub struct Blocks<T> {
    blocks: Vec<Arc<Vec<T>>>,
    len: usize,
}

impl<T> Default for Blocks<T> {
    fn default() -> Self {
        Self {
            blocks: Vec::new(),
            len: 0,
        }
    }
}

impl<T: Clone> Blocks<T> {
    /// Appends `item` at index [`Blocks::len`].
    pub fn push(&mut self, item: T) {
        if self.len.is_multiple_of(BLOCK) {
            self.blocks.push(Arc::new(Vec::with_capacity(BLOCK)));
        }
        let last = self.blocks.last_mut().map(Arc::make_mut);
        if let Some(last) = last {
            last.push(item);
            self.len += 1;
        }
    }

    /// The item at `index`, to change (its block copied first if a snapshot shares it).
    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        if index >= self.len {
            return None;
        }
        let block = self.blocks.get_mut(index >> BLOCK_BITS)?;
        Arc::make_mut(block).get_mut(index & (BLOCK - 1))
    }

    /// The items, a block at a time, taken out (or copied where a snapshot shares a block).
    pub fn into_blocks(self) -> impl Iterator<Item = Vec<T>> {
        self.blocks.into_iter().map(Arc::unwrap_or_clone)
    }

    /// Gives back what the last block holds in spare room.
    pub fn shrink_to_fit(&mut self) {
        if let Some(last) = self.blocks.last_mut() {
            Arc::make_mut(last).shrink_to_fit();
        }
    }
}

impl<T> Blocks<T> {
    /// How many items there are.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The item at `index`, if there is one.
    pub fn get(&self, index: usize) -> Option<&T> {
        self.blocks
            .get(index >> BLOCK_BITS)
            .and_then(|block| block.get(index & (BLOCK - 1)))
    }

    /// The last item.
    pub fn last(&self) -> Option<&T> {
        self.len.checked_sub(1).and_then(|i| self.get(i))
    }

    /// Every item, in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + '_ {
        self.blocks.iter().flat_map(|block| block.iter())
    }

    /// The first index in `0..len` for which `below` is false, `below` being true for a
    /// prefix of the items and false for the rest.
    pub fn partition_point(&self, below: impl Fn(&T) -> bool) -> usize {
        let block = self
            .blocks
            .partition_point(|block| block.last().is_some_and(&below));
        match self.blocks.get(block) {
            Some(items) => (block << BLOCK_BITS) + items.partition_point(below),
            None => self.len,
        }
    }
}

impl<T> Index<usize> for Blocks<T> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        &self.blocks[index >> BLOCK_BITS][index & (BLOCK - 1)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clone_keeps_its_items_while_the_original_grows() {
        let mut blocks = Blocks::default();
        for i in 0..BLOCK + 10 {
            blocks.push(i);
        }
        let snapshot = blocks.clone();
        for i in BLOCK + 10..3 * BLOCK {
            blocks.push(i);
        }
        assert_eq!(snapshot.len(), BLOCK + 10);
        assert_eq!(blocks.len(), 3 * BLOCK);
        assert!(snapshot.iter().copied().eq(0..BLOCK + 10));
        assert!(blocks.iter().copied().eq(0..3 * BLOCK));
        assert_eq!(
            (blocks[BLOCK + 3], snapshot.get(BLOCK + 10)),
            (BLOCK + 3, None)
        );
        // The full block is shared, not copied.
        assert!(Arc::ptr_eq(&blocks.blocks[0], &snapshot.blocks[0]));
        assert_eq!(blocks.last(), Some(&(3 * BLOCK - 1)));
    }

    #[test]
    fn partition_point_finds_the_boundary_across_blocks() {
        let mut blocks = Blocks::default();
        for i in 0..2 * BLOCK + 5 {
            blocks.push(i * 2);
        }
        for wanted in [
            0,
            1,
            2,
            2 * BLOCK - 2,
            2 * BLOCK,
            4 * BLOCK + 8,
            4 * BLOCK + 9,
            9 * BLOCK,
        ] {
            let expected = (0..blocks.len())
                .find(|&i| blocks[i] >= wanted)
                .unwrap_or(blocks.len());
            assert_eq!(
                blocks.partition_point(|&x| x < wanted),
                expected,
                "{wanted}"
            );
        }
        assert_eq!(Blocks::<u8>::default().partition_point(|_| true), 0);
    }
}
