//! Int8 linear layers for CPU inference: weights quantized per output
//! channel, activations per row at run time, products summed in i32.
//!
//! `y = x·Wᵀ + b` becomes, for row m and output channel n,
//! `y[m,n] = sw[n]·(sa[m]·Σk qa[m,k]·qw[n,k] + lo[m]·Σk qw[n,k]) + b[n]`,
//! where `qw = round(W/sw)` in [-127, 127] with `sw[n] = max|W[n,:]|/127`
//! (symmetric per output channel; 7 bits for the AVX2 kernel, below), and `qa = round((x − lo)/sa)` in
//! [0, 255] with `lo[m] = min x[m,:]`, `sa[m] = (max − min)/255`
//! (asymmetric per row: all 256 levels cover the row's range, which matters
//! for one-sided inputs such as GELU outputs, and unsigned, which is what
//! the VNNI instruction takes on that side).
//!
//! The inner product runs on the best of five kernels the CPU has, chosen
//! once at run time ([`Int8Kernel`]): AMX (`tdpbusd` on 16×64-byte tiles,
//! 16,384 products per instruction, Linux only: the tile state must be
//! granted by the kernel), AVX-512 VNNI (`vpdpbusd` on zmm, 64
//! byte products per instruction), AVX-VNNI (the VEX `vpdpbusd` on ymm,
//! 32), AVX2 (`vpmaddubsw`, two groups' i16 sums added, then `vpmaddwd`
//! against ones: 64 per five instructions), or a portable scalar loop.
//! `vpmaddubsw` adds two u8·i8 products in a saturating i16, and two of
//! its results are added before widening, exact only while
//! 4·|qa|·|qw| ≤ 32,767, so for the AVX2 kernel activations and weights
//! are quantized to 7 bits (`qa` in [0, 127]; `qw` in [-63, 63],
//! `sw[n] = max|W[n,:]|/63`, as ONNX Runtime's "reduce range" does on CPUs
//! without VNNI). Every kernel gives the scalar loop's integers for the
//! same quantized activations and weights. `POLICYLENS_INT8_KERNEL` forces one (for
//! tests and benchmarks); [`int8_kernel`] names the one in use, and a layer
//! keeps the kernel it was quantized for. Rows are spread over candle's CPU
//! threads.

use std::mem::MaybeUninit;
use std::sync::OnceLock;

use candle_core::{CpuStorage, CustomOp1, DType, Layout, Result, Shape, Tensor};

/// Columns per packed panel (two 16-lane i32 vectors).
const NR: usize = 32;
/// Rows per micro-kernel call.
const MR: usize = 8;
/// Rows are padded to a multiple of this (AMX tiles hold 16 rows; a
/// multiple of `MR`).
const ROW_ALIGN: usize = 16;
/// Rows per parallel task.
const ROWS_PER_TASK: usize = 64;

/// Each thread's quantized activations and integer sums, kept between
/// calls: allocating them per task zeroed fresh pages (a tenth of int8
/// inference time went to `memset` and the kernel's page clearing).
#[derive(Default)]
struct Scratch {
    qa: Vec<u8>,
    acc: Vec<i32>,
    /// A feed-forward block's hidden rows ([`ffn_rows`]).
    hidden: Vec<f32>,
}

impl Scratch {
    /// `qa` and `acc` of these lengths (contents unspecified).
    fn take(&mut self, qa: usize, acc: usize) -> (&mut [u8], &mut [i32]) {
        if self.qa.len() < qa {
            self.qa.resize(qa, 0);
        }
        if self.acc.len() < acc {
            self.acc.resize(acc, 0);
        }
        (&mut self.qa[..qa], &mut self.acc[..acc])
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// A linear layer with int8 weights.
#[derive(Debug, Clone)]
pub struct QLinear {
    /// Input features (padded to `kp`, a multiple of the kernel's
    /// [`Int8Kernel::k_align`], in `packed` and in quantized rows).
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
    /// The kernel the weights were quantized for (their range is its
    /// [`Int8Kernel::weight_max`]), which every product of this layer uses.
    kernel: Int8Kernel,
}

impl QLinear {
    /// Quantize `weight` (n, k) and `bias` (n) for the kernel this process
    /// uses ([`selected_kernel`]).
    pub fn new(weight: &Tensor, bias: Option<&Tensor>) -> Result<Self> {
        Self::for_kernel(weight, bias, selected_kernel())
    }

    /// Quantize `weight` (n, k) and `bias` (n) to `kernel`'s weight range;
    /// the layer's products run on `kernel` (which the CPU must have).
    pub fn for_kernel(weight: &Tensor, bias: Option<&Tensor>, kernel: Int8Kernel) -> Result<Self> {
        let (n, k) = weight.dims2()?;
        let qmax = kernel.weight_max() as f32;
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
                    max / qmax
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
                let x = (v * inv).clamp(-qmax, qmax);
                *o = (x + 0.5f32.copysign(x)) as i8; // half away from zero
            }
        });
        let kp = k.div_ceil(kernel.k_align()) * kernel.k_align();
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
            kernel,
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
        self.apply(x)
    }

    /// A feed-forward block, `second(GELU(self(x)))` (GELU in its erf
    /// form), one task's rows at a time: each task's hidden rows get GELU as
    /// they are dequantized and are quantized again for `second` while in
    /// cache, so the (rows, 4·hidden) activations never go to memory whole.
    /// Equals `second.forward` of GELU of [`Self::forward`], to the bit.
    pub fn forward_ffn(&self, second: &QLinear, x: &Tensor) -> Result<Tensor> {
        if second.k != self.n || second.kernel != self.kernel {
            candle_core::bail!(
                "a feed-forward block needs {} inputs and the {} kernel in its second layer",
                self.n,
                self.kernel
            )
        }
        let x = self.checked_input(x)?;
        let (storage, layout) = x.storage_and_layout();
        let xs = crate::parallel::cpu_f32(&storage, layout)?;
        let m = xs.len() / self.k.max(1);
        let mut out: Vec<f32> = Vec::with_capacity(m * second.n);
        let rows_out = ROWS_PER_TASK * second.n;
        crate::parallel::for_each_chunk_mut(
            &mut out.spare_capacity_mut()[..m * second.n],
            rows_out,
            |t, out| {
                let rows = out.len() / second.n;
                let x = &xs[t * ROWS_PER_TASK * self.k..][..rows * self.k];
                ffn_rows(self, second, x, out);
            },
        );
        // SAFETY: every task wrote all its rows.
        unsafe { out.set_len(m * second.n) };
        let mut dims = x.dims().to_vec();
        *dims.last_mut().expect("rank ≥ 1") = second.n;
        Tensor::from_vec(out, dims, x.device())
    }

    /// Several layers over the same input (attention's query, key and
    /// value projections), each row quantized once for all of them: the
    /// outputs equal each layer's [`Self::forward`]. The layers must share
    /// their input width and kernel.
    pub fn forward_shared<const L: usize>(
        layers: [&QLinear; L],
        x: &Tensor,
    ) -> Result<[Tensor; L]> {
        let first = layers[0];
        if layers
            .iter()
            .any(|l| l.k != first.k || l.kp != first.kp || l.kernel != first.kernel)
        {
            candle_core::bail!("layers sharing an input need the same width and kernel")
        }
        let x = first.checked_input(x)?;
        let k = first.k;
        let (storage, layout) = x.storage_and_layout();
        let xs = crate::parallel::cpu_f32(&storage, layout)?;
        let m = xs.len() / k.max(1);
        let mut outs: [Vec<f32>; L] = std::array::from_fn(|l| Vec::with_capacity(m * layers[l].n));
        #[derive(Clone, Copy)]
        struct Out(*mut MaybeUninit<f32>, usize);
        // SAFETY: each task below writes a disjoint range of rows of each output.
        unsafe impl Sync for Out {}
        let ptrs: [Out; L] =
            std::array::from_fn(|l| Out(outs[l].spare_capacity_mut().as_mut_ptr(), layers[l].n));
        let mut tasks = vec![(); m.div_ceil(ROWS_PER_TASK)];
        crate::parallel::for_each_chunk_mut(&mut tasks, 1, |t, _| {
            let r0 = t * ROWS_PER_TASK;
            let rows = ROWS_PER_TASK.min(m - r0);
            // SAFETY: rows r0..r0 + rows of each output belong to this task alone.
            let mut outs: [&mut [MaybeUninit<f32>]; L] = std::array::from_fn(|l| unsafe {
                let Out(at, n) = ptrs[l];
                std::slice::from_raw_parts_mut(at.add(r0 * n), rows * n)
            });
            layer_rows(
                &layers,
                &xs[r0 * k..(r0 + rows) * k],
                Epilogue::None,
                &mut outs,
            );
        });
        let dims = x.dims().to_vec();
        let mut tensors = Vec::with_capacity(L);
        for (l, mut out) in outs.into_iter().enumerate() {
            // SAFETY: every row of every output was written above.
            unsafe { out.set_len(m * layers[l].n) };
            let mut dims = dims.clone();
            *dims.last_mut().expect("rank ≥ 1") = layers[l].n;
            tensors.push(Tensor::from_vec(out, dims, x.device())?);
        }
        Ok(tensors.try_into().expect("L tensors"))
    }

    fn apply(&self, x: &Tensor) -> Result<Tensor> {
        self.checked_input(x)?.apply_op1_no_bwd(&Op { layer: self })
    }

    /// `x` as a contiguous f32 CPU tensor, or why this layer cannot take it.
    fn checked_input(&self, x: &Tensor) -> Result<Tensor> {
        let k = x.dims().last().copied().unwrap_or(0);
        if k != self.k {
            candle_core::bail!("int8 linear expects {} input features, got {k}", self.k)
        }
        if !x.device().is_cpu() {
            candle_core::bail!("int8 linear layers run on the CPU only")
        }
        x.to_dtype(DType::F32)?.contiguous()
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
        crate::parallel::for_each_chunk_mut(out, ROWS_PER_TASK * self.n, |t, out| {
            let x = &x[t * ROWS_PER_TASK * self.k..][..out.len() / self.n * self.k];
            layer_rows(&[self], x, Epilogue::None, &mut [out]);
        });
    }

    /// Quantize `rows` rows of `x` into `qa` (rows padded to a multiple of
    /// `ROW_ALIGN`, each `kp` bytes; padding 0, against zero weights),
    /// returning each row's scale and offset. `qa` may hold anything on
    /// entry: every byte is written.
    fn quantize_rows(
        &self,
        x: &[f32],
        rows: usize,
        kernel: Int8Kernel,
        qa: &mut [u8],
    ) -> (Vec<f32>, Vec<f32>) {
        let (k, kp) = (self.k, self.kp);
        let (mut sa, mut lo) = (vec![0f32; rows], vec![0f32; rows]);
        for r in 0..rows {
            let row = &x[r * k..(r + 1) * k];
            let q = &mut qa[r * kp..(r + 1) * kp];
            (sa[r], lo[r]) = quantize_row(row, &mut q[..k], kernel, self.kernel.activation_max());
            q[k..].fill(0);
        }
        qa[rows * kp..].fill(0);
        (sa, lo)
    }

    /// `acc` (padded rows, padded n) = Σk qa·qw, on `kernel` (which the
    /// caller has checked the CPU has, and which can multiply this layer's
    /// weights: [`Int8Kernel::multiplies`]).
    fn integer_product(&self, qa: &[u8], rows: usize, acc: &mut [i32], kernel: Int8Kernel) {
        let np = self.n.div_ceil(NR) * NR;
        let padded = rows.div_ceil(ROW_ALIGN) * ROW_ALIGN;
        let kp = self.kp;
        assert!(qa.len() >= padded * kp && acc.len() >= padded * np);
        assert!(
            kernel.multiplies(self.kernel, kp),
            "{kernel} cannot multiply weights quantized for {}",
            self.kernel
        );
        #[cfg(target_arch = "x86_64")]
        if kernel == Int8Kernel::Amx {
            // SAFETY: the CPU has AMX and Linux granted the tile state
            // (checked when the kernel was chosen); kp is a multiple of 64
            // (asserted above); each call reads 16 rows of `qa` and one
            // panel of `packed`, and writes 16 rows × NR of `acc`.
            unsafe {
                amx::configure();
                for panel in 0..np / NR {
                    let b = &self.packed[panel * kp * NR..(panel + 1) * kp * NR];
                    for r0 in (0..padded).step_by(2 * ROW_ALIGN) {
                        let c = &mut acc[r0 * np + panel * NR..];
                        if r0 + 2 * ROW_ALIGN <= padded {
                            amx::block32(&qa[r0 * kp..(r0 + 2 * ROW_ALIGN) * kp], b, c, kp, np);
                        } else {
                            amx::block(&qa[r0 * kp..(r0 + ROW_ALIGN) * kp], b, c, kp, np);
                        }
                    }
                }
                amx::release();
            }
            return;
        }
        for panel in 0..np / NR {
            let b = &self.packed[panel * kp * NR..(panel + 1) * kp * NR];
            for r0 in (0..padded).step_by(MR) {
                let a = &qa[r0 * kp..(r0 + MR) * kp];
                let c = &mut acc[r0 * np + panel * NR..];
                match kernel {
                    Int8Kernel::Scalar => scalar_kernel(a, b, c, kp, np),
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY (the three below): the CPU has the kernel's
                    // features (checked when it was chosen); `a` holds MR
                    // rows of kp bytes, `b` kp/4 groups of NR×4 bytes (in
                    // [-63, 63] for AVX2, asserted above), and `c` reaches
                    // MR rows of stride np.
                    Int8Kernel::Avx512Vnni => unsafe { vnni::kernel(a, b, c, kp, np) },
                    #[cfg(target_arch = "x86_64")]
                    Int8Kernel::AvxVnni => unsafe { avx::vnni_kernel(a, b, c, kp, np) },
                    #[cfg(target_arch = "x86_64")]
                    Int8Kernel::Avx2 => unsafe { avx::avx2_kernel(a, b, c, kp, np) },
                    #[cfg(not(target_arch = "x86_64"))]
                    _ => unreachable!("only the scalar kernel exists off x86-64"),
                    #[cfg(target_arch = "x86_64")]
                    Int8Kernel::Amx => unreachable!("handled above"),
                }
            }
        }
    }
}

/// What is applied to each output row as it is dequantized.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Epilogue {
    None,
    GeluErf,
}

/// A layer as one candle op.
struct Op<'a> {
    layer: &'a QLinear,
}

impl CustomOp1 for Op<'_> {
    fn name(&self) -> &'static str {
        "int8-linear"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (start, end) = layout.contiguous_offsets().ok_or_else(|| {
            candle_core::Error::Msg("int8 linear needs a contiguous input".into())
        })?;
        let xs = &storage.as_slice::<f32>()?[start..end];
        let (out, shape) = self.layer.run(xs, layout.shape())?;
        Ok((CpuStorage::F32(out), shape))
    }
}

/// Quantize one row into `q` (asymmetric, 0 ..= `top`: the layer kernel's
/// [`Int8Kernel::activation_max`]); returns (scale, offset). Every path
/// gives the same bytes; each kernel quantizes with the instructions it is
/// allowed (so a forced AVX2 run uses no AVX-512).
fn quantize_row(row: &[f32], q: &mut [u8], kernel: Int8Kernel, top: u8) -> (f32, f32) {
    let levels = top as f32;
    #[cfg(target_arch = "x86_64")]
    match kernel {
        // SAFETY: the CPU has AVX-512F (AVX2) when these kernels are chosen
        // (AMX is taken only beside AVX-512 VNNI).
        Int8Kernel::Amx | Int8Kernel::Avx512Vnni => {
            return unsafe { vnni::quantize_row(row, q, levels) }
        }
        Int8Kernel::AvxVnni | Int8Kernel::Avx2 => {
            return unsafe { avx::quantize_row(row, q, levels) }
        }
        Int8Kernel::Scalar => {}
    }
    let (mut min, mut max) = (f32::MAX, f32::MIN);
    for &v in row {
        min = min.min(v);
        max = max.max(v);
    }
    let s = if max > min { (max - min) / levels } else { 1.0 };
    let inv = 1.0 / s;
    for (q, &v) in q.iter_mut().zip(row) {
        *q = ((v - min) * inv).round_ties_even() as u8;
    }
    (s, min)
}

/// One task's rows `x` through `layers` (which share their input width and
/// kernel): quantized once into this thread's scratch, then each layer's
/// integer product, dequantized with `epilogue` into its entry of `outs`.
fn layer_rows(
    layers: &[&QLinear],
    x: &[f32],
    epilogue: Epilogue,
    outs: &mut [&mut [MaybeUninit<f32>]],
) {
    let first = layers[0];
    let rows = x.len() / first.k.max(1);
    let padded = rows.div_ceil(ROW_ALIGN) * ROW_ALIGN;
    let widest = layers
        .iter()
        .map(|l| l.n.div_ceil(NR) * NR)
        .max()
        .unwrap_or(0);
    SCRATCH.with_borrow_mut(|s| {
        let (qa, acc) = s.take(padded * first.kp, padded * widest);
        let (sa, lo) = first.quantize_rows(x, rows, first.kernel, qa);
        for (layer, out) in layers.iter().zip(outs.iter_mut()) {
            let np = layer.n.div_ceil(NR) * NR;
            let acc = &mut acc[..padded * np];
            layer.integer_product(qa, rows, acc, first.kernel);
            dequantize_rows(acc, np, (&sa, &lo), layer, epilogue, out);
        }
    });
}

/// One task's rows through a feed-forward block ([`QLinear::forward_ffn`]):
/// the hidden rows live in this thread's scratch between the two layers.
fn ffn_rows(first: &QLinear, second: &QLinear, x: &[f32], out: &mut [MaybeUninit<f32>]) {
    let len = x.len() / first.k.max(1) * first.n;
    let mut hidden = SCRATCH.with_borrow_mut(|s| std::mem::take(&mut s.hidden));
    if hidden.len() < len {
        hidden.resize(len, 0.0);
    }
    let hidden_rows = &mut hidden[..len];
    // SAFETY: f32 and MaybeUninit<f32> share their layout, and only
    // initialized f32 values are written through the view.
    let uninit = unsafe { &mut *(hidden_rows as *mut [f32] as *mut [MaybeUninit<f32>]) };
    layer_rows(&[first], x, Epilogue::GeluErf, &mut [uninit]);
    layer_rows(&[second], &hidden[..len], Epilogue::None, &mut [out]);
    SCRATCH.with_borrow_mut(|s| s.hidden = hidden);
}

/// Every output row of a task: [`dequantize_row`], then the epilogue,
/// compiled for the vector width the layer's kernel may use.
fn dequantize_rows(
    acc: &[i32],
    np: usize,
    scales: (&[f32], &[f32]),
    w: &QLinear,
    epilogue: Epilogue,
    out: &mut [MaybeUninit<f32>],
) {
    #[cfg(target_arch = "x86_64")]
    match w.kernel {
        // SAFETY: these kernels are chosen only where the CPU has
        // AVX-512 (AMX, AVX-512 VNNI) or AVX2 and FMA (AVX-VNNI, AVX2).
        Int8Kernel::Amx | Int8Kernel::Avx512Vnni => {
            return unsafe { dequantize_avx512(acc, np, scales, w, epilogue, out) }
        }
        Int8Kernel::AvxVnni | Int8Kernel::Avx2 => {
            return unsafe { dequantize_avx2(acc, np, scales, w, epilogue, out) }
        }
        Int8Kernel::Scalar => {}
    }
    dequantize_body(acc, np, scales, w, epilogue, out)
}

compiled_for!("avx512f", fn dequantize_avx512(
    acc: &[i32], np: usize, scales: (&[f32], &[f32]), w: &QLinear, epilogue: Epilogue,
    out: &mut [MaybeUninit<f32>],
) = dequantize_body);
compiled_for!("avx2,fma", fn dequantize_avx2(
    acc: &[i32], np: usize, scales: (&[f32], &[f32]), w: &QLinear, epilogue: Epilogue,
    out: &mut [MaybeUninit<f32>],
) = dequantize_body);

#[inline(always)]
fn dequantize_body(
    acc: &[i32],
    np: usize,
    (sa, lo): (&[f32], &[f32]),
    w: &QLinear,
    epilogue: Epilogue,
    out: &mut [MaybeUninit<f32>],
) {
    for (r, out) in out.chunks_mut(w.n).enumerate() {
        dequantize_row(&acc[r * np..], sa[r], lo[r], w, out);
        if epilogue == Epilogue::GeluErf {
            // SAFETY: `dequantize_row` wrote every element of the row.
            let row = unsafe { &mut *(out as *mut [MaybeUninit<f32>] as *mut [f32]) };
            crate::math::gelu_body(row);
        }
    }
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

/// The portable micro-kernel: the reference the vector ones must equal.
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

/// Whether the CPU has AVX-512 VNNI (and AVX-512F). Whether the int8
/// layers use it is [`int8_kernel`]'s answer, which an environment
/// variable can change.
pub fn vnni_available() -> bool {
    crate::cpu::features().avx512_vnni
}

/// The integer inner-product kernels, fastest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Int8Kernel {
    /// `tdpbusd` on AMX tiles (Sapphire Rapids and later Xeons), on Linux,
    /// where the process is granted the tile state; only beside AVX-512
    /// VNNI, whose quantizer it uses.
    Amx,
    /// `vpdpbusd` on 512-bit registers (AVX-512F + AVX-512 VNNI).
    Avx512Vnni,
    /// The VEX-encoded `vpdpbusd` on 256-bit registers (AVX-VNNI, e.g.
    /// Alder Lake and later client cores, Sapphire Rapids).
    AvxVnni,
    /// AVX2: `vpmaddubsw` (u8·i8 pairs into i16), two of them added, then
    /// `vpmaddwd` against ones into i32; exact for 7-bit activations and
    /// weights, which it is given.
    Avx2,
    /// Portable Rust, the reference.
    Scalar,
}

/// The environment variable that forces an int8 kernel: `amx`,
/// `avx512vnni`, `avxvnni`, `avx2` or `scalar` (`auto` or empty: the best
/// available).
pub const INT8_KERNEL_ENV: &str = "POLICYLENS_INT8_KERNEL";

impl Int8Kernel {
    /// All kernels, fastest first.
    pub const ALL: [Int8Kernel; 5] = [
        Int8Kernel::Amx,
        Int8Kernel::Avx512Vnni,
        Int8Kernel::AvxVnni,
        Int8Kernel::Avx2,
        Int8Kernel::Scalar,
    ];

    /// The name `POLICYLENS_INT8_KERNEL` takes and [`int8_kernel`] gives.
    pub fn name(self) -> &'static str {
        match self {
            Int8Kernel::Amx => "amx",
            Int8Kernel::Avx512Vnni => "avx512vnni",
            Int8Kernel::AvxVnni => "avxvnni",
            Int8Kernel::Avx2 => "avx2",
            Int8Kernel::Scalar => "scalar",
        }
    }

    /// The largest |qw| the kernel multiplies exactly: 63 for AVX2 (whose
    /// i16 sums of four products saturate above 4·127·63), 127 for the
    /// others.
    pub fn weight_max(self) -> i32 {
        match self {
            Int8Kernel::Avx2 => 63,
            _ => 127,
        }
    }

    /// The largest quantized activation the kernel takes: 127 for AVX2,
    /// which sums two `vpmaddubsw` results in i16 before widening them
    /// (2·2·127·63 ≤ 32,767), 255 for the others.
    pub fn activation_max(self) -> u8 {
        match self {
            Int8Kernel::Avx2 => 127,
            _ => 255,
        }
    }

    /// What `kp` (input features, padded) must be a multiple of: one AMX
    /// tile row (64 bytes) for AMX, one group of 4 for the others.
    pub fn k_align(self) -> usize {
        match self {
            Int8Kernel::Amx => 64,
            _ => 4,
        }
    }

    /// Whether this kernel multiplies exactly a layer quantized for
    /// `layer` (activation and weight ranges) whose padded input width is
    /// `kp`.
    pub fn multiplies(self, layer: Int8Kernel, kp: usize) -> bool {
        self.weight_max() >= layer.weight_max()
            && self.activation_max() >= layer.activation_max()
            && kp.is_multiple_of(self.k_align())
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether this CPU can run the kernel, within `POLICYLENS_CPU`'s cap
    /// ([`crate::cpu`]).
    pub fn available(self) -> bool {
        let f = crate::cpu::try_features().unwrap_or_default();
        match self {
            Int8Kernel::Amx => f.amx_int8 && f.avx512_vnni,
            Int8Kernel::Avx512Vnni => f.avx512_vnni,
            Int8Kernel::AvxVnni => f.avx_vnni,
            Int8Kernel::Avx2 => f.avx2,
            Int8Kernel::Scalar => true,
        }
    }

    /// The fastest kernel this CPU has.
    pub fn best() -> Self {
        Self::ALL
            .into_iter()
            .find(|k| k.available())
            .unwrap_or(Int8Kernel::Scalar)
    }

    /// The kernel `POLICYLENS_INT8_KERNEL` asks for (`None`, empty or
    /// `auto`: the best), or why it cannot be had here.
    pub fn choose(forced: Option<&str>) -> std::result::Result<Self, String> {
        let forced = forced
            .map(str::trim)
            .filter(|v| !v.is_empty() && *v != "auto");
        let Some(name) = forced else {
            return Ok(Self::best());
        };
        let names = || Self::ALL.map(Self::name).join(", ");
        let available = || {
            let v: Vec<_> = Self::ALL
                .into_iter()
                .filter(|k| k.available())
                .map(Self::name)
                .collect();
            v.join(", ")
        };
        match Self::from_name(&name.to_ascii_lowercase()) {
            None => Err(format!(
                "{INT8_KERNEL_ENV}={name:?} is not an int8 kernel (expected one of {}, or auto)",
                names()
            )),
            Some(k) if !k.available() => Err(format!(
                "{INT8_KERNEL_ENV}={name} asks for a kernel this CPU lacks (it has: {})",
                available()
            )),
            Some(k) => Ok(k),
        }
    }
}

impl std::fmt::Display for Int8Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The kernel the int8 layers of this process use: the best available, or
/// the one `POLICYLENS_INT8_KERNEL` forces (read once); an error if that
/// variable names an unknown kernel or one this CPU lacks.
pub fn try_selected_kernel() -> std::result::Result<Int8Kernel, String> {
    static CHOSEN: OnceLock<std::result::Result<Int8Kernel, String>> = OnceLock::new();
    CHOSEN
        .get_or_init(|| {
            crate::cpu::try_features()?;
            let forced = std::env::var(INT8_KERNEL_ENV).ok();
            Int8Kernel::choose(forced.as_deref())
        })
        .clone()
}

/// [`try_selected_kernel`], panicking with its message on a bad
/// `POLICYLENS_INT8_KERNEL`.
pub fn selected_kernel() -> Int8Kernel {
    try_selected_kernel().unwrap_or_else(|e| panic!("{e}"))
}

/// The name of the int8 kernel in use (`avx512vnni`, `avxvnni`, `avx2` or
/// `scalar`), for logs and model ids; panics as [`selected_kernel`].
pub fn int8_kernel() -> &'static str {
    selected_kernel().name()
}

#[cfg(target_arch = "x86_64")]
mod vnni {
    use super::{MR, NR};
    use std::arch::x86_64::*;

    /// [`super::quantize_row`] with AVX-512: 16 lanes of min/max, then
    /// round, saturate to u8 and store 16 bytes at a time.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn quantize_row(row: &[f32], q: &mut [u8], levels: f32) -> (f32, f32) {
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
        let s = if max > min { (max - min) / levels } else { 1.0 };
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

/// The 256-bit kernels: AVX-VNNI and AVX2, with the AVX2 quantizer they
/// share. Sixteen ymm registers hold fewer accumulators than AVX-512's 32
/// zmm, so the MR×NR block is computed as tiles of `R` rows × `V` vectors.
#[cfg(target_arch = "x86_64")]
mod avx {
    use super::{MR, NR};
    use std::arch::x86_64::*;

    /// [`super::quantize_row`] with AVX2, 8 lanes at a time; the same bytes.
    #[target_feature(enable = "avx2")]
    pub unsafe fn quantize_row(row: &[f32], q: &mut [u8], levels: f32) -> (f32, f32) {
        let n = row.len();
        let p = row.as_ptr();
        let (mut vmin, mut vmax) = (_mm256_set1_ps(f32::MAX), _mm256_set1_ps(f32::MIN));
        let mut i = 0;
        while i + 8 <= n {
            let v = _mm256_loadu_ps(p.add(i));
            vmin = _mm256_min_ps(vmin, v);
            vmax = _mm256_max_ps(vmax, v);
            i += 8;
        }
        let (mut lanes_min, mut lanes_max) = ([0f32; 8], [0f32; 8]);
        _mm256_storeu_ps(lanes_min.as_mut_ptr(), vmin);
        _mm256_storeu_ps(lanes_max.as_mut_ptr(), vmax);
        let (mut min, mut max) = (f32::MAX, f32::MIN);
        for (&lo, &hi) in lanes_min.iter().zip(&lanes_max) {
            min = min.min(lo);
            max = max.max(hi);
        }
        for &v in &row[i..] {
            min = min.min(v);
            max = max.max(v);
        }
        let s = if max > min { (max - min) / levels } else { 1.0 };
        let inv = 1.0 / s;
        let (vlo, vinv) = (_mm256_set1_ps(min), _mm256_set1_ps(inv));
        let mut i = 0;
        while i + 8 <= n {
            let v = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(p.add(i)), vlo), vinv);
            let ints = _mm256_cvtps_epi32(v); // round to nearest even
            let words = _mm_packus_epi32(
                _mm256_castsi256_si128(ints),
                _mm256_extracti128_si256::<1>(ints),
            );
            let bytes = _mm_packus_epi16(words, words);
            _mm_storel_epi64(q.as_mut_ptr().add(i) as *mut __m128i, bytes);
            i += 8;
        }
        for (q, &v) in q[i..n].iter_mut().zip(&row[i..]) {
            *q = ((v - min) * inv).round_ties_even() as u8;
        }
        (s, min)
    }

    /// MR rows × NR columns of `Σ a·b` with AVX-VNNI, written to `c` (row
    /// stride `np`), as tiles of 2 rows × 4 vectors (32 columns): of 4×2,
    /// 2×4, 8×1, 4×4 and 8×2, the fastest on a Sapphire Rapids core.
    #[target_feature(enable = "avx2,avxvnni")]
    pub unsafe fn vnni_kernel(a: &[u8], b: &[i8], c: &mut [i32], kp: usize, np: usize) {
        vnni_kernel_tiled::<2, 4>(a, b, c, kp, np)
    }

    #[target_feature(enable = "avx2,avxvnni")]
    pub unsafe fn vnni_kernel_tiled<const R: usize, const V: usize>(
        a: &[u8],
        b: &[i8],
        c: &mut [i32],
        kp: usize,
        np: usize,
    ) {
        const { assert!(MR.is_multiple_of(R) && NR.is_multiple_of(8 * V)) };
        for r0 in (0..MR).step_by(R) {
            for v0 in (0..NR / 8).step_by(V) {
                vnni_tile::<R, V>(
                    a.as_ptr().add(r0 * kp),
                    b.as_ptr().add(v0 * 32),
                    c.as_mut_ptr().add(r0 * np + v0 * 8),
                    kp,
                    np,
                );
            }
        }
    }

    /// R rows × V·8 columns: `a` at the first row, `b` at the tile's first
    /// column of group 0, `c` at the tile's corner.
    #[target_feature(enable = "avx2,avxvnni")]
    #[inline]
    unsafe fn vnni_tile<const R: usize, const V: usize>(
        a: *const u8,
        b: *const i8,
        c: *mut i32,
        kp: usize,
        np: usize,
    ) {
        let mut acc = [[_mm256_setzero_si256(); V]; R];
        for g in 0..kp / 4 {
            let bg = b.add(g * NR * 4);
            let mut bv = [_mm256_setzero_si256(); V];
            for (v, bv) in bv.iter_mut().enumerate() {
                *bv = _mm256_loadu_si256(bg.add(v * 32) as *const _);
            }
            for (r, acc) in acc.iter_mut().enumerate() {
                let four = (a.add(r * kp + g * 4) as *const i32).read_unaligned();
                let av = _mm256_set1_epi32(four);
                for (acc, &bv) in acc.iter_mut().zip(&bv) {
                    *acc = _mm256_dpbusd_avx_epi32(*acc, av, bv);
                }
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            for (v, &acc) in acc.iter().enumerate() {
                _mm256_storeu_si256(c.add(r * np + v * 8) as *mut _, acc);
            }
        }
    }

    /// MR rows × NR columns of `Σ a·b` with AVX2, laid out as for AVX-VNNI:
    /// `vpmaddubsw` of the row's 4 bytes (broadcast) against 8 columns × 4 k
    /// gives 16 i16 pair sums; two groups' pair sums are added in i16 and
    /// `vpmaddwd` against ones widens each pair into an i32: five
    /// instructions per 64 products where VNNI takes two, and exact because
    /// activations and weights are 7-bit (2·2·127·63 ≤ 32,767). Tiles of 2
    /// rows × 4 vectors, as the VNNI kernel.
    #[target_feature(enable = "avx2")]
    pub unsafe fn avx2_kernel(a: &[u8], b: &[i8], c: &mut [i32], kp: usize, np: usize) {
        avx2_kernel_tiled::<2, 4>(a, b, c, kp, np)
    }

    #[target_feature(enable = "avx2")]
    pub unsafe fn avx2_kernel_tiled<const R: usize, const V: usize>(
        a: &[u8],
        b: &[i8],
        c: &mut [i32],
        kp: usize,
        np: usize,
    ) {
        const { assert!(MR.is_multiple_of(R) && NR.is_multiple_of(8 * V)) };
        for r0 in (0..MR).step_by(R) {
            for v0 in (0..NR / 8).step_by(V) {
                avx2_tile::<R, V>(
                    a.as_ptr().add(r0 * kp),
                    b.as_ptr().add(v0 * 32),
                    c.as_mut_ptr().add(r0 * np + v0 * 8),
                    kp,
                    np,
                );
            }
        }
    }

    /// R rows × V·8 columns, as [`vnni_tile`].
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn avx2_tile<const R: usize, const V: usize>(
        a: *const u8,
        b: *const i8,
        c: *mut i32,
        kp: usize,
        np: usize,
    ) {
        let ones = _mm256_set1_epi16(1);
        let mut acc = [[_mm256_setzero_si256(); V]; R];
        let four = |r: usize, g: usize| {
            _mm256_set1_epi32((a.add(r * kp + g * 4) as *const i32).read_unaligned())
        };
        let weights =
            |g: usize, v: usize| _mm256_loadu_si256(b.add(g * NR * 4 + v * 32) as *const _);
        let groups = kp / 4;
        // Two groups of 4 k at a time: their pair sums added in i16, then
        // widened once.
        for g in (0..groups - groups % 2).step_by(2) {
            // Each row's two groups broadcast once, for all V vectors.
            let rows: [[__m256i; 2]; R] = std::array::from_fn(|r| [four(r, g), four(r, g + 1)]);
            for v in 0..V {
                let (b0, b1) = (weights(g, v), weights(g + 1, v));
                for (acc, a) in acc.iter_mut().zip(&rows) {
                    let pairs = _mm256_add_epi16(
                        _mm256_maddubs_epi16(a[0], b0),
                        _mm256_maddubs_epi16(a[1], b1),
                    );
                    acc[v] = _mm256_add_epi32(acc[v], _mm256_madd_epi16(pairs, ones));
                }
            }
        }
        if groups % 2 == 1 {
            let g = groups - 1;
            for v in 0..V {
                let b0 = weights(g, v);
                for (r, acc) in acc.iter_mut().enumerate() {
                    let pairs = _mm256_maddubs_epi16(four(r, g), b0);
                    acc[v] = _mm256_add_epi32(acc[v], _mm256_madd_epi16(pairs, ones));
                }
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            for (v, &acc) in acc.iter().enumerate() {
                _mm256_storeu_si256(c.add(r * np + v * 8) as *mut _, acc);
            }
        }
    }
}

/// The AMX kernel: 32 (or 16) rows × 32 columns per block, as 16×16 i32
/// tiles fed by tiles of activations (16 rows × 64 bytes) and of weights
/// (16 groups of 4 k × 16 columns), read in place from the VNNI panel
/// layout (a group's 32 columns × 4 bytes are two tile rows of 64 bytes).
/// Rust has no stable AMX intrinsics, so the instructions are inline
/// assembly; the tile registers are untouched by compiled code.
#[cfg(target_arch = "x86_64")]
mod amx {
    use super::NR;
    use std::arch::asm;

    /// Tiles 0–1 hold activations, 2–3 weights, 4–7 sums (the shared
    /// configuration of [`crate::amx`]).
    pub use crate::amx::{configure, release};

    /// `c` (16 rows of stride np, NR columns) = `a` (16 rows of kp bytes)
    /// · `b` (one panel: kp/4 groups of NR×4 bytes).
    ///
    /// # Safety
    /// [`configure`] ran on this thread; kp is a multiple of 64; the
    /// slices hold what is described above.
    #[inline]
    pub unsafe fn block(a: &[u8], b: &[i8], c: &mut [i32], kp: usize, np: usize) {
        debug_assert!(kp.is_multiple_of(64) && a.len() >= 16 * kp && b.len() >= kp * NR);
        debug_assert!(c.len() >= 15 * np + NR);
        asm!("tilezero tmm4", "tilezero tmm5", options(nostack, nomem));
        for k0 in (0..kp).step_by(64) {
            asm!(
                "tileloadd tmm0, [{a} + {a_stride}*1]",
                "tileloadd tmm2, [{b} + {b_stride}*1]",
                "tileloadd tmm3, [{b} + {b_stride}*1 + 64]",
                "tdpbusd tmm4, tmm0, tmm2",
                "tdpbusd tmm5, tmm0, tmm3",
                a = in(reg) a.as_ptr().add(k0),
                a_stride = in(reg) kp,
                b = in(reg) b.as_ptr().add(k0 / 4 * NR * 4),
                b_stride = in(reg) NR * 4,
                options(nostack, readonly),
            );
        }
        asm!(
            "tilestored [{c} + {c_stride}*1], tmm4",
            "tilestored [{c} + {c_stride}*1 + 64], tmm5",
            c = in(reg) c.as_mut_ptr(),
            c_stride = in(reg) np * 4,
            options(nostack),
        );
    }

    /// [`block`] for 32 rows: each weight tile serves two activation tiles.
    ///
    /// # Safety
    /// As [`block`], with 32 rows in `a` and `c`.
    #[inline]
    pub unsafe fn block32(a: &[u8], b: &[i8], c: &mut [i32], kp: usize, np: usize) {
        debug_assert!(kp.is_multiple_of(64) && a.len() >= 32 * kp && b.len() >= kp * NR);
        debug_assert!(c.len() >= 31 * np + NR);
        asm!(
            "tilezero tmm4",
            "tilezero tmm5",
            "tilezero tmm6",
            "tilezero tmm7",
            options(nostack, nomem)
        );
        for k0 in (0..kp).step_by(64) {
            asm!(
                "tileloadd tmm0, [{a} + {a_stride}*1]",
                "tileloadd tmm1, [{a2} + {a_stride}*1]",
                "tileloadd tmm2, [{b} + {b_stride}*1]",
                "tileloadd tmm3, [{b} + {b_stride}*1 + 64]",
                "tdpbusd tmm4, tmm0, tmm2",
                "tdpbusd tmm5, tmm0, tmm3",
                "tdpbusd tmm6, tmm1, tmm2",
                "tdpbusd tmm7, tmm1, tmm3",
                a = in(reg) a.as_ptr().add(k0),
                a2 = in(reg) a.as_ptr().add(16 * kp + k0),
                a_stride = in(reg) kp,
                b = in(reg) b.as_ptr().add(k0 / 4 * NR * 4),
                b_stride = in(reg) NR * 4,
                options(nostack, readonly),
            );
        }
        let c2 = c.as_mut_ptr().add(16 * np);
        asm!(
            "tilestored [{c} + {c_stride}*1], tmm4",
            "tilestored [{c} + {c_stride}*1 + 64], tmm5",
            "tilestored [{c2} + {c_stride}*1], tmm6",
            "tilestored [{c2} + {c_stride}*1 + 64], tmm7",
            c = in(reg) c.as_mut_ptr(),
            c2 = in(reg) c2,
            c_stride = in(reg) np * 4,
            options(nostack),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::pseudo;
    use candle_core::Device;

    /// The vector kernels this CPU has; those it lacks are named on stderr.
    fn available_kernels() -> Vec<Int8Kernel> {
        Int8Kernel::ALL
            .into_iter()
            .filter(|&k| k != Int8Kernel::Scalar)
            .filter(|&k| {
                let ok = k.available();
                if !ok {
                    eprintln!("this CPU lacks {k}: its kernel was not checked");
                }
                ok
            })
            .collect()
    }

    /// A small xorshift generator, for test data.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// Weights in [-wmax, wmax] (63 or 127) whose every row holds a ±wmax,
    /// so each row's scale is 1 and the quantized weights are these
    /// integers; activations as given. For each layout such weights can be
    /// packed in (7-bit for AVX2; 8-bit with k padded to 4, and to 64 where
    /// AMX is here), checks the scalar loop against the textbook sum, then
    /// every kernel this CPU has that multiplies that layout.
    fn check_exact(rows: usize, k: usize, n: usize, w: &[i32], qa_rows: &[u8], wmax: i32) {
        let layouts: Vec<Int8Kernel> = if wmax == 63 {
            vec![Int8Kernel::Avx2]
        } else {
            let amx = available_kernels().contains(&Int8Kernel::Amx);
            [Int8Kernel::Scalar]
                .into_iter()
                .chain(amx.then_some(Int8Kernel::Amx))
                .collect()
        };
        let wt: Vec<f32> = w.iter().map(|&v| v as f32).collect();
        let weight = Tensor::from_vec(wt, (n, k), &Device::Cpu).unwrap();
        for quantized_for in layouts {
            assert_eq!(quantized_for.weight_max(), wmax);
            let q = QLinear::for_kernel(&weight, None, quantized_for).unwrap();
            let (kp, np) = (q.kp, n.div_ceil(NR) * NR);
            let padded = rows.div_ceil(ROW_ALIGN) * ROW_ALIGN;
            let mut qa = vec![0u8; padded * kp];
            for r in 0..rows {
                qa[r * kp..r * kp + k].copy_from_slice(&qa_rows[r * k..(r + 1) * k]);
            }
            let mut scalar = vec![0i32; padded * np];
            q.integer_product(&qa, rows, &mut scalar, Int8Kernel::Scalar);
            // The reference itself against the textbook sum.
            for r in 0..rows {
                for j in 0..n {
                    let sum: i64 = (0..k)
                        .map(|i| qa_rows[r * k + i] as i64 * w[j * k + i] as i64)
                        .sum();
                    assert_eq!(scalar[r * np + j] as i64, sum, "row {r} column {j}");
                }
            }
            for kernel in available_kernels() {
                if !kernel.multiplies(quantized_for, kp) {
                    continue;
                }
                let mut fast = vec![-1i32; padded * np];
                q.integer_product(&qa, rows, &mut fast, kernel);
                for r in 0..rows {
                    assert_eq!(
                        &scalar[r * np..r * np + n],
                        &fast[r * np..r * np + n],
                        "{kernel} on {quantized_for}'s layout: row {r} of {rows}, k {k}, n {n}"
                    );
                }
            }
        }
    }

    /// Layers sharing one quantization of their input give each layer's
    /// own output, to the bit; rows span several tasks, widths differ.
    #[test]
    fn shared_input_layers_equal_each_layer_alone() {
        let (m, k) = (150, 64);
        let x = Tensor::from_vec(pseudo(m * k, 11), (2, m / 2, k), &Device::Cpu).unwrap();
        let layers: Vec<QLinear> = [(40, 12), (64, 13), (33, 14)]
            .iter()
            .map(|&(n, seed)| {
                let w = Tensor::from_vec(pseudo(n * k, seed), (n, k), &Device::Cpu).unwrap();
                let b = Tensor::from_vec(pseudo(n, seed + 10), n, &Device::Cpu).unwrap();
                QLinear::new(&w, Some(&b)).unwrap()
            })
            .collect();
        let shared = QLinear::forward_shared([&layers[0], &layers[1], &layers[2]], &x).unwrap();
        for (layer, got) in layers.iter().zip(&shared) {
            let alone = layer.forward(&x).unwrap();
            assert_eq!(got.dims(), alone.dims());
            let flat = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            assert_eq!(flat(got), flat(&alone));
        }
    }

    /// The fused feed-forward block (GELU applied as each hidden row is
    /// dequantized, the hidden rows requantized in cache) gives what the
    /// two layers with GELU between them give, to the bit; rows span
    /// several tasks.
    #[test]
    fn the_fused_feed_forward_equals_its_layers_one_by_one() {
        let (m, k, n) = (150, 64, 96);
        let layer = |n: usize, k: usize, seed: u32| {
            let w = Tensor::from_vec(pseudo(n * k, seed), (n, k), &Device::Cpu).unwrap();
            let b = Tensor::from_vec(pseudo(n, seed + 1), n, &Device::Cpu).unwrap();
            QLinear::new(&w, Some(&b)).unwrap()
        };
        let (first, second) = (layer(n, k, 8), layer(k, n, 10));
        let x = Tensor::from_vec(pseudo(m * k, 12), (2, m / 2, k), &Device::Cpu).unwrap();
        let hidden = first.forward(&x).unwrap();
        hidden.inplace_op1(&crate::GeluErf).unwrap();
        let hidden_values = hidden.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert!(
            hidden_values.iter().any(|&v| v < 0.0),
            "GELU keeps small negatives"
        );
        let one_by_one = second.forward(&hidden).unwrap();
        let fused = first.forward_ffn(&second, &x).unwrap();
        assert_eq!(fused.dims(), one_by_one.dims());
        let flat = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(flat(&fused), flat(&one_by_one));
        let unchained = layer(k, n + 16, 14);
        let err = first.forward_ffn(&unchained, &x).unwrap_err().to_string();
        assert!(err.contains("feed-forward"), "widths must chain: {err}");
    }

    #[test]
    fn every_kernel_gives_the_scalar_integers_at_the_extremes() {
        for &(rows, k, n) in &[
            (8, 4, 32),
            (9, 45, 50),
            (13, 384, 33),
            (3, 1537, 70),
            (1, 1, 1),
        ] {
            for wmax in [63, 127] {
                let amax = if wmax == 63 { 127u8 } else { 255 };
                for (wv, av) in [(wmax, amax), (-wmax, amax), (wmax, 0), (-wmax, 1)] {
                    check_exact(rows, k, n, &vec![wv; n * k], &vec![av; rows * k], wmax);
                }
                // Alternating signs, so saturation of a pairwise i16 sum would show.
                let w: Vec<i32> = (0..n * k)
                    .map(|i| if (i / 2) % 2 == 0 { wmax } else { -wmax })
                    .collect();
                check_exact(rows, k, n, &w, &vec![amax; rows * k], wmax);
            }
        }
    }

    #[test]
    fn every_kernel_gives_the_scalar_integers_on_random_inputs() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for &(rows, k, n) in &[
            (1, 3, 1),
            (7, 5, 31),
            (8, 32, 32),
            (9, 33, 33),
            (17, 127, 65),
            (23, 384, 96),
            (5, 390, 130),
            (12, 1536, 40),
        ] {
            for (extreme, wmax) in [(false, 127), (true, 127), (false, 63), (true, 63)] {
                let mut w: Vec<i32> = (0..n * k)
                    .map(|_| match (extreme, rng.below(4)) {
                        (true, 0) => wmax,
                        (true, 1) => -wmax,
                        _ => rng.below(2 * wmax as u64 + 1) as i32 - wmax,
                    })
                    .collect();
                for j in 0..n {
                    w[j * k + rng.below(k as u64) as usize] =
                        if rng.below(2) == 0 { wmax } else { -wmax };
                }
                let amax = if wmax == 63 { 127 } else { 255 };
                let a: Vec<u8> = (0..rows * k)
                    .map(|_| match (extreme, rng.below(3)) {
                        (true, 0) => amax as u8,
                        (true, 1) => 0,
                        _ => rng.below(amax + 1) as u8,
                    })
                    .collect();
                check_exact(rows, k, n, &w, &a, wmax);
            }
        }
    }

    #[test]
    #[should_panic(expected = "cannot multiply weights quantized for")]
    fn a_kernel_is_refused_weights_wider_than_it_multiplies_exactly() {
        let w = Tensor::from_vec(pseudo(32 * 8, 6), (32, 8), &Device::Cpu).unwrap();
        let q = QLinear::for_kernel(&w, None, Int8Kernel::Scalar).unwrap();
        let mut acc = vec![0i32; ROW_ALIGN * NR];
        // Refused before any AVX2 instruction runs, so on every CPU.
        q.integer_product(&[0u8; ROW_ALIGN * 8], MR, &mut acc, Int8Kernel::Avx2);
    }

    #[test]
    fn every_quantizer_gives_the_same_bytes() {
        let mut rng = Rng(42);
        for len in (1..70).chain([383, 384, 385, 1536]) {
            for case in 0..3 {
                let row: Vec<f32> = match case {
                    0 => pseudo(len, len as u32),
                    1 => vec![0.25; len],
                    _ => (0..len)
                        .map(|_| (rng.below(2001) as f32 - 1000.0) / 7.0)
                        .collect(),
                };
                for top in [255, 127] {
                    let mut want = vec![0u8; len];
                    let reference = quantize_row(&row, &mut want, Int8Kernel::Scalar, top);
                    assert!(want.iter().all(|&b| b <= top));
                    for kernel in available_kernels() {
                        let mut got = vec![0u8; len];
                        let scales = quantize_row(&row, &mut got, kernel, top);
                        let what = format!("{kernel} to {top}, length {len}, case {case}");
                        assert_eq!(want, got, "{what}");
                        assert_eq!(reference, scales, "{what}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_kernel_is_chosen_best_first_or_as_forced() {
        assert_eq!(Int8Kernel::choose(None).unwrap(), Int8Kernel::best());
        assert_eq!(Int8Kernel::choose(Some("")).unwrap(), Int8Kernel::best());
        assert_eq!(
            Int8Kernel::choose(Some("auto")).unwrap(),
            Int8Kernel::best()
        );
        assert!(Int8Kernel::best().available());
        let best_rank = Int8Kernel::ALL
            .iter()
            .position(|&k| k == Int8Kernel::best())
            .unwrap();
        assert!(Int8Kernel::ALL[..best_rank].iter().all(|k| !k.available()));
        for kernel in Int8Kernel::ALL {
            assert_eq!(Int8Kernel::from_name(kernel.name()), Some(kernel));
            match Int8Kernel::choose(Some(kernel.name())) {
                Ok(k) => assert!(k == kernel && kernel.available()),
                Err(e) => {
                    assert!(!kernel.available());
                    assert!(e.contains("lacks") && e.contains(INT8_KERNEL_ENV), "{e}");
                }
            }
        }
        assert_eq!(
            Int8Kernel::choose(Some("AVX2")).ok(),
            Int8Kernel::choose(Some("avx2")).ok()
        );
        let e = Int8Kernel::choose(Some("sse9")).unwrap_err();
        assert!(
            e.contains("not an int8 kernel") && e.contains("avxvnni"),
            "{e}"
        );
        assert!(Int8Kernel::Scalar.available());
    }

    #[test]
    fn int8_product_is_close_to_f32_and_kernels_agree_exactly() {
        // Odd sizes: rows not a multiple of MR, columns not of NR, k not of 4.
        let (m, k, n) = (77, 45, 50);
        let w = Tensor::from_vec(pseudo(n * k, 1), (n, k), &Device::Cpu).unwrap();
        let b = Tensor::from_vec(pseudo(n, 2), n, &Device::Cpu).unwrap();
        let x = Tensor::from_vec(pseudo(m * k, 3), (m, k), &Device::Cpu).unwrap();
        let exact: Vec<Vec<f32>> = x
            .matmul(&w.t().unwrap())
            .unwrap()
            .broadcast_add(&b)
            .unwrap()
            .to_vec2()
            .unwrap();
        let xs: Vec<f32> = x.flatten_all().unwrap().to_vec1().unwrap();
        let np = n.div_ceil(NR) * NR;
        // A layer for each kernel this CPU has (8-bit weights, or 7-bit for AVX2).
        for quantized_for in available_kernels().into_iter().chain([Int8Kernel::Scalar]) {
            let q = QLinear::for_kernel(&w, Some(&b), quantized_for).unwrap();
            let got: Vec<Vec<f32>> = q.forward(&x).unwrap().to_vec2().unwrap();
            for (e, g) in exact.iter().flatten().zip(got.iter().flatten()) {
                // Two 8-bit roundings of values in [-1, 1] over 45 terms;
                // 7-bit weights round twice as coarsely.
                let tolerance = 0.05 * 127.0 / quantized_for.weight_max() as f32;
                assert!((e - g).abs() < tolerance, "{quantized_for}: {e} vs {g}");
            }
            // Every kernel this CPU has that multiplies the layer's weight
            // range exactly gives the scalar integers.
            // Garbage first: quantizing must write every byte, padding included.
            let mut qa = vec![0xA5u8; ROW_ALIGN * q.kp];
            q.quantize_rows(&xs[..MR * k], MR, Int8Kernel::Scalar, &mut qa);
            let mut scalar = vec![0i32; ROW_ALIGN * np];
            q.integer_product(&qa, MR, &mut scalar, Int8Kernel::Scalar);
            for kernel in available_kernels() {
                if !kernel.multiplies(quantized_for, q.kp) {
                    continue;
                }
                let mut fast = vec![0i32; ROW_ALIGN * np];
                q.integer_product(&qa, MR, &mut fast, kernel);
                assert_eq!(scalar, fast, "{quantized_for} weights on {kernel}");
            }
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
