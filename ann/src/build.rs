//! Building the graph: HNSW inserts (Malkov & Yashunin, with hnswlib's neighbour heuristic and
//! its locking: a lock per point, taken only to change that point's links).
//!
//! Points are numbered in the order they were added; each is one block of `slot + stride` words,
//! as in the search copy ([`crate::flat`]): its layer-0 links (count, then neighbours), then its
//! vector as f16. The blocks are atomics so that inserts on several threads can read a point's
//! links while another thread rewrites them (each word is read and written whole; a reader may
//! see a list half rewritten, which only changes which candidates it looks at, as in hnswlib).
//! Upper-layer links (a few percent of the points have any) are plain lists behind the point's
//! lock. A point's vector is written before the point can be reached and never changes after.
//!
//! Why not hnsw_rs's insert, which built the graph until 2026-12-06: each of its points is an
//! `Arc` with its vector in another allocation, its links are `Arc`s behind an `RwLock` and its
//! visited set a `HashMap`; building 100k vectors took 4× as long as hnswlib's build
//! (docs/BENCHMARKS.md), most of it in cache misses and reference counts.

use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering::Relaxed};

use half::f16;

use crate::distance::dot_f16;
use crate::flat::{Flat, ROW_ALIGN, vector_words};
use crate::search::{Scored, prefetch_lines, with_scratch};
use crate::{Params, lock};

/// A graph being built: points can be added (through `&mut`) and linked (through `&`, on many
/// threads at once).
pub(crate) struct Build {
    /// Links a new point keeps on each layer, and the most an upper-layer list holds.
    m: usize,
    /// The most a layer-0 list holds (2·M).
    m0: usize,
    ef_construction: usize,
    /// Levels go from 0 to this (hnsw_rs's `max_layers` - 1).
    max_level: usize,
    /// 1 / ln M: a point's level is ⌊-ln(u) · this⌋ for u uniform in (0, 1].
    level_scale: f64,
    dims: usize,
    /// u32 words of a block's vector ([`vector_words`]).
    stride: usize,
    /// Layer-0 link slot: 1 + 2·M, rounded up to whole cache lines.
    slot: usize,
    /// Block `p` starts at `start + p * (slot + stride)` (64-byte aligned); room for `capacity`.
    blocks: Vec<AtomicU32>,
    start: usize,
    capacity: usize,
    points: Vec<Point>,
    /// The entry point and its level (the top level); None while the graph is empty.
    entry: Mutex<Option<(u32, usize)>>,
}

struct Point {
    /// The caller's data id.
    id: usize,
    level: usize,
    /// Guards changes to this point's links; holds its upper layers' lists (`[l - 1]`).
    upper: Mutex<Vec<Vec<u32>>>,
}

impl Build {
    pub(crate) fn new(params: Params, capacity: usize) -> Self {
        let m = params.max_nb_connection.max(2);
        Self {
            m,
            m0: 2 * m,
            ef_construction: params.ef_construction.max(m),
            max_level: params.max_layers.clamp(1, 256) - 1,
            level_scale: 1.0 / (m as f64).ln(),
            dims: 0,
            stride: 0,
            slot: (1 + 2 * m).div_ceil(ROW_ALIGN) * ROW_ALIGN,
            blocks: Vec::new(),
            start: 0,
            // Blocks are allocated once the first vector gives the length.
            capacity,
            points: Vec::with_capacity(capacity),
            entry: Mutex::new(None),
        }
    }

    /// The graph of a search copy, to add to it: its links, vectors (already f16) and levels,
    /// numbered as in the copy. Links that a damaged copy could hold (past the graph, to the
    /// point itself, more than a list holds) are dropped.
    pub(crate) fn from_flat(flat: &Flat, params: Params) -> Self {
        let n = flat.len();
        let mut build = Self::new(params, n);
        if n == 0 {
            return build;
        }
        build.set_dims(flat.dims());
        build.reserve(n);
        let top = flat.top_level().min(build.max_level);
        for p in 0..n as u32 {
            let valid = |q: &&u32| **q != p && (**q as usize) < n;
            let links: Vec<u32> = flat.links0(p).iter().filter(valid).copied().take(build.m0).collect();
            let base = build.base(p);
            for (word, value) in build.blocks[base + build.slot..][..build.stride].iter_mut().zip(flat.vector_words(p))
            {
                *word.get_mut() = *value;
            }
            build.store_links0(p, &links);
            let level = flat.level(p).min(top);
            let upper = (1..=level)
                .map(|l| flat.upper_links(l, p).iter().filter(valid).copied().take(build.m).collect())
                .collect();
            build.points.push(Point { id: flat.id(p), level, upper: Mutex::new(upper) });
        }
        // The copy numbers points by level, highest first: point 0 is on the top layer.
        *lock(&build.entry) = Some((0, build.points[0].level));
        build
    }

    pub(crate) fn len(&self) -> usize {
        self.points.len()
    }

    pub(crate) fn dims(&self) -> usize {
        self.dims
    }

    pub(crate) fn level(&self, p: u32) -> usize {
        self.points[p as usize].level
    }

    pub(crate) fn id(&self, p: u32) -> usize {
        self.points[p as usize].id
    }

    /// The entry point and the top level (its level); None for an empty graph.
    pub(crate) fn entry(&self) -> Option<(u32, usize)> {
        *lock(&self.entry)
    }

    /// The vector of `p` as stored: u32 words of two f16 values each, padded.
    pub(crate) fn vector_words(&self, p: u32) -> Vec<u32> {
        self.blocks[self.base(p) + self.slot..][..self.stride].iter().map(|w| w.load(Relaxed)).collect()
    }

    /// Appends the neighbours of `p` on `layer` to `out`.
    pub(crate) fn links(&self, p: u32, layer: usize, out: &mut Vec<u32>) {
        if layer == 0 {
            let base = self.base(p);
            let count = (self.blocks[base].load(Relaxed) as usize).min(self.slot - 1);
            out.extend(self.blocks[base + 1..=base + count].iter().map(|w| w.load(Relaxed)));
        } else if let Some(list) = lock(&self.points[p as usize].upper).get(layer - 1) {
            out.extend_from_slice(list);
        }
    }

    /// Adds points for `items` (vector, data id), unlinked, and returns their numbers. Vectors
    /// of another length than the first one's are cut or padded with zeros to it.
    pub(crate) fn append(&mut self, items: &[(&[f32], usize)]) -> Range<usize> {
        let first = self.points.len();
        if items.is_empty() {
            return first..first;
        }
        if self.dims == 0 {
            self.set_dims(items[0].0.len().max(1));
        }
        self.reserve(first + items.len());
        let dims = self.dims;
        for (k, &(vector, id)) in items.iter().enumerate() {
            let p = (first + k) as u32;
            let base = self.base(p);
            // Two f16 values a word, the first at the lower address (as the search copy reads them).
            let half = |i: usize| {
                let x = if i < dims { vector.get(i).copied().unwrap_or(0.0) } else { 0.0 };
                f16::from_f32(x).to_bits().to_ne_bytes()
            };
            for (w, word) in self.blocks[base + self.slot..][..self.stride].iter_mut().enumerate() {
                let (lo, hi) = (half(2 * w), half(2 * w + 1));
                *word.get_mut() = u32::from_ne_bytes([lo[0], lo[1], hi[0], hi[1]]);
            }
            *self.blocks[base].get_mut() = 0;
            let level = self.random_level(p);
            self.points.push(Point { id, level, upper: Mutex::new(vec![Vec::new(); level]) });
        }
        first..first + items.len()
    }

    /// Links the points `range` (added by [`Build::append`]) into the graph: on the threads of
    /// `pool` when given, taking points in order from a shared counter as hnswlib does, so that
    /// the graph grows in about the order of the points.
    pub(crate) fn link_all(&self, range: Range<usize>, pool: Option<&rayon::ThreadPool>) {
        let next = AtomicUsize::new(range.start);
        let work = || {
            loop {
                let p = next.fetch_add(1, Relaxed);
                if p >= range.end {
                    break;
                }
                self.link(p as u32);
            }
        };
        match pool {
            Some(pool) if range.len() > 1 => {
                pool.broadcast(|_| work());
            }
            _ => work(),
        }
    }

    /// Inserts point `p`: searches each layer from its level down for its nearest points, keeps
    /// some by the heuristic, and links both ways.
    fn link(&self, p: u32) {
        let q = self.vector_f32(p);
        let level = self.level(p);
        let mut entry = lock(&self.entry);
        let Some((ep, top)) = *entry else {
            *entry = Some((p, level));
            return;
        };
        // A point that raises the top level keeps others from starting until it is linked
        // (hnswlib does the same); the others only read the entry point.
        let raising = (level > top).then_some(entry);
        let distance = |x: u32| 1.0 - dot_f16(&q, self.vector(x));
        let mut near = Scored { d: distance(ep), p: ep };
        let mut links = Vec::new();
        for layer in (level + 1..=top).rev() {
            loop {
                let before = near.p;
                links.clear();
                self.links(near.p, layer, &mut links);
                for &n in &links {
                    let d = distance(n);
                    if d < near.d {
                        near = Scored { d, p: n };
                    }
                }
                if near.p == before {
                    break;
                }
            }
        }
        // Every layer's neighbours first, then the point's own lists, then the links back to it:
        // the point is reachable only once all its lists are written. Another insert that
        // reached it earlier, through a link back on an upper layer, would find its lower lists
        // still empty and link itself to this point alone.
        let mut chosen = Vec::with_capacity(level.min(top) + 1);
        for layer in (0..=level.min(top)).rev() {
            let mut found = with_scratch(self.len(), |s| {
                s.beam(
                    near,
                    self.ef_construction,
                    self.len(),
                    |x, out| self.links(x, layer, out),
                    |x| self.prefetch(x),
                    distance,
                )
            });
            found.retain(|s| s.p != p);
            let Some(&nearest) = found.first() else { continue };
            chosen.push((layer, self.select(&found, self.m)));
            near = nearest;
        }
        for (layer, neighbours) in &chosen {
            self.connect(p, *layer, neighbours);
        }
        for (layer, neighbours) in &chosen {
            for n in neighbours {
                self.connect(n.p, *layer, &[Scored { d: n.d, p }]);
            }
        }
        if let Some(mut entry) = raising {
            *entry = Some((p, level));
        }
    }

    /// Adds `new` (with their distances to `p`) to `p`'s list on `layer`. A full list keeps the
    /// heuristic's choice among its old members and the new ones.
    fn connect(&self, p: u32, layer: usize, new: &[Scored]) {
        let cap = if layer == 0 { self.m0 } else { self.m };
        let mut upper = lock(&self.points[p as usize].upper);
        let mut current = Vec::new();
        if layer == 0 {
            self.links(p, 0, &mut current);
        } else if let Some(list) = upper.get(layer - 1) {
            current.clone_from(list);
        }
        let fresh: Vec<Scored> = new.iter().filter(|s| s.p != p && !current.contains(&s.p)).copied().collect();
        if fresh.is_empty() {
            return;
        }
        let list: Vec<u32> = if current.len() + fresh.len() <= cap {
            current.iter().copied().chain(fresh.iter().map(|s| s.p)).collect()
        } else {
            let row = self.vector_f32(p);
            let mut all: Vec<Scored> =
                current.iter().map(|&x| Scored { d: 1.0 - dot_f16(&row, self.vector(x)), p: x }).collect();
            all.extend(fresh);
            all.sort_unstable();
            self.select(&all, cap).iter().map(|s| s.p).collect()
        };
        if layer == 0 {
            self.store_links0(p, &list);
        } else if let Some(slot) = upper.get_mut(layer - 1) {
            *slot = list;
        }
    }

    /// hnswlib's heuristic: from `candidates` (nearest first, distances to the point being
    /// linked), keep each one that is nearer to the point than to every one kept before, up to
    /// `m`. Spreads the links over directions instead of spending them all on one cluster.
    fn select(&self, candidates: &[Scored], m: usize) -> Vec<Scored> {
        if candidates.len() <= m {
            return candidates.to_vec();
        }
        let mut kept: Vec<Scored> = Vec::with_capacity(m);
        for &c in candidates {
            if kept.len() == m {
                break;
            }
            let row = self.vector_f32(c.p);
            if kept.iter().all(|r| 1.0 - dot_f16(&row, self.vector(r.p)) >= c.d) {
                kept.push(c);
            }
        }
        kept
    }

    /// Writes `p`'s layer-0 list: ids first, then the count, so a reader never sees a count past
    /// the ids written. The caller holds `p`'s lock, or `&mut self`.
    fn store_links0(&self, p: u32, list: &[u32]) {
        let base = self.base(p);
        let list = &list[..list.len().min(self.slot - 1)];
        for (word, &n) in self.blocks[base + 1..].iter().zip(list) {
            word.store(n, Relaxed);
        }
        self.blocks[base].store(list.len() as u32, Relaxed);
    }

    fn set_dims(&mut self, dims: usize) {
        self.dims = dims;
        self.stride = vector_words(dims);
    }

    #[inline]
    fn base(&self, p: u32) -> usize {
        self.start + p as usize * (self.slot + self.stride)
    }

    /// The vector of `p` as f16 bits.
    #[inline]
    fn vector(&self, p: u32) -> &[u16] {
        let words = &self.blocks[self.base(p) + self.slot..][..self.stride];
        // SAFETY: `AtomicU32` has the size and alignment of `u32`, so the words are
        // `2 * stride` valid u16s. Vector words are written only through `&mut self` (`append`,
        // `from_flat`, `reserve`), never while this shared borrow of `self` lives.
        let halves = unsafe { std::slice::from_raw_parts(words.as_ptr().cast::<u16>(), 2 * self.stride) };
        &halves[..self.dims]
    }

    fn vector_f32(&self, p: u32) -> Vec<f32> {
        self.vector(p).iter().map(|h| f16::from_bits(*h).to_f32()).collect()
    }

    /// Starts loading all of block `p` (see [`prefetch_lines`]).
    #[inline]
    fn prefetch(&self, p: u32) {
        prefetch_lines(&self.blocks[self.base(p)..][..self.slot + self.stride]);
    }

    /// Room for the blocks of `points` points (at least double the old room, so that adding
    /// one point at a time copies the blocks a logarithmic number of times).
    fn reserve(&mut self, points: usize) {
        let allocated = self.blocks.len().saturating_sub(ROW_ALIGN) / (self.slot + self.stride).max(1);
        if points <= allocated {
            return;
        }
        let room = points.max(self.capacity).max(2 * allocated);
        let words = room * (self.slot + self.stride);
        let mut blocks = Vec::with_capacity(words + ROW_ALIGN);
        blocks.resize_with(words + ROW_ALIGN, || AtomicU32::new(0));
        let start = blocks.as_ptr().align_offset(64).min(ROW_ALIGN);
        let used = self.points.len() * (self.slot + self.stride);
        for (to, from) in blocks[start..start + used].iter_mut().zip(&mut self.blocks[self.start..]) {
            *to.get_mut() = *from.get_mut();
        }
        (self.blocks, self.start) = (blocks, start);
    }

    /// The level of point `p`: a function of its number, so builds are repeatable.
    fn random_level(&self, p: u32) -> usize {
        // splitmix64
        let mut x = (p as u64).wrapping_add(0x9E37_79B9_7F4A_7C15).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^= x >> 31;
        let u = ((x >> 11) + 1) as f64 / (1u64 << 53) as f64; // (0, 1]
        ((-u.ln() * self.level_scale) as usize).min(self.max_level)
    }
}
