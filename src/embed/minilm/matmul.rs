//! `X · Wᵀ + b` for the encoder's dense layers, with the weight packed once at load.
//!
//! candle's matrix multiplication (the `gemm` crate) packs the weight into its blocked layout on
//! every call (for a search query, 42 MB copied to multiply 12 rows), and on stable Rust it runs
//! AVX2 kernels only. Here the weight is packed once, into panels of [`NR`] output columns with
//! the columns of each input position side by side; the input rows are packed per call (they
//! are few, or each block of them is reused against every panel) into tiles whose values for one
//! input position are side by side. A tile of rows × one panel is summed in registers over the
//! whole input length: 12 rows × 32 columns in 24 AVX-512 registers, or 3 × 32 in 12 AVX2
//! registers, picked at run time from what the CPU has; other CPUs run the same loop in plain
//! Rust.

use rayon::prelude::*;

/// Output columns per panel: two AVX-512 registers, four AVX2 registers.
pub(super) const NR: usize = 32;
/// Input rows per block when rows are many: one block's rows are one parallel work item.
const BLOCK_ROWS: usize = 96;
/// The most rows any kernel sums in registers at once.
const MAX_TILE_ROWS: usize = 12;

/// A weight (out × in) and its bias, packed for [`PackedWeight::multiply`].
pub(super) struct PackedWeight {
    inputs: usize,
    outputs: usize,
    bias: Vec<f32>,
    /// Panel `p` holds, for each input position `k`, the weights of outputs `p·NR .. p·NR + NR`,
    /// as IEEE half-precision bits.
    panels: Vec<u16>,
}

/// The tile kernel this CPU runs.
#[derive(Clone, Copy, Debug)]
enum Kernel {
    #[cfg(target_arch = "x86_64")]
    Avx512,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    Plain,
}

impl Kernel {
    /// The fastest kernel this CPU runs (checked once).
    fn detect() -> Self {
        static BEST: std::sync::OnceLock<Kernel> = std::sync::OnceLock::new();
        *BEST.get_or_init(|| Self::available()[0])
    }

    /// Every kernel this CPU runs, fastest first; the plain one always.
    fn available() -> Vec<Self> {
        let mut kernels = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            if has!("avx512f") {
                kernels.push(Self::Avx512);
            }
            if has!("avx2") && has!("fma") && has!("f16c") {
                kernels.push(Self::Avx2);
            }
        }
        kernels.push(Self::Plain);
        kernels
    }

    /// Rows per tile.
    fn rows(self) -> usize {
        match self {
            #[cfg(target_arch = "x86_64")]
            Self::Avx512 => 12,
            #[cfg(target_arch = "x86_64")]
            Self::Avx2 => 3,
            Self::Plain => 4,
        }
    }
}

impl PackedWeight {
    /// `weight` is row-major out × in. `outputs` must be a multiple of [`NR`] (every dense layer of
    /// MiniLM is: 384, 1152, 1536).
    pub(super) fn pack(weight: &[f32], bias: &[f32], outputs: usize, inputs: usize) -> Result<Self, String> {
        if inputs == 0 || !outputs.is_multiple_of(NR) || weight.len() != outputs * inputs || bias.len() != outputs {
            return Err(format!(
                "cannot pack a {outputs} × {inputs} weight from {} values and a bias of {}",
                weight.len(),
                bias.len()
            ));
        }
        let mut panels = Vec::with_capacity(weight.len());
        for panel in 0..outputs / NR {
            for k in 0..inputs {
                panels.extend((0..NR).map(|j| half::f16::from_f32(weight[(panel * NR + j) * inputs + k]).to_bits()));
            }
        }
        Ok(Self { inputs, outputs, bias: bias.to_vec(), panels })
    }

    /// `y ← x · Wᵀ + b` for `x` row-major (rows × in): `y` becomes row-major rows × out. `y`'s
    /// memory is reused (a fresh buffer of this size would be mapped and zeroed page by page).
    pub(super) fn multiply_into(&self, x: &[f32], y: &mut Vec<f32>) {
        self.multiply_with(Kernel::detect(), x, y, |_| ());
    }

    /// [`PackedWeight::multiply_into`], with `then` (an activation) applied to each 32 output
    /// values while they are still in the cache, not in a pass of its own over all of `y`.
    pub(super) fn multiply_then(&self, x: &[f32], y: &mut Vec<f32>, then: impl Fn(&mut [f32; NR]) + Sync) {
        self.multiply_with(Kernel::detect(), x, y, then);
    }

    fn multiply_with(&self, kernel: Kernel, x: &[f32], y: &mut Vec<f32>, then: impl Fn(&mut [f32; NR]) + Sync) {
        let (k, n) = (self.inputs, self.outputs);
        assert_eq!(x.len() % k, 0, "input of {} values is not rows of {k}", x.len());
        let rows = x.len() / k;
        // Every value is written below, so only the length matters.
        y.resize(rows * n, 0.0);
        if rows == 0 {
            return;
        }
        if rows > BLOCK_ROWS {
            // Many rows (a batch of documents): blocks of rows in parallel, each against every panel.
            y.par_chunks_mut(BLOCK_ROWS * n).zip(x.par_chunks(BLOCK_ROWS * k)).for_each(|(y, x)| {
                let tiles = pack_rows(x, k, kernel.rows());
                self.panels_into(&tiles, kernel, 0..n / NR, y, n, &then);
            });
        } else {
            // Few rows (a query): the panels are split between threads, each writing its own columns.
            let tiles = pack_rows(x, k, kernel.rows());
            let panels = n / NR;
            let threads = rayon::current_num_threads().clamp(1, panels);
            let per = panels.div_ceil(threads);
            let parts: Vec<(usize, Vec<f32>)> = (0..threads)
                .into_par_iter()
                .map(|t| {
                    let range = t * per..((t + 1) * per).min(panels);
                    let width = range.len() * NR;
                    let mut part = vec![0.0; rows * width];
                    self.panels_into(&tiles, kernel, range.clone(), &mut part, width, &then);
                    (range.start * NR, part)
                })
                .collect();
            for (start, part) in parts {
                let width = part.len() / rows;
                if width == 0 {
                    continue;
                }
                for (row, values) in part.chunks_exact(width).enumerate() {
                    y[row * n + start..row * n + start + width].copy_from_slice(values);
                }
            }
        }
    }

    /// The packed rows times the panels in `range`, then `then`, into `y` (rows × `width`; the
    /// first panel's columns from its column 0).
    fn panels_into(
        &self,
        tiles: &[Tile],
        kernel: Kernel,
        range: std::ops::Range<usize>,
        y: &mut [f32],
        width: usize,
        then: &impl Fn(&mut [f32; NR]),
    ) {
        let k = self.inputs;
        let first = range.start;
        for panel in range {
            let weights = &self.panels[panel * k * NR..(panel + 1) * k * NR];
            let bias: &[f32; NR] = self.bias[panel * NR..(panel + 1) * NR].try_into().expect("NR values");
            let column = (panel - first) * NR;
            for tile in tiles {
                let mut sums = [[0.0f32; NR]; MAX_TILE_ROWS];
                let sums = &mut sums[..tile.rows];
                multiply_tile(kernel, &tile.values, tile.rows, k, weights, bias, sums);
                for (row, sum) in sums.iter_mut().enumerate() {
                    then(sum);
                    let at = (tile.first + row) * width + column;
                    y[at..at + NR].copy_from_slice(sum);
                }
            }
        }
    }
}

/// Up to [`MAX_TILE_ROWS`] input rows, packed: for each input position, the rows' values side by side.
struct Tile {
    first: usize,
    rows: usize,
    values: Vec<f32>,
}

/// `x` (rows × k) in tiles of at most `max_rows` rows, as even as they can be: 15 rows in tiles of
/// 14 would make a tile of 1, which reads the whole panel again for one row; 8 and 7 do not.
fn pack_rows(x: &[f32], k: usize, max_rows: usize) -> Vec<Tile> {
    let rows = x.len() / k;
    let per_tile = rows.div_ceil(rows.div_ceil(max_rows).max(1)).max(1);
    (0..rows)
        .step_by(per_tile)
        .map(|first| {
            let count = per_tile.min(rows - first);
            // Row by row: each row is read in order, and its values land `count` apart.
            let mut values = vec![0.0; count * k];
            for (r, row) in x[first * k..(first + count) * k].chunks_exact(k).enumerate() {
                for (at, value) in values.chunks_exact_mut(count).zip(row) {
                    at[r] = *value;
                }
            }
            Tile { first, rows: count, values }
        })
        .collect()
}

/// One tile (`rows` × k, packed) times one panel (k × NR) plus the bias, into `sums` (rows × NR).
fn multiply_tile(
    kernel: Kernel,
    tile: &[f32],
    rows: usize,
    k: usize,
    panel: &[u16],
    bias: &[f32; NR],
    sums: &mut [[f32; NR]],
) {
    assert!(tile.len() == rows * k && panel.len() == k * NR && sums.len() == rows && rows <= MAX_TILE_ROWS);
    macro_rules! by_rows {
        ($kernel:ident, $($n:literal)*) => {
            match rows {
                $($n => $kernel::<$n>(tile, k, panel, bias, sums.try_into().expect("rows")),)*
                _ => unreachable!("a tile has 1 to 12 rows"),
            }
        };
    }
    match kernel {
        // SAFETY: Kernel::detect chose these only where the CPU has the features, and the slice
        // lengths are checked above.
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx512 => unsafe { by_rows!(tile_avx512, 1 2 3 4 5 6 7 8 9 10 11 12) },
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx2 => unsafe { by_rows!(tile_avx2, 1 2 3) },
        Kernel::Plain => by_rows!(tile_plain, 1 2 3 4),
    }
}

/// `R` packed rows × one panel with AVX-512: 2·R accumulators, the panel's 32 weights of one input
/// position loaded once and used for every row.
///
/// # Safety
/// The CPU must have AVX-512F; `tile` holds k·R values and `panel` k·NR.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn tile_avx512<const R: usize>(
    tile: &[f32],
    k: usize,
    panel: &[u16],
    bias: &[f32; NR],
    sums: &mut [[f32; NR]; R],
) {
    use std::arch::x86_64::*;
    let (mut x, mut w) = (tile.as_ptr(), panel.as_ptr());
    // SAFETY (every pointer read below): within `tile` and `panel`, whose lengths the caller checked.
    unsafe {
        let mut low = [_mm512_loadu_ps(bias.as_ptr()); R];
        let mut high = [_mm512_loadu_ps(bias.as_ptr().add(16)); R];
        for _ in 0..k {
            let w_low = _mm512_cvtph_ps(_mm256_loadu_si256(w.cast()));
            let w_high = _mm512_cvtph_ps(_mm256_loadu_si256(w.add(16).cast()));
            for row in 0..R {
                let value = _mm512_set1_ps(*x.add(row));
                low[row] = _mm512_fmadd_ps(value, w_low, low[row]);
                high[row] = _mm512_fmadd_ps(value, w_high, high[row]);
            }
            x = x.add(R);
            w = w.add(NR);
        }
        for row in 0..R {
            _mm512_storeu_ps(sums[row].as_mut_ptr(), low[row]);
            _mm512_storeu_ps(sums[row].as_mut_ptr().add(16), high[row]);
        }
    }
}

/// `R` packed rows × one panel with AVX2 and FMA: 4·R accumulators.
///
/// # Safety
/// The CPU must have AVX2 and FMA; `tile` holds k·R values and `panel` k·NR.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn tile_avx2<const R: usize>(
    tile: &[f32],
    k: usize,
    panel: &[u16],
    bias: &[f32; NR],
    sums: &mut [[f32; NR]; R],
) {
    use std::arch::x86_64::*;
    let (mut x, mut w) = (tile.as_ptr(), panel.as_ptr());
    // SAFETY (every pointer read below): within `tile` and `panel`, whose lengths the caller checked.
    unsafe {
        let mut acc = [[_mm256_setzero_ps(); 4]; R];
        for row_acc in acc.iter_mut() {
            for (part, a) in row_acc.iter_mut().enumerate() {
                *a = _mm256_loadu_ps(bias.as_ptr().add(8 * part));
            }
        }
        for _ in 0..k {
            let weights = [0, 8, 16, 24].map(|at| _mm256_cvtph_ps(_mm_loadu_si128(w.add(at).cast())));
            for (row, row_acc) in acc.iter_mut().enumerate() {
                let value = _mm256_set1_ps(*x.add(row));
                for (a, weight) in row_acc.iter_mut().zip(weights) {
                    *a = _mm256_fmadd_ps(value, weight, *a);
                }
            }
            x = x.add(R);
            w = w.add(NR);
        }
        for (sum, row_acc) in sums.iter_mut().zip(acc) {
            for (part, a) in row_acc.into_iter().enumerate() {
                _mm256_storeu_ps(sum.as_mut_ptr().add(8 * part), a);
            }
        }
    }
}

/// The same in plain Rust, for CPUs without AVX2.
fn tile_plain<const R: usize>(tile: &[f32], k: usize, panel: &[u16], bias: &[f32; NR], sums: &mut [[f32; NR]; R]) {
    *sums = [*bias; R];
    for (values, weights) in tile.chunks_exact(R).zip(panel.chunks_exact(NR)).take(k) {
        for (sum, value) in sums.iter_mut().zip(values) {
            for (s, w) in sum.iter_mut().zip(weights) {
                *s = value.mul_add(half::f16::from_bits(*w).to_f32(), *s);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(x: &[f32], w: &[f32], b: &[f32], rows: usize, n: usize, k: usize) -> Vec<f32> {
        let mut y = vec![0.0; rows * n];
        for r in 0..rows {
            for o in 0..n {
                // The weights as they are kept: rounded to half precision.
                let weight = |i: usize| f64::from(half::f16::from_f32(w[o * k + i]).to_f32());
                let dot = (0..k).map(|i| f64::from(x[r * k + i]) * weight(i)).sum::<f64>();
                y[r * n + o] = (dot + f64::from(b[o])) as f32;
            }
        }
        y
    }

    fn values(count: usize, seed: u32) -> Vec<f32> {
        // A small linear congruential sequence in [-1, 1): deterministic, no dependency.
        let mut state = seed;
        (0..count)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 8) as f32 / (1u32 << 23) as f32 - 1.0
            })
            .collect()
    }

    #[test]
    fn the_product_matches_a_plain_one_for_few_and_many_rows_with_every_kernel() {
        let (n, k) = (96, 40);
        let (w, b) = (values(n * k, 7), values(n, 8));
        let packed = PackedWeight::pack(&w, &b, n, k).unwrap();
        // Up to 25 rows take the few-rows path, with tiles of every size; 250 the blocked one. One
        // output buffer for all, starting with stale values that must all be overwritten.
        let mut got = vec![1.0e6; 300 * n];
        for kernel in Kernel::available() {
            for rows in (1..=25).chain([250, 7]) {
                let x = values(rows * k, rows as u32);
                // The activation sees every value once: doubling them must double the product.
                packed.multiply_with(kernel, &x, &mut got, |v| v.iter_mut().for_each(|v| *v *= 2.0));
                let want: Vec<f32> = plain(&x, &w, &b, rows, n, k).iter().map(|v| v * 2.0).collect();
                assert_eq!(got.len(), want.len());
                let worst = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
                assert!(worst < 2e-4, "{:?}, {rows} rows: off by {worst}", kernel);
            }
        }
    }

    #[test]
    fn a_weight_that_does_not_fill_whole_panels_is_refused() {
        assert!(PackedWeight::pack(&[0.0; 20 * 3], &[0.0; 20], 20, 3).is_err());
        assert!(PackedWeight::pack(&[0.0; 10], &[0.0; 32], 32, 1).is_err());
        assert!(PackedWeight::pack(&[0.0; 32], &[0.0; 3], 32, 1).is_err());
        assert!(PackedWeight::pack(&[0.0; 32], &[0.0; 32], 32, 1).is_ok());
        assert!(PackedWeight::pack(&[], &[0.0; 32], 32, 0).is_err(), "no inputs");
    }

    #[test]
    fn no_rows_give_no_values() {
        let packed = PackedWeight::pack(&values(32 * 4, 1), &values(32, 2), 32, 4).unwrap();
        let mut y = vec![1.0; 10];
        packed.multiply_into(&[], &mut y);
        assert!(y.is_empty());
    }
}
