//! A small map from ids to values, kept in a `Vec` in insertion order. The manager holds a
//! handful of entries at a time (calls, requests, POSTs, locks), where a linear scan is as fast
//! as a tree and its code a tenth of `BTreeMap`'s in the shipped module.

/// Ids in insertion order with their values.
#[derive(Debug, Clone)]
pub struct IdMap<K, V>(Vec<(K, V)>);

impl<K, V> Default for IdMap<K, V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<K: PartialEq + Copy, V> IdMap<K, V> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Insert or replace.
    pub fn insert(&mut self, key: K, value: V) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.0.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn remove(&mut self, key: &K) -> Option<V> {
        let index = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(index).1)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K, V> IntoIterator for IdMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::IdMap;

    #[test]
    fn insert_get_remove_in_order() {
        let mut m = IdMap::new();
        m.insert(3, "c");
        m.insert(1, "a");
        m.insert(3, "C");
        assert_eq!(m.get(&3), Some(&"C"));
        assert_eq!(m.len(), 2);
        assert!(!m.is_empty());
        assert_eq!(m.remove(&1), Some("a"));
        assert_eq!(m.remove(&1), None);
        assert_eq!(m.into_iter().collect::<Vec<_>>(), vec![(3, "C")]);
        let mut e = IdMap::new();
        e.insert(1, "a");
        e.remove(&1);
        assert!(e.is_empty());
    }
}
