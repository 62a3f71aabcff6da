//! The fingerprint of what an index holds, computed from its live ids the same way the database
//! computes it from its rows (count, max id, wrapping sum of ids). Saving an index with its own
//! fingerprint, rather than the database's at that moment, means an index that missed a write
//! never passes for current: it simply fails the comparison at load and is rebuilt.

use super::{Fingerprint, VectorIndex, read};

impl VectorIndex {
    pub fn live_fingerprint(&self) -> Fingerprint {
        Fingerprint::of_ids(read(&self.entries).live.keys().copied())
    }
}

#[cfg(test)]
mod tests {
    use crate::index::{IndexParams, VectorIndex};

    #[test]
    fn the_live_fingerprint_counts_only_live_ids() {
        let index = VectorIndex::new(2, IndexParams::default());
        index.insert_batch(&[(3, vec![1.0, 0.0]), (9, vec![0.0, 1.0]), (5, vec![1.0, 1.0])]).unwrap();
        index.remove(9);
        let f = index.live_fingerprint();
        assert_eq!((f.count, f.max_id, f.checksum), (2, 5, 8));
    }
}
