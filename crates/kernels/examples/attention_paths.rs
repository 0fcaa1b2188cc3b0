//! Times fused attention on each path this CPU has, at MiniLM sizes (12
//! heads of 32) for a batch of 32 sequences of 64 and of 256 tokens: f32
//! and bf16 products, with every instruction set (`POLICYLENS_CPU=auto`:
//! AMX tiles for bf16), without AMX (`avx512`: `vdpbf16ps`) and at AVX2.
//!
//! `nice cargo run --release -p policylens-kernels --example attention_paths`
//!
//! Each cap runs in a child process (the variable is read once per
//! process); each figure is the median of three timings.

use std::process::Command;

use policylens_kernels::testing::{median_of_three, pseudo};
use policylens_kernels::{attention, bf16_attention, features, CPU_ENV};

const HEADS: usize = 12;
const WIDTH: usize = HEADS * 32;
const BATCH: usize = 32;

/// Milliseconds per batch for `t` tokens, in f32 and with bf16 products.
fn time_paths(t: usize) -> (f64, f64) {
    let (q, k, v) = (
        pseudo(BATCH * t * WIDTH, 1),
        pseudo(BATCH * t * WIDTH, 2),
        pseudo(BATCH * t * WIDTH, 3),
    );
    let bias = vec![0f32; BATCH * t];
    let mut out = vec![0f32; BATCH * t * WIDTH];
    let mut run = |bf16: bool| {
        median_of_three(0.3, || {
            attention(&q, &k, &v, &bias, (BATCH, t, t, HEADS), bf16, &mut out);
        }) * 1e3
    };
    (run(false), run(true))
}

fn main() {
    if std::env::var_os("ATTENTION_CHILD").is_some() {
        let f = features();
        let bf16 = if !bf16_attention(32) {
            "f32 (no bf16 here)"
        } else if f.amx_bf16 {
            "AMX tiles"
        } else {
            "vdpbf16ps"
        };
        for t in [64, 256] {
            let (f32_ms, bf16_ms) = time_paths(t);
            println!(
                "| {} | {t} | {f32_ms:.2} | {bf16_ms:.2} ({bf16}) |",
                std::env::var(CPU_ENV).unwrap_or_default()
            );
        }
        return;
    }
    println!("| {CPU_ENV} | tokens | f32 ms/batch | bf16 ms/batch (path) |");
    println!("|---|---|---|---|");
    let exe = std::env::current_exe().expect("own path");
    for cap in ["auto", "avx512", "avx2"] {
        let out = Command::new(&exe)
            .env("ATTENTION_CHILD", "1")
            .env(CPU_ENV, cap)
            .output()
            .expect("child runs");
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
}
