//! CPU kernels of the inference path that candle computes with scalar
//! libm calls (the erf form of GELU), and [`for_each_chunk_mut`], which
//! runs our own parallel loops on candle's worker threads.
//!
//! Each kernel is written once as plain Rust the compiler can vectorize,
//! and compiled twice: for AVX-512 (chosen at run time when the CPU has it)
//! and for the baseline target.

/// Run `f(chunk_index, chunk)` over `chunk`-sized pieces of `data` on
/// candle's CPU thread pool. Our kernels share candle's threads rather
/// than rayon's: two pools on the same cores oversubscribe them, and
/// candle's idle workers spin while rayon's run.
pub fn for_each_chunk_mut<T: Send>(
    data: &mut [T],
    chunk: usize,
    f: impl Fn(usize, &mut [T]) + Sync,
) {
    struct Shared<T>(*mut T);
    // SAFETY: every task below touches a disjoint range of `data`.
    unsafe impl<T: Send> Sync for Shared<T> {}
    let (len, chunk) = (data.len(), chunk.max(1));
    let base = Shared(data.as_mut_ptr());
    let base = &base;
    candle_core::utils::barrier_pool().execute_chunked(len.div_ceil(chunk), |tasks| {
        for t in tasks {
            let start = t * chunk;
            let n = chunk.min(len - start);
            // SAFETY: [start, start + n) lies in `data` and no other task has it.
            let piece = unsafe { std::slice::from_raw_parts_mut(base.0.add(start), n) };
            f(t, piece);
        }
    });
}

/// GELU (erf form) in place: `x·½(1 + erf(x/√2))`. candle's `gelu_erf`
/// calls libm's scalar `erff` and was a tenth of inference time.
pub fn gelu_erf_in_place(xs: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx512f") {
        // SAFETY: AVX-512F was detected just above.
        unsafe { gelu_avx512(xs) };
        return;
    }
    gelu_body(xs);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn gelu_avx512(xs: &mut [f32]) {
    gelu_body(xs);
}

#[inline(always)]
fn gelu_body(xs: &mut [f32]) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chunk_is_visited_once_with_its_index() {
        let mut v = vec![0usize; 1003];
        for_each_chunk_mut(&mut v, 10, |t, c| {
            for x in c.iter_mut() {
                *x += t + 1;
            }
        });
        for (i, x) in v.iter().enumerate() {
            assert_eq!(*x, i / 10 + 1);
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
