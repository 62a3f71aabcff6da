//! A frozen, flat copy of the graph being built ([`crate::build`]), and the HNSW search over it.
//!
//! Searches used to run on hnsw_rs's graph, which keeps each point behind an `Arc` with its vector
//! in its own allocation and its links behind an `RwLock`, and whose search loop allocates per
//! candidate and tracks visited points in a `HashMap`: most of a query went there and into cache
//! misses (docs/BENCHMARKS.md). Here each point is one 64-byte-aligned block of its layer-0 links
//! and its vector (f16), and the upper layers one CSR array each, so a search touches plain
//! memory, takes no lock and allocates nothing after the first query on a thread.
//!
//! Numbering: points are renumbered by level, highest first, so layer `l` is exactly the prefix
//! of the points whose level is at least `l` (its links need no id map) and point 0, a point of the
//! top layer, is the entry point.

mod file;

use std::cmp::Reverse;

use crate::build::Build;
use crate::distance::dot_f16;
use crate::search::{Scored, prefetch_lines, with_scratch};

/// Vectors and link slots are padded to a multiple of this many 4-byte values (64 bytes: one
/// cache line), so every vector starts on a line.
pub(crate) const ROW_ALIGN: usize = 16;

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
    pub(crate) fn from_build(build: &Build) -> Self {
        let Some((entry, top)) = build.entry() else { return Self::default() };
        let n = build.len();
        let level = |p: u32| build.level(p).min(top);
        // Ours: by level, highest first, the entry point first of all.
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_by_key(|&p| (Reverse(level(p)), p != entry));
        let mut ours = vec![0u32; n];
        for (new, &old) in order.iter().enumerate() {
            ours[old as usize] = new as u32;
        }
        // members[l]: how many points are on layer l (a prefix of ours).
        let members: Vec<usize> = (0..=top).map(|l| order.iter().take_while(|&&p| level(p) >= l).count()).collect();
        let mut found = Vec::new();
        let mut links_on = |p: u32, l: usize| -> Vec<u32> {
            found.clear();
            build.links(p, l, &mut found);
            found.iter().map(|&q| ours[q as usize]).filter(|&q| (q as usize) < members[l]).collect()
        };
        let layer0: Vec<Vec<u32>> = order.iter().map(|&p| links_on(p, 0)).collect();
        let dims = build.dims();
        let stride = vector_words(dims);
        let slot = (1 + layer0.iter().map(Vec::len).max().unwrap_or(0)).div_ceil(ROW_ALIGN) * ROW_ALIGN;
        let (mut storage, start) = aligned_storage(n * (slot + stride));
        let mut upper: Vec<Csr> =
            (1..=top).map(|l| Csr { offsets: vec![0], neighbours: Vec::with_capacity(members[l] * 16) }).collect();
        for (p, (&old, links)) in order.iter().zip(&layer0).enumerate() {
            let block = &mut storage[start + p * (slot + stride)..][..slot + stride];
            block[0] = links.len() as u32;
            block[1..=links.len()].copy_from_slice(links);
            block[slot..].copy_from_slice(&build.vector_words(old));
            for (l, csr) in upper.iter_mut().enumerate().take(level(old)) {
                csr.neighbours.extend(links_on(old, l + 1));
                csr.offsets.push(csr.neighbours.len() as u32);
            }
        }
        let ids = order.iter().map(|&p| build.id(p)).collect();
        let blocks = Blocks::Owned { storage, start, len: n * (slot + stride) };
        Self { dims, stride, slot, blocks, ids, upper }
    }

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    pub(crate) fn dims(&self) -> usize {
        self.dims
    }

    /// The number of upper layers (the entry point's level).
    pub(crate) fn top_level(&self) -> usize {
        self.upper.len()
    }

    /// The level of point `p`: the upper layers are prefixes of the points.
    pub(crate) fn level(&self, p: u32) -> usize {
        self.upper.iter().take_while(|csr| (p as usize) + 1 < csr.offsets.len()).count()
    }

    /// The caller's data id of point `p`.
    pub(crate) fn id(&self, p: u32) -> usize {
        self.ids[p as usize]
    }

    /// The neighbours of `p` on upper layer `l` (1 or more); none past the layer.
    pub(crate) fn upper_links(&self, l: usize, p: u32) -> &[u32] {
        match self.upper.get(l - 1) {
            Some(csr) if (p as usize) + 1 < csr.offsets.len() => csr.of(p),
            _ => &[],
        }
    }

    /// The vector of `p` as stored: u32 words of two f16 values each, padded.
    pub(crate) fn vector_words(&self, p: u32) -> &[u32] {
        &self.block(p)[self.slot..]
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
    pub(crate) fn links0(&self, p: u32) -> &[u32] {
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
            s.beam(
                entry,
                ef.max(k),
                self.len(),
                |p, out| out.extend_from_slice(self.links0(p)),
                |p| self.prefetch(p),
                |p| self.distance(q, p),
            )
        });
        found.into_iter().take(k).map(|s| (s.d.clamp(0.0, 2.0), self.ids[s.p as usize])).collect()
    }

    /// Asks the CPU to start loading all of block `p` (links and vector): see [`prefetch_lines`].
    #[inline]
    fn prefetch(&self, p: u32) {
        prefetch_lines(self.block(p));
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
