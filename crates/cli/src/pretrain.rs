//! `policylens pretrain`: adapt a base encoder to policy text with the
//! masked-LM objective before `train --fine-tune` (see
//! `policylens_classify::pretrain`).
//!
//! The policies are read and segmented as `label` does; each distinct
//! clause is one or more windows of `--max-tokens`. A seeded sample of the
//! clauses is held out to score the masked-LM loss before and after every
//! epoch; the rest is trained on.

use crate::data;
use crate::progress::EpochBar;
use anyhow::{bail, Context, Result};
use clap::Args;
use policylens_classify::parse_device;
use policylens_classify::pretrain::{
    init_masked_lm, pretrain, save_masked_lm, Masking, PretrainConfig,
};
use policylens_classify::source::{resolve, sha256_file};
use policylens_classify::tokenize::ClauseTokenizer;
use policylens_classify::LoadOptions;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

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

/// Every window of every clause, as model input.
fn windows(tok: &ClauseTokenizer, texts: &[String]) -> Result<Vec<Vec<u32>>> {
    Ok(tok
        .encode_all(texts)?
        .iter()
        .flat_map(|c| (0..c.n_windows()).map(|w| tok.window_input(c, w)))
        .collect())
}

pub fn run(args: PretrainArgs) -> Result<ExitCode> {
    let started = Instant::now();
    if !(0.0..1.0).contains(&args.mask_prob) || args.mask_prob == 0.0 {
        bail!("--mask-prob must lie in (0, 1), not {}", args.mask_prob);
    }
    let device = parse_device(&args.device)?;
    let base_dir = resolve(&args.base, &LoadOptions::default().local_roots)?;
    let base_sha = sha256_file(&base_dir.join("model.safetensors"))?;
    let tok = ClauseTokenizer::from_file(
        &base_dir.join("tokenizer.json"),
        args.max_tokens,
        (args.max_tokens / 4).min(64),
    )?;
    let mut texts = data::policy_clauses(&args.inputs, None, args.seed, "pretrain")?;
    if texts.len() < 2 {
        bail!(
            "pre-training needs at least two clauses; found {}",
            texts.len()
        );
    }
    texts.shuffle(&mut StdRng::seed_from_u64(args.seed));
    let n_valid = args.validation_clauses.clamp(1, (texts.len() / 10).max(1));
    let mut train_texts = texts.split_off(n_valid);
    let valid_texts = texts;
    if let Some(n) = args.limit {
        train_texts.truncate(n);
    }
    let (train, valid) = (windows(&tok, &train_texts)?, windows(&tok, &valid_texts)?);
    let (varmap, model, config) = init_masked_lm(&base_dir, args.seed, &device)?;
    let id = |t: &str| {
        tok.token_id(t)
            .with_context(|| format!("{}: the vocabulary has no {t}", base_dir.display()))
    };
    let special: Vec<u32> = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        .iter()
        .filter_map(|t| tok.token_id(t))
        .collect();
    let pconfig = PretrainConfig {
        epochs: args.epochs,
        batch_size: args.train_batch,
        learning_rate: args.learning_rate,
        weight_decay: args.weight_decay,
        warmup: args.warmup,
        max_grad_norm: args.max_grad_norm,
        seed: args.seed,
        masking: Masking {
            prob: args.mask_prob,
            mask_id: id("[MASK]")?,
            vocab_size: config.vocab_size as u32,
            special,
        },
    };
    let checkpoint = args
        .checkpoint
        .clone()
        .unwrap_or_else(|| args.out.join("checkpoint"));
    eprintln!(
        "pre-training {} on {} windows of {} clauses (validation {} clauses), {} epochs",
        base_dir.display(),
        train.len(),
        train_texts.len(),
        valid_texts.len(),
        args.epochs
    );
    let bar = EpochBar::new();
    let state = pretrain(
        &model,
        &varmap,
        &train,
        &valid,
        tok.pad_id(),
        &pconfig,
        &checkpoint,
        |s| bar.step(s.epoch, s.step, s.total_steps, s.loss, s.tokens_per_second),
    )?;
    bar.finish();
    if let Some(s) = state.initial {
        eprintln!(
            "before: validation masked-LM loss {:.4}, accuracy {:.4}",
            s.loss, s.accuracy
        );
    }
    for h in &state.history {
        eprintln!(
            "epoch {}: train loss {:.4}, validation masked-LM loss {:.4}, accuracy {:.4}, {:.0}s, {:.0} tokens/s",
            h.epoch + 1,
            h.train_loss,
            h.valid.loss,
            h.valid.accuracy,
            h.seconds,
            h.tokens_per_second
        );
    }
    let record = serde_json::json!({
        "method": "masked-LM pre-training (BERT masking, tied decoder), AdamW",
        "base": args.base,
        "base_sha256": base_sha,
        "inputs": args.inputs,
        "train_clauses": train_texts.len(),
        "train_windows": train.len(),
        "validation_clauses": valid_texts.len(),
        "max_tokens": args.max_tokens,
        "config": pconfig,
        "initial": state.initial,
        "history": state.history,
        "total_seconds": started.elapsed().as_secs_f64(),
    });
    let dtype = match args.dtype.as_str() {
        "f16" => candle_core::DType::F16,
        _ => candle_core::DType::F32,
    };
    save_masked_lm(&args.out, &varmap, &base_dir, record, dtype)?;
    eprintln!(
        "encoder written to {} in {:.0}s; fine-tune it with `policylens train --fine-tune --base {}`",
        args.out.display(),
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
