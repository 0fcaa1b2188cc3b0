//! Targets of a fine-tuning run: gold labels, teachers' scores blended in
//! (distillation), transfer clauses that only teachers label, positive
//! weights, and one example per clause window.

use crate::batch::Example;
use crate::error::{invalid, Result, TrainError};
use crate::observe::Observer;
use crate::score::score_texts;
use policylens_classify::tokenize::ClauseTokenizer;
use policylens_classify::{Classifier, LoadOptions};
use policylens_core::LabelSet;
use std::path::PathBuf;

/// One example per window of each clause, carrying its clause's targets;
/// a `None` target is left unsupervised (no loss on that label).
pub fn examples(
    tok: &ClauseTokenizer,
    texts: &[String],
    targets: &[Vec<Option<f32>>],
) -> Result<Vec<Example>> {
    let mut out = Vec::new();
    for (clause, t) in tok.encode_all(texts)?.iter().zip(targets) {
        let supervised: Vec<f32> = t.iter().map(|x| x.is_some() as u8 as f32).collect();
        let targets: Vec<f32> = t.iter().map(|x| x.unwrap_or(0.0)).collect();
        for w in 0..clause.n_windows() {
            out.push(Example {
                ids: tok.window_input(clause, w),
                targets: targets.clone(),
                supervised: supervised.clone(),
            });
        }
    }
    Ok(out)
}

/// Gold labels as targets, every label supervised.
pub fn hard_targets(gold: &[Vec<bool>]) -> Vec<Vec<Option<f32>>> {
    gold.iter()
        .map(|g| g.iter().map(|&b| Some(b as u8 as f32)).collect())
        .collect()
}

/// What the teachers gave: per clause and label of `labels`, the mean score
/// of the teachers that have that label (by name), or `None` where none has
/// it; and each teacher's model id (name and weights hash), so the training
/// record names the teachers even after their directories are gone.
pub struct TeacherScores {
    pub scores: Vec<Vec<Option<f32>>>,
    pub model_ids: Vec<String>,
}

/// Every teacher in `teachers` scores `texts`; scores are averaged per label.
pub fn teacher_scores(
    teachers: &[PathBuf],
    labels: &LabelSet,
    texts: &[String],
    opts: &LoadOptions,
    observer: &dyn Observer,
) -> Result<TeacherScores> {
    let mut sum = vec![vec![0.0f32; labels.len()]; texts.len()];
    let mut count = vec![0usize; labels.len()];
    let mut model_ids = Vec::with_capacity(teachers.len());
    for dir in teachers {
        let teacher = Classifier::load(dir, opts).map_err(|e| {
            TrainError::from(e).context(format!("loading teacher {}", dir.display()))
        })?;
        model_ids.push(teacher.model_id().to_string());
        let map: Vec<Option<usize>> = labels
            .names()
            .iter()
            .map(|n| teacher.labels().index(n))
            .collect();
        if map.iter().all(Option::is_none) {
            invalid!("teacher {} shares no label with the student", dir.display());
        }
        observer.note(&format!(
            "teacher {}: scoring {} clauses",
            dir.display(),
            texts.len()
        ));
        let scores = score_texts(&teacher, texts, observer)?;
        for (row, s) in sum.iter_mut().zip(&scores) {
            for (j, t) in map.iter().enumerate() {
                if let Some(t) = t {
                    row[j] += s.0[*t];
                }
            }
        }
        for (j, t) in map.iter().enumerate() {
            count[j] += t.is_some() as usize;
        }
    }
    let scores = sum
        .into_iter()
        .map(|row| {
            row.into_iter()
                .zip(&count)
                .map(|(s, &c)| (c > 0).then(|| s / c as f32))
                .collect()
        })
        .collect();
    Ok(TeacherScores { scores, model_ids })
}

/// One clause's score per label, `None` where no teacher scored it.
pub type RowScores = Vec<Option<f32>>;

/// Scores of the distilled rows (in order), then of transfer clauses, spread
/// back over every training row: rows not marked in `distilled` read as
/// unscored, so [`distilled_targets`] gives them their gold labels (`train
/// --distill-only`). Returns the per-row scores and the transfer clauses'.
pub fn scores_on_rows(
    scores: Vec<RowScores>,
    distilled: &[bool],
    n_labels: usize,
) -> (Vec<RowScores>, Vec<RowScores>) {
    let mut scores = scores.into_iter();
    let rows = distilled
        .iter()
        .map(|&d| match d {
            true => scores.next().expect("a score per distilled row"),
            false => vec![None; n_labels],
        })
        .collect();
    (rows, scores.collect())
}

/// `alpha * gold + (1 - alpha) * teacher` where a teacher scored the label.
pub fn distilled_targets(
    gold: &[Vec<bool>],
    teacher: &[Vec<Option<f32>>],
    alpha: f32,
) -> Vec<Vec<Option<f32>>> {
    gold.iter()
        .zip(teacher)
        .map(|(g, t)| {
            g.iter()
                .zip(t)
                .map(|(&g, t)| {
                    let g = g as u8 as f32;
                    Some(t.map_or(g, |t| alpha * g + (1.0 - alpha) * t))
                })
                .collect()
        })
        .collect()
}

/// Per-label weights of positives, `(negatives / positives)^power`; none at power 0.
pub fn pos_weights(gold: &[Vec<bool>], n_labels: usize, power: f64) -> Option<Vec<f32>> {
    if power == 0.0 {
        return None;
    }
    Some(
        (0..n_labels)
            .map(|j| {
                let pos = gold.iter().filter(|g| g[j]).count().max(1) as f64;
                let neg = (gold.len() as f64 - pos).max(1.0);
                (neg / pos).powf(power) as f32
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_without_a_target_are_unsupervised_in_every_window() {
        let dir = tempfile::tempdir().unwrap();
        policylens_classify::testing::write_tiny_encoder(dir.path(), 1).unwrap();
        // Windows of 4 tokens: the long clause needs several.
        let tok = ClauseTokenizer::from_file(&dir.path().join("tokenizer.json"), 6, 1).unwrap();
        let texts = vec![
            "we collect data".to_string(),
            "we collect data and we share data and we keep data".to_string(),
        ];
        let targets = vec![vec![Some(1.0), Some(0.0)], vec![Some(0.7), None]];
        let ex = examples(&tok, &texts, &targets).unwrap();
        assert!(ex.len() > 2, "the long clause is windowed: {}", ex.len());
        assert_eq!(ex[0].supervised, vec![1.0, 1.0]);
        for e in &ex[1..] {
            assert_eq!(e.targets, vec![0.7, 0.0]);
            assert_eq!(e.supervised, vec![1.0, 0.0]);
        }
    }

    #[test]
    fn rows_outside_distill_only_keep_their_gold_targets() {
        let gold = vec![vec![true, false], vec![true, false]];
        // Scores for the one distilled row, then one transfer clause.
        let scores = vec![vec![Some(0.2), Some(0.6)], vec![Some(0.9), Some(0.1)]];
        let (rows, transfer) = scores_on_rows(scores, &[true, false], 2);
        let t = distilled_targets(&gold, &rows, 0.5);
        assert_eq!(t[0], vec![Some(0.6), Some(0.3)], "distilled row blends");
        assert_eq!(t[1], vec![Some(1.0), Some(0.0)], "other row is gold");
        assert_eq!(transfer, vec![vec![Some(0.9), Some(0.1)]]);
    }

    #[test]
    fn distilled_targets_mix_gold_and_teacher_only_where_a_teacher_scored() {
        let gold = vec![vec![true, false, true]];
        let teacher = vec![vec![Some(0.2), Some(0.6), None]];
        let t = distilled_targets(&gold, &teacher, 0.25);
        let t: Vec<f32> = t[0]
            .iter()
            .map(|x| x.expect("gold clauses are supervised"))
            .collect();
        assert!((t[0] - (0.25 + 0.75 * 0.2)).abs() < 1e-6);
        assert!((t[1] - 0.75 * 0.6).abs() < 1e-6);
        assert_eq!(t[2], 1.0, "no teacher has the label: gold kept");
        assert_eq!(
            distilled_targets(&gold, &teacher, 1.0)[0],
            vec![Some(1.0), Some(0.0), Some(1.0)]
        );
    }
}
