//! The distance of the graph: cosine distance of unit vectors, `1 - dot`.
//!
//! Not anndists' `DistDot`: without its nightly `simdeez_f` feature it is a scalar loop that
//! asserts `1 - dot >= 0`, which rounding breaks for two identical unit vectors (a duplicate chunk,
//! or a query equal to a chunk): a panic. Not `DistCosine`: three f64 products per dimension, about
//! 5× slower. The result is clamped to [0, 2], as hnsw_rs, which asserts that distances are
//! not negative, needs it for the reference graph of the tests.

/// Accumulators of the dot product. 32 independent f32 sums are four AVX registers (eight SSE
/// ones): LLVM vectorises the fixed-size inner loop, and four chains hide the add latency.
const LANES: usize = 32;

/// Dot product of two equally long slices (the shorter length if they differ).
///
/// Summed in [`LANES`] interleaved partial sums rather than left to right, so it may differ from a
/// sequential sum in the last bits; a strict left-to-right f32 sum cannot be vectorised.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..LANES {
            acc[i] = multiply_add(x[i], y[i], acc[i]);
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Dot product of an f32 vector and a vector of f16 values given as their bits (the shorter
/// length if they differ). The graph stores its vectors as f16 (`flat.rs`): half the bytes a
/// search pulls through the caches, for an error in the dot of unit vectors around 1e-5.
pub fn dot_f16(a: &[f32], b: &[u16]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    #[cfg(all(target_arch = "x86_64", target_feature = "avx", target_feature = "f16c", target_feature = "fma"))]
    {
        // SAFETY: the target features it needs are enabled for the whole build (checked above).
        unsafe { dot_f16_avx(a, b) }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "avx", target_feature = "f16c", target_feature = "fma")))]
    {
        a.iter().zip(b).map(|(x, y)| x * half::f16::from_bits(*y).to_f32()).sum()
    }
}

/// [`dot_f16`] with F16C conversions and FMA: 32 values a step in four independent sums.
#[cfg(all(target_arch = "x86_64", target_feature = "avx", target_feature = "f16c", target_feature = "fma"))]
#[target_feature(enable = "avx,f16c,fma")]
unsafe fn dot_f16_avx(a: &[f32], b: &[u16]) -> f32 {
    use core::arch::x86_64::{
        __m128i, _mm_loadu_si128, _mm256_add_ps, _mm256_cvtph_ps, _mm256_fmadd_ps, _mm256_loadu_ps, _mm256_setzero_ps,
        _mm256_storeu_ps,
    };
    let n = a.len().min(b.len());
    let mut acc = [_mm256_setzero_ps(); 4];
    let mut i = 0;
    while i + 32 <= n {
        for (j, acc) in acc.iter_mut().enumerate() {
            // SAFETY: i + 8j + 8 <= n, the length of both slices.
            let (x, h) = unsafe {
                (
                    _mm256_loadu_ps(a.as_ptr().add(i + 8 * j)),
                    _mm_loadu_si128(b.as_ptr().add(i + 8 * j).cast::<__m128i>()),
                )
            };
            *acc = _mm256_fmadd_ps(x, _mm256_cvtph_ps(h), *acc);
        }
        i += 32;
    }
    let sum = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
    let mut lanes = [0f32; 8];
    // SAFETY: `lanes` holds 8 floats.
    unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), sum) };
    let tail: f32 = a[i..n].iter().zip(&b[i..n]).map(|(x, y)| x * half::f16::from_bits(*y).to_f32()).sum();
    lanes.iter().sum::<f32>() + tail
}

/// `x * y + acc`, fused where the target has FMA (.cargo/config.toml enables it on x86_64):
/// without it, `mul_add` would be a call into libm per element, not a vector instruction.
#[inline(always)]
fn multiply_add(x: f32, y: f32, acc: f32) -> f32 {
    #[cfg(target_feature = "fma")]
    return x.mul_add(y, acc);
    #[cfg(not(target_feature = "fma"))]
    return x * y + acc;
}

/// `1 - dot(a, b)` clamped to [0, 2]; vectors must already be unit length.
#[derive(Clone, Copy, Debug, Default)]
pub struct UnitCosine;

impl UnitCosine {
    /// `1 - dot(a, b)` clamped to [0, 2].
    #[inline]
    pub fn distance(a: &[f32], b: &[f32]) -> f32 {
        (1.0 - dot(a, b)).clamp(0.0, 2.0)
    }
}

/// hnsw_rs's distance trait, for the tests that build hnsw_rs's graph as the reference ours is
/// held to (`tests_build.rs`).
#[cfg(test)]
impl hnsw_rs::prelude::Distance<f32> for UnitCosine {
    fn eval(&self, a: &[f32], b: &[f32]) -> f32 {
        Self::distance(a, b)
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng, rngs::StdRng};

    use hnsw_rs::prelude::Distance;

    use super::*;

    fn random(rng: &mut StdRng, n: usize) -> Vec<f32> {
        (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect()
    }

    fn unit(v: Vec<f32>) -> Vec<f32> {
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.into_iter().map(|x| x / norm).collect()
    }

    fn scalar_dot(a: &[f32], b: &[f32]) -> f64 {
        a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum()
    }

    #[test]
    fn dot_agrees_with_a_plain_scalar_dot_product_for_every_length_up_to_400() {
        let mut rng = StdRng::seed_from_u64(1);
        for n in (0..=400).chain([383, 384, 385, 767, 768, 1536]) {
            let (a, b) = (random(&mut rng, n), random(&mut rng, n));
            let (fast, slow) = (dot(&a, &b) as f64, scalar_dot(&a, &b));
            // Relative to the size of the terms: sums of n products of magnitude <= 1.
            assert!((fast - slow).abs() <= 1e-5 * (n as f64).sqrt().max(1.0), "n = {n}: {fast} vs {slow}");
        }
    }

    #[test]
    fn dot_of_unit_vectors_agrees_with_a_scalar_dot_product_to_1e_5() {
        let mut rng = StdRng::seed_from_u64(2);
        for n in [1, 7, 31, 32, 33, 383, 384] {
            for _ in 0..50 {
                let (a, b) = (unit(random(&mut rng, n)), unit(random(&mut rng, n)));
                assert!((dot(&a, &b) as f64 - scalar_dot(&a, &b)).abs() < 1e-5, "n = {n}");
            }
        }
    }

    fn to_f16(v: &[f32]) -> Vec<u16> {
        v.iter().map(|x| half::f16::from_f32(*x).to_bits()).collect()
    }

    #[test]
    fn dot_f16_agrees_with_a_scalar_dot_product_of_the_rounded_values_for_every_length_up_to_400() {
        let mut rng = StdRng::seed_from_u64(4);
        for n in (0..=400).chain([767, 768, 1536]) {
            let (a, b) = (random(&mut rng, n), to_f16(&random(&mut rng, n)));
            let rounded: Vec<f32> = b.iter().map(|h| half::f16::from_bits(*h).to_f32()).collect();
            let (fast, slow) = (dot_f16(&a, &b) as f64, scalar_dot(&a, &rounded));
            assert!((fast - slow).abs() <= 1e-5 * (n as f64).sqrt().max(1.0), "n = {n}: {fast} vs {slow}");
        }
    }

    #[test]
    fn dot_f16_of_unit_vectors_is_within_1e_4_of_the_f32_dot_product() {
        let mut rng = StdRng::seed_from_u64(5);
        for n in [1, 31, 32, 33, 384] {
            for _ in 0..50 {
                let (a, b) = (unit(random(&mut rng, n)), unit(random(&mut rng, n)));
                assert!((dot_f16(&a, &to_f16(&b)) as f64 - scalar_dot(&a, &b)).abs() < 1e-4, "n = {n}");
            }
        }
    }

    #[test]
    fn slices_of_different_lengths_use_the_shorter_length() {
        assert_eq!(dot_f16(&[1.0, 2.0, 3.0], &to_f16(&[4.0, 5.0])), 14.0);
        assert_eq!(dot(&[1.0, 2.0, 3.0], &[4.0, 5.0]), 14.0);
    }

    #[test]
    fn the_distance_of_a_vector_to_itself_is_zero_never_negative() {
        let mut rng = StdRng::seed_from_u64(3);
        for n in [3, 383, 384] {
            for _ in 0..200 {
                let a = unit(random(&mut rng, n));
                let d = UnitCosine.eval(&a, &a);
                assert!((0.0..1e-5).contains(&d), "n = {n}: {d}");
            }
        }
    }

    #[test]
    fn distances_are_clamped_to_0_and_2() {
        let a = [0.6f32, 0.8];
        assert_eq!(UnitCosine.eval(&a, &a.map(|x| x * 1.01)), 0.0, "dot slightly above 1");
        assert_eq!(UnitCosine.eval(&a, &a.map(|x| -x * 1.01)), 2.0, "dot slightly below -1");
        assert!((UnitCosine.eval(&a, &[0.8, -0.6]) - 1.0).abs() < 1e-6, "orthogonal");
    }
}
