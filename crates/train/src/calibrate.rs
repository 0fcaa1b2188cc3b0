//! Choosing per-label decision thresholds on validation scores.
//!
//! Each label's threshold is the cut that maximises its F1 on validation.
//! With few validation positives that cut is noisy: it fits the handful of
//! positives it saw. A *threshold prior* of `k` positives pulls each label
//! toward one shared threshold (the cut that maximises macro-F1 when every
//! label uses it), weighted by how much evidence the label has:
//!
//! ```text
//! t_label = (n_pos * own_cut + k * shared_cut) / (n_pos + k)
//! ```
//!
//! `k = 0` is the plain per-label cut (labels without positives keep 0.5).

use policylens_core::Thresholds;

/// How thresholds are chosen, and what came of it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Calibration {
    /// Strength of the pull toward the shared cut, in gold positives.
    pub threshold_prior: f64,
    /// The cut that maximises macro-F1 when every label uses it (reported
    /// even when the prior is 0 and it is not used).
    pub shared_threshold: f32,
    /// Validation positives per label.
    pub positives: Vec<usize>,
    pub thresholds: Thresholds,
}

/// What goes into a model's `config.json` about how its thresholds were
/// chosen, on which `data`.
pub fn record(c: &Calibration, data: &[String]) -> serde_json::Value {
    serde_json::json!({
        "method": "per-label F1-maximising cut on validation, pulled toward the shared macro-F1-maximising cut by threshold_prior positives",
        "data": data,
        "threshold_prior": c.threshold_prior,
        "shared_threshold": c.shared_threshold,
        "positives": c.positives,
    })
}

/// Thresholds for `n_labels` labels from validation `probs` and `gold`,
/// pulled toward the shared cut by `threshold_prior` positives.
pub fn calibrate(
    probs: &[Vec<f32>],
    gold: &[Vec<bool>],
    n_labels: usize,
    threshold_prior: f64,
) -> Calibration {
    let own = calibrate_thresholds(probs, gold, n_labels);
    let shared = shared_threshold(probs, gold, n_labels);
    let positives: Vec<usize> = (0..n_labels)
        .map(|j| gold.iter().filter(|g| g[j]).count())
        .collect();
    let thresholds = if threshold_prior > 0.0 {
        Thresholds(
            own.0
                .iter()
                .zip(&positives)
                .map(|(&t, &n)| {
                    let n = n as f64;
                    ((n * t as f64 + threshold_prior * shared as f64) / (n + threshold_prior))
                        as f32
                })
                .collect(),
        )
    } else {
        own
    };
    Calibration {
        threshold_prior,
        shared_threshold: shared,
        positives,
        thresholds,
    }
}

/// For each label, the threshold that maximises F1 on `probs` against `gold`
/// (midpoints between sorted scores). Labels without gold positives keep 0.5.
pub fn calibrate_thresholds(probs: &[Vec<f32>], gold: &[Vec<bool>], n_labels: usize) -> Thresholds {
    Thresholds((0..n_labels).map(|j| best_cut(probs, gold, j)).collect())
}

fn best_cut(probs: &[Vec<f32>], gold: &[Vec<bool>], j: usize) -> f32 {
    let mut pairs: Vec<(f32, bool)> = probs.iter().zip(gold).map(|(p, g)| (p[j], g[j])).collect();
    let total_pos = pairs.iter().filter(|(_, g)| *g).count();
    if total_pos == 0 {
        return 0.5;
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    // Walk thresholds from high to low: everything at index <= i predicted positive.
    let (mut tp, mut best_f1, mut best_t) = (0usize, -1.0f64, 0.5f32);
    for i in 0..pairs.len() {
        if pairs[i].1 {
            tp += 1;
        }
        let next = pairs.get(i + 1).map(|p| p.0);
        if next == Some(pairs[i].0) {
            continue; // ties share one threshold
        }
        let predicted = i + 1;
        let f1 = 2.0 * tp as f64 / (predicted + total_pos) as f64;
        if f1 > best_f1 {
            best_f1 = f1;
            best_t = match next {
                Some(nx) => (pairs[i].0 + nx) / 2.0,
                None => pairs[i].0,
            };
        }
    }
    best_t
}

/// The one threshold, on a grid of 0.01 to 0.99, that maximises macro-F1
/// (over the labels with gold positives) when every label uses it; the
/// lowest such cut on ties, 0.5 when no label has positives.
pub fn shared_threshold(probs: &[Vec<f32>], gold: &[Vec<bool>], n_labels: usize) -> f32 {
    let with_positives: Vec<usize> = (0..n_labels)
        .filter(|&j| gold.iter().any(|g| g[j]))
        .collect();
    if with_positives.is_empty() {
        return 0.5;
    }
    let f1 = |j: usize, t: f32| {
        let (mut tp, mut predicted, mut actual) = (0usize, 0usize, 0usize);
        for (p, g) in probs.iter().zip(gold) {
            let hit = p[j] >= t;
            tp += (hit && g[j]) as usize;
            predicted += hit as usize;
            actual += g[j] as usize;
        }
        2.0 * tp as f64 / (predicted + actual) as f64
    };
    let (mut best_f1, mut best_t) = (-1.0f64, 0.5f32);
    for step in 1..100 {
        let t = step as f32 / 100.0;
        let macro_f1: f64 = with_positives.iter().map(|&j| f1(j, t)).sum();
        if macro_f1 > best_f1 {
            best_f1 = macro_f1;
            best_t = t;
        }
    }
    best_t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_maximise_f1() {
        let probs = vec![vec![0.9], vec![0.7], vec![0.4], vec![0.2]];
        let gold = vec![vec![true], vec![true], vec![false], vec![false]];
        let t = calibrate_thresholds(&probs, &gold, 1);
        assert!(t.0[0] > 0.4 && t.0[0] <= 0.7, "{t:?}");
        let none = calibrate_thresholds(&probs, &vec![vec![false]; 4], 1);
        assert_eq!(none.0, vec![0.5]);
    }

    /// Label 0 has many positives, all scored 0.6 or more, negatives 0.3 or
    /// less; label 1 has one positive at 0.95 and a negative at 0.9, so its
    /// own cut (0.925) is fitted to a single clause.
    fn two_labels() -> (Vec<Vec<f32>>, Vec<Vec<bool>>) {
        let mut probs = Vec::new();
        let mut gold = Vec::new();
        for i in 0..20 {
            let pos = i % 2 == 0;
            probs.push(vec![if pos { 0.6 + i as f32 / 100.0 } else { 0.3 }, 0.1]);
            gold.push(vec![pos, false]);
        }
        probs.push(vec![0.1, 0.95]);
        gold.push(vec![false, true]);
        probs.push(vec![0.1, 0.9]);
        gold.push(vec![false, false]);
        (probs, gold)
    }

    #[test]
    fn the_shared_cut_maximises_macro_f1_over_labels() {
        let (probs, gold) = two_labels();
        let t = shared_threshold(&probs, &gold, 2);
        // Label 0 is perfect for any cut in (0.3, 0.6]; label 1 needs a cut
        // in (0.9, 0.95]: no shared cut serves both, and the lowest best one
        // keeps label 0 perfect.
        assert!(t > 0.3 && t <= 0.6, "{t}");
        assert_eq!(shared_threshold(&probs, &vec![vec![false; 2]; 22], 2), 0.5);
    }

    #[test]
    fn a_prior_pulls_labels_with_few_positives_furthest() {
        let (probs, gold) = two_labels();
        let own = calibrate(&probs, &gold, 2, 0.0);
        assert_eq!(own.thresholds, calibrate_thresholds(&probs, &gold, 2));
        assert_eq!(own.positives, vec![10, 1]);
        let k = 10.0;
        let c = calibrate(&probs, &gold, 2, k);
        let s = c.shared_threshold as f64;
        for j in 0..2 {
            let n = c.positives[j] as f64;
            let want = (n * own.thresholds.0[j] as f64 + k * s) / (n + k);
            assert!((c.thresholds.0[j] as f64 - want).abs() < 1e-6, "label {j}");
        }
        // One positive: the label moves 10/11 of the way to the shared cut;
        // ten positives: half the way.
        let moved = |j: usize| {
            (c.thresholds.0[j] - own.thresholds.0[j]).abs()
                / (c.shared_threshold - own.thresholds.0[j]).abs()
        };
        assert!((moved(1) - 10.0 / 11.0).abs() < 1e-4, "{}", moved(1));
        assert!((moved(0) - 0.5).abs() < 1e-4, "{}", moved(0));
    }
}
