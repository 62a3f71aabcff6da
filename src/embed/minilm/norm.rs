//! Layer normalisation, with the residual sum BERT takes before each one.

use rayon::prelude::*;

/// Rows per parallel work item.
const ROWS_PER_ITEM: usize = 64;

/// A layer norm's learned scale and shift.
pub(super) struct Norm {
    pub(super) gamma: Vec<f32>,
    pub(super) beta: Vec<f32>,
    pub(super) eps: f32,
}

impl Norm {
    /// `x ← norm(x + residual)` row by row (rows of `gamma.len()` values); no residual: `norm(x)`.
    pub(super) fn apply(&self, x: &mut [f32], residual: Option<&[f32]>) {
        let width = self.gamma.len();
        let rows = x.len() / width;
        let block = ROWS_PER_ITEM * width;
        match residual {
            Some(residual) if rows > ROWS_PER_ITEM => x
                .par_chunks_mut(block)
                .zip(residual.par_chunks(block))
                .for_each(|(x, residual)| self.rows(x, Some(residual))),
            Some(residual) => self.rows(x, Some(residual)),
            None if rows > ROWS_PER_ITEM => x.par_chunks_mut(block).for_each(|x| self.rows(x, None)),
            None => self.rows(x, None),
        }
    }

    fn rows(&self, x: &mut [f32], residual: Option<&[f32]>) {
        let width = self.gamma.len();
        for (i, row) in x.chunks_exact_mut(width).enumerate() {
            if let Some(residual) = residual {
                row.iter_mut().zip(&residual[i * width..(i + 1) * width]).for_each(|(x, r)| *x += r);
            }
            let mean = sum(row) / width as f32;
            row.iter_mut().for_each(|x| *x -= mean);
            let variance = sum_of_squares(row) / width as f32;
            let scale = 1.0 / (variance + self.eps).sqrt();
            for ((x, g), b) in row.iter_mut().zip(&self.gamma).zip(&self.beta) {
                *x = (*x * scale).mul_add(*g, *b);
            }
        }
    }
}

/// The sum in eight lanes (so the compiler keeps it in a vector register), then across them.
fn sum(values: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let chunks = values.chunks_exact(8);
    let rest: f32 = chunks.remainder().iter().sum();
    for chunk in chunks {
        lanes.iter_mut().zip(chunk).for_each(|(l, v)| *l += v);
    }
    lanes.iter().sum::<f32>() + rest
}

fn sum_of_squares(values: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let chunks = values.chunks_exact(8);
    let rest: f32 = chunks.remainder().iter().map(|v| v * v).sum();
    for chunk in chunks {
        lanes.iter_mut().zip(chunk).for_each(|(l, v)| *l = v.mul_add(*v, *l));
    }
    lanes.iter().sum::<f32>() + rest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_normalised_then_scaled_and_shifted() {
        let width = 20;
        let norm = Norm {
            gamma: (0..width).map(|i| 0.5 + i as f32 / 10.0).collect(),
            beta: (0..width).map(|i| i as f32 / 100.0 - 0.1).collect(),
            eps: 1e-12,
        };
        // 130 rows: the parallel path, with a last block of 2 rows.
        for rows in [3, 130] {
            let x: Vec<f32> = (0..rows * width).map(|i| ((i * 37) % 101) as f32 / 7.0 - 6.0).collect();
            let residual: Vec<f32> = (0..rows * width).map(|i| ((i * 13) % 29) as f32 / 3.0).collect();
            let mut got = x.clone();
            norm.apply(&mut got, Some(&residual));
            for r in 0..rows {
                let row: Vec<f64> = (0..width).map(|i| f64::from(x[r * width + i] + residual[r * width + i])).collect();
                let mean = row.iter().sum::<f64>() / width as f64;
                let variance = row.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / width as f64;
                for i in 0..width {
                    let want = (row[i] - mean) / (variance + 1e-12).sqrt() * f64::from(norm.gamma[i])
                        + f64::from(norm.beta[i]);
                    let error = (f64::from(got[r * width + i]) - want).abs();
                    assert!(error < 1e-5, "{rows} rows, row {r}, value {i}: off by {error}");
                }
            }
            let mut alone = x.clone();
            norm.apply(&mut alone, None);
            assert!(alone.iter().zip(&got).any(|(a, b)| (a - b).abs() > 1e-3), "the residual was ignored");
        }
    }
}
