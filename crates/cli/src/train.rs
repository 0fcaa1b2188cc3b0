//! `policylens train`: its options, and the frozen-encoder mode that fits a
//! multi-label head on a frozen base encoder (`--fine-tune` trains the whole
//! encoder instead: see `finetune.rs`).
//!
//! Clauses are embedded once (each window of a long clause is a training
//! example carrying its clause's labels); a small grid of head
//! hyper-parameters is tried; the one with the best validation macro-F1
//! (after per-label threshold calibration on validation) is kept.

use crate::data;
use crate::progress::bar;
use anyhow::{bail, Context, Result};
use candle_core::Tensor;
use clap::Args;
use policylens_classify::calibrate::calibrate_thresholds;
use policylens_classify::head::Head;
use policylens_classify::model::{ModelConfig, FORMAT, HEAD_FILE};
use policylens_classify::source::{resolve, sha256_file};
use policylens_classify::train::{train_head, HeadParams};
use policylens_classify::{
    evaluate, parse_device, score_windows, BaseEncoder, Embedder, LoadOptions, TokenizedClause,
    Windowing,
};
use policylens_core::{LabelSet, Thresholds};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Args)]
pub struct TrainArgs {
    /// Training clauses: FILE or FILE@split; repeatable.
    #[arg(long = "train", required = true)]
    pub train: Vec<String>,
    /// Validation clauses for model selection and thresholds; repeatable.
    #[arg(long = "validation", required = true)]
    pub validation: Vec<String>,
    /// Base encoder: hub id or directory (looked for under models/ first).
    #[arg(long, default_value = "sentence-transformers/all-MiniLM-L6-v2")]
    pub base: String,
    /// Output model directory.
    #[arg(short, long)]
    pub out: PathBuf,
    /// Name written into outputs' model column.
    #[arg(long)]
    pub name: Option<String>,
    /// Labels (comma-separated); default: PolicyLens' thirteen.
    #[arg(long, value_delimiter = ',')]
    pub labels: Option<Vec<String>>,
    #[arg(long, default_value = "cpu")]
    pub device: String,
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Unlabeled policies whose clauses that name no biometric term are
    /// used as biometrics negatives (other labels not supervised); repeatable.
    #[arg(long = "biometrics-negatives")]
    pub biometrics_negatives: Vec<PathBuf>,
    /// At most this many such clauses, spread over the corpus.
    #[arg(long, default_value_t = 1500)]
    pub max_negatives: usize,
    #[command(flatten)]
    pub fine_tune: FineTuneArgs,
}

/// Options of `--fine-tune` runs.
#[derive(Args, Clone)]
pub struct FineTuneArgs {
    /// Fine-tune the whole encoder (writes a Hugging Face BertForSequenceClassification directory, or MPNetForSequenceClassification for an MPNet base such as all-mpnet-base-v2).
    #[arg(long)]
    pub fine_tune: bool,
    #[arg(long, default_value_t = 4)]
    pub epochs: usize,
    #[arg(long, default_value_t = 5e-5)]
    pub learning_rate: f64,
    #[arg(long, default_value_t = 0.01)]
    pub weight_decay: f64,
    /// Share of steps spent on linear warm-up.
    #[arg(long, default_value_t = 0.1)]
    pub warmup: f64,
    #[arg(long, default_value_t = 1.0)]
    pub max_grad_norm: f64,
    #[arg(long, default_value_t = 0.1)]
    pub dropout: f32,
    /// Epochs without a better validation macro-F1 before stopping.
    #[arg(long, default_value_t = 2)]
    pub patience: usize,
    #[arg(long, default_value_t = 17)]
    pub seed: u64,
    /// Examples per optimiser step.
    #[arg(long, default_value_t = 16)]
    pub train_batch: usize,
    /// Tokens per window when training and labeling (the model's limit at most).
    #[arg(long, default_value_t = 256)]
    pub max_tokens: usize,
    /// Weight positives of label j by (negatives/positives)^power (0 = unweighted).
    #[arg(long, default_value_t = 0.0)]
    pub pos_weight_power: f64,
    /// Focal loss: scale each label's BCE by (1 - p)^gamma on positives and
    /// p^gamma on negatives, so entries already right weigh less (0 = plain BCE).
    #[arg(long, default_value_t = 0.0)]
    pub focal_gamma: f64,
    /// Pull each label's validation threshold toward one shared cut by this
    /// many positives' worth of evidence (0 = each label's own F1-maximising
    /// cut); see `policylens calibrate`.
    #[arg(long, default_value_t = 0.0)]
    pub threshold_prior: f64,
    /// Checkpoint directory (default OUT/checkpoint); a run resumes from it.
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// Storage type of the written model: f32, or f16 for half-size files
    /// (training and thresholds use the weights as stored).
    #[arg(long, default_value = "f32", value_parser = ["f32", "f16"])]
    pub dtype: String,
    /// Distil from this model (repeatable: the models' scores are averaged).
    /// A training clause's target for a label becomes
    /// `alpha * gold + (1 - alpha) * teacher score`; labels no teacher has
    /// keep the gold target.
    #[arg(long = "teacher")]
    pub teachers: Vec<PathBuf>,
    /// Weight of the gold labels against the teachers' scores (1 = ignore the teachers).
    #[arg(long, default_value_t = 0.5)]
    pub distill_alpha: f32,
    /// Unlabeled policies (files or folders, any format `label` reads) whose
    /// clauses are added to training with the teachers' mean scores as their
    /// targets: distilling the teachers on text they never saw. Needs --teacher.
    #[arg(long = "transfer")]
    pub transfer: Vec<PathBuf>,
    /// Use at most this many transfer clauses (distinct texts, drawn with the seed).
    #[arg(long)]
    pub transfer_limit: Option<usize>,
}

/// Window features of all clauses (`features` of chunks of clauses), with
/// each window's clause index.
pub(crate) fn window_features(
    tokens: &[TokenizedClause],
    what: &str,
    mut features: impl FnMut(&[TokenizedClause]) -> policylens_classify::Result<(Tensor, Vec<usize>)>,
) -> Result<(Tensor, Vec<usize>)> {
    let bar = bar(tokens.len(), what);
    let (mut rows, mut owner) = (Vec::new(), Vec::new());
    for (k, chunk) in tokens.chunks(256).enumerate() {
        let (emb, own) = features(chunk)?;
        rows.push(emb);
        owner.extend(own.into_iter().map(|i| i + k * 256));
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    Ok((Tensor::cat(&rows, 0)?, owner))
}

pub(crate) fn targets(
    gold: &[Vec<bool>],
    owner: &[usize],
    device: &candle_core::Device,
) -> Result<Tensor> {
    let n_labels = gold.first().map_or(0, Vec::len);
    let flat: Vec<f32> = owner
        .iter()
        .flat_map(|&i| gold[i].iter().map(|&g| g as u8 as f32))
        .collect();
    Ok(Tensor::from_vec(flat, (owner.len(), n_labels), device)?)
}

/// The hyper-parameter grid tried on validation.
pub(crate) fn grid() -> Vec<HeadParams> {
    let mut g = Vec::new();
    for steps in [100, 300, 600] {
        for weight_decay in [0.1, 1.0] {
            for pos_weight_power in [0.0, 0.5] {
                g.push(HeadParams {
                    learning_rate: 0.01,
                    weight_decay,
                    steps,
                    pos_weight_power,
                });
            }
        }
    }
    g
}

pub fn run(args: TrainArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let labels = match &args.labels {
        Some(names) => LabelSet::new(names.clone())?,
        None => LabelSet::policylens(),
    };
    let opts = LoadOptions {
        device: parse_device(&args.device)?,
        batch_size: args.batch_size,
        ..Default::default()
    };
    let base_dir = resolve(&args.base, &opts.local_roots)?;
    let base_sha = sha256_file(&base_dir.join("model.safetensors"))?;
    let windowing = Windowing::default();
    let embedder = Embedder::load(&base_dir, None, windowing, &opts)?;

    let mut train = data::load(&args.train, &labels)?;
    let labeled = train.texts.len();
    let mut weak = 0;
    if !args.biometrics_negatives.is_empty() {
        labels
            .index("biometrics")
            .ok_or_else(|| anyhow::anyhow!("--biometrics-negatives needs a biometrics label"))?;
        let negatives =
            crate::weak::biometrics_negatives(&args.biometrics_negatives, args.max_negatives)?;
        eprintln!("{} weak biometrics negatives", negatives.len());
        weak = negatives.len();
        for t in negatives {
            train.texts.push(t);
            train.headings.push(None);
            train.gold.push(vec![false; labels.len()]);
        }
    }
    let val = data::load(&args.validation, &labels)?;
    if train.texts.is_empty() || val.texts.is_empty() {
        bail!("no training or no validation clauses");
    }
    let (train_tok, val_tok) = (
        embedder.tokenize_all(&train.texts)?,
        embedder.tokenize_all(&val.texts)?,
    );
    let (x, train_owner) =
        window_features(&train_tok, "embedding train", |c| embedder.embed_windows(c))?;
    let (xv, val_owner) = window_features(&val_tok, "embedding validation", |c| {
        embedder.embed_windows(c)
    })?;
    let y = targets(&train.gold, &train_owner, x.device())?;
    // Labeled clauses supervise every label; weak negatives only biometrics.
    let mask = if weak > 0 {
        let bio = labels.index("biometrics").expect("checked above");
        let rows: Vec<Vec<bool>> = (0..train.texts.len())
            .map(|i| (0..labels.len()).map(|j| i < labeled || j == bio).collect())
            .collect();
        Some(targets(&rows, &train_owner, x.device())?)
    } else {
        None
    };
    let embed_secs = started.elapsed().as_secs_f64();

    let mut best: Option<(f64, HeadParams, Head, Thresholds)> = None;
    let mut tried = Vec::new();
    for params in grid() {
        let head = train_head(&x, &y, mask.as_ref(), &params)?;
        let scores = score_windows(&head, &xv, &val_owner, val.texts.len())?;
        let probs: Vec<Vec<f32>> = scores.iter().map(|s| s.0.clone()).collect();
        let thresholds = calibrate_thresholds(&probs, &val.gold, labels.len());
        let report = evaluate(&labels, &val.gold, &thresholds.decide_all(&scores), None);
        eprintln!(
            "lr {:<5} steps {:>5} weight_decay {:<4} pos_weight_power {:<3} -> validation macro-F1 {:.4} micro-F1 {:.4}",
            params.learning_rate, params.steps, params.weight_decay, params.pos_weight_power, report.macro_f1, report.micro_f1
        );
        tried.push(serde_json::json!({"params": params, "validation_macro_f1": report.macro_f1, "validation_micro_f1": report.micro_f1}));
        if best.as_ref().is_none_or(|b| report.macro_f1 > b.0) {
            best = Some((report.macro_f1, params, head, thresholds));
        }
    }
    let (_, params, head, thresholds) = best.expect("grid is not empty");
    let scores = score_windows(&head, &xv, &val_owner, val.texts.len())?;
    let report = evaluate(&labels, &val.gold, &thresholds.decide_all(&scores), None);
    println!("chosen {params:?}\nvalidation (thresholds tuned on it):\n{report}");

    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    head.save(&args.out.join(HEAD_FILE))?;
    let name = args.name.clone().unwrap_or_else(|| {
        args.out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "policylens".into())
    });
    let config = ModelConfig {
        format: FORMAT.into(),
        name,
        labels: labels.clone(),
        thresholds,
        base: BaseEncoder {
            id: args.base.clone(),
            sha256: Some(base_sha),
        },
        windowing,
        training: serde_json::json!({
            "method": "frozen encoder, mean-pooled normalised embeddings, standardised, logistic head per label (AdamW, full batch), thresholds maximising F1 on validation",
            "train": args.train,
            "validation": args.validation,
            "train_clauses": labeled,
            "biometrics_weak_negatives": weak,
            "biometrics_negatives_from": args.biometrics_negatives,
            "train_windows": train_owner.len(),
            "validation_clauses": val.texts.len(),
            "chosen": params,
            "validation_macro_f1": report.macro_f1,
            "validation_micro_f1": report.micro_f1,
            "grid": tried,
            "embedding_seconds": embed_secs,
            "total_seconds": started.elapsed().as_secs_f64(),
        }),
    };
    config.write(&args.out)?;
    eprintln!(
        "model written to {} in {:.0}s",
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
