//! Attention with bf16 products on AMX tiles for 32-wide heads: one
//! `tdpbf16ps` multiplies 16 rows × 32 bf16 by 32 bf16 × 16 columns into
//! 16×16 f32 sums, so a block of 16 queries against 16 keys of one head is
//! one instruction. The softmax stays f32 in AVX-512 registers.
//!
//! Layouts, each a tile read in place (tiles are 16 rows × 64 bytes, see
//! [`crate::amx`]):
//! - queries: 16 rows of one head's 32 dimensions in bf16 (tile 0);
//! - kᵀ: for each pair p of dimensions, the pair of every key, a row of
//!   `tpad` words; 16 keys of 16 pairs are a tile (tiles 2, 3);
//! - scores: 16 rows of `tpad` f32, two 16×16 tiles at a time (tiles 4, 5);
//! - probabilities: 16 rows of `tpad` bf16; 32 keys are a tile (tile 0);
//! - v: for each pair m of keys, the pair of every dimension, 32 words; 16
//!   pairs × 16 dimensions are a tile (tiles 2, 3), the context's two
//!   halves are tiles 4 and 5.
//!
//! Keys are padded with zeros to a multiple of 32 (`tpad`): a padded key
//! scores 0, is left out of the softmax, and has probability 0.

use super::softmax_to_bf16;
use std::arch::asm;
use std::arch::x86_64::*;

const D: usize = 32;
const PAIRS: usize = D / 2;
/// Queries per block: one tile's rows.
const BLOCK: usize = 16;

/// One batch element, as [`super::attention_one`].
///
/// # Safety
/// The CPU has AVX-512 (F, BW), AVX512_BF16 and AMX-BF16, and the OS
/// granted the tiles ([`crate::cpu::Features::amx_bf16`]); heads are 32
/// wide; the slices are as [`super::attention`] describes.
#[target_feature(enable = "avx512f,avx512bw,avx512bf16")]
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
    assert!(k.len() >= t * width && v.len() >= t * width && bias.len() >= t);
    assert!(out.len() >= tq * width);
    let tpad = t.div_ceil(32) * 32;
    let mut b = Buffers {
        kt: vec![0u32; PAIRS * tpad],
        vp: vec![0u32; tpad / 2 * D],
        q: Aligned([0u16; BLOCK * D]),
        scores: vec![0f32; BLOCK * tpad],
        probs: vec![0u16; BLOCK * tpad],
        context: Aligned([0f32; BLOCK * D]),
    };
    crate::amx::configure();
    for h in 0..heads {
        pack_keys(k, width, h, t, tpad, &mut b.kt);
        pack_values(v, width, h, t, &mut b.vp);
        for i0 in (0..tq).step_by(BLOCK) {
            let rows = (tq - i0).min(BLOCK);
            pack_queries(&q[i0 * width..(i0 + rows) * width], width, h, &mut b.q.0);
            scores(&b.q.0, &b.kt, tpad, &mut b.scores);
            for r in 0..rows {
                let probs = &mut b.probs[r * tpad..(r + 1) * tpad];
                softmax_to_bf16(&mut b.scores[r * tpad..r * tpad + t], scale, bias, probs);
                probs[t.div_ceil(16) * 16..].fill(0);
            }
            context(&b.probs, &b.vp, tpad, &mut b.context.0);
            for r in 0..rows {
                out[(i0 + r) * width + h * D..][..D].copy_from_slice(&b.context.0[r * D..][..D]);
            }
        }
    }
    crate::amx::release();
}

#[repr(align(64))]
struct Aligned<T>(T);

/// One batch element's working memory (see the module's layouts).
struct Buffers {
    kt: Vec<u32>,
    vp: Vec<u32>,
    q: Aligned<[u16; BLOCK * D]>,
    scores: Vec<f32>,
    probs: Vec<u16>,
    context: Aligned<[f32; BLOCK * D]>,
}

/// 32 f32 at `x` as 32 bf16 in order (round to nearest even): 16 words,
/// word p holding elements 2p (low half) and 2p + 1.
#[inline(always)]
unsafe fn bf16_32(x: *const f32) -> __m512i {
    let (lo, hi) = (_mm512_loadu_ps(x), _mm512_loadu_ps(x.add(16)));
    std::mem::transmute::<__m512bh, __m512i>(_mm512_cvtne2ps_pbh(hi, lo))
}

/// kᵀ of head h in pairs: `kt[p·tpad + j]` = dimensions 2p, 2p + 1 of
/// key j (keys t.. stay 0).
#[inline(always)]
unsafe fn pack_keys(k: &[f32], width: usize, h: usize, t: usize, tpad: usize, kt: &mut [u32]) {
    debug_assert!(kt.len() >= PAIRS * tpad);
    let index = _mm512_mullo_epi32(
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
        _mm512_set1_epi32(tpad as i32),
    );
    for j in 0..t {
        let words = bf16_32(k.as_ptr().add(j * width + h * D));
        _mm512_i32scatter_epi32::<4>(kt.as_mut_ptr().add(j) as *mut _, index, words);
    }
}

/// v of head h in pairs of keys: `vp[m·32 + c]` = column c of keys 2m
/// (low half) and 2m + 1 (0 past the last key).
#[inline(always)]
unsafe fn pack_values(v: &[f32], width: usize, h: usize, t: usize, vp: &mut [u32]) {
    debug_assert!(vp.len() >= t.div_ceil(2) * D);
    // 16-bit lanes: first the 16 columns' pairs (c of a, c of b), then the next 16.
    let (mut low, mut high) = ([0u16; 32], [0u16; 32]);
    for c in 0..16 {
        low[2 * c] = c as u16;
        low[2 * c + 1] = 32 + c as u16;
        high[2 * c] = 16 + c as u16;
        high[2 * c + 1] = 48 + c as u16;
    }
    let (low, high) = (
        _mm512_loadu_si512(low.as_ptr() as *const _),
        _mm512_loadu_si512(high.as_ptr() as *const _),
    );
    for m in 0..t.div_ceil(2) {
        let a = bf16_32(v.as_ptr().add(2 * m * width + h * D));
        let b = if 2 * m + 1 < t {
            bf16_32(v.as_ptr().add((2 * m + 1) * width + h * D))
        } else {
            _mm512_setzero_si512()
        };
        let at = vp.as_mut_ptr().add(m * D) as *mut __m512i;
        _mm512_storeu_si512(at as *mut _, _mm512_permutex2var_epi16(a, low, b));
        _mm512_storeu_si512(at.add(1) as *mut _, _mm512_permutex2var_epi16(a, high, b));
    }
}

/// Up to 16 query rows of head h as bf16 rows of 32 (rows past the block
/// keep what they held: their results are never read).
#[inline(always)]
unsafe fn pack_queries(q: &[f32], width: usize, h: usize, dst: &mut [u16; BLOCK * D]) {
    for r in 0..q.len() / width {
        let words = bf16_32(q.as_ptr().add(r * width + h * D));
        _mm512_storeu_si512(dst.as_mut_ptr().add(r * D) as *mut _, words);
    }
}

/// `scores` (16 × tpad) = queries · kᵀ, 32 keys per step.
#[inline(always)]
unsafe fn scores(q: &[u16; BLOCK * D], kt: &[u32], tpad: usize, scores: &mut [f32]) {
    debug_assert!(kt.len() >= PAIRS * tpad && scores.len() >= BLOCK * tpad);
    asm!("tileloadd tmm0, [{q} + {stride}*1]", q = in(reg) q.as_ptr(), stride = in(reg) 64usize,
         options(nostack, readonly));
    for j0 in (0..tpad).step_by(32) {
        asm!(
            "tilezero tmm4",
            "tilezero tmm5",
            "tileloadd tmm2, [{k} + {k_stride}*1]",
            "tileloadd tmm3, [{k} + {k_stride}*1 + 64]",
            "tdpbf16ps tmm4, tmm0, tmm2",
            "tdpbf16ps tmm5, tmm0, tmm3",
            "tilestored [{s} + {s_stride}*1], tmm4",
            "tilestored [{s} + {s_stride}*1 + 64], tmm5",
            k = in(reg) kt.as_ptr().add(j0),
            k_stride = in(reg) tpad * 4,
            s = in(reg) scores.as_mut_ptr().add(j0),
            s_stride = in(reg) tpad * 4,
            options(nostack),
        );
    }
}

/// `context` (16 × 32) = probabilities (16 × tpad) · v, 32 keys per step.
#[inline(always)]
unsafe fn context(probs: &[u16], vp: &[u32], tpad: usize, context: &mut [f32; BLOCK * D]) {
    debug_assert!(probs.len() >= BLOCK * tpad && vp.len() >= tpad / 2 * D);
    asm!("tilezero tmm4", "tilezero tmm5", options(nostack, nomem));
    for m0 in (0..tpad).step_by(32) {
        asm!(
            "tileloadd tmm0, [{p} + {p_stride}*1]",
            "tileloadd tmm2, [{v} + {v_stride}*1]",
            "tileloadd tmm3, [{v} + {v_stride}*1 + 64]",
            "tdpbf16ps tmm4, tmm0, tmm2",
            "tdpbf16ps tmm5, tmm0, tmm3",
            p = in(reg) probs.as_ptr().add(m0),
            p_stride = in(reg) tpad * 2,
            v = in(reg) vp.as_ptr().add(m0 / 2 * D),
            v_stride = in(reg) D * 4,
            options(nostack, readonly),
        );
    }
    asm!(
        "tilestored [{c} + {stride}*1], tmm4",
        "tilestored [{c} + {stride}*1 + 64], tmm5",
        c = in(reg) context.as_mut_ptr(),
        stride = in(reg) D * 4,
        options(nostack),
    );
}
