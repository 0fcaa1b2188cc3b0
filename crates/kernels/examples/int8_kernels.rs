//! Times one int8 linear layer on each integer kernel this CPU has, and
//! candle's f32 product of the same shape, at MiniLM sizes (hidden 384,
//! intermediate 1536) for a batch of 32 sequences of 128 tokens.
//!
//! `nice cargo run --release -p policylens-kernels --example int8_kernels`
//!
//! Each kernel runs in a child process with `POLICYLENS_INT8_KERNEL` set
//! (the variable is read once per process); each figure is the median of
//! three timings.

use std::process::Command;

use candle_core::{Device, Tensor};
use policylens_kernels::int8::INT8_KERNEL_ENV;
use policylens_kernels::testing::{median_of_three, pseudo};
use policylens_kernels::{int8_kernel, Int8Kernel, QLinear};

const ROWS: usize = 32 * 128;
const SHAPES: [(usize, usize); 2] = [(384, 1536), (1536, 384)];

/// In a child: one line per shape, `k n seconds`.
fn child(mode: &str) {
    for (k, n) in SHAPES {
        let w = Tensor::from_vec(pseudo(n * k, 1), (n, k), &Device::Cpu).unwrap();
        let x = Tensor::from_vec(pseudo(ROWS * k, 2), (ROWS, k), &Device::Cpu).unwrap();
        let secs = if mode == "f32" {
            let wt = w.t().unwrap();
            median_of_three(0.5, || drop(x.matmul(&wt).unwrap()))
        } else {
            assert_eq!(int8_kernel(), mode);
            let q = QLinear::new(&w, None).unwrap();
            median_of_three(0.5, || drop(q.forward(&x).unwrap()))
        };
        println!("{k} {n} {secs}");
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, mode] = &args[..] {
        if flag == "--child" {
            return child(mode);
        }
    }
    let threads = candle_core::utils::get_num_threads();
    println!("{ROWS} rows (32 × 128 tokens), {threads} threads; ms per product (GMAC/s), ×: speed over f32\n");
    let mut modes = vec!["f32".to_string()];
    for kernel in Int8Kernel::ALL {
        if kernel.available() {
            modes.push(kernel.name().into());
        } else {
            println!("(this CPU lacks {kernel})");
        }
    }
    let mut f32_secs = Vec::new();
    println!("| path | k=384, n=1536 | × | k=1536, n=384 | × |\n|---|---|---|---|---|");
    for mode in &modes {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args(["--child", mode]);
        if mode != "f32" {
            cmd.env(INT8_KERNEL_ENV, mode);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let secs: Vec<f64> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.split(' ').nth(2).unwrap().parse().unwrap())
            .collect();
        if mode == "f32" {
            f32_secs = secs.clone();
        }
        let name = if mode == "f32" {
            "f32 (candle)".to_string()
        } else {
            format!("int8 {mode}")
        };
        let mut row = format!("| {name} |");
        for ((&s, &f), (k, n)) in secs.iter().zip(&f32_secs).zip(SHAPES) {
            let gmac = (ROWS * k * n) as f64 / s / 1e9;
            row += &format!(" {:.1} ms ({gmac:.0}) | {:.2} |", s * 1e3, f / s);
        }
        println!("{row}");
    }
}
