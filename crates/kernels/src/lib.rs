//! CPU kernels of the encoder's inference path, where candle would use
//! scalar libm calls, several allocating passes or one thread.
//!
//! This crate owns the arithmetic and nothing else: [`int8`] dense layers
//! (weights per output channel, activations per row, products summed in
//! i32 on AMX, AVX-512 VNNI, AVX-VNNI, AVX2 or a portable loop, see
//! [`int8_kernel`]), multi-head self-[`attention`]
//! fused from the projections to the context (in f32, or with bf16
//! products on AMX tiles or with AVX512_BF16), the residual add fused with
//! layer [`norm`]alisation, element-wise [`math`] (exp, erf, in-place
//! GELU), and the [`parallel`] loop that runs them on
//! candle's worker threads. Each kernel is written once as plain Rust the
//! compiler can vectorize, compiled for AVX-512 and for AVX2 (chosen at
//! run time) and for the baseline target, or with intrinsics (AMX as
//! inline assembly), and tested against a scalar or textbook reference. Which layer calls which kernel is
//! `policylens-classify`'s business (its `bert` model file).
//!
//! Which instructions run is chosen once per process from what the CPU
//! has ([`cpu`]); `POLICYLENS_CPU=avx2` caps every kernel at AVX2, as on a
//! CPU without AVX-512, for tests and benchmarks.
//!
//! It is the one crate built at opt-level 3 in dev builds (root
//! `Cargo.toml`): the loops here are the hot ones.

/// `unsafe fn $name(args) -> R { $body(args) }` compiled with the target
/// features `$features` (x86-64 only): one plain-Rust kernel, vectorized
/// for each instruction set the run-time dispatch may choose. The caller
/// must have checked the CPU has the features ([`cpu::features`]).
macro_rules! compiled_for {
    ($features:literal, fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? = $body:path) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        unsafe fn $name($($arg: $ty),*) $(-> $ret)? {
            $body($($arg),*)
        }
    };
}

#[cfg(target_arch = "x86_64")]
mod amx;
pub mod attention;
pub mod cpu;
pub mod int8;
pub mod math;
pub mod norm;
pub mod parallel;
pub mod testing;

pub use attention::{attention, bf16_attention, bf16_available};
pub use cpu::{features, Features, CPU_ENV};
pub use int8::{int8_kernel, vnni_available, Int8Kernel, QLinear};
pub use math::{erf, exp, gelu_erf_in_place, GeluErf};
pub use norm::add_layer_norm;
pub use parallel::{cpu_f32, for_each_chunk_mut};
