//! CPU kernels of the inference path where candle uses scalar libm calls,
//! several allocating passes or one thread: the erf form of GELU applied
//! in place ([`GeluErf`]), multi-head self-attention fused from the
//! projections to the context ([`attention`]), and [`for_each_chunk_mut`],
//! which runs our parallel loops on candle's worker threads.
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

use candle_core::{CpuStorage, InplaceOp1, Layout, Result, Storage};

/// The f32 elements of a contiguous CPU tensor's storage, borrowed.
pub fn cpu_f32<'a>(storage: &'a Storage, layout: &Layout) -> Result<&'a [f32]> {
    match (storage, layout.contiguous_offsets()) {
        (Storage::Cpu(cpu), Some((start, end))) => Ok(&cpu.as_slice()?[start..end]),
        _ => candle_core::bail!("expected a contiguous f32 CPU tensor"),
    }
}

/// The f32 elements of a contiguous CPU tensor, for writing in place.
fn contiguous_f32<'a>(
    storage: &'a mut CpuStorage,
    layout: &Layout,
    op: &str,
) -> Result<&'a mut [f32]> {
    let (start, end) = layout
        .contiguous_offsets()
        .ok_or_else(|| candle_core::Error::Msg(format!("{op} needs a contiguous tensor")))?;
    match storage {
        CpuStorage::F32(v) => Ok(&mut v[start..end]),
        _ => candle_core::bail!("{op} needs f32"),
    }
}

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

/// Four passes of straight-line loops, each of which vectorizes: a loop
/// that both exponentiates and sums would not (float sums are not
/// reassociated), so the reductions keep 16 partial results.
#[inline(always)]
fn softmax_row_body(row: &mut [f32], scale: f32, bias: &[f32]) {
    for (x, &b) in row.iter_mut().zip(bias) {
        *x = *x * scale + b;
    }
    let max = lanes(row, f32::MIN, f32::max);
    for x in row.iter_mut() {
        *x = exp(*x - max);
    }
    let inv = 1.0 / lanes(row, 0.0, |a, b| a + b);
    for x in row.iter_mut() {
        *x *= inv;
    }
}

/// Reduce `xs` with `f` in 16 independent lanes, then across them.
#[inline(always)]
fn lanes(xs: &[f32], init: f32, f: impl Fn(f32, f32) -> f32) -> f32 {
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

/// Multi-head self-attention on the CPU, straight from the projections:
/// `q` is (batch, tq, heads·d) and `k`, `v` (batch, t, heads·d) row-major
/// (the queries are the first tq positions, often all t), `bias`
/// (batch × t) is the additive padding mask, and `out` (batch, tq, heads·d)
/// receives `softmax(q·kᵀ/√d + bias)·v` per head. One task per batch element on
/// candle's threads: candle's batched matmul runs these small products on
/// one thread, and the head split/merge transposes cost copies.
#[allow(clippy::too_many_arguments)]
pub fn attention(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    bias: &[f32],
    (b, tq, t, heads): (usize, usize, usize, usize),
    out: &mut [f32],
) {
    let width = k.len() / (b * t).max(1);
    let d = width / heads.max(1);
    let scale = 1.0 / (d as f32).sqrt();
    for_each_chunk_mut(out, tq * width, |bi, out| {
        let (at, atq) = (bi * t * width, bi * tq * width);
        let (q, k, v) = (
            &q[atq..atq + tq * width],
            &k[at..at + t * width],
            &v[at..at + t * width],
        );
        let bias = &bias[bi * t..(bi + 1) * t];
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx512f") {
            // SAFETY: AVX-512F was detected just above.
            unsafe { attention_one_avx512(q, k, v, bias, (t, heads, d), scale, out) };
            return;
        }
        attention_one(q, k, v, bias, (t, heads, d), scale, out);
    });
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn attention_one_avx512(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    bias: &[f32],
    dims: (usize, usize, usize),
    scale: f32,
    out: &mut [f32],
) {
    attention_one(q, k, v, bias, dims, scale, out);
}

/// One batch element: for each head, kᵀ is laid out once (d × t) so every
/// inner loop runs along contiguous memory.
#[inline(always)]
fn attention_one(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    bias: &[f32],
    (t, heads, d): (usize, usize, usize),
    scale: f32,
    out: &mut [f32],
) {
    let width = heads * d;
    let tq = q.len() / width.max(1); // query rows: the first tq positions
    let mut kt = vec![0f32; d * t];
    let mut scores = vec![0f32; ROWS * t];
    for h in 0..heads {
        for j in 0..t {
            for dd in 0..d {
                kt[dd * t + j] = k[j * width + h * d + dd];
            }
        }
        let q_row = |i: usize| &q[i * width + h * d..i * width + (h + 1) * d];
        let mut i = 0;
        while i < tq {
            let rows = (tq - i).min(ROWS);
            qk_scores(
                &(i..i + rows).map(q_row).collect::<Vec<_>>(),
                &kt,
                t,
                &mut scores[..rows * t],
            );
            for (r, s) in scores[..rows * t].chunks_mut(t).enumerate() {
                softmax_row_body(s, scale, bias);
                let at = (i + r) * width + h * d;
                weighted_sum(s, v, width, h * d, &mut out[at..at + d]);
            }
            i += rows;
        }
    }
}

/// Query rows scored together (they share every load of kᵀ).
const ROWS: usize = 8;

/// `out[r·t + j] = Σdd q[r][dd]·kt[dd·t + j]` for up to [`ROWS`] query rows.
#[inline(always)]
fn qk_scores(q: &[&[f32]], kt: &[f32], t: usize, out: &mut [f32]) {
    let d = q[0].len();
    assert!(kt.len() >= d * t && out.len() >= q.len() * t && q.iter().all(|r| r.len() == d));
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx512f") {
        // SAFETY: AVX-512F detected; the assert bounds every access.
        unsafe {
            match q.len() {
                8 => qk_avx512::<8>(q, kt, t, out),
                7 => qk_avx512::<7>(q, kt, t, out),
                6 => qk_avx512::<6>(q, kt, t, out),
                5 => qk_avx512::<5>(q, kt, t, out),
                4 => qk_avx512::<4>(q, kt, t, out),
                3 => qk_avx512::<3>(q, kt, t, out),
                2 => qk_avx512::<2>(q, kt, t, out),
                _ => qk_avx512::<1>(q, kt, t, out),
            }
        }
        return;
    }
    out.fill(0.0);
    for (r, qr) in q.iter().enumerate() {
        for (dd, &qv) in qr.iter().enumerate() {
            for (s, &kv) in out[r * t..(r + 1) * t]
                .iter_mut()
                .zip(&kt[dd * t..(dd + 1) * t])
            {
                *s += qv * kv;
            }
        }
    }
}

/// [`qk_scores`] for R rows: 16 keys at a time, R accumulators in
/// registers, each load of kᵀ used R times; the last keys masked.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn qk_avx512<const R: usize>(q: &[&[f32]], kt: &[f32], t: usize, out: &mut [f32]) {
    use std::arch::x86_64::*;
    let d = q[0].len();
    let mut j = 0;
    while j < t {
        let m: __mmask16 = if t - j >= 16 {
            0xFFFF
        } else {
            (1u16 << (t - j)) - 1
        };
        let mut acc = [_mm512_setzero_ps(); R];
        for dd in 0..d {
            let kv = _mm512_maskz_loadu_ps(m, kt.as_ptr().add(dd * t + j));
            for r in 0..R {
                let qv = _mm512_set1_ps(*q[r].get_unchecked(dd));
                acc[r] = _mm512_fmadd_ps(qv, kv, acc[r]);
            }
        }
        for (r, a) in acc.iter().enumerate() {
            _mm512_mask_storeu_ps(out.as_mut_ptr().add(r * t + j), m, *a);
        }
        j += 16;
    }
}

/// `ctx = Σj p[j]·v[j·width + at ..][..d]`.
#[inline(always)]
fn weighted_sum(p: &[f32], v: &[f32], width: usize, at: usize, ctx: &mut [f32]) {
    let d = ctx.len();
    assert!(p.is_empty() || v.len() >= (p.len() - 1) * width + at + d);
    #[cfg(target_arch = "x86_64")]
    if d == 32 && std::is_x86_feature_detected!("avx512f") {
        // SAFETY: AVX-512F detected; the assert bounds every row read.
        unsafe { weighted_sum_32_avx512(p, v, width, at, ctx) };
        return;
    }
    ctx.fill(0.0);
    for (j, &pj) in p.iter().enumerate() {
        let row = &v[j * width + at..j * width + at + d];
        for (c, &x) in ctx.iter_mut().zip(row) {
            *c += pj * x;
        }
    }
}

/// [`weighted_sum`] for 32-wide heads (MiniLM's): the sum stays in four
/// registers, two rows of `v` per step so consecutive rows do not wait on
/// each other's additions.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn weighted_sum_32_avx512(p: &[f32], v: &[f32], width: usize, at: usize, ctx: &mut [f32]) {
    use std::arch::x86_64::*;
    let base = v.as_ptr().add(at);
    let (mut a0, mut a1) = (_mm512_setzero_ps(), _mm512_setzero_ps());
    let (mut b0, mut b1) = (_mm512_setzero_ps(), _mm512_setzero_ps());
    let mut j = 0;
    while j + 1 < p.len() {
        let (r0, r1) = (base.add(j * width), base.add((j + 1) * width));
        let (p0, p1) = (_mm512_set1_ps(p[j]), _mm512_set1_ps(p[j + 1]));
        a0 = _mm512_fmadd_ps(p0, _mm512_loadu_ps(r0), a0);
        a1 = _mm512_fmadd_ps(p0, _mm512_loadu_ps(r0.add(16)), a1);
        b0 = _mm512_fmadd_ps(p1, _mm512_loadu_ps(r1), b0);
        b1 = _mm512_fmadd_ps(p1, _mm512_loadu_ps(r1.add(16)), b1);
        j += 2;
    }
    if j < p.len() {
        let (r, pj) = (base.add(j * width), _mm512_set1_ps(p[j]));
        a0 = _mm512_fmadd_ps(pj, _mm512_loadu_ps(r), a0);
        a1 = _mm512_fmadd_ps(pj, _mm512_loadu_ps(r.add(16)), a1);
    }
    _mm512_storeu_ps(ctx.as_mut_ptr(), _mm512_add_ps(a0, b0));
    _mm512_storeu_ps(ctx.as_mut_ptr().add(16), _mm512_add_ps(a1, b1));
}

/// e^x for f32 from operations the compiler vectorizes: 2^n · e^r with
/// n = round(x·log2 e) and |r| ≤ ln2/2, e^r by Cephes' `expf` polynomial;
/// within 2e-7 relative. Inputs below −87 give ≈ 1e-38 rather than 0.
#[inline(always)]
#[allow(clippy::excessive_precision)] // Cephes' coefficients as published
pub fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    let n = (x * std::f32::consts::LOG2_E).round_ties_even();
    let r = x - n * 0.693_359_375 - n * -2.121_944_4e-4;
    let mut p = 1.987_569_15e-4 * r + 1.398_199_950_7e-3;
    p = p * r + 8.333_451_907_3e-3;
    p = p * r + 4.166_579_589_4e-2;
    p = p * r + 1.666_666_545_9e-1;
    p = p * r + 5.000_000_120_1e-1;
    let e = p * r * r + r + 1.0;
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
    fn exp_matches_the_standard_library() {
        for i in -8700..=8800 {
            let x = i as f32 / 100.0;
            let (got, want) = (exp(x), x.exp());
            assert!(
                ((got - want) / want).abs() < 1e-6,
                "exp({x}) = {got}, std {want}"
            );
        }
    }

    #[test]
    fn fused_attention_equals_the_textbook_computation() {
        // 32-wide heads take the AVX-512 path where there is one.
        for (heads, d) in [(3, 4), (2, 32)] {
            fused_attention_case(heads, d);
        }
    }

    fn fused_attention_case(heads: usize, d: usize) {
        use candle_core::{Device, Tensor, D};
        let (b, t) = (2, 11); // 8 query rows, then 3
        let w = heads * d;
        let make = |seed: f64| {
            Tensor::arange(0f32, (b * t * w) as f32, &Device::Cpu)
                .unwrap()
                .affine(0.13 * seed, seed)
                .unwrap()
                .sin()
                .unwrap()
                .reshape((b, t, w))
                .unwrap()
        };
        let (q, k, v) = (make(1.0), make(2.0), make(3.0));
        let mut bias = vec![0f32; b * t];
        bias[t + t - 2] = -1e4; // batch 1: the last two positions are padding
        bias[t + t - 1] = -1e4;
        let heads_first = |x: &Tensor| {
            x.reshape((b, t, heads, d))
                .unwrap()
                .transpose(1, 2)
                .unwrap()
                .contiguous()
                .unwrap()
        };
        let (qh, kh, vh) = (heads_first(&q), heads_first(&k), heads_first(&v));
        let bias_t = Tensor::new(bias.as_slice(), &Device::Cpu)
            .unwrap()
            .reshape((b, 1, 1, t))
            .unwrap();
        let scores = (qh.matmul(&kh.t().unwrap()).unwrap() / (d as f64).sqrt())
            .unwrap()
            .broadcast_add(&bias_t)
            .unwrap();
        let want: Vec<f32> = candle_nn::ops::softmax(&scores, D::Minus1)
            .unwrap()
            .matmul(&vh)
            .unwrap()
            .transpose(1, 2)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let flat = |x: &Tensor| x.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let mut got = vec![0f32; b * t * w];
        attention(
            &flat(&q),
            &flat(&k),
            &flat(&v),
            &bias,
            (b, t, t, heads),
            &mut got,
        );
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-5, "{g} vs {w}");
        }
        // Queries for the first 3 positions only: the same rows.
        let q3: Vec<f32> = flat(&q.narrow(1, 0, 3).unwrap().contiguous().unwrap());
        let mut first = vec![0f32; b * 3 * w];
        attention(
            &q3,
            &flat(&k),
            &flat(&v),
            &bias,
            (b, 3, t, heads),
            &mut first,
        );
        for bi in 0..b {
            for (g, w) in first[bi * 3 * w..(bi + 1) * 3 * w]
                .iter()
                .zip(&got[bi * t * w..bi * t * w + 3 * w])
            {
                assert!((g - w).abs() < 1e-6, "{g} vs {w}");
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
