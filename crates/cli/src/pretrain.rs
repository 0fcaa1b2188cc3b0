//! `policylens pretrain`: adapt a base encoder to policy text with the
//! masked-LM objective before `train --fine-tune`
//! (`policylens_train::recipe::pretrain`).

use crate::progress::Console;
use anyhow::Result;
use clap::Args;
use policylens_classify::parse_device;
use policylens_train::recipe::pretrain::{pretrain_encoder, PretrainJob};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct PretrainArgs {
    /// Unlabeled policies: files or folders, any format `label` reads.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Encoder to adapt: hub id or directory (looked for under models/ first).
    #[arg(long, default_value = "sentence-transformers/all-MiniLM-L6-v2")]
    pub base: String,
    /// Output directory (a Hugging Face BertForMaskedLM; use it as `train --base`).
    #[arg(short, long)]
    pub out: PathBuf,
    #[arg(long, default_value_t = 1)]
    pub epochs: usize,
    #[arg(long, default_value_t = 5e-5)]
    pub learning_rate: f64,
    #[arg(long, default_value_t = 0.01)]
    pub weight_decay: f64,
    /// Share of steps spent on linear warm-up.
    #[arg(long, default_value_t = 0.06)]
    pub warmup: f64,
    #[arg(long, default_value_t = 1.0)]
    pub max_grad_norm: f64,
    /// Windows per optimiser step.
    #[arg(long, default_value_t = 32)]
    pub train_batch: usize,
    /// Tokens per window, `[CLS]` and `[SEP]` included (the model's limit at most).
    #[arg(long, default_value_t = 128)]
    pub max_tokens: usize,
    /// Share of ordinary tokens to predict.
    #[arg(long, default_value_t = 0.15)]
    pub mask_prob: f64,
    /// Train on at most this many clauses (after the held-out ones are drawn).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Clauses held out to score the masked-LM loss (at most a tenth of all).
    #[arg(long, default_value_t = 500)]
    pub validation_clauses: usize,
    #[arg(long, default_value_t = 17)]
    pub seed: u64,
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Checkpoint directory (default OUT/checkpoint); a run resumes from it.
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// Storage type of the written weights.
    #[arg(long, default_value = "f32", value_parser = ["f32", "f16"])]
    pub dtype: String,
}

pub fn run(args: PretrainArgs) -> Result<ExitCode> {
    let job = PretrainJob {
        inputs: args.inputs,
        base: args.base,
        out: args.out,
        epochs: args.epochs,
        learning_rate: args.learning_rate,
        weight_decay: args.weight_decay,
        warmup: args.warmup,
        max_grad_norm: args.max_grad_norm,
        train_batch: args.train_batch,
        max_tokens: args.max_tokens,
        mask_prob: args.mask_prob,
        limit: args.limit,
        validation_clauses: args.validation_clauses,
        seed: args.seed,
        device: parse_device(&args.device)?,
        checkpoint: args.checkpoint,
        dtype: crate::dtype(&args.dtype),
    };
    let done = pretrain_encoder(&job, &Console::default())?;
    eprintln!(
        "encoder written to {} in {:.0}s; fine-tune it with `policylens train --fine-tune --base {}`",
        job.out.display(),
        done.seconds,
        job.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
