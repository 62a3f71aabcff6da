//! A frozen, flat copy of hnsw_rs's graph, and our own HNSW search over it.
//!
//! hnsw_rs keeps each point behind an `Arc` with its vector in its own allocation and its links
//! behind an `RwLock`, and its search loop allocates per candidate and tracks visited points in a
//! `HashMap`: most of a query went there and into cache misses (docs/BENCHMARKS.md). Here the
//! vectors are one 64-byte-aligned row-major array and the links one CSR array per layer, so a
//! search touches plain memory, takes no lock and allocates nothing after the first query on a
//! thread.
//!
//! Numbering: points are renumbered by level, highest first, so layer `l` is exactly the prefix
//! of the points whose level is at least `l` (its CSR needs no id map) and point 0, a point of the
//! top layer, is the entry point.

mod file;

use std::sync::Arc;

use hnsw_rs::prelude::{Hnsw, Point, PointId};

use crate::distance::{UnitCosine, dot};
use crate::search::{Scored, with_scratch};

/// Rows are padded to a multiple of this many f32 (64 bytes: one cache line).
const ROW_ALIGN: usize = 16;

/// One layer's links: the neighbours of point `p` are `neighbours[offsets[p]..offsets[p + 1]]`.
#[derive(Default)]
pub(crate) struct Csr {
    offsets: Vec<u32>,
    neighbours: Vec<u32>,
}

impl Csr {
    #[inline]
    pub(crate) fn of(&self, p: u32) -> &[u32] {
        let p = p as usize;
        &self.neighbours[self.offsets[p] as usize..self.offsets[p + 1] as usize]
    }
}

#[derive(Default)]
pub(crate) struct Flat {
    /// Vector length.
    dims: usize,
    /// Padded row length (a multiple of [`ROW_ALIGN`]).
    stride: usize,
    /// `start..` of `storage` is 64-byte aligned; row `p` is `stride` floats from
    /// `start + p * stride`, zero-padded.
    storage: Vec<f32>,
    start: usize,
    /// Our number → the caller's data id.
    ids: Vec<usize>,
    /// Layer 0 first; `layers.len() - 1` is the top layer.
    layers: Vec<Csr>,
}

impl Flat {
    /// Copies the graph. The caller makes sure no insert is half done (see `Graph::refresh`).
    pub(crate) fn from_hnsw(hnsw: &Hnsw<'static, f32, UnitCosine>) -> Self {
        let indexation = hnsw.get_point_indexation();
        if hnsw.get_nb_point() == 0 {
            return Self::default();
        }
        let top = indexation.get_max_level_observed() as usize;
        // by_level[l]: the points whose level is l, at their rank in hnsw_rs's layer l.
        let by_level: Vec<Vec<Arc<Point<'static, f32>>>> = (0..=top)
            .map(|l| {
                if indexation.get_layer_nb_point(l) == 0 {
                    Vec::new()
                } else {
                    indexation.get_layer_iterator(l).collect()
                }
            })
            .collect();
        // first[l]: our number of hnsw_rs's point (l, 0).
        let mut first = vec![0usize; top + 1];
        for l in (0..top).rev() {
            first[l] = first[l + 1] + by_level[l + 1].len();
        }
        let ours = |p: PointId| -> Option<u32> {
            let (l, rank) = (p.0 as usize, usize::try_from(p.1).ok()?);
            (l <= top && rank < by_level[l].len()).then(|| (first[l] + rank) as u32)
        };
        let points: Vec<&Arc<Point<'static, f32>>> = (0..=top).rev().flat_map(|l| &by_level[l]).collect();
        let dims = points[0].get_v().len();
        let stride = dims.div_ceil(ROW_ALIGN) * ROW_ALIGN;
        let (mut storage, start) = file::aligned_storage(points.len() * stride);
        let mut layers: Vec<Csr> = (0..=top)
            .map(|l| Csr { offsets: vec![0], neighbours: Vec::with_capacity((first[l] + by_level[l].len()) * 16) })
            .collect();
        for (p, point) in points.iter().enumerate() {
            let v = point.get_v();
            storage[start + p * stride..][..v.len()].copy_from_slice(v);
            let level = point.get_point_id().0 as usize;
            let links = point.get_neighborhood_id();
            for (l, csr) in layers.iter_mut().enumerate().take(level + 1) {
                // Only links within the layer. hnsw_rs also keeps, on layer l, links to points of
                // lower levels: when a point raises the top level, its lists on the new layers
                // hold the old entry point (and get reverse links), which is how its own search
                // descends until the new layers fill up. Our descent starts on the top layer and
                // needs none of them. A point we did not copy cannot
                // appear while inserts are held off; dropping it keeps the copy sound regardless.
                let members = first[l] + by_level[l].len();
                csr.neighbours.extend(
                    links.get(l).into_iter().flatten().filter_map(|n| ours(n.p_id)).filter(|&q| (q as usize) < members),
                );
                csr.offsets.push(csr.neighbours.len() as u32);
            }
        }
        let ids = points.iter().map(|p| p.get_origin_id()).collect();
        Self { dims, stride, storage, start, ids, layers }
    }

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Every point's vector with its data id.
    pub(crate) fn points(&self) -> impl Iterator<Item = (&[f32], usize)> {
        (0..self.len()).map(|p| (&self.row(p as u32)[..self.dims], self.ids[p]))
    }

    /// All rows, padding included.
    fn rows(&self) -> &[f32] {
        &self.storage[self.start..self.start + self.len() * self.stride]
    }

    #[inline]
    fn row(&self, p: u32) -> &[f32] {
        &self.storage[self.start + p as usize * self.stride..][..self.stride]
    }

    #[inline]
    fn distance(&self, query: &[f32], p: u32) -> f32 {
        1.0 - dot(query, self.row(p))
    }

    /// The `k` nearest points as (distance `1 - dot` clamped to [0, 2], data id), nearest first,
    /// exploring `ef` (at least `k`) candidates on layer 0. `query` must be a unit vector.
    pub(crate) fn search(&self, query: &[f32], k: usize, ef: usize) -> Vec<(f32, usize)> {
        if self.ids.is_empty() || k == 0 {
            return Vec::new();
        }
        let mut padded = vec![0f32; self.stride];
        padded[..query.len()].copy_from_slice(query);
        let q = padded.as_slice();
        // Greedy descent through the upper layers (ef = 1).
        let mut entry = Scored { d: self.distance(q, 0), p: 0 };
        for layer in self.layers[1..].iter().rev() {
            loop {
                let before = entry.p;
                for &n in layer.of(entry.p) {
                    let d = self.distance(q, n);
                    if d < entry.d {
                        entry = Scored { d, p: n };
                    }
                }
                if entry.p == before {
                    break;
                }
            }
        }
        let found = with_scratch(self.len(), |s| {
            s.beam(entry, ef.max(k), &self.layers[0], |p| self.prefetch(p), |p| self.distance(q, p))
        });
        found.into_iter().take(k).map(|s| (s.d.clamp(0.0, 2.0), self.ids[s.p as usize])).collect()
    }

    /// Asks the CPU to start loading all of row `p`. Whole rows, for every fresh neighbour at
    /// once: measured on 20k 384-d vectors, 1.5-2× the queries/s of prefetching none, and clearly
    /// ahead of prefetching the first 1-16 lines of each, or only the next neighbour's row.
    #[inline]
    fn prefetch(&self, p: u32) {
        #[cfg(target_arch = "x86_64")]
        {
            use core::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            for line in self.row(p).chunks(ROW_ALIGN) {
                // SAFETY: a prefetch is a hint; it never faults, and the address is in bounds.
                unsafe { _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast()) };
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = p;
    }
}
