//! `policylens train` (without `--fine-tune`): a multi-label head on a
//! frozen base encoder.
//!
//! Clauses are embedded once (each window of a long clause is a training
//! example carrying its clause's labels); the hyper-parameter [`grid`] is
//! tried; the head with the best validation macro-F1 (after per-label
//! threshold calibration on validation) is kept. Clauses of unlabeled
//! policies that name no biometric term may join training as weak
//! biometrics negatives ([`crate::weak`]).

use super::TrainSpec;
use crate::calibrate::calibrate_thresholds;
use crate::data::load_annotated;
use crate::error::{invalid, Result, TrainError};
use crate::head::{grid, train_head, window_features, window_targets, HeadParams};
use crate::metrics::{evaluate, EvalReport};
use crate::observe::Observer;
use crate::weak::biometrics_negatives;
use candle_core::Tensor;
use policylens_classify::head::Head;
use policylens_classify::model::{ModelConfig, FORMAT, HEAD_FILE};
use policylens_classify::source::{resolve, sha256_file};
use policylens_classify::{score_windows, BaseEncoder, Embedder, Windowing};
use policylens_core::{Label, LabelSet, Thresholds};
use policylens_store::Annotated;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Instant;

/// A head-training run.
#[derive(Debug, Clone)]
pub struct HeadJob {
    pub spec: TrainSpec,
    /// Unlabeled policies whose clauses that name no biometric term become
    /// biometrics negatives (other labels not supervised).
    pub biometrics_negatives: Vec<PathBuf>,
    /// At most this many such clauses, spread over the corpus.
    pub max_negatives: usize,
}

/// The chosen head's settings and its validation report.
pub struct TrainedHead {
    pub params: HeadParams,
    /// At thresholds tuned on validation.
    pub validation: EvalReport,
    pub seconds: f64,
}

/// Window features of training and validation, and their targets.
struct Features {
    x: Tensor,
    y: Tensor,
    mask: Option<Tensor>,
    xv: Tensor,
    val_owner: Vec<usize>,
    train_windows: usize,
}

/// One grid point's outcome.
struct Tried {
    macro_f1: f64,
    params: HeadParams,
    head: Head,
    thresholds: Thresholds,
}

/// Run `job`: embed, try the grid, keep the best head, write the model.
pub fn train_head_model(job: &HeadJob, observer: &dyn Observer) -> Result<TrainedHead> {
    let started = Instant::now();
    let spec = &job.spec;
    let base_dir = resolve(&spec.base, &spec.load.local_roots)?;
    let base_sha = sha256_file(&base_dir.join("model.safetensors"))?;
    let windowing = Windowing::default();
    let embedder = Embedder::load(&base_dir, None, windowing, &spec.load)?;
    let mut train = load_annotated(&spec.train, &spec.labels, observer)?;
    let labeled = train.texts.len();
    let weak = add_weak_negatives(job, &mut train, observer)?;
    let val = load_annotated(&spec.validation, &spec.labels, observer)?;
    if train.texts.is_empty() || val.texts.is_empty() {
        invalid!("no training or no validation clauses");
    }
    let f = features(
        &embedder,
        &train,
        &val,
        labeled,
        weak,
        &spec.labels,
        observer,
    )?;
    let embed_secs = started.elapsed().as_secs_f64();
    let (best, tried) = search(&f, &val, &spec.labels, observer)?;
    let scores = score_windows(&best.head, &f.xv, &f.val_owner, val.texts.len())?;
    let report = evaluate(
        &spec.labels,
        &val.gold,
        &best.thresholds.decide_all(&scores),
        None,
    );
    std::fs::create_dir_all(&spec.out).map_err(|e| TrainError::io("creating", &spec.out, e))?;
    best.head.save(&spec.out.join(HEAD_FILE))?;
    let training = json!({
        "method": "frozen encoder, mean-pooled normalised embeddings, standardised, logistic head per label (AdamW, full batch), thresholds maximising F1 on validation",
        "train": spec.train,
        "validation": spec.validation,
        "train_clauses": labeled,
        "biometrics_weak_negatives": weak,
        "biometrics_negatives_from": job.biometrics_negatives,
        "train_windows": f.train_windows,
        "validation_clauses": val.texts.len(),
        "chosen": best.params,
        "validation_macro_f1": report.macro_f1,
        "validation_micro_f1": report.micro_f1,
        "grid": tried,
        "embedding_seconds": embed_secs,
        "total_seconds": started.elapsed().as_secs_f64(),
    });
    let config = ModelConfig {
        format: FORMAT.into(),
        name: spec.model_name(),
        labels: spec.labels.clone(),
        thresholds: best.thresholds,
        base: BaseEncoder {
            id: spec.base.clone(),
            sha256: Some(base_sha),
        },
        windowing,
        training,
    };
    config.write(&spec.out)?;
    Ok(TrainedHead {
        params: best.params,
        validation: report,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Append weak biometrics negatives to `train` (all labels false; only
/// biometrics will be supervised on them); how many were added.
fn add_weak_negatives(
    job: &HeadJob,
    train: &mut Annotated,
    observer: &dyn Observer,
) -> Result<usize> {
    if job.biometrics_negatives.is_empty() {
        return Ok(0);
    }
    let labels = &job.spec.labels;
    if labels.index(Label::Biometrics.name()).is_none() {
        invalid!("--biometrics-negatives needs a biometrics label");
    }
    let negatives = biometrics_negatives(&job.biometrics_negatives, job.max_negatives)?;
    observer.note(&format!("{} weak biometrics negatives", negatives.len()));
    let n = negatives.len();
    for t in negatives {
        train.texts.push(t);
        train.headings.push(None);
        train.gold.push(vec![false; labels.len()]);
    }
    Ok(n)
}

/// Embed every window once; labeled clauses supervise every label, weak
/// negatives (after the first `labeled`) only biometrics.
fn features(
    embedder: &Embedder,
    train: &Annotated,
    val: &Annotated,
    labeled: usize,
    weak: usize,
    labels: &LabelSet,
    observer: &dyn Observer,
) -> Result<Features> {
    let (train_tok, val_tok) = (
        embedder.tokenize_all(&train.texts)?,
        embedder.tokenize_all(&val.texts)?,
    );
    let (x, train_owner) = window_features(&train_tok, "embedding train", observer, |c| {
        embedder.embed_windows(c)
    })?;
    let (xv, val_owner) = window_features(&val_tok, "embedding validation", observer, |c| {
        embedder.embed_windows(c)
    })?;
    let y = window_targets(&train.gold, &train_owner, x.device())?;
    let mask = match weak {
        0 => None,
        _ => {
            let bio = labels
                .index(Label::Biometrics.name())
                .expect("checked before");
            let rows: Vec<Vec<bool>> = (0..train.texts.len())
                .map(|i| (0..labels.len()).map(|j| i < labeled || j == bio).collect())
                .collect();
            Some(window_targets(&rows, &train_owner, x.device())?)
        }
    };
    let train_windows = train_owner.len();
    Ok(Features {
        x,
        y,
        mask,
        xv,
        val_owner,
        train_windows,
    })
}

/// Every grid point, each at thresholds tuned on validation; the best by
/// validation macro-F1 (the first on ties), and a record of all.
fn search(
    f: &Features,
    val: &Annotated,
    labels: &LabelSet,
    observer: &dyn Observer,
) -> Result<(Tried, Vec<Value>)> {
    let mut best: Option<Tried> = None;
    let mut tried = Vec::new();
    for params in grid() {
        let head = train_head(&f.x, &f.y, f.mask.as_ref(), &params)?;
        let scores = score_windows(&head, &f.xv, &f.val_owner, val.texts.len())?;
        let probs: Vec<Vec<f32>> = scores.iter().map(|s| s.0.clone()).collect();
        let thresholds = calibrate_thresholds(&probs, &val.gold, labels.len());
        let report = evaluate(labels, &val.gold, &thresholds.decide_all(&scores), None);
        observer.note(&format!(
            "lr {:<5} steps {:>5} weight_decay {:<4} pos_weight_power {:<3} -> validation macro-F1 {:.4} micro-F1 {:.4}",
            params.learning_rate, params.steps, params.weight_decay, params.pos_weight_power, report.macro_f1, report.micro_f1
        ));
        tried.push(json!({"params": params, "validation_macro_f1": report.macro_f1, "validation_micro_f1": report.micro_f1}));
        if best.as_ref().is_none_or(|b| report.macro_f1 > b.macro_f1) {
            best = Some(Tried {
                macro_f1: report.macro_f1,
                params,
                head,
                thresholds,
            });
        }
    }
    Ok((best.expect("grid is not empty"), tried))
}
