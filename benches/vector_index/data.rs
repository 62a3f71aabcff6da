//! The benchmark's vectors: a seeded stand-in for sentence embeddings, exact ground truth, and the
//! raw files the hnswlib script reads.
//!
//! Uniformly random 384-d vectors are the worst case for every ANN index (all distances look
//! alike), and real embeddings are nothing like them: they form topics. So each vector is drawn
//! from a mixture of [`CLUSTERS`] Gaussian clusters, with popularity falling as 1/√rank (a few big
//! topics, a long tail). A cluster has a random unit centre and its own random [`SUB_DIMS`]-d
//! subspace with standard deviations 0.35·0.95^j along its j-th direction (anisotropic: each topic
//! varies along its own directions), plus isotropic noise of norm ~0.5 over all 384 dimensions;
//! the result is normalised. Queries are fresh draws from the same mixture (held out). On 100k
//! vectors a query's nearest neighbour has cosine ~0.70 and its 10th ~0.62; two vectors of one
//! cluster have ~0.41 on average, of different clusters ~0.

use std::path::Path;

use rand::{Rng, SeedableRng, rngs::StdRng};
use rand_distr::{Distribution, StandardNormal, weighted::WeightedIndex};

pub const CLUSTERS: usize = 300;
pub const SUB_DIMS: usize = 48;
const SUB_SCALE: f32 = 0.35;
const SUB_DECAY: f32 = 0.95;
const NOISE: f32 = 0.5;

/// Draws vectors from one fixed mixture (the seed fixes the clusters and the draws).
pub struct Mixture {
    dims: usize,
    centres: Vec<Vec<f32>>,
    /// Per cluster, SUB_DIMS directions already scaled by their standard deviation.
    axes: Vec<Vec<Vec<f32>>>,
    popularity: WeightedIndex<f64>,
    rng: StdRng,
}

impl Mixture {
    pub fn new(dims: usize, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let centres = (0..CLUSTERS).map(|_| unit(gaussian(&mut rng, dims, 1.0))).collect();
        let axes = (0..CLUSTERS)
            .map(|_| {
                (0..SUB_DIMS)
                    .map(|j| {
                        let sd = SUB_SCALE * SUB_DECAY.powi(j as i32);
                        unit(gaussian(&mut rng, dims, 1.0)).into_iter().map(|x| x * sd).collect()
                    })
                    .collect()
            })
            .collect();
        let popularity = WeightedIndex::new((1..=CLUSTERS).map(|rank| 1.0 / (rank as f64).sqrt())).expect("weights");
        Self { dims, centres, axes, popularity, rng }
    }

    /// `n` unit vectors, flattened row after row.
    pub fn draw(&mut self, n: usize) -> Vec<f32> {
        let mut out = Vec::with_capacity(n * self.dims);
        for _ in 0..n {
            let c = self.popularity.sample(&mut self.rng);
            let mut v = gaussian(&mut self.rng, self.dims, NOISE / (self.dims as f32).sqrt());
            v.iter_mut().zip(&self.centres[c]).for_each(|(x, m)| *x += m);
            for axis in &self.axes[c] {
                let z: f32 = StandardNormal.sample(&mut self.rng);
                v.iter_mut().zip(axis).for_each(|(x, a)| *x += z * a);
            }
            out.extend(unit(v));
        }
        out
    }
}

fn gaussian(rng: &mut impl Rng, dims: usize, sd: f32) -> Vec<f32> {
    (0..dims)
        .map(|_| {
            let z: f32 = StandardNormal.sample(rng);
            sd * z
        })
        .collect()
}

fn unit(v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.into_iter().map(|x| x / norm).collect()
}

/// Exact top-`k` ids (row numbers) of every query by inner product, on all cores.
pub fn ground_truth(base: &[f32], queries: &[f32], dims: usize, k: usize) -> Vec<Vec<u32>> {
    let rows: Vec<&[f32]> = queries.chunks_exact(dims).collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = rows.len().div_ceil(threads);
    std::thread::scope(|s| {
        let parts: Vec<_> = rows
            .chunks(per)
            .map(|part| s.spawn(move || part.iter().map(|q| top_k(base, q, dims, k)).collect::<Vec<_>>()))
            .collect();
        parts.into_iter().flat_map(|p| p.join().expect("ground truth thread")).collect()
    })
}

fn top_k(base: &[f32], query: &[f32], dims: usize, k: usize) -> Vec<u32> {
    let mut scored: Vec<(u32, f32)> =
        base.chunks_exact(dims).enumerate().map(|(i, v)| (i as u32, webplus::index::dot(v, query))).collect();
    scored.select_nth_unstable_by(k, |a, b| b.1.total_cmp(&a.1));
    scored.truncate(k);
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    scored.into_iter().map(|(i, _)| i).collect()
}

/// Writes `base.f32`, `queries.f32` (raw little-endian f32, row after row) and `truth.u32`
/// (little-endian u32, k per query) into `dir`.
pub fn write_files(dir: &Path, base: &[f32], queries: &[f32], truth: &[Vec<u32>]) -> std::io::Result<()> {
    let f32s = |xs: &[f32]| xs.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    std::fs::write(dir.join("base.f32"), f32s(base))?;
    std::fs::write(dir.join("queries.f32"), f32s(queries))?;
    let ids: Vec<u8> = truth.iter().flatten().flat_map(|i| i.to_le_bytes()).collect();
    std::fs::write(dir.join("truth.u32"), ids)
}
