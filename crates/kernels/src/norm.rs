//! The residual add and layer normalisation that close each half of a
//! transformer block, fused: each row is summed, normalized and scaled in
//! one task while it is in cache (candle's `layer_norm` runs one scalar
//! loop per row after a separate pass for the add).

use std::mem::MaybeUninit;

use crate::math::lanes;
use crate::parallel::for_each_chunk_mut;

/// Rows per parallel task.
const ROWS_PER_TASK: usize = 32;

/// `LayerNorm(x + residual)` over rows of `weight.len()` values:
/// `(y − mean(y)) / √(var(y) + eps) · weight + bias` for each row `y`,
/// with the variance summed around the mean once the mean is known (not
/// as E[y²] − E[y]², which cancels on rows far from zero).
pub fn add_layer_norm(
    x: &[f32],
    residual: &[f32],
    (weight, bias): (&[f32], &[f32]),
    eps: f32,
) -> Vec<f32> {
    let h = weight.len();
    assert!(bias.len() == h && x.len() == residual.len());
    assert!(h > 0 && x.len().is_multiple_of(h), "rows of {h} values");
    let features = crate::cpu::features();
    // Not zero-filled first: each row is written whole by its first pass.
    let mut out: Vec<f32> = Vec::with_capacity(x.len());
    for_each_chunk_mut(
        &mut out.spare_capacity_mut()[..x.len()],
        ROWS_PER_TASK * h,
        |t, out| {
            let at = t * ROWS_PER_TASK * h;
            let (x, residual) = (&x[at..at + out.len()], &residual[at..at + out.len()]);
            for ((o, &a), &b) in out.iter_mut().zip(x).zip(residual) {
                o.write(a + b);
            }
            // SAFETY: every element was written just above.
            let out = unsafe { &mut *(out as *mut [MaybeUninit<f32>] as *mut [f32]) };
            #[cfg(target_arch = "x86_64")]
            if features.avx512 {
                // SAFETY: AVX-512F was detected.
                unsafe { normalize_avx512(out, (weight, bias), eps) };
                return;
            }
            #[cfg(target_arch = "x86_64")]
            if features.avx2 {
                // SAFETY: AVX2 and FMA were detected.
                unsafe { normalize_avx2(out, (weight, bias), eps) };
                return;
            }
            normalize(out, (weight, bias), eps);
        },
    );
    // SAFETY: every task wrote all its rows.
    unsafe { out.set_len(x.len()) };
    out
}

compiled_for!("avx512f", fn normalize_avx512(rows: &mut [f32], params: (&[f32], &[f32]), eps: f32) = normalize);
compiled_for!("avx2,fma", fn normalize_avx2(rows: &mut [f32], params: (&[f32], &[f32]), eps: f32) = normalize);

/// Each row of `rows` normalized in place: straight-line loops, each of
/// which vectorizes.
#[inline(always)]
fn normalize(rows: &mut [f32], (weight, bias): (&[f32], &[f32]), eps: f32) {
    let h = weight.len();
    let n = h as f32;
    for y in rows.chunks_exact_mut(h) {
        let mean = lanes(y, 0.0, |a, b| a + b) / n;
        for v in y.iter_mut() {
            *v -= mean;
        }
        let var = sum_of_squares(y) / n;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, &w), &b) in y.iter_mut().zip(weight).zip(bias) {
            *v = *v * inv * w + b;
        }
    }
}

/// Σ v², in 16 independent lanes (which vectorizes), then across them.
#[inline(always)]
fn sum_of_squares(xs: &[f32]) -> f32 {
    let mut acc = [0f32; 16];
    let chunks = xs.chunks_exact(16);
    let tail: f32 = chunks.remainder().iter().map(|v| v * v).sum();
    for c in chunks {
        for i in 0..16 {
            acc[i] += c[i] * c[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::pseudo;

    /// Against the textbook formula in f64, for rows spread over several
    /// tasks, a width that is no multiple of the vector width, and rows
    /// far from zero (where E[y²] − E[y]² would cancel).
    #[test]
    fn fused_add_and_norm_equals_the_textbook_formula() {
        let (m, h, eps) = (70, 37, 1e-12f32);
        let x: Vec<f32> = pseudo(m * h, 1).iter().map(|v| v + 300.0).collect();
        let residual = pseudo(m * h, 2);
        let (weight, bias) = (pseudo(h, 3), pseudo(h, 4));
        let out = add_layer_norm(&x, &residual, (&weight, &bias), eps);
        for r in 0..m {
            let y: Vec<f64> = (0..h)
                .map(|i| x[r * h + i] as f64 + residual[r * h + i] as f64)
                .collect();
            let mean = y.iter().sum::<f64>() / h as f64;
            let var = y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / h as f64;
            for i in 0..h {
                let want =
                    (y[i] - mean) / (var + eps as f64).sqrt() * weight[i] as f64 + bias[i] as f64;
                let got = out[r * h + i] as f64;
                assert!((got - want).abs() < 2e-3, "row {r}, {i}: {got} vs {want}");
            }
        }
    }
}
