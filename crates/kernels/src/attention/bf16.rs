//! Attention with bf16 products for 32-wide heads. `vdpbf16ps` multiplies
//! pairs of bf16 and adds both products to one f32 lane, so each operand is
//! laid out in pairs along the summed dimension: kᵀ as 16 pairs of
//! dimensions per key, v as pairs of keys per column, q and the
//! probabilities as pairs broadcast from one 32-bit word.

use super::{softmax_to_bf16, ROWS};
use std::arch::x86_64::*;

const D: usize = 32;
const PAIRS: usize = D / 2;

/// Round to the nearest bf16, ties to even (finite inputs).
#[inline(always)]
fn bf16(x: f32) -> u32 {
    let u = x.to_bits();
    (u + 0x7FFF + ((u >> 16) & 1)) >> 16
}

/// Two bf16 in one word: `a` in the low half (the first of the pair).
#[inline(always)]
fn pair(a: f32, b: f32) -> u32 {
    bf16(a) | (bf16(b) << 16)
}

#[inline(always)]
unsafe fn dot(acc: __m512, a: __m512i, b: __m512i) -> __m512 {
    _mm512_dpbf16_ps(
        acc,
        std::mem::transmute::<__m512i, __m512bh>(a),
        std::mem::transmute::<__m512i, __m512bh>(b),
    )
}

/// One batch element, as [`super::attention_one`].
#[target_feature(enable = "avx512f,avx512bf16")]
pub unsafe fn attention_one(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    bias: &[f32],
    (t, heads): (usize, usize),
    scale: f32,
    out: &mut [f32],
) {
    let width = heads * D;
    let tq = q.len() / width.max(1);
    let tp = t.div_ceil(2);
    let mut kt = vec![0u32; PAIRS * t]; // dimension pair p of key j at p·t + j
    let mut vp = vec![0u32; tp * D]; // keys 2m, 2m+1 of column c at m·D + c
    let mut scratch = Scratch {
        scores: vec![0f32; ROWS * t],
        probs: vec![0u16; ROWS * probs_stride(t)],
    };
    for h in 0..heads {
        for j in 0..t {
            let row = &k[j * width + h * D..][..D];
            for p in 0..PAIRS {
                kt[p * t + j] = pair(row[2 * p], row[2 * p + 1]);
            }
        }
        for m in 0..tp {
            let first = &v[2 * m * width + h * D..][..D];
            for c in 0..D {
                let second = if 2 * m + 1 < t {
                    v[(2 * m + 1) * width + h * D + c]
                } else {
                    0.0
                };
                vp[m * D + c] = pair(first[c], second);
            }
        }
        let head = Head {
            kt: &kt,
            vp: &vp,
            bias,
            t,
            width,
            h,
            scale,
        };
        let mut i = 0;
        while i < tq {
            let rows = (tq - i).min(ROWS);
            let q = &q[i * width..(i + rows) * width];
            let (scratch, out) = (&mut scratch, &mut out[i * width..(i + rows) * width]);
            by_rows!(rows, block(&head, q, scratch, out));
            i += rows;
        }
    }
}

/// One head of one batch element, in bf16 pairs.
struct Head<'a> {
    kt: &'a [u32],
    vp: &'a [u32],
    bias: &'a [f32],
    t: usize,
    width: usize,
    h: usize,
    scale: f32,
}

/// Per-block buffers: R rows of scores, and of probabilities in bf16 (in
/// order, so word m of a row is the pair of keys 2m and 2m + 1).
struct Scratch {
    scores: Vec<f32>,
    probs: Vec<u16>,
}

/// bf16 probabilities per row: the keys rounded up to 16.
fn probs_stride(t: usize) -> usize {
    t.div_ceil(16) * 16
}

/// R query rows of head h: scores against every key (each load of kᵀ
/// serves the R rows), softmax in f32, then the context (each load of
/// v serves the R rows).
#[target_feature(enable = "avx512f,avx512bf16")]
unsafe fn block<const R: usize>(head: &Head, q: &[f32], scratch: &mut Scratch, out: &mut [f32]) {
    let Head {
        kt,
        vp,
        bias,
        t,
        width,
        h,
        scale,
    } = *head;
    let Scratch { scores, probs } = scratch;
    let tp = t.div_ceil(2);
    assert!(q.len() >= R * width && out.len() >= R * width && kt.len() >= PAIRS * t);
    let stride = probs_stride(t);
    assert!(vp.len() >= tp * D && scores.len() >= R * t && probs.len() >= R * stride);
    let mut qp = [[0i32; PAIRS]; R];
    for (r, qp) in qp.iter_mut().enumerate() {
        let row = &q[r * width + h * D..][..D];
        for (p, w) in qp.iter_mut().enumerate() {
            *w = pair(row[2 * p], row[2 * p + 1]) as i32;
        }
    }
    let mut j = 0;
    while j < t {
        let m = super::keys_mask(t - j);
        let mut acc = [_mm512_setzero_ps(); R];
        #[allow(clippy::needless_range_loop)] // p indexes kᵀ's rows and each qp row alike
        for p in 0..PAIRS {
            let kv = _mm512_maskz_loadu_epi32(m, kt.as_ptr().add(p * t + j) as *const i32);
            for r in 0..R {
                acc[r] = dot(acc[r], _mm512_set1_epi32(qp[r][p]), kv);
            }
        }
        for (r, a) in acc.iter().enumerate() {
            _mm512_mask_storeu_ps(scores.as_mut_ptr().add(r * t + j), m, *a);
        }
        j += 16;
    }
    for r in 0..R {
        let s = &mut scores[r * t..(r + 1) * t];
        softmax_to_bf16(s, scale, bias, &mut probs[r * stride..(r + 1) * stride]);
    }
    let probs = probs.as_ptr() as *const i32; // pairs of keys
    let mut acc = [[_mm512_setzero_ps(); 2]; R];
    for mm in 0..tp {
        let row = vp.as_ptr().add(mm * D) as *const __m512i;
        let (v0, v1) = (_mm512_loadu_si512(row), _mm512_loadu_si512(row.add(1)));
        for (r, acc) in acc.iter_mut().enumerate() {
            let pb = _mm512_set1_epi32(*probs.add(r * stride / 2 + mm));
            acc[0] = dot(acc[0], pb, v0);
            acc[1] = dot(acc[1], pb, v1);
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        let ctx = out.as_mut_ptr().add(r * width + h * D);
        _mm512_storeu_ps(ctx, acc[0]);
        _mm512_storeu_ps(ctx.add(16), acc[1]);
    }
}
