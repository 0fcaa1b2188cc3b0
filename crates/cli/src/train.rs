//! `policylens train`: its options, and the two jobs they start — a
//! multi-label head on a frozen base encoder, or with `--fine-tune` the
//! whole encoder (`policylens_train::recipe::{head, fine_tune}`).

use crate::progress::Console;
use anyhow::{bail, Result};
use clap::Args;
use policylens_classify::{parse_device, LoadOptions};
use policylens_core::LabelSet;
use policylens_train::finetune::FineTuneConfig;
use policylens_train::recipe::fine_tune::{fine_tune_model, FineTuneJob};
use policylens_train::recipe::head::{train_head_model, HeadJob};
use policylens_train::recipe::TrainSpec;
use std::path::PathBuf;
use std::process::ExitCode;

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
    /// Blend the teachers' scores only into the clauses of this --train
    /// argument (repeatable, written as given to --train); the others keep
    /// their gold labels. Default: every training file.
    #[arg(long = "distill-only")]
    pub distill_only: Vec<String>,
    /// Unlabeled policies (files or folders, any format `label` reads) whose
    /// clauses are added to training with the teachers' mean scores as their
    /// targets: distilling the teachers on text they never saw. Needs --teacher.
    #[arg(long = "transfer")]
    pub transfer: Vec<PathBuf>,
    /// Use at most this many transfer clauses (distinct texts, drawn with the seed).
    #[arg(long)]
    pub transfer_limit: Option<usize>,
}

impl TrainArgs {
    fn spec(&self) -> Result<TrainSpec> {
        Ok(TrainSpec {
            train: self.train.clone(),
            validation: self.validation.clone(),
            base: self.base.clone(),
            out: self.out.clone(),
            name: self.name.clone(),
            labels: match &self.labels {
                Some(names) => LabelSet::new(names.clone())?,
                None => LabelSet::policylens(),
            },
            load: LoadOptions {
                device: parse_device(&self.device)?,
                batch_size: self.batch_size,
                ..Default::default()
            },
        })
    }

    fn fine_tune_job(&self) -> Result<FineTuneJob> {
        let ft = &self.fine_tune;
        Ok(FineTuneJob {
            spec: self.spec()?,
            config: FineTuneConfig {
                epochs: ft.epochs,
                batch_size: ft.train_batch,
                learning_rate: ft.learning_rate,
                weight_decay: ft.weight_decay,
                warmup: ft.warmup,
                max_grad_norm: ft.max_grad_norm,
                dropout: ft.dropout,
                patience: ft.patience,
                seed: ft.seed,
                pos_weight: None,
                focal_gamma: ft.focal_gamma,
            },
            pos_weight_power: ft.pos_weight_power,
            max_tokens: ft.max_tokens,
            threshold_prior: ft.threshold_prior,
            checkpoint: ft.checkpoint.clone(),
            dtype: crate::dtype(&ft.dtype),
            teachers: ft.teachers.clone(),
            distill_alpha: ft.distill_alpha,
            distill_only: ft.distill_only.clone(),
            transfer: ft.transfer.clone(),
            transfer_limit: ft.transfer_limit,
        })
    }
}

/// Train a head, or with `--fine-tune` the whole encoder.
pub fn run(args: TrainArgs) -> Result<ExitCode> {
    if args.fine_tune.fine_tune {
        return fine_tune(&args);
    }
    let job = HeadJob {
        spec: args.spec()?,
        biometrics_negatives: args.biometrics_negatives.clone(),
        max_negatives: args.max_negatives,
    };
    let trained = train_head_model(&job, &Console::default())?;
    println!(
        "chosen {:?}\nvalidation (thresholds tuned on it):\n{}",
        trained.params, trained.validation
    );
    written(&args.out, trained.seconds);
    Ok(ExitCode::SUCCESS)
}

fn fine_tune(args: &TrainArgs) -> Result<ExitCode> {
    if !args.biometrics_negatives.is_empty() {
        bail!("--biometrics-negatives is not supported with --fine-tune yet");
    }
    let trained = fine_tune_model(&args.fine_tune_job()?, &Console::default())?;
    println!(
        "validation (thresholds tuned on it):\n{}",
        trained.validation
    );
    written(&args.out, trained.seconds);
    Ok(ExitCode::SUCCESS)
}

fn written(out: &std::path::Path, seconds: f64) {
    eprintln!("model written to {} in {seconds:.0}s", out.display());
}
