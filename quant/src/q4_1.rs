//! Products of a Q4_1 weight matrix (as GGUF stores it) with a few rows of activations, on
//! AVX2: the file's 4-bit weights read as they are, as llama.cpp does.
//!
//! Why: one generated token reads every weight once, and on a CPU without candle's repacked
//! kernels (AVX2 only, as AMD EPYC before Zen 4) that read is the bound. SmolLM2-135M's layers
//! are 66 MB in Q4_1 and 113 MB re-quantized to Q8_0, whose AVX2 kernel is the only fast one
//! candle has for them (its Q4_1 product has no x86 SIMD path). Per 32 weights this reads 20
//! bytes instead of 34.
//!
//! The activations are rounded to 8 bits per 32 values (ggml's Q8_1: `x ≈ d·q`, with `s = d·Σq`
//! kept for the blocks' minimums), the same rounding candle's Q8_0 products apply. A block's
//! product is then `d_w·d_x·Σ(q_w·q_x) + m_w·s_x`, the integer sum by `vpmaddubsw`.

use std::sync::Mutex;

use candle_core::{Result, Tensor};
use half::f16;

/// Weights per Q4_1 block.
const BLOCK: usize = 32;

/// Bytes per Q4_1 block: the scale `d` and the minimum `m` (f16 each), then 16 bytes of 4-bit
/// values `q` (weight = d·q + m): value j in the low nibble of byte j, value j + 16 in its high
/// nibble.
pub const BLOCK_BYTES: usize = 20;

/// Output rows per unit of work handed to a thread.
const ROWS_PER_ITEM: usize = 32;

/// 32 activations rounded to 8 bits: x ≈ d·q; s = d·Σq.
struct Q8Block {
    d: f32,
    s: f32,
    qs: [i8; BLOCK],
}

/// Whether this CPU runs [`matmul`]'s vector kernel (AVX2 and FMA); without it, the scalar one.
pub fn vector_kernel() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `x` (rows × inputs, row-major) times the transpose of the Q4_1 matrix `weights` (outputs ×
/// inputs, [`BLOCK_BYTES`] per 32 weights): rows × outputs. Output rows are split across candle's
/// thread pool.
pub fn matmul(weights: &[u8], outputs: usize, inputs: usize, x: &[f32]) -> Result<Vec<f32>> {
    if inputs == 0 || !inputs.is_multiple_of(BLOCK) || !x.len().is_multiple_of(inputs) {
        candle_core::bail!("a Q4_1 product needs rows of a multiple of {BLOCK} values, got {inputs}");
    }
    let row_bytes = inputs / BLOCK * BLOCK_BYTES;
    if weights.len() != outputs * row_bytes {
        candle_core::bail!("{} bytes are not a {outputs} × {inputs} Q4_1 matrix", weights.len());
    }
    let rows = x.len() / inputs;
    let activations: Vec<Vec<Q8Block>> = x.chunks_exact(inputs).map(quantize).collect();
    let vector = vector_kernel();
    let items = outputs.div_ceil(ROWS_PER_ITEM);
    let results: Vec<Mutex<Vec<f32>>> = (0..items).map(|_| Mutex::new(Vec::new())).collect();
    let work = |item: usize| {
        let outs = item * ROWS_PER_ITEM..((item + 1) * ROWS_PER_ITEM).min(outputs);
        let mut part = Vec::with_capacity(rows * outs.len());
        for activation in &activations {
            for o in outs.clone() {
                let row = &weights[o * row_bytes..(o + 1) * row_bytes];
                // SAFETY: `vector` is `vector_kernel()`.
                part.push(if vector { unsafe { dot_vector(row, activation) } } else { dot_scalar(row, activation) });
            }
        }
        *results[item].lock().unwrap_or_else(|e| e.into_inner()) = part;
    };
    candle_core::utils::barrier_pool().execute_chunked(items, |range| range.for_each(work));
    let mut out = vec![0f32; rows * outputs];
    for (item, part) in results.into_iter().enumerate() {
        let part = part.into_inner().unwrap_or_else(|e| e.into_inner());
        let start = item * ROWS_PER_ITEM;
        let width = ((item + 1) * ROWS_PER_ITEM).min(outputs) - start;
        for (r, values) in part.chunks_exact(width).enumerate() {
            out[r * outputs + start..r * outputs + start + width].copy_from_slice(values);
        }
    }
    Ok(out)
}

/// [`matmul`] on tensors: `x` (…, inputs) times the transpose of `weights` (outputs × inputs).
pub fn forward(weights: &[u8], (outputs, inputs): (usize, usize), x: &Tensor) -> Result<Tensor> {
    let mut dims = x.dims().to_vec();
    if dims.last() != Some(&inputs) {
        candle_core::bail!("a {outputs} × {inputs} Q4_1 matrix cannot multiply rows of shape {dims:?}");
    }
    let values: Vec<f32> = x.flatten_all()?.to_vec1()?;
    let out = matmul(weights, outputs, inputs, &values)?;
    if let Some(last) = dims.last_mut() {
        *last = outputs;
    }
    Tensor::from_vec(out, dims, x.device())
}

/// One row of activations as [`Q8Block`]s, rounded to nearest (as ggml's `quantize_row_q8_1`).
fn quantize(x: &[f32]) -> Vec<Q8Block> {
    x.chunks_exact(BLOCK)
        .map(|values| {
            let amax = values.iter().fold(0f32, |m, v| m.max(v.abs()));
            let d = amax / 127.0;
            let inverse = if d > 0.0 { 1.0 / d } else { 0.0 };
            let mut qs = [0i8; BLOCK];
            let mut sum = 0i32;
            for (q, v) in qs.iter_mut().zip(values) {
                *q = (v * inverse).round() as i8;
                sum += i32::from(*q);
            }
            Q8Block { d, s: d * sum as f32, qs }
        })
        .collect()
}

/// A block's scale and minimum.
fn scale_and_min(block: &[u8]) -> (f32, f32) {
    let half = |i: usize| f16::from_bits(u16::from_le_bytes([block[i], block[i + 1]])).to_f32();
    (half(0), half(2))
}

/// The dot product of one Q4_1 row with quantized activations, one value at a time.
fn dot_scalar(row: &[u8], x: &[Q8Block]) -> f32 {
    row.chunks_exact(BLOCK_BYTES)
        .zip(x)
        .map(|(block, y)| {
            let (d, m) = scale_and_min(block);
            let sum: i32 = block[4..]
                .iter()
                .enumerate()
                .map(|(j, byte)| {
                    i32::from(byte & 0x0F) * i32::from(y.qs[j]) + i32::from(byte >> 4) * i32::from(y.qs[j + 16])
                })
                .sum();
            d * y.d * sum as f32 + m * y.s
        })
        .sum()
}

/// [`dot_scalar`] with AVX2.
///
/// # Safety
/// Only where [`vector_kernel`] holds: on x86_64 it runs AVX2 and FMA instructions.
unsafe fn dot_vector(row: &[u8], x: &[Q8Block]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: the caller found AVX2 and FMA (`vector_kernel`).
        unsafe { dot_avx2(row, x) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        dot_scalar(row, x)
    }
}

/// ggml's `ggml_vec_dot_q4_1_q8_1` for AVX2: per block, the 32 nibbles widened to bytes (low
/// nibbles in the lower lane, high in the upper, matching the activations' order), multiplied
/// with the signed activation bytes and summed in pairs (`vpmaddubsw`: at most 2·15·127, no
/// saturation), then in fours to i32, to f32, and accumulated scaled by `d_w·d_x`. Two blocks
/// per step into two accumulators: with one, each block waited for the previous one's
/// multiply-add (its latency, not the loads, bounded the loop).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_avx2(row: &[u8], x: &[Q8Block]) -> f32 {
    use std::arch::x86_64::*;
    let low = _mm256_set1_epi8(0x0F);
    let ones = _mm256_set1_epi16(1);
    // One block's integer sums as f32, and its scale and minimum terms.
    let block = |block: &[u8], y: &Q8Block| {
        let (d, m) = scale_and_min(block);
        let nibbles: &[u8; 16] = block[4..].try_into().unwrap_or(&[0; 16]);
        // SAFETY: `nibbles` holds 16 bytes and `y.qs` 32, the widths of the unaligned loads.
        let (packed, activations) = unsafe {
            (_mm_loadu_si128(nibbles.as_ptr().cast::<__m128i>()), _mm256_loadu_si256(y.qs.as_ptr().cast::<__m256i>()))
        };
        let weights = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16::<4>(packed), packed), low);
        let sums = _mm256_cvtepi32_ps(_mm256_madd_epi16(_mm256_maddubs_epi16(weights, activations), ones));
        (sums, _mm256_set1_ps(d * y.d), m * y.s)
    };
    let (mut even, mut odd) = (_mm256_setzero_ps(), _mm256_setzero_ps());
    let (mut minimums_even, mut minimums_odd) = (0f32, 0f32);
    let mut blocks = row.chunks_exact(2 * BLOCK_BYTES).zip(x.chunks_exact(2));
    for (pair, ys) in &mut blocks {
        let (sums, scale, minimum) = block(&pair[..BLOCK_BYTES], &ys[0]);
        even = _mm256_fmadd_ps(scale, sums, even);
        minimums_even += minimum;
        let (sums, scale, minimum) = block(&pair[BLOCK_BYTES..], &ys[1]);
        odd = _mm256_fmadd_ps(scale, sums, odd);
        minimums_odd += minimum;
    }
    if x.len() % 2 == 1 && row.len() >= x.len() * BLOCK_BYTES {
        let last = x.len() - 1;
        let (sums, scale, minimum) = block(&row[last * BLOCK_BYTES..(last + 1) * BLOCK_BYTES], &x[last]);
        even = _mm256_fmadd_ps(scale, sums, even);
        minimums_even += minimum;
    }
    let acc = _mm256_add_ps(even, odd);
    let halves = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps::<1>(acc));
    let pairs = _mm_add_ps(halves, _mm_movehl_ps(halves, halves));
    let total = _mm_add_ss(pairs, _mm_movehdup_ps(pairs));
    _mm_cvtss_f32(total) + minimums_even + minimums_odd
}

#[cfg(test)]
mod tests {
    use candle_core::quantized::{GgmlDType, QTensor};
    use candle_core::{Device, Tensor};

    use super::{BLOCK_BYTES, dot_scalar, dot_vector, matmul, quantize, vector_kernel};

    fn random(seed: &mut u32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|_| {
                *seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (*seed >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
            })
            .collect()
    }

    /// Candle's Q4_1 quantisation of random weights, multiplied by a few rows: against the
    /// dequantized weights times the 8-bit activations in float64 (so the kernels' arithmetic, not
    /// the rounding, is checked), and the vector kernel equal to the scalar one up to float
    /// summation order.
    #[test]
    fn products_match_the_dequantized_weights_and_the_kernels_agree() {
        assert!(vector_kernel() || !cfg!(target_feature = "avx2"), "an AVX2 build runs the vector kernel");
        let (outputs, inputs, rows) = (70, 608, 3);
        let mut seed = 5u32;
        let w = Tensor::from_vec(random(&mut seed, outputs * inputs), (outputs, inputs), &Device::Cpu).unwrap();
        let q = QTensor::quantize(&w, GgmlDType::Q4_1).unwrap();
        let bytes = q.data().unwrap();
        let row_bytes = inputs / 32 * BLOCK_BYTES;
        assert_eq!(bytes.len(), outputs * row_bytes);
        let dequantized: Vec<f32> = q.dequantize(&Device::Cpu).unwrap().flatten_all().unwrap().to_vec1().unwrap();
        let x = random(&mut seed, rows * inputs);
        let out = matmul(&bytes, outputs, inputs, &x).unwrap();
        assert_eq!(out.len(), rows * outputs);
        for r in 0..rows {
            let activation = quantize(&x[r * inputs..(r + 1) * inputs]);
            let rounded: Vec<f64> =
                activation.iter().flat_map(|b| b.qs.map(|q| f64::from(b.d) * f64::from(q))).collect();
            for o in 0..outputs {
                let weights = &dequantized[o * inputs..(o + 1) * inputs];
                let expected: f64 = weights.iter().zip(&rounded).map(|(w, x)| f64::from(*w) * x).sum();
                let got = out[r * outputs + o];
                assert!((f64::from(got) - expected).abs() < 1e-3, "row {r}, output {o}: {got} vs {expected}");
                let row = &bytes[o * row_bytes..(o + 1) * row_bytes];
                let scalar = dot_scalar(row, &activation);
                if vector_kernel() {
                    // SAFETY: `vector_kernel()` holds.
                    let vector = unsafe { dot_vector(row, &activation) };
                    assert!((vector - scalar).abs() < 1e-4, "row {r}, output {o}: {vector} vs {scalar}");
                    assert_eq!(got, vector);
                } else {
                    assert_eq!(got, scalar);
                }
            }
        }
    }

    #[test]
    fn a_width_not_made_of_blocks_is_an_error() {
        let err = matmul(&[0; 40], 1, 48, &[0.0; 48]).unwrap_err();
        assert!(err.to_string().contains("multiple of 32"), "{err}");
    }
}
