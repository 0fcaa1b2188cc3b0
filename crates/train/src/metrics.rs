//! Multi-label evaluation: per-label precision, recall and F1, macro
//! (mean of per-label F1, as scikit-learn) and micro.

use policylens_core::LabelSet;
use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelMetrics {
    pub label: String,
    /// Gold positives.
    pub support: usize,
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    pub examples: usize,
    pub labels: Vec<LabelMetrics>,
    pub macro_precision: f64,
    pub macro_recall: f64,
    pub macro_f1: f64,
    pub micro_precision: f64,
    pub micro_recall: f64,
    pub micro_f1: f64,
    /// Labels left out of the averages (no gold positives in this data).
    pub excluded: Vec<String>,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn f1(p: f64, r: f64) -> f64 {
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

/// Compare predictions with gold labels. `include` picks the labels that
/// count in the averages; by default, every label with gold positives.
pub fn evaluate(
    labels: &LabelSet,
    gold: &[Vec<bool>],
    pred: &[Vec<bool>],
    include: Option<&[usize]>,
) -> EvalReport {
    assert_eq!(
        gold.len(),
        pred.len(),
        "gold and predictions differ in length"
    );
    let mut rows = Vec::new();
    for (j, name) in labels.names().iter().enumerate() {
        let (mut tp, mut fp, mut fn_) = (0, 0, 0);
        for (g, p) in gold.iter().zip(pred) {
            match (g[j], p[j]) {
                (true, true) => tp += 1,
                (false, true) => fp += 1,
                (true, false) => fn_ += 1,
                _ => {}
            }
        }
        let (precision, recall) = (ratio(tp, tp + fp), ratio(tp, tp + fn_));
        rows.push(LabelMetrics {
            label: name.clone(),
            support: tp + fn_,
            tp,
            fp,
            fn_,
            precision,
            recall,
            f1: f1(precision, recall),
        });
    }
    let counted: Vec<usize> = match include {
        // A label named twice (by its name and its OPP-115 category) counts once.
        Some(ix) => {
            let mut ix = ix.to_vec();
            ix.sort_unstable();
            ix.dedup();
            ix
        }
        None => (0..rows.len()).filter(|&j| rows[j].support > 0).collect(),
    };
    let excluded = (0..rows.len())
        .filter(|j| !counted.contains(j))
        .map(|j| rows[j].label.clone())
        .collect();
    let n = counted.len().max(1) as f64;
    let mean = |f: fn(&LabelMetrics) -> f64| counted.iter().map(|&j| f(&rows[j])).sum::<f64>() / n;
    let (tp, fp, fn_) = counted.iter().fold((0, 0, 0), |(a, b, c), &j| {
        (a + rows[j].tp, b + rows[j].fp, c + rows[j].fn_)
    });
    let (micro_precision, micro_recall) = (ratio(tp, tp + fp), ratio(tp, tp + fn_));
    EvalReport {
        examples: gold.len(),
        macro_precision: mean(|m| m.precision),
        macro_recall: mean(|m| m.recall),
        macro_f1: mean(|m| m.f1),
        micro_precision,
        micro_recall,
        micro_f1: f1(micro_precision, micro_recall),
        labels: rows,
        excluded,
    }
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<14} {:>9} {:>9} {:>9} {:>8} {:>6} {:>6}",
            "label", "precision", "recall", "f1", "support", "fp", "fn"
        )?;
        for m in &self.labels {
            let mark = if self.excluded.contains(&m.label) {
                " (not averaged)"
            } else {
                ""
            };
            writeln!(
                f,
                "{:<14} {:>9.4} {:>9.4} {:>9.4} {:>8} {:>6} {:>6}{mark}",
                m.label, m.precision, m.recall, m.f1, m.support, m.fp, m.fn_
            )?;
        }
        writeln!(
            f,
            "{:<14} {:>9.4} {:>9.4} {:>9.4}",
            "macro", self.macro_precision, self.macro_recall, self.macro_f1
        )?;
        writeln!(
            f,
            "{:<14} {:>9.4} {:>9.4} {:>9.4}",
            "micro", self.micro_precision, self.micro_recall, self.micro_f1
        )?;
        write!(
            f,
            "examples: {}; labels averaged: {}",
            self.examples,
            self.labels.len() - self.excluded.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_example() {
        let labels = LabelSet::new(["a", "b", "c"]).unwrap();
        let gold = vec![
            vec![true, false, false],
            vec![true, true, false],
            vec![false, true, false],
        ];
        let pred = vec![
            vec![true, true, false],
            vec![false, true, false],
            vec![false, true, true],
        ];
        let r = evaluate(&labels, &gold, &pred, None);
        // a: tp1 fn1 -> p1 r.5 f .667; b: tp2 fp1 -> p.667 r1 f.8; c has no support.
        assert_eq!(r.excluded, vec!["c".to_string()]);
        assert!((r.labels[0].f1 - 2.0 / 3.0).abs() < 1e-9);
        assert!((r.labels[1].f1 - 0.8).abs() < 1e-9);
        assert!((r.macro_f1 - (2.0 / 3.0 + 0.8) / 2.0).abs() < 1e-9);
        // micro over a,b: tp3 fp1 fn1 -> p .75 r .75
        assert!((r.micro_f1 - 0.75).abs() < 1e-9);
        let all = evaluate(&labels, &gold, &pred, Some(&[0, 1, 2]));
        assert!(
            all.macro_f1 < r.macro_f1,
            "an unsupported label with a false positive lowers the average"
        );
    }

    #[test]
    fn a_label_included_twice_is_averaged_once() {
        let labels = LabelSet::new(["a", "b"]).unwrap();
        // a is perfect, b never found: counting a twice would lift both averages.
        let gold = vec![vec![true, false], vec![true, true]];
        let pred = vec![vec![true, false], vec![true, false]];
        let once = evaluate(&labels, &gold, &pred, Some(&[0, 1]));
        let twice = evaluate(&labels, &gold, &pred, Some(&[0, 1, 0]));
        assert!((once.macro_f1 - 0.5).abs() < 1e-9);
        assert_eq!(once.macro_f1, twice.macro_f1);
        assert_eq!(once.micro_f1, twice.micro_f1);
    }
}
