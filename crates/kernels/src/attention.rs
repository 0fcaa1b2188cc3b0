//! Multi-head self-attention fused from the projections to the context:
//! scaled scores, the padding bias, a vectorized softmax and the weighted
//! sum of values, one batch element per task.

use crate::math::{exp_with, lanes};
use crate::parallel::for_each_chunk_mut;

/// Four passes of straight-line loops, each of which vectorizes: a loop
/// that both exponentiates and sums would not (float sums are not
/// reassociated), so the reductions keep 16 partial results. `FMA`: fused
/// multiply-adds in `exp` (only where compiled with the FMA feature).
#[inline(always)]
fn softmax_row_body<const FMA: bool>(row: &mut [f32], scale: f32, bias: &[f32]) {
    for (x, &b) in row.iter_mut().zip(bias) {
        *x = *x * scale + b;
    }
    // A plain compare: `f32::max`'s NaN rule costs a compare and a blend.
    let max = lanes(row, f32::MIN, |a, b| if a > b { a } else { b });
    // Below e^-80 (2e-35 of the largest term, which is 1) a term is 0: the
    // padding keys' e^-1e4 came out of `exp` as 1.6e-38, whose products
    // with the values are subnormal numbers, and each subnormal product
    // cost a microcode assist (a quarter of AVX2 labeling time).
    for x in row.iter_mut() {
        let y = *x - max;
        *x = if y < -80.0 { 0.0 } else { exp_with::<FMA>(y) };
    }
    let inv = 1.0 / lanes(row, 0.0, |a, b| a + b);
    for x in row.iter_mut() {
        *x *= inv;
    }
}

/// The softmax of one row of scores for the bf16 paths, straight to bf16
/// probabilities in `dst` (round to nearest even; zeros from `row.len()`
/// to a multiple of 16), in three passes of AVX-512: scale and bias in
/// base 2 with the running maximum; 2^x with the running sum; normalize
/// and convert. 2^x is 2^n · p(f) with n = round(x), |f| ≤ ½ and p a
/// degree-4 fit (relative error 2.6e-6, a thousandth of bf16's rounding),
/// scaled by `vscalefps`, which also takes a padded key's −1e4 to 0.
///
/// # Safety
/// The CPU has AVX-512F and AVX512_BF16; `bias` holds `row.len()` values
/// and `dst` at least `row.len()` rounded up to 16.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn softmax_to_bf16(row: &mut [f32], scale: f32, bias: &[f32], dst: &mut [u16]) {
    use std::arch::x86_64::*;
    const LOG2_E: f32 = std::f32::consts::LOG2_E;
    #[allow(clippy::excessive_precision)] // the fit's coefficients as computed
    const P: [f32; 5] = [
        0.999_999_263,
        0.693_121_862,
        0.240_247_448,
        0.055_917_496_4,
        0.009_569_961_44,
    ];
    let t = row.len();
    assert!(bias.len() >= t && dst.len() >= t.div_ceil(16) * 16);
    let (s, b) = (row.as_mut_ptr(), bias.as_ptr());
    let (c, log2e) = (_mm512_set1_ps(scale * LOG2_E), _mm512_set1_ps(LOG2_E));
    let mut top = _mm512_set1_ps(f32::MIN);
    let mut j = 0;
    while j < t {
        let m = keys_mask(t - j);
        let x = _mm512_fmadd_ps(
            _mm512_maskz_loadu_ps(m, s.add(j)),
            c,
            _mm512_mul_ps(_mm512_maskz_loadu_ps(m, b.add(j)), log2e),
        );
        _mm512_mask_storeu_ps(s.add(j), m, x);
        top = _mm512_mask_max_ps(top, m, top, x);
        j += 16;
    }
    let max = _mm512_set1_ps(_mm512_reduce_max_ps(top));
    let mut sums = _mm512_setzero_ps();
    let mut j = 0;
    while j < t {
        let m = keys_mask(t - j);
        let x = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, s.add(j)), max);
        let n = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(x);
        let f = _mm512_sub_ps(x, n);
        let mut p = _mm512_set1_ps(P[4]);
        for &k in P[..4].iter().rev() {
            p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(k));
        }
        let e = _mm512_maskz_scalef_ps(m, p, n);
        _mm512_mask_storeu_ps(s.add(j), m, e);
        sums = _mm512_add_ps(sums, e);
        j += 16;
    }
    let inv = _mm512_set1_ps(1.0 / _mm512_reduce_add_ps(sums));
    let mut j = 0;
    while j < t {
        let p = _mm512_mul_ps(_mm512_maskz_loadu_ps(keys_mask(t - j), s.add(j)), inv);
        let h = std::mem::transmute::<__m256bh, __m256i>(_mm512_cvtneps_pbh(p));
        _mm256_storeu_si256(dst.as_mut_ptr().add(j) as *mut __m256i, h);
        j += 16;
    }
}

/// Multi-head self-attention on the CPU, straight from the projections:
/// `q` is (batch, tq, heads·d) and `k`, `v` (batch, t, heads·d) row-major
/// (the queries are the first tq positions, often all t), `bias`
/// (batch × t) is the additive padding mask, and `out` (batch, tq, heads·d)
/// receives `softmax(q·kᵀ/√d + bias)·v` per head. One task per batch element on
/// candle's threads: candle's batched matmul runs these small products on
/// one thread, and the head split/merge transposes cost copies.
///
/// With `bf16`, where [`bf16_available`] and heads are 32 wide (MiniLM's),
/// the two products take bf16 inputs (`vdpbf16ps`, twice the f32
/// multiply-add rate) and sum in f32; the softmax stays f32. Otherwise, and
/// always without `bf16`, everything is f32.
#[allow(clippy::too_many_arguments)]
pub fn attention(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    bias: &[f32],
    (b, tq, t, heads): (usize, usize, usize, usize),
    bf16: bool,
    out: &mut [f32],
) {
    let width = k.len() / (b * t).max(1);
    let d = width / heads.max(1);
    let scale = 1.0 / (d as f32).sqrt();
    let features = crate::cpu::features();
    let bf16 = bf16 && bf16_attention(d);
    for_each_chunk_mut(out, tq * width, |bi, out| {
        let (at, atq) = (bi * t * width, bi * tq * width);
        let (q, k, v) = (
            &q[atq..atq + tq * width],
            &k[at..at + t * width],
            &v[at..at + t * width],
        );
        let bias = &bias[bi * t..(bi + 1) * t];
        #[cfg(target_arch = "x86_64")]
        if bf16 && features.amx_bf16 {
            // SAFETY: AVX-512, AVX512_BF16 and granted AMX-BF16 tiles
            // (bf16_attention); d is 32.
            unsafe { amx::attention_one(q, k, v, bias, (t, heads), scale, out) };
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if bf16 {
            // SAFETY: AVX-512F and AVX512_BF16 were detected; d is 32.
            unsafe { bf16::attention_one(q, k, v, bias, (t, heads), scale, out) };
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if features.avx512 {
            // SAFETY: AVX-512F was detected.
            unsafe { attention_one_avx512(q, k, v, bias, (t, heads, d), scale, out) };
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if features.avx2 {
            // SAFETY: AVX2 and FMA were detected.
            unsafe { attention_one_avx2(q, k, v, bias, (t, heads, d), scale, out) };
            return;
        }
        attention_one::<false>(q, k, v, bias, (t, heads, d), scale, out);
    });
}

/// Whether [`attention`] asked for bf16 runs its products in bf16 for
/// heads `head_dim` wide here (32-wide heads, a CPU with AVX512_BF16).
pub fn bf16_attention(head_dim: usize) -> bool {
    head_dim == 32 && bf16_available()
}

/// Whether this CPU has the bf16 dot product (AVX-512 and AVX512_BF16;
/// on AMX-BF16 tiles too where it has them), within `POLICYLENS_CPU`'s cap.
pub fn bf16_available() -> bool {
    crate::cpu::features().avx512_bf16
}

compiled_for!("avx512f,fma", fn attention_one_avx512(
    q: &[f32], k: &[f32], v: &[f32], bias: &[f32], dims: (usize, usize, usize), scale: f32, out: &mut [f32],
) = attention_one::<true>);
compiled_for!("avx2,fma", fn attention_one_avx2(
    q: &[f32], k: &[f32], v: &[f32], bias: &[f32], dims: (usize, usize, usize), scale: f32, out: &mut [f32],
) = attention_one::<true>);

/// One batch element: for each head, kᵀ is laid out once (d × t) so every
/// inner loop runs along contiguous memory. `FMA`: as [`softmax_row_body`].
#[inline(always)]
fn attention_one<const FMA: bool>(
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
        transpose_head(k, (width, h * d, d), &mut kt);
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
            for s in scores[..rows * t].chunks_mut(t) {
                softmax_row_body::<FMA>(s, scale, bias);
            }
            let out = &mut out[i * width..(i + rows) * width];
            weighted_sums(&scores[..rows * t], v, width, h * d, d, out);
            i += rows;
        }
    }
}

/// `kt` (d × t) = columns `at..at + d` of `k` (t rows of `width`),
/// transposed: one head's keys, laid out key by key along each dimension.
#[inline(always)]
fn transpose_head(k: &[f32], (width, at, d): (usize, usize, usize), kt: &mut [f32]) {
    let t = kt.len() / d.max(1);
    assert!(kt.len() == d * t && at + d <= width && k.len() >= t * width);
    #[cfg(target_arch = "x86_64")]
    if d.is_multiple_of(8) && crate::cpu::features().avx2 {
        let whole = t - t % 8;
        // SAFETY: AVX2 detected; blocks stay within the asserted bounds.
        unsafe { transpose_blocks_avx2(k, (width, at, d), t, whole, kt) };
        transpose_scalar(k, (width, at, d), t, whole, kt);
        return;
    }
    transpose_scalar(k, (width, at, d), t, 0, kt);
}

/// [`transpose_head`] for keys `from..t`, one element at a time.
#[inline(always)]
fn transpose_scalar(
    k: &[f32],
    (width, at, d): (usize, usize, usize),
    t: usize,
    from: usize,
    kt: &mut [f32],
) {
    for (j, row) in k.chunks_exact(width).enumerate().take(t).skip(from) {
        for (dd, &x) in row[at..at + d].iter().enumerate() {
            kt[dd * t + j] = x;
        }
    }
}

/// [`transpose_head`] for keys `0..whole` (a multiple of 8, d a multiple
/// of 8) in 8 × 8 blocks: 8 row loads, 24 shuffles, 8 stores.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn transpose_blocks_avx2(
    k: &[f32],
    (width, at, d): (usize, usize, usize),
    t: usize,
    whole: usize,
    kt: &mut [f32],
) {
    use std::arch::x86_64::*;
    let (src, dst) = (k.as_ptr().add(at), kt.as_mut_ptr());
    for j0 in (0..whole).step_by(8) {
        for d0 in (0..d).step_by(8) {
            let r: [__m256; 8] =
                std::array::from_fn(|i| _mm256_loadu_ps(src.add((j0 + i) * width + d0)));
            let lo = |a, b| _mm256_unpacklo_ps(a, b);
            let hi = |a, b| _mm256_unpackhi_ps(a, b);
            let u = [
                lo(r[0], r[1]),
                hi(r[0], r[1]),
                lo(r[2], r[3]),
                hi(r[2], r[3]),
                lo(r[4], r[5]),
                hi(r[4], r[5]),
                lo(r[6], r[7]),
                hi(r[6], r[7]),
            ];
            let s = [
                _mm256_shuffle_ps::<0x44>(u[0], u[2]),
                _mm256_shuffle_ps::<0xEE>(u[0], u[2]),
                _mm256_shuffle_ps::<0x44>(u[1], u[3]),
                _mm256_shuffle_ps::<0xEE>(u[1], u[3]),
                _mm256_shuffle_ps::<0x44>(u[4], u[6]),
                _mm256_shuffle_ps::<0xEE>(u[4], u[6]),
                _mm256_shuffle_ps::<0x44>(u[5], u[7]),
                _mm256_shuffle_ps::<0xEE>(u[5], u[7]),
            ];
            for c in 0..4 {
                let (a, b) = (s[c], s[c + 4]);
                _mm256_storeu_ps(
                    dst.add((d0 + c) * t + j0),
                    _mm256_permute2f128_ps::<0x20>(a, b),
                );
                _mm256_storeu_ps(
                    dst.add((d0 + c + 4) * t + j0),
                    _mm256_permute2f128_ps::<0x31>(a, b),
                );
            }
        }
    }
}

/// Query rows scored together (they share every load of kᵀ).
const ROWS: usize = 8;

/// `f::<R>(args)` for R = `rows` in 1..=[`ROWS`] (0 runs R = 1).
macro_rules! by_rows {
    ($rows:expr, $f:ident($($arg:expr),*)) => {
        match $rows {
            8 => $f::<8>($($arg),*),
            7 => $f::<7>($($arg),*),
            6 => $f::<6>($($arg),*),
            5 => $f::<5>($($arg),*),
            4 => $f::<4>($($arg),*),
            3 => $f::<3>($($arg),*),
            2 => $f::<2>($($arg),*),
            _ => $f::<1>($($arg),*),
        }
    };
}

/// `out[r·t + j] = Σdd q[r][dd]·kt[dd·t + j]` for up to [`ROWS`] query rows.
#[inline(always)]
fn qk_scores(q: &[&[f32]], kt: &[f32], t: usize, out: &mut [f32]) {
    let d = q[0].len();
    assert!(kt.len() >= d * t && out.len() >= q.len() * t && q.iter().all(|r| r.len() == d));
    #[cfg(target_arch = "x86_64")]
    if crate::cpu::features().avx512 {
        // SAFETY: AVX-512F detected; the assert bounds every access.
        unsafe { by_rows!(q.len(), qk_avx512(q, kt, t, out)) }
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if crate::cpu::features().avx2 {
        // SAFETY: AVX2 and FMA detected; the assert bounds every access.
        unsafe { by_rows!(q.len(), qk_avx2(q, kt, t, out)) }
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

/// The lanes of a block of 16 keys that exist when `left` keys remain.
#[inline(always)]
fn keys_mask(left: usize) -> u16 {
    if left >= 16 {
        0xFFFF
    } else {
        (1u16 << left) - 1
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
        let m = keys_mask(t - j);
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

/// [`qk_scores`] with AVX2: 8 keys at a time, R accumulators in
/// registers, each load of kᵀ used R times; the last keys masked.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn qk_avx2<const R: usize>(q: &[&[f32]], kt: &[f32], t: usize, out: &mut [f32]) {
    use std::arch::x86_64::*;
    let d = q[0].len();
    let lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    let mut j = 0;
    while j < t {
        // Lanes below the keys left: all ones.
        let m = _mm256_cmpgt_epi32(_mm256_set1_epi32((t - j).min(8) as i32), lane);
        let mut acc = [_mm256_setzero_ps(); R];
        for dd in 0..d {
            let kv = _mm256_maskload_ps(kt.as_ptr().add(dd * t + j), m);
            for r in 0..R {
                let qv = _mm256_set1_ps(*q[r].get_unchecked(dd));
                acc[r] = _mm256_fmadd_ps(qv, kv, acc[r]);
            }
        }
        for (r, a) in acc.iter().enumerate() {
            _mm256_maskstore_ps(out.as_mut_ptr().add(r * t + j), m, *a);
        }
        j += 8;
    }
}

/// For each row r of `p` (rows × t): `out[r·width + at ..][..d] =
/// Σj p[r][j]·v[j·width + at ..][..d]` (one head's context for up to
/// [`ROWS`] query rows).
#[inline(always)]
fn weighted_sums(p: &[f32], v: &[f32], width: usize, at: usize, d: usize, out: &mut [f32]) {
    let rows = out.len() / width;
    let t = p.len() / rows.max(1);
    assert!(p.len() == rows * t && rows <= ROWS && at + d <= width);
    assert!(t == 0 || v.len() >= (t - 1) * width + at + d);
    #[cfg(target_arch = "x86_64")]
    if d == 32 && crate::cpu::features().avx512 {
        // SAFETY: AVX-512F detected; the asserts bound every read and write.
        unsafe { by_rows!(rows, weighted_sums_32_avx512(p, t, v, width, at, out)) }
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if d == 32 && crate::cpu::features().avx2 {
        // SAFETY: AVX2 and FMA detected; the asserts bound every read and write.
        unsafe {
            for r0 in (0..rows).step_by(2) {
                let (p, out) = (&p[r0 * t..], &mut out[r0 * width..]);
                if r0 + 2 <= rows {
                    weighted_sums_32_avx2::<2>(p, t, v, width, at, out);
                } else {
                    weighted_sums_32_avx2::<1>(p, t, v, width, at, out);
                }
            }
        }
        return;
    }
    for (r, pr) in p.chunks(t.max(1)).enumerate() {
        let ctx = &mut out[r * width + at..r * width + at + d];
        ctx.fill(0.0);
        for (j, &pj) in pr.iter().enumerate() {
            let row = &v[j * width + at..j * width + at + d];
            for (c, &x) in ctx.iter_mut().zip(row) {
                *c += pj * x;
            }
        }
    }
}

/// [`weighted_sums`] for 32-wide heads (MiniLM's) and R query rows: the R
/// sums stay in 2·R registers and each row of `v` (two loads) serves all R
/// query rows, so the loop is bound by multiply-adds, not by loads.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn weighted_sums_32_avx512<const R: usize>(
    p: &[f32],
    t: usize,
    v: &[f32],
    width: usize,
    at: usize,
    out: &mut [f32],
) {
    use std::arch::x86_64::*;
    let base = v.as_ptr().add(at);
    let mut acc = [[_mm512_setzero_ps(); 2]; R];
    for j in 0..t {
        let row = base.add(j * width);
        let (v0, v1) = (_mm512_loadu_ps(row), _mm512_loadu_ps(row.add(16)));
        for (r, acc) in acc.iter_mut().enumerate() {
            let pj = _mm512_set1_ps(*p.get_unchecked(r * t + j));
            acc[0] = _mm512_fmadd_ps(pj, v0, acc[0]);
            acc[1] = _mm512_fmadd_ps(pj, v1, acc[1]);
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        let ctx = out.as_mut_ptr().add(r * width + at);
        _mm512_storeu_ps(ctx, acc[0]);
        _mm512_storeu_ps(ctx.add(16), acc[1]);
    }
}

/// [`weighted_sums`] for 32-wide heads and R ≤ 2 query rows with AVX2:
/// 4·R sums and 4 loads of each row of `v` fill the 16 registers.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn weighted_sums_32_avx2<const R: usize>(
    p: &[f32],
    t: usize,
    v: &[f32],
    width: usize,
    at: usize,
    out: &mut [f32],
) {
    use std::arch::x86_64::*;
    let base = v.as_ptr().add(at);
    let mut acc = [[_mm256_setzero_ps(); 4]; R];
    for j in 0..t {
        let row = base.add(j * width);
        let vs = [0, 8, 16, 24].map(|c| _mm256_loadu_ps(row.add(c)));
        for (r, acc) in acc.iter_mut().enumerate() {
            let pj = _mm256_set1_ps(*p.get_unchecked(r * t + j));
            for (a, &x) in acc.iter_mut().zip(&vs) {
                *a = _mm256_fmadd_ps(pj, x, *a);
            }
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        let ctx = out.as_mut_ptr().add(r * width + at);
        for (c, a) in acc.iter().enumerate() {
            _mm256_storeu_ps(ctx.add(8 * c), *a);
        }
    }
}

/// bf16 products with `vdpbf16ps` (AVX512_BF16), 32-wide heads.
#[cfg(target_arch = "x86_64")]
mod bf16;

/// bf16 products on AMX tiles (`tdpbf16ps`), 32-wide heads.
#[cfg(target_arch = "x86_64")]
mod amx;

#[cfg(test)]
mod tests {
    use super::*;

    /// The AVX2 products (taken only under `POLICYLENS_CPU=avx2` on a CPU
    /// with AVX-512) against plain sums: 19 keys, two blocks of 8 and a
    /// masked tail; 3 query rows, then 2 and 1 for the weighted sums.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_products_equal_plain_sums() {
        if !crate::cpu::detected().avx2 {
            eprintln!("this CPU lacks AVX2: its attention products were not checked");
            return;
        }
        let (t, d, width, at) = (19, 32, 96, 32);
        let q = crate::testing::pseudo(3 * d, 4);
        let kt = crate::testing::pseudo(d * t, 5);
        let rows: Vec<&[f32]> = q.chunks(d).collect();
        let mut got = vec![0f32; 3 * t];
        // SAFETY: AVX2 and FMA detected; sizes as the kernel expects.
        unsafe { qk_avx2::<3>(&rows, &kt, t, &mut got) };
        for r in 0..3 {
            for j in 0..t {
                let want: f32 = (0..d).map(|dd| q[r * d + dd] * kt[dd * t + j]).sum();
                assert!((got[r * t + j] - want).abs() < 1e-4, "score {r},{j}");
            }
        }
        let p = crate::testing::pseudo(2 * t, 6);
        let v = crate::testing::pseudo(t * width, 7);
        for rows in [1, 2] {
            let mut out = vec![0f32; rows * width];
            // SAFETY: as above.
            unsafe {
                match rows {
                    2 => weighted_sums_32_avx2::<2>(&p, t, &v, width, at, &mut out),
                    _ => weighted_sums_32_avx2::<1>(&p, t, &v, width, at, &mut out),
                }
            }
            for r in 0..rows {
                for c in 0..d {
                    let want: f32 = (0..t).map(|j| p[r * t + j] * v[j * width + at + c]).sum();
                    assert!(
                        (out[r * width + at + c] - want).abs() < 1e-4,
                        "context {r},{c}"
                    );
                }
            }
        }
    }

    /// One head's keys transposed: 8 × 8 blocks with AVX2 where the CPU
    /// has it, and the keys past the last whole block, for widths that are
    /// and are not multiples of 8.
    #[test]
    fn a_head_transposes_at_any_length() {
        for (t, d, width, at) in [
            (19, 32, 96, 32),
            (16, 8, 24, 16),
            (5, 32, 64, 0),
            (9, 12, 36, 24),
        ] {
            let k = crate::testing::pseudo(t * width, 8);
            let mut kt = vec![f32::NAN; d * t];
            transpose_head(&k, (width, at, d), &mut kt);
            for j in 0..t {
                for dd in 0..d {
                    assert_eq!(
                        kt[dd * t + j],
                        k[j * width + at + dd],
                        "t {t} d {d}: key {j}, dim {dd}"
                    );
                }
            }
        }
    }

    /// The two bf16 paths (AMX tiles and `vdpbf16ps`) round the same
    /// inputs to bf16 and sum in f32, so they differ by summation order
    /// only; each is close to the f32 result. Query blocks of 16 with a
    /// partial last block, keys padded to 32, and queries fewer than keys.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn amx_and_vector_bf16_attention_agree() {
        let f = crate::cpu::features();
        if !(f.amx_bf16 && f.avx512_bf16) {
            eprintln!("this CPU lacks AMX-BF16 or AVX512_BF16: the bf16 paths were not compared");
            return;
        }
        let heads = 3;
        let width = heads * 32;
        for (tq, t) in [(37, 37), (5, 50), (16, 16), (1, 1)] {
            let q = crate::testing::pseudo(tq * width, 1);
            let (k, v) = (
                crate::testing::pseudo(t * width, 2),
                crate::testing::pseudo(t * width, 3),
            );
            let mut bias = vec![0f32; t];
            if t > 2 {
                bias[t - 1] = -1e4; // the last key is padding
            }
            let scale = 1.0 / 32f32.sqrt();
            let (mut tiles, mut vector, mut exact) = (
                vec![0f32; tq * width],
                vec![0f32; tq * width],
                vec![0f32; tq * width],
            );
            // SAFETY: the features were checked above; heads are 32 wide.
            unsafe {
                amx::attention_one(&q, &k, &v, &bias, (t, heads), scale, &mut tiles);
                bf16::attention_one(&q, &k, &v, &bias, (t, heads), scale, &mut vector);
            }
            attention_one::<false>(&q, &k, &v, &bias, (t, heads, 32), scale, &mut exact);
            for ((a, b), e) in tiles.iter().zip(&vector).zip(&exact) {
                assert!(
                    (a - b).abs() < 1e-4,
                    "tq {tq} t {t}: AMX {a} vs vdpbf16ps {b}"
                );
                assert!((a - e).abs() < 2e-2, "tq {tq} t {t}: AMX {a} vs f32 {e}");
            }
            assert_ne!(tiles, exact, "products were not rounded to bf16");
        }
    }

    #[test]
    fn fused_attention_equals_the_textbook_computation() {
        // 32-wide heads take the AVX-512 path where there is one.
        // 11 positions: 8 query rows, then 3, keys in one masked block of
        // 16, an odd count of bf16 key pairs; 37: several blocks of each.
        for (heads, d, t) in [(3, 4, 11), (2, 32, 11), (2, 32, 37)] {
            fused_attention_case(heads, d, t);
        }
    }

    fn fused_attention_case(heads: usize, d: usize, t: usize) {
        use candle_core::{Device, Tensor, D};
        let b = 2;
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
        let all_queries = |bf16: bool| {
            let mut out = vec![0f32; b * t * w];
            let (q, k, v) = (flat(&q), flat(&k), flat(&v));
            attention(&q, &k, &v, &bias, (b, t, t, heads), bf16, &mut out);
            out
        };
        let got = all_queries(false);
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-5, "{g} vs {w}");
        }
        // bf16 products: close to the textbook where this CPU has them and
        // heads are 32 wide; exactly the f32 result elsewhere.
        let half = all_queries(true);
        if d == 32 && bf16_available() {
            for (g, w) in half.iter().zip(&want) {
                assert!((g - w).abs() < 2e-2, "bf16: {g} vs {w}");
            }
            assert_ne!(half, got, "the bf16 path did not run");
        } else {
            if d == 32 {
                eprintln!("this CPU lacks AVX512_BF16: bf16 attention was not checked");
            }
            assert_eq!(half, got);
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
            false,
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
}
