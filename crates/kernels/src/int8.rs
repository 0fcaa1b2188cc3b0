//! Int8 linear layers for CPU inference: weights quantized per output
//! channel, activations per row at run time, products summed in i32.
//!
//! `y = x·Wᵀ + b` becomes, for row m and output channel n,
//! `y[m,n] = sw[n]·(sa[m]·Σk qa[m,k]·qw[n,k] + lo[m]·Σk qw[n,k]) + b[n]`,
//! where `qw = round(W/sw)` in [-127, 127] with `sw[n] = max|W[n,:]|/127`
//! (symmetric per output channel), and `qa = round((x − lo)/sa)` in
//! [0, 255] with `lo[m] = min x[m,:]`, `sa[m] = (max − min)/255`
//! (asymmetric per row: all 256 levels cover the row's range, which matters
//! for one-sided inputs such as GELU outputs, and unsigned, which is what
//! the VNNI instruction takes on that side).
//!
//! The inner product runs on AVX-512 VNNI (`vpdpbusd`: 64 byte products
//! per instruction) when the CPU has it, detected at run time, and on a
//! portable scalar loop otherwise; both give the same integers. Rows are
//! spread over candle's CPU threads.

use std::mem::MaybeUninit;

use candle_core::{CpuStorage, CustomOp1, DType, Layout, Result, Shape, Tensor};

/// Columns per packed panel (two 16-lane i32 vectors).
const NR: usize = 32;
/// Rows per micro-kernel call.
const MR: usize = 8;
/// Rows per parallel task.
const ROWS_PER_TASK: usize = 64;

/// A linear layer with int8 weights.
#[derive(Debug, Clone)]
pub struct QLinear {
    /// Input features (padded to a multiple of 4 in `packed`).
    k: usize,
    /// Output features.
    n: usize,
    kp: usize,
    /// Panels of `NR` columns: for each group of 4 k, `NR` × 4 bytes.
    packed: Vec<i8>,
    /// Per output channel: weight scale, Σk qw, bias.
    scale: Vec<f32>,
    colsum: Vec<i32>,
    bias: Vec<f32>,
}

impl QLinear {
    /// Quantize `weight` (n, k) and `bias` (n).
    pub fn new(weight: &Tensor, bias: Option<&Tensor>) -> Result<Self> {
        let (n, k) = weight.dims2()?;
        let weight = weight.to_dtype(DType::F32)?.contiguous()?;
        let (storage, layout) = weight.storage_and_layout();
        let w = crate::parallel::cpu_f32(&storage, layout)?;
        let bias = match bias {
            Some(b) => b.to_dtype(DType::F32)?.to_vec1()?,
            None => vec![0.0; n],
        };
        let scale: Vec<f32> = w
            .chunks(k.max(1))
            .map(|row| {
                let max = row.iter().fold(0f32, |m, v| m.max(v.abs()));
                if max > 0.0 {
                    max / 127.0
                } else {
                    1.0
                }
            })
            .collect();
        // Quantize rows in parallel (model loading quantizes 21M weights),
        // then scatter them into the kernel's panel layout.
        let mut q = vec![0i8; n * k];
        crate::parallel::for_each_chunk_mut(&mut q, k.max(1), |j, out| {
            let inv = 1.0 / scale[j];
            for (o, &v) in out.iter_mut().zip(&w[j * k..(j + 1) * k]) {
                let x = (v * inv).clamp(-127.0, 127.0);
                *o = (x + 0.5f32.copysign(x)) as i8; // half away from zero
            }
        });
        let kp = k.div_ceil(4) * 4;
        let np = n.div_ceil(NR) * NR;
        let mut packed = vec![0i8; np * kp];
        let mut colsum = vec![0i32; n];
        for (j, row) in q.chunks(k.max(1)).enumerate() {
            colsum[j] = row.iter().map(|&v| v as i32).sum();
            let (panel, lane) = (j / NR, j % NR);
            let base = panel * kp * NR + lane * 4;
            for (g, four) in row.chunks(4).enumerate() {
                let at = base + g * NR * 4;
                packed[at..at + four.len()].copy_from_slice(four);
            }
        }
        Ok(Self {
            k,
            n,
            kp,
            packed,
            scale,
            colsum,
            bias,
        })
    }

    pub fn in_features(&self) -> usize {
        self.k
    }

    pub fn out_features(&self) -> usize {
        self.n
    }

    /// `x` (..., k) → (..., n), in f32, on the CPU; the input is read in
    /// place (a custom op) rather than copied out of the tensor.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let k = x.dims().last().copied().unwrap_or(0);
        if k != self.k {
            candle_core::bail!("int8 linear expects {} input features, got {k}", self.k)
        }
        if !x.device().is_cpu() {
            candle_core::bail!("int8 linear layers run on the CPU only")
        }
        x.to_dtype(DType::F32)?.contiguous()?.apply_op1_no_bwd(self)
    }

    fn run(&self, xs: &[f32], shape: &Shape) -> Result<(Vec<f32>, Shape)> {
        let m = xs.len() / self.k.max(1);
        // Not zero-filled first: every element is written below, and the
        // widest layer's output is tens of MB per batch.
        let mut out: Vec<f32> = Vec::with_capacity(m * self.n);
        self.matmul(xs, &mut out.spare_capacity_mut()[..m * self.n]);
        // SAFETY: `matmul` wrote all m·n elements.
        unsafe { out.set_len(m * self.n) };
        let mut dims = shape.dims().to_vec();
        *dims.last_mut().expect("rank ≥ 1") = self.n;
        Ok((out, Shape::from(dims)))
    }

    /// Write `out` (m, n) = dequantized int8 product of `x` (m, k) with the weights.
    fn matmul(&self, x: &[f32], out: &mut [MaybeUninit<f32>]) {
        let use_vnni = vnni_available();
        crate::parallel::for_each_chunk_mut(out, ROWS_PER_TASK * self.n, |t, out| {
            let x = &x[t * ROWS_PER_TASK * self.k..][..out.len() / self.n * self.k];
            let rows = x.len() / self.k.max(1);
            let (qa, sa, lo) = self.quantize_rows(x, rows);
            let mut acc = vec![0i32; rows.div_ceil(MR) * MR * self.n.div_ceil(NR) * NR];
            self.integer_product(&qa, rows, &mut acc, use_vnni);
            let np = self.n.div_ceil(NR) * NR;
            for (r, out) in out.chunks_mut(self.n).enumerate() {
                dequantize_row(&acc[r * np..], sa[r], lo[r], self, out);
            }
        });
    }

    /// Rows padded to a multiple of `MR`, each `kp` bytes (padding 0,
    /// against zero weights), with each row's scale and offset.
    fn quantize_rows(&self, x: &[f32], rows: usize) -> (Vec<u8>, Vec<f32>, Vec<f32>) {
        let padded = rows.div_ceil(MR) * MR;
        let mut qa = vec![0u8; padded * self.kp];
        let (mut sa, mut lo) = (vec![0f32; rows], vec![0f32; rows]);
        for r in 0..rows {
            let row = &x[r * self.k..(r + 1) * self.k];
            (sa[r], lo[r]) = quantize_row(row, &mut qa[r * self.kp..r * self.kp + self.k]);
        }
        (qa, sa, lo)
    }

    /// `acc` (padded rows, padded n) = Σk qa·qw.
    fn integer_product(&self, qa: &[u8], rows: usize, acc: &mut [i32], use_vnni: bool) {
        let np = self.n.div_ceil(NR) * NR;
        let padded = rows.div_ceil(MR) * MR;
        for panel in 0..np / NR {
            let b = &self.packed[panel * self.kp * NR..(panel + 1) * self.kp * NR];
            for r0 in (0..padded).step_by(MR) {
                let a = &qa[r0 * self.kp..(r0 + MR) * self.kp];
                let c = &mut acc[r0 * np + panel * NR..];
                if use_vnni {
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: VNNI and AVX-512F were detected at run time;
                    // `a` holds MR rows of kp bytes, `b` kp/4 groups of NR×4
                    // bytes, and `c` reaches MR rows of stride np.
                    unsafe {
                        vnni::kernel(a, b, c, self.kp, np)
                    };
                } else {
                    scalar_kernel(a, b, c, self.kp, np);
                }
            }
        }
    }
}

impl CustomOp1 for QLinear {
    fn name(&self) -> &'static str {
        "int8-linear"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (start, end) = layout.contiguous_offsets().ok_or_else(|| {
            candle_core::Error::Msg("int8 linear needs a contiguous input".into())
        })?;
        let xs = &storage.as_slice::<f32>()?[start..end];
        let (out, shape) = self.run(xs, layout.shape())?;
        Ok((CpuStorage::F32(out), shape))
    }
}

/// Quantize one row into `q` (asymmetric, 256 levels); returns (scale, offset).
fn quantize_row(row: &[f32], q: &mut [u8]) -> (f32, f32) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx512f") {
        // SAFETY: AVX-512F was detected just above.
        return unsafe { vnni::quantize_row(row, q) };
    }
    let (mut min, mut max) = (f32::MAX, f32::MIN);
    for &v in row {
        min = min.min(v);
        max = max.max(v);
    }
    let s = if max > min { (max - min) / 255.0 } else { 1.0 };
    let inv = 1.0 / s;
    for (q, &v) in q.iter_mut().zip(row) {
        *q = ((v - min) * inv).round_ties_even() as u8;
    }
    (s, min)
}

/// One output row: `out[j] = scale[j]·(sa·acc[j] + lo·colsum[j]) + bias[j]`.
#[inline(always)]
fn dequantize_row(acc: &[i32], sa: f32, lo: f32, w: &QLinear, out: &mut [MaybeUninit<f32>]) {
    for ((((o, &a), &c), &s), &b) in out
        .iter_mut()
        .zip(acc)
        .zip(&w.colsum)
        .zip(&w.scale)
        .zip(&w.bias)
    {
        o.write(s * (sa * a as f32 + lo * c as f32) + b);
    }
}

/// The portable micro-kernel: the same sums as the VNNI one.
fn scalar_kernel(a: &[u8], b: &[i8], c: &mut [i32], kp: usize, np: usize) {
    for r in 0..MR {
        let row = &a[r * kp..(r + 1) * kp];
        for lane in 0..NR {
            let mut s = 0i32;
            for g in 0..kp / 4 {
                for q in 0..4 {
                    s += row[g * 4 + q] as i32 * b[g * NR * 4 + lane * 4 + q] as i32;
                }
            }
            c[r * np + lane] = s;
        }
    }
}

/// Whether the int8 kernels run on AVX-512 VNNI here.
pub fn vnni_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx512vnni") && std::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(target_arch = "x86_64")]
mod vnni {
    use super::{MR, NR};
    use std::arch::x86_64::*;

    /// [`super::quantize_row`] with AVX-512: 16 lanes of min/max, then
    /// round, saturate to u8 and store 16 bytes at a time.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn quantize_row(row: &[f32], q: &mut [u8]) -> (f32, f32) {
        let n = row.len();
        let p = row.as_ptr();
        let (mut vmin, mut vmax) = (_mm512_set1_ps(f32::MAX), _mm512_set1_ps(f32::MIN));
        let mut i = 0;
        while i + 16 <= n {
            let v = _mm512_loadu_ps(p.add(i));
            vmin = _mm512_min_ps(vmin, v);
            vmax = _mm512_max_ps(vmax, v);
            i += 16;
        }
        let (mut min, mut max) = (_mm512_reduce_min_ps(vmin), _mm512_reduce_max_ps(vmax));
        for &v in &row[i..] {
            min = min.min(v);
            max = max.max(v);
        }
        let s = if max > min { (max - min) / 255.0 } else { 1.0 };
        let inv = 1.0 / s;
        let (vlo, vinv) = (_mm512_set1_ps(min), _mm512_set1_ps(inv));
        let mut i = 0;
        while i + 16 <= n {
            let v = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(p.add(i)), vlo), vinv);
            let ints = _mm512_cvtps_epi32(v); // round to nearest even
            _mm_storeu_si128(
                q.as_mut_ptr().add(i) as *mut _,
                _mm512_cvtusepi32_epi8(ints),
            );
            i += 16;
        }
        for (q, &v) in q[i..n].iter_mut().zip(&row[i..]) {
            *q = ((v - min) * inv).round_ties_even() as u8;
        }
        (s, min)
    }

    /// MR rows × NR columns of `Σ a·b`, written to `c` (row stride `np`).
    #[target_feature(enable = "avx512f,avx512vnni")]
    pub unsafe fn kernel(a: &[u8], b: &[i8], c: &mut [i32], kp: usize, np: usize) {
        let mut acc = [[_mm512_setzero_si512(); 2]; MR];
        let (ap, bp) = (a.as_ptr(), b.as_ptr());
        for g in 0..kp / 4 {
            let b0 = _mm512_loadu_si512(bp.add(g * NR * 4) as *const _);
            let b1 = _mm512_loadu_si512(bp.add(g * NR * 4 + 64) as *const _);
            for (r, acc) in acc.iter_mut().enumerate() {
                let four = (ap.add(r * kp + g * 4) as *const i32).read_unaligned();
                let av = _mm512_set1_epi32(four);
                acc[0] = _mm512_dpbusd_epi32(acc[0], av, b0);
                acc[1] = _mm512_dpbusd_epi32(acc[1], av, b1);
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            let out = c.as_mut_ptr().add(r * np);
            _mm512_storeu_si512(out as *mut _, acc[0]);
            _mm512_storeu_si512(out.add(16) as *mut _, acc[1]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn pseudo(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (s >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn int8_product_is_close_to_f32_and_kernels_agree_exactly() {
        // Odd sizes: rows not a multiple of MR, columns not of NR, k not of 4.
        let (m, k, n) = (77, 45, 50);
        let w = Tensor::from_vec(pseudo(n * k, 1), (n, k), &Device::Cpu).unwrap();
        let b = Tensor::from_vec(pseudo(n, 2), n, &Device::Cpu).unwrap();
        let x = Tensor::from_vec(pseudo(m * k, 3), (m, k), &Device::Cpu).unwrap();
        let q = QLinear::new(&w, Some(&b)).unwrap();
        let exact: Vec<Vec<f32>> = x
            .matmul(&w.t().unwrap())
            .unwrap()
            .broadcast_add(&b)
            .unwrap()
            .to_vec2()
            .unwrap();
        let got: Vec<Vec<f32>> = q.forward(&x).unwrap().to_vec2().unwrap();
        for (e, g) in exact.iter().flatten().zip(got.iter().flatten()) {
            // Two 8-bit roundings of values in [-1, 1] over 45 terms.
            assert!((e - g).abs() < 0.05, "{e} vs {g}");
        }
        // The scalar and the VNNI kernels give the same integers.
        let xs: Vec<f32> = x.flatten_all().unwrap().to_vec1().unwrap();
        let (qa, _, _) = q.quantize_rows(&xs[..MR * k], MR);
        let np = n.div_ceil(NR) * NR;
        let mut scalar = vec![0i32; MR * np];
        q.integer_product(&qa, MR, &mut scalar, false);
        if vnni_available() {
            let mut fast = vec![0i32; MR * np];
            q.integer_product(&qa, MR, &mut fast, true);
            assert_eq!(scalar, fast);
        } else {
            eprintln!("no AVX-512 VNNI here: only the scalar kernel was checked");
        }
    }

    #[test]
    fn three_dimensional_inputs_keep_their_leading_shape() {
        let w = Tensor::from_vec(pseudo(8 * 6, 4), (8, 6), &Device::Cpu).unwrap();
        let x = Tensor::from_vec(pseudo(2 * 3 * 6, 5), (2, 3, 6), &Device::Cpu).unwrap();
        let q = QLinear::new(&w, None).unwrap();
        assert_eq!(q.forward(&x).unwrap().dims(), &[2, 3, 8]);
    }
}
