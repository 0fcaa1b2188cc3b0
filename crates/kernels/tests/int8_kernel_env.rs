//! `POLICYLENS_INT8_KERNEL` forces the int8 kernel and `POLICYLENS_CPU`
//! caps the instruction sets, each read once per process: each case runs
//! this test binary again as a child with the variables set.

use std::process::Command;

use candle_core::{Device, Tensor};
use policylens_kernels::int8::INT8_KERNEL_ENV;
use policylens_kernels::testing::pseudo;
use policylens_kernels::{features, int8_kernel, Int8Kernel, QLinear, CPU_ENV};

/// What the child expects: a kernel name, or `refused`.
const CHILD: &str = "POLICYLENS_INT8_KERNEL_TEST_EXPECT";

/// Runs for real only in a child (does nothing in the parent's run).
#[test]
fn child_uses_the_forced_kernel() {
    let Ok(expect) = std::env::var(CHILD) else {
        return;
    };
    if expect == "refused" {
        let name = int8_kernel(); // panics with the reason
        panic!("{INT8_KERNEL_ENV} was accepted as {name}");
    }
    assert_eq!(int8_kernel(), expect);
    // A layer runs on it, and stays close to f32.
    let (m, k, n) = (19, 70, 45);
    let w = Tensor::from_vec(pseudo(n * k, 1), (n, k), &Device::Cpu).unwrap();
    let x = Tensor::from_vec(pseudo(m * k, 2), (m, k), &Device::Cpu).unwrap();
    let exact: Vec<Vec<f32>> = x.matmul(&w.t().unwrap()).unwrap().to_vec2().unwrap();
    let got: Vec<Vec<f32>> = QLinear::new(&w, None)
        .unwrap()
        .forward(&x)
        .unwrap()
        .to_vec2()
        .unwrap();
    // 7-bit activations and weights on AVX2 round twice as coarsely.
    let tolerance = if expect == "avx2" { 0.15 } else { 0.08 };
    for (e, g) in exact.iter().flatten().zip(got.iter().flatten()) {
        assert!((e - g).abs() < tolerance, "{e} vs {g}");
    }
}

fn run_child(value: &str, expect: &str) -> std::process::Output {
    run_child_with(&[(INT8_KERNEL_ENV, value)], expect)
}

fn run_child_with(vars: &[(&str, &str)], expect: &str) -> std::process::Output {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_uses_the_forced_kernel",
            "--nocapture",
            "--test-threads=1",
        ])
        .envs(vars.iter().copied())
        .env(CHILD, expect)
        .output()
        .unwrap()
}

#[test]
fn the_variable_forces_each_kernel_the_cpu_has_and_refuses_the_others() {
    for kernel in Int8Kernel::ALL {
        let expect = if kernel.available() {
            kernel.name()
        } else {
            "refused"
        };
        let out = run_child(kernel.name(), expect);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        if kernel.available() {
            assert!(out.status.success(), "{kernel}: {stdout}\n{stderr}");
        } else {
            eprintln!("this CPU lacks {kernel}: checking that forcing it is refused");
            assert!(!out.status.success(), "{kernel} was accepted");
            assert!(
                stdout.contains("lacks") || stderr.contains("lacks"),
                "{stdout}\n{stderr}"
            );
        }
    }
}

#[test]
fn an_unknown_kernel_name_is_refused_with_the_valid_ones() {
    let out = run_child("sse9", "refused");
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("not an int8 kernel") && text.contains("avx2"),
        "{text}"
    );
}

#[test]
fn the_avx2_cap_chooses_avx2_and_refuses_the_avx512_kernels() {
    if !features().avx2 {
        eprintln!("this CPU lacks AVX2: the cap was not checked");
        return;
    }
    let out = run_child_with(&[(CPU_ENV, "avx2")], "avx2");
    let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    for kernel in ["amx", "avx512vnni", "avxvnni"] {
        let out = run_child_with(&[(CPU_ENV, "avx2"), (INT8_KERNEL_ENV, kernel)], "refused");
        assert!(
            !out.status.success(),
            "{kernel} was accepted under the AVX2 cap"
        );
    }
}

#[test]
fn an_unknown_cpu_level_is_refused_by_name() {
    let out = run_child_with(&[(CPU_ENV, "sse9")], "refused");
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains(CPU_ENV) && text.contains("not a CPU level"),
        "{text}"
    );
}
