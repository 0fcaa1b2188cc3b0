//! `policylens add-label`: teach a fine-tuned model new labels without
//! retraining it or moving the labels it has.
//!
//! The model's pooled features are computed once for every window of the
//! training and validation clauses; a logistic row per new label is fitted
//! on them over the head [`grid`], chosen by validation macro-F1 of the
//! new labels after per-label threshold calibration, and spliced into the
//! classifier ([`crate::extend`]).

use crate::calibrate::calibrate_thresholds;
use crate::data::load_annotated;
use crate::error::{invalid, Result};
use crate::extend::Extendable;
use crate::head::{grid, train_head, window_features, window_targets, HeadParams};
use crate::metrics::{evaluate, EvalReport};
use crate::observe::Observer;
use candle_core::{DType, Tensor};
use policylens_classify::hf::{save_tensors, SaveRequest};
use policylens_classify::{score_windows, Classifier, LoadOptions};
use policylens_core::LabelSet;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Instant;

/// Labels to add to a fine-tuned model, and the clauses that teach them.
#[derive(Debug, Clone)]
pub struct AddLabelJob {
    /// A fine-tuned model directory (sequence-classification layout).
    pub model: PathBuf,
    pub labels: LabelSet,
    pub train: Vec<String>,
    pub validation: Vec<String>,
    /// The extended model's directory (not the input's).
    pub out: PathBuf,
    /// Name in outputs' model column (default: the input model's).
    pub name: Option<String>,
    pub dtype: DType,
    pub load: LoadOptions,
}

/// The chosen rows' settings and the extended model's validation report.
pub struct LabelsAdded {
    pub params: HeadParams,
    /// Every label, as stored, with the new thresholds tuned on validation.
    pub validation: EvalReport,
    pub seconds: f64,
}

/// The new labels' gold columns of annotated clauses read for all labels.
struct NewGold {
    train: Vec<Vec<bool>>,
    val: Vec<Vec<bool>>,
}

/// Run `job`: features, grid, splice, save, then score validation through
/// the labeling path.
pub fn add_labels(job: &AddLabelJob, observer: &dyn Observer) -> Result<LabelsAdded> {
    let started = Instant::now();
    if job.out.canonicalize().ok() == job.model.canonicalize().ok() && job.out.exists() {
        invalid!(
            "write the extended model to a new directory, not over {}",
            job.model.display()
        );
    }
    let ext = Extendable::load(&job.model, &job.load.device)?;
    let all = LabelSet::new(
        ext.labels()
            .names()
            .iter()
            .chain(job.labels.names())
            .cloned(),
    )?;
    let train = load_annotated(&job.train, &all, observer)?;
    let val = load_annotated(&job.validation, &all, observer)?;
    let gold = new_gold(job, &all, &train.gold, &val.gold, observer)?;
    let tok = ext.tokenizer();
    let (train_tok, val_tok) = (tok.encode_all(&train.texts)?, tok.encode_all(&val.texts)?);
    let batch = job.load.batch_size;
    let (x, train_owner) = window_features(&train_tok, "features train", observer, |c| {
        ext.pooled_windows(c, batch)
    })?;
    let (xv, val_owner) = window_features(&val_tok, "features validation", observer, |c| {
        ext.pooled_windows(c, batch)
    })?;
    let y = window_targets(&gold.train, &train_owner, x.device())?;
    let features_secs = started.elapsed().as_secs_f64();
    let (params, head, thresholds, tried) =
        search(&x, &y, &xv, &val_owner, &gold.val, &job.labels, observer)?;
    let extended = ext.extend(&job.labels, &head, &thresholds, &LabelSet::policylens())?;
    let mut training = ext.config.raw["policylens"]["training"].clone();
    if !training.is_object() {
        training = json!({});
    }
    training["added_labels"] = json!({
        "method": "frozen encoder and pooler; one logistic row per new label over the pooled [CLS] features of every window (standardised, full-batch AdamW), grid chosen by validation macro-F1 of the new labels, thresholds maximising F1 on validation",
        "from": job.model,
        "labels": job.labels.names(),
        "train": job.train,
        "validation": job.validation,
        "train_windows": train_owner.len(),
        "chosen": params,
        "grid": tried,
        "features_seconds": features_secs,
    });
    let name = job.name.clone().unwrap_or_else(|| ext.config.name.clone());
    let request = SaveRequest {
        base_config: &ext.config.raw,
        tokenizer: &job.model.join("tokenizer.json"),
        name: &name,
        labels: &extended.labels,
        thresholds: &extended.thresholds,
        windowing: ext.config.windowing,
        training,
        dtype: job.dtype,
    };
    save_tensors(&job.out, &extended.tensors, &request)?;
    let validation = validate(job, observer)?;
    Ok(LabelsAdded {
        params,
        validation,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The new labels' columns; each needs training and validation positives.
fn new_gold(
    job: &AddLabelJob,
    all: &LabelSet,
    train: &[Vec<bool>],
    val: &[Vec<bool>],
    observer: &dyn Observer,
) -> Result<NewGold> {
    let cols: Vec<usize> = job
        .labels
        .names()
        .iter()
        .map(|n| all.index(n).expect("in the union"))
        .collect();
    let only_new = |gold: &[Vec<bool>]| -> Vec<Vec<bool>> {
        gold.iter()
            .map(|g| cols.iter().map(|&j| g[j]).collect())
            .collect()
    };
    let gold = NewGold {
        train: only_new(train),
        val: only_new(val),
    };
    for (j, name) in job.labels.names().iter().enumerate() {
        let pos = gold.train.iter().filter(|g| g[j]).count();
        let vpos = gold.val.iter().filter(|g| g[j]).count();
        if pos == 0 || vpos == 0 {
            invalid!("{name}: {pos} training and {vpos} validation positives; both must be > 0");
        }
        observer.note(&format!(
            "{name}: {pos} training, {vpos} validation positives"
        ));
    }
    Ok(gold)
}

/// The grid point whose rows give the best validation macro-F1 of the new labels.
fn search(
    x: &Tensor,
    y: &Tensor,
    xv: &Tensor,
    val_owner: &[usize],
    val_gold: &[Vec<bool>],
    new: &LabelSet,
    observer: &dyn Observer,
) -> Result<(
    HeadParams,
    policylens_classify::head::Head,
    policylens_core::Thresholds,
    Vec<Value>,
)> {
    let mut best = None;
    let mut tried = Vec::new();
    for params in grid() {
        let head = train_head(x, y, None, &params)?;
        let scores = score_windows(&head, xv, val_owner, val_gold.len())?;
        let probs: Vec<Vec<f32>> = scores.iter().map(|s| s.0.clone()).collect();
        let thresholds = calibrate_thresholds(&probs, val_gold, new.len());
        let report = evaluate(new, val_gold, &thresholds.decide_all(&scores), None);
        observer.note(&format!(
            "steps {:>4} weight_decay {:<4} pos_weight_power {:<3} -> validation macro-F1 {:.4}",
            params.steps, params.weight_decay, params.pos_weight_power, report.macro_f1
        ));
        tried.push(json!({"params": params, "validation_macro_f1": report.macro_f1}));
        if best
            .as_ref()
            .is_none_or(|b: &(f64, _, _, _)| report.macro_f1 > b.0)
        {
            best = Some((report.macro_f1, params, head, thresholds));
        }
    }
    let (_, params, head, thresholds) = best.expect("grid is not empty");
    Ok((params, head, thresholds, tried))
}

/// The written model scored on validation through the labeling path: every
/// label, as stored.
fn validate(job: &AddLabelJob, observer: &dyn Observer) -> Result<EvalReport> {
    let classifier = Classifier::load(&job.out, &job.load)?;
    let val = load_annotated(&job.validation, classifier.labels(), observer)?;
    let scores = classifier.score(&classifier.tokenize_all(&val.texts)?)?;
    let pred = classifier.thresholds().decide_all(&scores);
    Ok(evaluate(classifier.labels(), &val.gold, &pred, None))
}
