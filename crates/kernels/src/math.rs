//! Element-wise functions the compiler vectorizes, in place of libm's
//! scalar calls: [`exp`] (for the softmax), [`erf`] and the erf form of
//! GELU ([`GeluErf`], [`gelu_erf_in_place`]).

use crate::parallel::{contiguous_f32, for_each_chunk_mut};
use candle_core::{CpuStorage, InplaceOp1, Layout, Result};

/// GELU (erf form) applied in place: `tensor.inplace_op1(&GeluErf)`.
pub struct GeluErf;

impl InplaceOp1 for GeluErf {
    fn name(&self) -> &'static str {
        "gelu-erf"
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> Result<()> {
        let xs = contiguous_f32(storage, layout, self.name())?;
        for_each_chunk_mut(xs, 1 << 14, |_, c| gelu_erf_in_place(c));
        Ok(())
    }
}

/// e^x for f32 from operations the compiler vectorizes: 2^n · e^r with
/// n = round(x·log2 e) and |r| ≤ ln2/2, e^r by Cephes' `expf` polynomial;
/// within 2e-7 relative. Inputs below −87 give ≈ 1e-38 rather than 0.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    exp_with::<false>(x)
}

/// [`exp`], with each `a·b + c` one fused multiply-add where `FMA` (for
/// code compiled with the FMA feature: half the instructions; without it
/// `mul_add` is a library call). Results may differ from [`exp`]'s in the
/// last bit.
#[inline(always)]
#[allow(clippy::excessive_precision)] // Cephes' coefficients as published
pub(crate) fn exp_with<const FMA: bool>(x: f32) -> f32 {
    let madd = |a: f32, b: f32, c: f32| if FMA { a.mul_add(b, c) } else { a * b + c };
    let x = x.clamp(-87.0, 88.0);
    let n = (x * std::f32::consts::LOG2_E).round_ties_even();
    let r = madd(n, 2.121_944_4e-4, madd(n, -0.693_359_375, x));
    let mut p = madd(1.987_569_15e-4, r, 1.398_199_950_7e-3);
    p = madd(p, r, 8.333_451_907_3e-3);
    p = madd(p, r, 4.166_579_589_4e-2);
    p = madd(p, r, 1.666_666_545_9e-1);
    p = madd(p, r, 5.000_000_120_1e-1);
    let e = madd(p * r, r, r) + 1.0;
    // 2^n from its bits. n + 127 is in [1, 254]; adding 2^23 puts it in the
    // low mantissa bits, a plain bit cast away (an `as i32` cast is a
    // saturating conversion, which the compiler does one lane at a time).
    let biased = (n + (127.0 + 8_388_608.0)).to_bits() - 0x4B00_0000;
    e * f32::from_bits(biased << 23)
}

/// GELU (erf form) in place: `x·½(1 + erf(x/√2))`. candle's `gelu_erf`
/// calls libm's scalar `erff` and was a tenth of inference time.
pub fn gelu_erf_in_place(xs: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        let f = crate::cpu::features();
        if f.avx512 {
            // SAFETY: AVX-512F was detected.
            unsafe { gelu_avx512(xs) };
            return;
        }
        if f.avx2 {
            // SAFETY: AVX2 and FMA were detected.
            unsafe { gelu_avx2(xs) };
            return;
        }
    }
    gelu_body(xs);
}

compiled_for!("avx2,fma", fn gelu_avx2(xs: &mut [f32]) = gelu_body);
compiled_for!("avx512f", fn gelu_avx512(xs: &mut [f32]) = gelu_body);

#[inline(always)]
pub(crate) fn gelu_body(xs: &mut [f32]) {
    for x in xs.iter_mut() {
        *x *= 0.5 * (1.0 + erf(*x * std::f32::consts::FRAC_1_SQRT_2));
    }
}

/// erf for f32: an odd/even rational approximation on [-4, 4] (outside it
/// erf is ±1 in f32), within about 1e-7 of the exact value.
#[inline(always)]
#[allow(clippy::excessive_precision)] // the coefficients as published (Eigen's fast erf)
pub fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = x2 * -2.726_142_2e-10 + 2.770_681_4e-8;
    p = x2 * p + -2.101_024e-6;
    p = x2 * p + -5.692_506_4e-5;
    p = x2 * p + -7.349_906e-4;
    p = x2 * p + -2.954_600_1e-3;
    p = x2 * p + -1.609_603_3e-2;
    let mut q = x2 * -1.456_607_2e-5 + -2.133_740_6e-4;
    q = x2 * q + -1.682_827e-3;
    q = x2 * q + -7.373_329e-3;
    q = x2 * q + -1.426_474e-2;
    x * p / q
}

/// Reduce `xs` with `f` in 16 independent lanes, then across them.
#[inline(always)]
pub(crate) fn lanes(xs: &[f32], init: f32, f: impl Fn(f32, f32) -> f32) -> f32 {
    let mut acc = [init; 16];
    let chunks = xs.chunks_exact(16);
    let tail = chunks.remainder();
    for c in chunks {
        for i in 0..16 {
            acc[i] = f(acc[i], c[i]);
        }
    }
    tail.iter().chain(&acc).fold(init, |a, &b| f(a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_matches_the_standard_library() {
        for i in -8700..=8800 {
            let x = i as f32 / 100.0;
            let want = x.exp();
            for got in [exp(x), exp_with::<true>(x)] {
                assert!(
                    ((got - want) / want).abs() < 1e-6,
                    "exp({x}) = {got}, std {want}"
                );
            }
        }
    }

    #[test]
    fn erf_matches_the_exact_function() {
        let mut worst = 0f64;
        for i in -6000..=6000 {
            let x = i as f64 / 1000.0;
            let got = erf(x as f32) as f64;
            worst = worst.max((got - libm_erf(x)).abs());
        }
        assert!(worst < 1e-6, "max |erf error| {worst}");
    }

    #[test]
    fn gelu_matches_candle_gelu_erf() {
        let xs: Vec<f32> = (-500..500).map(|i| i as f32 / 50.0).collect();
        let t = candle_core::Tensor::new(xs.as_slice(), &candle_core::Device::Cpu).unwrap();
        let want: Vec<f32> = t.gelu_erf().unwrap().to_vec1().unwrap();
        let mut got = xs.clone();
        gelu_erf_in_place(&mut got);
        for ((x, g), w) in xs.iter().zip(&got).zip(&want) {
            assert!((g - w).abs() < 2e-6, "gelu({x}) = {g}, candle {w}");
        }
    }

    /// erf in f64 by its Taylor series (|x| ≤ 3) or continued fraction.
    fn libm_erf(x: f64) -> f64 {
        if x.abs() > 3.0 {
            // erfc(x) ≈ e^{-x²}/(x√π)·(1 − 1/(2x²) + 3/(4x⁴)): < 1e-6 for |x| > 3.
            let a = x.abs();
            let c = (-a * a).exp() / (a * std::f64::consts::PI.sqrt())
                * (1.0 - 1.0 / (2.0 * a * a) + 3.0 / (4.0 * a.powi(4)));
            return x.signum() * (1.0 - c);
        }
        let (mut term, mut sum, mut n) = (x, x, 0.0);
        while term.abs() > 1e-17 {
            n += 1.0;
            term *= -x * x / n;
            sum += term / (2.0 * n + 1.0);
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    }
}
