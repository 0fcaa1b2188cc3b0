//! Deterministic inputs for the kernels' tests and benchmarks, and the
//! benchmarks' timer.

/// `n` values in [-1, 1) from a linear congruential generator seeded with
/// `seed`: the same on every machine, no dependency.
pub fn pseudo(n: usize, seed: u32) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (s >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
        })
        .collect()
}

/// Median of three timings (seconds per call) of `f`, each over enough
/// calls to last about `seconds`, after one warm-up call.
pub fn median_of_three(seconds: f64, mut f: impl FnMut()) -> f64 {
    let t = std::time::Instant::now();
    f(); // warm-up, and a first estimate
    let reps = ((seconds / t.elapsed().as_secs_f64()).ceil() as usize).clamp(1, 1000);
    let mut times: Vec<f64> = (0..3)
        .map(|_| {
            let t = std::time::Instant::now();
            for _ in 0..reps {
                f();
            }
            t.elapsed().as_secs_f64() / reps as f64
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[1]
}
