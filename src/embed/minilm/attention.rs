//! Self-attention over a ragged batch: each text's tokens are consecutive rows, with no padding.
//!
//! Padding is what a rectangular batch spends on short texts (a batch of one 256-token chunk and
//! 31 short ones computes 32 × 256 rows); here every row is a real token, and a token attends to
//! the tokens of its own text only, which is what the attention mask did.

use std::ops::Range;

use rayon::prelude::*;

use super::gelu::exp;

/// Below this many rows the heads run on the calling thread: waking another costs more than a
/// short query's attention (about 0.1 ms for 14 tokens).
const PARALLEL_ROWS: usize = 64;
/// Keys whose scores are summed in registers at once (eight AVX2 registers). AVX-512 versions of
/// this loop and of the weighting of values measured 3–4% slower on a whole batch (35.0 against
/// 36.3 chunks/s, 2 × 3 alternating runs, 2026-12-03) and were removed.
const BLOCK: usize = 64;

/// Whether [`attend`] runs heads of this size (the sizes are compiled in, so each head's values
/// fit in registers).
pub(super) fn supports(head_size: usize) -> bool {
    matches!(head_size, 32 | 64)
}

/// `qkv` holds each row's query (pre-scaled by 1/√d), key and value, `heads × head_size` values
/// each, side by side. Writes each row's attended values (`heads × head_size`) into `context`.
/// `head_size` is one that [`supports`] accepts.
pub(super) fn attend(qkv: &[f32], spans: &[Range<usize>], heads: usize, head_size: usize, context: &mut [f32]) {
    let hidden = heads * head_size;
    debug_assert_eq!(qkv.len(), 3 * context.len());
    let items: Vec<(usize, usize)> =
        spans.iter().enumerate().flat_map(|(text, _)| (0..heads).map(move |head| (text, head))).collect();
    let one = |&(text, head): &(usize, usize)| {
        let (rows, offset) = (spans[text].clone(), head * head_size);
        match head_size {
            32 => attend_head::<32>(qkv, rows, offset, hidden),
            64 => attend_head::<64>(qkv, rows, offset, hidden),
            _ => unreachable!("Bert::load refuses heads of {head_size}"),
        }
    };
    let parts: Vec<Vec<f32>> = if context.len() / hidden < PARALLEL_ROWS {
        items.iter().map(one).collect()
    } else {
        items.par_iter().map(one).collect()
    };
    for ((text, head), part) in items.into_iter().zip(parts) {
        for (row, values) in spans[text].clone().zip(part.chunks_exact(head_size)) {
            let at = row * hidden + head * head_size;
            context[at..at + head_size].copy_from_slice(values);
        }
    }
}

/// One head of `S` values over one text's rows: softmax(Q·Kᵀ)·V, rows × `S` values.
fn attend_head<const S: usize>(qkv: &[f32], rows: Range<usize>, offset: usize, hidden: usize) -> Vec<f32> {
    let tokens = rows.len();
    let part = |r: usize, part: usize| -> &[f32; S] {
        let at = r * 3 * hidden + part * hidden + offset;
        qkv[at..at + S].try_into().expect("S values")
    };
    // The keys transposed (S × padded, zeros past the last token), so a block of a query's scores
    // is S multiply-adds of whole rows, summed in registers.
    let padded = tokens.div_ceil(BLOCK) * BLOCK;
    let mut keys = vec![0.0f32; S * padded];
    // The values side by side (tokens × S): read in order for every query, not S values from
    // each of `tokens` rows 3 × hidden apart.
    let mut values = Vec::with_capacity(tokens * S);
    for (t, r) in rows.clone().enumerate() {
        for (d, value) in part(r, 1).iter().enumerate() {
            keys[d * padded + t] = *value;
        }
        values.extend_from_slice(part(r, 2));
    }
    // Rows up to a multiple of 4 (weighted_rows takes them 4 at a time) are zeros, weighted by
    // the scores of padding keys, which are zero too.
    while values.len() % (4 * S) != 0 {
        values.extend([0.0; S]);
    }
    let mut out = vec![0.0f32; tokens * S];
    let mut scores = vec![0.0f32; padded];
    for (i, r) in rows.clone().enumerate() {
        let query = part(r, 0);
        for (b, block) in scores.chunks_exact_mut(BLOCK).enumerate() {
            let block: &mut [f32; BLOCK] = block.try_into().expect("a block");
            score_block(query, &keys, padded, b, block);
        }
        // Each loop below runs in vector registers: exp has no branch, and the max and the sum
        // are taken in eight lanes (a single running sum would make the loop one value at a time).
        let real = &mut scores[..tokens];
        let max = lanes(real, f32::NEG_INFINITY, |a, b| if b > a { b } else { a });
        real.iter_mut().for_each(|s| *s = exp(*s - max));
        let scale = 1.0 / lanes(real, 0.0, |a, b| a + b);
        let weights = &scores[..values.len() / S];
        weighted_rows::<S>(weights, &values, scale, &mut out[i * S..(i + 1) * S]);
    }
    out
}

/// One block of a query's scores: `out[t] = Σ_d query[d] · keys[d][b·BLOCK + t]`, `keys` being
/// S rows of `padded`. The sums stay in registers (the block's size is known at compile time).
fn score_block<const S: usize>(query: &[f32; S], keys: &[f32], padded: usize, b: usize, out: &mut [f32; BLOCK]) {
    let mut sums = [0.0f32; BLOCK];
    for (q, keys) in query.iter().zip(keys.chunks_exact(padded)) {
        let keys: &[f32; BLOCK] = keys[b * BLOCK..(b + 1) * BLOCK].try_into().expect("a block");
        for (s, k) in sums.iter_mut().zip(keys) {
            *s = q.mul_add(*k, *s);
        }
    }
    *out = sums;
}

/// `out ← scale · Σ weights[j] · values[j]` over rows of `S` values (a multiple of 4 of them).
fn weighted_rows<const S: usize>(weights: &[f32], values: &[f32], scale: f32, out: &mut [f32]) {
    assert!(weights.len().is_multiple_of(4) && values.len() == weights.len() * S && out.len() == S);
    #[cfg(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma"))]
    if S == 32 {
        // SAFETY: the cfg above says the CPU has AVX2 and FMA (the build requires them); the
        // lengths are checked above.
        unsafe { weighted_rows_32_avx2(weights, values, scale, out) };
        return;
    }
    let mut sums = vec![0.0f32; S];
    for (w, row) in weights.iter().zip(values.chunks_exact(S)) {
        sums.iter_mut().zip(row).for_each(|(s, v)| *s = w.mul_add(*v, *s));
    }
    out.iter_mut().zip(sums).for_each(|(o, s)| *o = s * scale);
}

/// [`weighted_rows`] for rows of 32 values: two rows per step into two sets of four registers,
/// so consecutive multiply-adds do not wait for each other. (Written with intrinsics: the
/// compiler kept arrays of sums in memory, a store and a load around every multiply-add.)
///
/// # Safety
/// AVX2 and FMA; `values` holds `weights.len()` rows of 32, `weights.len()` is even, `out` 32.
#[cfg(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma"))]
unsafe fn weighted_rows_32_avx2(weights: &[f32], values: &[f32], scale: f32, out: &mut [f32]) {
    use std::arch::x86_64::*;
    // SAFETY (every pointer read or written below): within `values` and `out`, whose lengths the
    // caller checked.
    unsafe {
        let mut even = [_mm256_setzero_ps(); 4];
        let mut odd = [_mm256_setzero_ps(); 4];
        let mut row = values.as_ptr();
        for pair in weights.chunks_exact(2) {
            let (first, second) = (_mm256_set1_ps(pair[0]), _mm256_set1_ps(pair[1]));
            even[0] = _mm256_fmadd_ps(first, _mm256_loadu_ps(row), even[0]);
            even[1] = _mm256_fmadd_ps(first, _mm256_loadu_ps(row.add(8)), even[1]);
            even[2] = _mm256_fmadd_ps(first, _mm256_loadu_ps(row.add(16)), even[2]);
            even[3] = _mm256_fmadd_ps(first, _mm256_loadu_ps(row.add(24)), even[3]);
            odd[0] = _mm256_fmadd_ps(second, _mm256_loadu_ps(row.add(32)), odd[0]);
            odd[1] = _mm256_fmadd_ps(second, _mm256_loadu_ps(row.add(40)), odd[1]);
            odd[2] = _mm256_fmadd_ps(second, _mm256_loadu_ps(row.add(48)), odd[2]);
            odd[3] = _mm256_fmadd_ps(second, _mm256_loadu_ps(row.add(56)), odd[3]);
            row = row.add(64);
        }
        let scale = _mm256_set1_ps(scale);
        for part in 0..4 {
            _mm256_storeu_ps(
                out.as_mut_ptr().add(8 * part),
                _mm256_mul_ps(_mm256_add_ps(even[part], odd[part]), scale),
            );
        }
    }
}

/// `values` folded with `f` in eight independent lanes, then the lanes folded.
#[inline(always)]
fn lanes(values: &[f32], start: f32, f: impl Fn(f32, f32) -> f32) -> f32 {
    let mut acc = [start; 8];
    let chunks = values.chunks_exact(8);
    let rest = chunks.remainder().iter().fold(start, |a, b| f(a, *b));
    for chunk in chunks {
        acc.iter_mut().zip(chunk).for_each(|(a, v)| *a = f(*a, *v));
    }
    acc.into_iter().fold(rest, &f)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook form, in double precision, one text at a time.
    fn reference(qkv: &[f32], rows: Range<usize>, heads: usize, size: usize) -> Vec<f64> {
        let hidden = heads * size;
        let at =
            |r: usize, part: usize, h: usize, d: usize| f64::from(qkv[r * 3 * hidden + part * hidden + h * size + d]);
        let mut out = vec![0.0; rows.len() * hidden];
        for (i, r) in rows.clone().enumerate() {
            for h in 0..heads {
                let scores: Vec<f64> =
                    rows.clone().map(|j| (0..size).map(|d| at(r, 0, h, d) * at(j, 1, h, d)).sum()).collect();
                let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let weights: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
                let total: f64 = weights.iter().sum();
                for d in 0..size {
                    out[i * hidden + h * size + d] =
                        rows.clone().zip(&weights).map(|(j, w)| w / total * at(j, 2, h, d)).sum();
                }
            }
        }
        out
    }

    #[test]
    fn each_text_attends_to_its_own_tokens_as_the_textbook_form_does() {
        // Texts of 1, 5 and 70 tokens: 76 rows, past PARALLEL_ROWS, over a block of keys; a short
        // batch alone; one text of exactly one block. Both head sizes compiled in.
        for (heads, size) in [(3, 32), (2, 64)] {
            let hidden = heads * size;
            for lengths in [vec![1, 5, 70], vec![4], vec![64]] {
                let mut spans = Vec::new();
                let mut start = 0;
                for length in &lengths {
                    spans.push(start..start + length);
                    start += length;
                }
                let rows = start;
                let qkv: Vec<f32> = (0..rows * 3 * hidden).map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5).collect();
                let mut context = vec![0.0; rows * hidden];
                attend(&qkv, &spans, heads, size, &mut context);
                for span in &spans {
                    let want = reference(&qkv, span.clone(), heads, size);
                    let got = &context[span.start * hidden..span.end * hidden];
                    let worst = got.iter().zip(&want).map(|(g, w)| (f64::from(*g) - w).abs()).fold(0.0, f64::max);
                    assert!(worst < 1e-5, "heads of {size}, lengths {lengths:?}, at {span:?}: off by {worst}");
                }
            }
        }
    }

    #[test]
    fn only_compiled_head_sizes_are_supported() {
        assert!(supports(32) && supports(64));
        assert!(!supports(8) && !supports(48));
    }
}
