//! A frozen, flat copy of hnsw_rs's graph, and our own HNSW search over it.
//!
//! hnsw_rs keeps each point behind an `Arc` with its vector in its own allocation and its links
//! behind an `RwLock`, and its search loop allocates per candidate and tracks visited points in a
//! `HashMap`: most of a query went there and into cache misses (docs/BENCHMARKS.md). Here each
//! point is one 64-byte-aligned block of its layer-0 links and its vector (f16), and the upper layers
//! one CSR array each, so a search touches plain memory, takes no lock and allocates nothing after
//! the first query on a thread.
//!
//! Numbering: points are renumbered by level, highest first, so layer `l` is exactly the prefix
//! of the points whose level is at least `l` (its links need no id map) and point 0, a point of the
//! top layer, is the entry point.

mod file;

use std::sync::Arc;

use hnsw_rs::prelude::{Hnsw, Point, PointId};

use half::f16;

use crate::distance::{UnitCosine, dot_f16};
use crate::search::{Scored, with_scratch};

/// Vectors and link slots are padded to a multiple of this many 4-byte values (64 bytes: one
/// cache line), so every vector starts on a line.
const ROW_ALIGN: usize = 16;

/// The u32 words that hold a vector of `dims` f16 values, padded to whole cache lines.
pub(crate) fn vector_words(dims: usize) -> usize {
    dims.div_ceil(2 * ROW_ALIGN) * ROW_ALIGN
}

/// One upper layer's links: the neighbours of point `p` are
/// `neighbours[offsets[p]..offsets[p + 1]]`.
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

/// Every point is one block of `slot + stride` u32s: its layer-0 links (count, then neighbours,
/// zero-padded to `slot`), then its vector (f16 bits, two to a word, zero-padded to `stride`
/// words). The links of a point sit beside its vector, as in hnswlib: the prefetch that loads a
/// neighbour's vector for its distance also loads the links its expansion will read, instead of a
/// second, dependent miss into a separate link array.
///
/// Why f16: a search is bound by memory, not arithmetic (prefetching the blocks doubled its
/// speed). At 384-d an f32 block is 28 cache lines, an f16 one 16. The rounding moves the dot
/// product of two unit vectors by about 1e-5 (an estimate; the tests bound it at 1e-4), far
/// below the gaps between neighbours.
#[derive(Default)]
pub(crate) struct Flat {
    /// Vector length.
    dims: usize,
    /// u32 words of a block's vector ([`vector_words`]).
    stride: usize,
    /// Layer-0 link slot length: 1 + the largest degree, a multiple of [`ROW_ALIGN`].
    slot: usize,
    /// Block `p` is at `p * (slot + stride)`.
    blocks: Blocks,
    /// Our number → the caller's data id.
    ids: Vec<usize>,
    /// Layers 1 and up (`upper[0]` is layer 1).
    upper: Vec<Csr>,
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
        // Only links within the layer. hnsw_rs also keeps, on layer l, links to points of lower
        // levels: when a point raises the top level, its lists on the new layers hold the old
        // entry point (and get reverse links), which is how its own search descends until the new
        // layers fill up. Our descent starts on the top layer and needs none of them. A point we
        // did not copy cannot appear while inserts are held off; dropping it keeps the copy sound
        // regardless.
        let links_on = |point: &Point<'static, f32>, l: usize| -> Vec<u32> {
            let members = first[l] + by_level[l].len();
            let links = point.get_neighborhood_id();
            links
                .get(l)
                .into_iter()
                .flatten()
                .filter_map(|n| ours(n.p_id))
                .filter(|&q| (q as usize) < members)
                .collect()
        };
        let layer0: Vec<Vec<u32>> = points.iter().map(|p| links_on(p, 0)).collect();
        let dims = points[0].get_v().len();
        let stride = vector_words(dims);
        let slot = (1 + layer0.iter().map(Vec::len).max().unwrap_or(0)).div_ceil(ROW_ALIGN) * ROW_ALIGN;
        let (mut storage, start) = aligned_storage(points.len() * (slot + stride));
        let mut upper: Vec<Csr> = (1..=top)
            .map(|l| Csr { offsets: vec![0], neighbours: Vec::with_capacity((first[l] + by_level[l].len()) * 16) })
            .collect();
        for (p, (point, links)) in points.iter().zip(&layer0).enumerate() {
            let block = &mut storage[start + p * (slot + stride)..][..slot + stride];
            block[0] = links.len() as u32;
            block[1..=links.len()].copy_from_slice(links);
            let halves: &mut [u16] = bytemuck::cast_slice_mut(&mut block[slot..]);
            for (to, x) in halves.iter_mut().zip(point.get_v()) {
                *to = f16::from_f32(*x).to_bits();
            }
            let level = point.get_point_id().0 as usize;
            for (l, csr) in upper.iter_mut().enumerate().take(level) {
                csr.neighbours.extend(links_on(point, l + 1));
                csr.offsets.push(csr.neighbours.len() as u32);
            }
        }
        let ids = points.iter().map(|p| p.get_origin_id()).collect();
        let blocks = Blocks::Owned { storage, start, len: points.len() * (slot + stride) };
        Self { dims, stride, slot, blocks, ids, upper }
    }

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Every point's vector (as stored: rounded to f16) with its data id.
    pub(crate) fn points(&self) -> impl Iterator<Item = (Vec<f32>, usize)> {
        (0..self.len()).map(|p| (self.row(p as u32).iter().map(|h| f16::from_bits(*h).to_f32()).collect(), self.ids[p]))
    }

    /// All blocks.
    fn blocks(&self) -> &[u32] {
        self.blocks.all()
    }

    #[inline]
    fn block(&self, p: u32) -> &[u32] {
        let size = self.slot + self.stride;
        &self.blocks.all()[p as usize * size..][..size]
    }

    /// The vector of `p` as f16 bits (without padding).
    #[inline]
    fn row(&self, p: u32) -> &[u16] {
        let halves: &[u16] = bytemuck::cast_slice(&self.block(p)[self.slot..]);
        &halves[..self.dims]
    }

    /// The layer-0 neighbours of `p`. The count is capped to the slot: a mapped block is not
    /// checked when the file is opened (`file.rs`).
    #[inline]
    fn links0(&self, p: u32) -> &[u32] {
        let block = self.block(p);
        &block[1..=(block[0] as usize).min(self.slot - 1)]
    }

    #[inline]
    fn distance(&self, query: &[f32], p: u32) -> f32 {
        1.0 - dot_f16(query, self.row(p))
    }

    /// The `k` nearest points as (distance `1 - dot` clamped to [0, 2], data id), nearest first,
    /// exploring `ef` (at least `k`) candidates on layer 0. `query` must be a unit vector.
    pub(crate) fn search(&self, query: &[f32], k: usize, ef: usize) -> Vec<(f32, usize)> {
        if self.ids.is_empty() || k == 0 {
            return Vec::new();
        }
        let q = query;
        // Greedy descent through the upper layers (ef = 1).
        let mut entry = Scored { d: self.distance(q, 0), p: 0 };
        for layer in self.upper.iter().rev() {
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
            s.beam(entry, ef.max(k), self.len(), |p| self.links0(p), |p| self.prefetch(p), |p| self.distance(q, p))
        });
        found.into_iter().take(k).map(|s| (s.d.clamp(0.0, 2.0), self.ids[s.p as usize])).collect()
    }

    /// Asks the CPU to start loading all of block `p` (links and vector). Whole blocks, for every
    /// fresh neighbour at once: measured on 20k 384-d vectors, 1.5-2× the queries/s of
    /// prefetching none, and clearly ahead of prefetching the first 1-16 lines of each, or only
    /// the next neighbour's.
    #[inline]
    fn prefetch(&self, p: u32) {
        #[cfg(target_arch = "x86_64")]
        {
            use core::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            for line in self.block(p).chunks(ROW_ALIGN) {
                // SAFETY: a prefetch is a hint; it never faults, and the address is in bounds.
                unsafe { _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast()) };
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = p;
    }
}

/// The point blocks: built in memory, or mapped from a file (`file.rs`).
enum Blocks {
    /// `storage[start..start + len]`, `start` chosen so the blocks begin on a 64-byte boundary.
    Owned { storage: Vec<u32>, start: usize, len: usize },
    /// `len` u32s at byte `start` of the mapping (a multiple of 64).
    Mapped { map: memmap2::Mmap, start: usize, len: usize },
}

impl Default for Blocks {
    fn default() -> Self {
        Self::Owned { storage: Vec::new(), start: 0, len: 0 }
    }
}

impl Blocks {
    /// `len` u32s at byte `start` of `map`, if they are in the mapping and aligned.
    fn mapped(map: memmap2::Mmap, start: usize, len: usize) -> Option<Self> {
        let bytes = map.get(start..start.checked_add(len.checked_mul(4)?)?)?;
        bytemuck::try_cast_slice::<u8, u32>(bytes).ok()?;
        Some(Self::Mapped { map, start, len })
    }

    #[inline]
    fn all(&self) -> &[u32] {
        match self {
            Self::Owned { storage, start, len } => &storage[*start..*start + *len],
            // Alignment and bounds were checked when the mapping was made.
            Self::Mapped { map, start, len } => bytemuck::cast_slice(&map[*start..*start + *len * 4]),
        }
    }
}

/// A zeroed buffer with room for `len` values starting at a 64-byte boundary: (buffer, start).
fn aligned_storage(len: usize) -> (Vec<u32>, usize) {
    let storage = vec![0u32; len + ROW_ALIGN];
    let start = storage.as_ptr().align_offset(64).min(ROW_ALIGN);
    (storage, start)
}
