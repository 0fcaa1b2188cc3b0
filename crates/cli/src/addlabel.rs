//! `policylens add-label`: teach a fine-tuned model new labels without
//! retraining it or moving the labels it has.
//!
//! The model's pooled features are computed once for every window of the
//! training and validation clauses; a logistic row per new label is fitted
//! on them over the same grid `policylens train` uses, chosen by validation
//! macro-F1 of the new labels after per-label threshold calibration, and
//! spliced into the classifier (see `policylens_classify::extend`).

use crate::data;
use crate::train::{grid, targets, window_features};
use anyhow::{bail, Result};
use candle_core::DType;
use clap::Args;
use policylens_classify::calibrate::calibrate_thresholds;
use policylens_classify::extend::Extendable;
use policylens_classify::hf::{save_tensors, SaveRequest};
use policylens_classify::train::train_head;
use policylens_classify::{evaluate, parse_device, score_windows, Classifier, LoadOptions};
use policylens_core::LabelSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Args)]
pub struct AddLabelArgs {
    /// A fine-tuned model directory (BertForSequenceClassification layout).
    pub model: PathBuf,
    /// Labels to add (comma-separated or repeated).
    #[arg(long = "label", required = true, value_delimiter = ',')]
    pub labels: Vec<String>,
    /// Training clauses: FILE or FILE@split; repeatable.
    #[arg(long = "train", required = true)]
    pub train: Vec<String>,
    /// Validation clauses for the grid choice and thresholds; repeatable.
    #[arg(long = "validation", required = true)]
    pub validation: Vec<String>,
    /// Output model directory (not the input's).
    #[arg(short, long)]
    pub out: PathBuf,
    /// Name written into outputs' model column (default: the input's).
    #[arg(long)]
    pub name: Option<String>,
    /// Storage type of the written weights: f32, or f16 for half-size files.
    #[arg(long, default_value = "f32", value_parser = ["f32", "f16"])]
    pub dtype: String,
    #[arg(long, default_value = "cpu")]
    pub device: String,
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
}

pub fn run(args: AddLabelArgs) -> Result<ExitCode> {
    let started = Instant::now();
    if args.out.canonicalize().ok() == args.model.canonicalize().ok() && args.out.exists() {
        bail!(
            "write the extended model to a new directory, not over {}",
            args.model.display()
        );
    }
    let device = parse_device(&args.device)?;
    let ext = Extendable::load(&args.model, &device)?;
    let new = LabelSet::new(args.labels.clone())?;
    let all = LabelSet::new(ext.labels().names().iter().chain(new.names()).cloned())?;
    let cols: Vec<usize> = new
        .names()
        .iter()
        .map(|n| all.index(n).expect("in the union"))
        .collect();
    let only_new = |gold: &[Vec<bool>]| -> Vec<Vec<bool>> {
        gold.iter()
            .map(|g| cols.iter().map(|&j| g[j]).collect())
            .collect()
    };
    let train = data::load(&args.train, &all)?;
    let val = data::load(&args.validation, &all)?;
    let (train_gold, val_gold) = (only_new(&train.gold), only_new(&val.gold));
    for (j, name) in new.names().iter().enumerate() {
        let pos = train_gold.iter().filter(|g| g[j]).count();
        let vpos = val_gold.iter().filter(|g| g[j]).count();
        if pos == 0 || vpos == 0 {
            bail!("{name}: {pos} training and {vpos} validation positives; both must be > 0");
        }
        eprintln!("{name}: {pos} training, {vpos} validation positives");
    }
    let tok = ext.tokenizer();
    let (train_tok, val_tok) = (tok.encode_all(&train.texts)?, tok.encode_all(&val.texts)?);
    let batch = args.batch_size;
    let (x, train_owner) = window_features(&train_tok, "features train", |c| {
        ext.pooled_windows(c, batch)
    })?;
    let (xv, val_owner) = window_features(&val_tok, "features validation", |c| {
        ext.pooled_windows(c, batch)
    })?;
    let y = targets(&train_gold, &train_owner, x.device())?;
    let features_secs = started.elapsed().as_secs_f64();

    let mut best = None;
    let mut tried = Vec::new();
    for params in grid() {
        let head = train_head(&x, &y, None, &params)?;
        let scores = score_windows(&head, &xv, &val_owner, val.texts.len())?;
        let probs: Vec<Vec<f32>> = scores.iter().map(|s| s.0.clone()).collect();
        let thresholds = calibrate_thresholds(&probs, &val_gold, new.len());
        let report = evaluate(&new, &val_gold, &thresholds.decide_all(&scores), None);
        eprintln!(
            "steps {:>4} weight_decay {:<4} pos_weight_power {:<3} -> validation macro-F1 {:.4}",
            params.steps, params.weight_decay, params.pos_weight_power, report.macro_f1
        );
        tried.push(serde_json::json!({"params": params, "validation_macro_f1": report.macro_f1}));
        if best
            .as_ref()
            .is_none_or(|b: &(f64, _, _, _)| report.macro_f1 > b.0)
        {
            best = Some((report.macro_f1, params, head, thresholds));
        }
    }
    let (_, params, head, thresholds) = best.expect("grid is not empty");
    let extended = ext.extend(&new, &head, &thresholds, &LabelSet::policylens())?;

    let mut training = ext.config.raw["policylens"]["training"].clone();
    if !training.is_object() {
        training = serde_json::json!({});
    }
    training["added_labels"] = serde_json::json!({
        "method": "frozen encoder and pooler; one logistic row per new label over the pooled [CLS] features of every window (standardised, full-batch AdamW), grid chosen by validation macro-F1 of the new labels, thresholds maximising F1 on validation",
        "from": args.model,
        "labels": new.names(),
        "train": args.train,
        "validation": args.validation,
        "train_windows": train_owner.len(),
        "chosen": params,
        "grid": tried,
        "features_seconds": features_secs,
    });
    let name = args.name.clone().unwrap_or_else(|| ext.config.name.clone());
    let request = SaveRequest {
        base_config: &ext.config.raw,
        tokenizer: &args.model.join("tokenizer.json"),
        name: &name,
        labels: &extended.labels,
        thresholds: &extended.thresholds,
        windowing: ext.config.windowing,
        training,
        dtype: if args.dtype == "f16" {
            DType::F16
        } else {
            DType::F32
        },
    };
    save_tensors(&args.out, &extended.tensors, &request)?;

    // Score validation through the labeling path: every label, as stored.
    let classifier = Classifier::load(
        &args.out,
        &LoadOptions {
            device,
            batch_size: batch,
            ..Default::default()
        },
    )?;
    let val_all = data::load(&args.validation, classifier.labels())?;
    let scores = classifier.score(&classifier.tokenize_all(&val_all.texts)?)?;
    let report = evaluate(
        classifier.labels(),
        &val_all.gold,
        &classifier.thresholds().decide_all(&scores),
        None,
    );
    println!("chosen {params:?}\nvalidation, all labels (new thresholds tuned on it):\n{report}");
    eprintln!(
        "model written to {} in {:.0}s",
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
