//! `IdWindow`: a map from ids handed out in increasing order (request numbers) to what is
//! still open about them, as a sliding window of slots: O(1) insert, lookup and remove on
//! the hot path, where an ordered map costs a tree walk and an allocation per node.

use std::collections::VecDeque;

/// Values by id, for ids that are dense and mostly increasing. Memory spans the oldest id
/// still held to the newest: old ids leave from the front as they are removed.
#[derive(Clone, Debug)]
pub struct IdWindow<V> {
    /// The id of `slots[0]`.
    base: u64,
    slots: VecDeque<Option<V>>,
}

impl<V> Default for IdWindow<V> {
    fn default() -> IdWindow<V> {
        IdWindow { base: 0, slots: VecDeque::new() }
    }
}

impl<V> IdWindow<V> {
    /// Holds `value` for `id`, returning what `id` held before.
    pub fn insert(&mut self, id: u64, value: V) -> Option<V> {
        if self.slots.is_empty() {
            self.base = id;
        }
        while id < self.base {
            self.slots.push_front(None);
            self.base -= 1;
        }
        let index = usize::try_from(id - self.base).expect("ids within a window of memory");
        if index == self.slots.len() {
            // The next id, as nearly every insert is: one push, no gap to fill.
            self.slots.push_back(Some(value));
            return None;
        }
        if index > self.slots.len() {
            self.slots.resize_with(index + 1, || None);
        }
        self.slots[index].replace(value)
    }

    fn index(&self, id: u64) -> Option<usize> {
        let index = usize::try_from(id.checked_sub(self.base)?).ok()?;
        (index < self.slots.len()).then_some(index)
    }

    pub fn get(&self, id: u64) -> Option<&V> {
        self.slots[self.index(id)?].as_ref()
    }

    pub fn get_mut(&mut self, id: u64) -> Option<&mut V> {
        let index = self.index(id)?;
        self.slots[index].as_mut()
    }

    pub fn contains(&self, id: u64) -> bool {
        self.get(id).is_some()
    }

    pub fn remove(&mut self, id: u64) -> Option<V> {
        let index = self.index(id)?;
        let value = self.slots[index].take()?;
        // Closed ids at the front leave the window.
        while let Some(None) = self.slots.front() {
            self.slots.pop_front();
            self.base += 1;
        }
        Some(value)
    }

    /// How many ids are held: for tests, as the hot path never asks.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.slots.iter().flatten().count()
    }

    pub fn clear(&mut self) {
        self.slots.clear();
    }

    /// What is held, in increasing order of id.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (u64, &mut V)> {
        let base = self.base;
        self.slots
            .iter_mut()
            .enumerate()
            .filter_map(move |(i, slot)| Some((base + i as u64, slot.as_mut()?)))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u64, u32),
        Remove(u64),
        Clear,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (0..200u64, any::<u32>()).prop_map(|(id, v)| Op::Insert(id, v)),
            6 => (0..200u64).prop_map(Op::Remove),
            1 => Just(Op::Clear),
        ]
    }

    proptest! {
        /// It answers exactly as an ordered map would, whatever the order of ids.
        #[test]
        fn behaves_as_an_ordered_map(ops in proptest::collection::vec(op(), 0..300)) {
            let mut window = IdWindow::default();
            let mut map = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Insert(id, v) => prop_assert_eq!(window.insert(id, v), map.insert(id, v)),
                    Op::Remove(id) => prop_assert_eq!(window.remove(id), map.remove(&id)),
                    Op::Clear => {
                        window.clear();
                        map.clear();
                    }
                }
                prop_assert_eq!(window.len(), map.len());
                for id in 0..200u64 {
                    prop_assert_eq!(window.get(id), map.get(&id));
                }
                let held: Vec<(u64, u32)> = window.iter_mut().map(|(id, v)| (id, *v)).collect();
                let want: Vec<(u64, u32)> = map.iter().map(|(&id, &v)| (id, v)).collect();
                prop_assert_eq!(held, want);
            }
        }
    }

    #[test]
    fn memory_follows_the_open_ids_not_every_id_ever_seen() {
        let mut window = IdWindow::default();
        for id in 0..100_000u64 {
            window.insert(id, ());
            if id >= 10 {
                window.remove(id - 10);
            }
        }
        assert_eq!(window.len(), 10);
        assert!(window.slots.len() <= 10, "the window spans {} slots", window.slots.len());
    }
}
