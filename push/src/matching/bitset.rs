//! A fixed-size dense bitset over profile slots: one bit per enterprise, 64 to a word, so one
//! policy's conditions combine a word at a time over the whole population.

/// A set of slots `0..len`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bitset {
    words: Vec<u64>,
}

impl Bitset {
    /// An empty set able to hold slots `0..len`.
    pub fn with_len(len: usize) -> Self {
        Bitset {
            words: vec![0; len.div_ceil(64)],
        }
    }

    /// Grows the set to hold slots `0..len` (new slots absent).
    pub fn grow(&mut self, len: usize) {
        let words = len.div_ceil(64);
        if words > self.words.len() {
            self.words.resize(words, 0);
        }
    }

    /// Adds `slot`; the set must hold it.
    pub fn insert(&mut self, slot: u32) {
        self.words[slot as usize / 64] |= 1 << (slot % 64);
    }

    /// Removes `slot`.
    pub fn remove(&mut self, slot: u32) {
        if let Some(w) = self.words.get_mut(slot as usize / 64) {
            *w &= !(1 << (slot % 64));
        }
    }

    /// True when `slot` is in the set.
    pub fn contains(&self, slot: u32) -> bool {
        self.words
            .get(slot as usize / 64)
            .is_some_and(|w| w & (1 << (slot % 64)) != 0)
    }

    /// How many slots are in the set.
    pub fn count(&self) -> u64 {
        self.words.iter().map(|w| u64::from(w.count_ones())).sum()
    }

    /// How many slots are in both sets.
    pub fn count_and(&self, other: &Bitset) -> u64 {
        self.words
            .iter()
            .zip(&other.words)
            .map(|(a, b)| u64::from((a & b).count_ones()))
            .sum()
    }

    /// The words, 64 slots each.
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// The words, to write.
    pub(crate) fn words_mut(&mut self) -> &mut [u64] {
        &mut self.words
    }

    /// The slots in the set, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &w)| ones(w, i))
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.words.capacity() * 8
    }
}

/// The slots of word `index` whose bits are set in `word`, ascending.
pub(crate) fn ones(mut word: u64, index: usize) -> impl Iterator<Item = u32> {
    let base = (index * 64) as u32;
    std::iter::from_fn(move || {
        if word == 0 {
            return None;
        }
        let bit = word.trailing_zeros();
        word &= word - 1;
        Some(base + bit)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_go_in_and_out_and_are_listed_in_order() {
        let mut s = Bitset::with_len(200);
        for slot in [199, 0, 64, 63, 130] {
            s.insert(slot);
        }
        s.remove(64);
        s.remove(10_000);
        assert_eq!(s.iter().collect::<Vec<_>>(), [0, 63, 130, 199]);
        assert_eq!(s.count(), 4);
        assert!(s.contains(130) && !s.contains(64) && !s.contains(10_000));
        let mut t = Bitset::with_len(10);
        t.grow(200);
        t.insert(130);
        t.insert(1);
        assert_eq!(s.count_and(&t), 1);
    }
}
