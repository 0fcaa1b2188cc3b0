//! `policylens pretrain`: adapt a base encoder to policy text with the
//! masked-LM objective ([`crate::pretrain`]) before `train --fine-tune`.
//!
//! The policies are read and segmented as `label` does; each distinct
//! clause is one or more windows of `max_tokens`. A seeded sample of the
//! clauses is held out to score the masked-LM loss before and after every
//! epoch; the rest is trained on.

use crate::data::policy_clauses;
use crate::error::{invalid, Result, TrainError};
use crate::observe::Observer;
use crate::pretrain::{
    init_masked_lm, pretrain, save_masked_lm, Masking, PretrainConfig, PretrainState,
};
use candle_core::{DType, Device};
use policylens_classify::source::{resolve, sha256_file};
use policylens_classify::tokenize::ClauseTokenizer;
use policylens_classify::LoadOptions;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A pre-training run.
#[derive(Debug, Clone)]
pub struct PretrainJob {
    /// Unlabeled policies: files or folders, any format `label` reads.
    pub inputs: Vec<PathBuf>,
    /// Encoder to adapt: hub id or directory.
    pub base: String,
    /// Output directory (a Hugging Face `BertForMaskedLM`).
    pub out: PathBuf,
    pub epochs: usize,
    pub learning_rate: f64,
    pub weight_decay: f64,
    pub warmup: f64,
    pub max_grad_norm: f64,
    /// Windows per optimiser step.
    pub train_batch: usize,
    /// Tokens per window, `[CLS]` and `[SEP]` included.
    pub max_tokens: usize,
    /// Share of ordinary tokens to predict.
    pub mask_prob: f64,
    /// Train on at most this many clauses (after the held-out ones are drawn).
    pub limit: Option<usize>,
    /// Clauses held out to score the masked-LM loss (at most a tenth of all).
    pub validation_clauses: usize,
    pub seed: u64,
    pub device: Device,
    /// Checkpoint directory (default `out/checkpoint`); a run resumes from it.
    pub checkpoint: Option<PathBuf>,
    pub dtype: DType,
}

/// What a pre-training run reports when it is done.
pub struct Pretrained {
    pub state: PretrainState,
    pub seconds: f64,
}

/// Held-out and training clauses, and the windows of each.
struct Corpus {
    train_texts: usize,
    valid_texts: usize,
    train: Vec<Vec<u32>>,
    valid: Vec<Vec<u32>>,
}

/// Run `job`: read the policies, hold some clauses out, train, save.
pub fn pretrain_encoder(job: &PretrainJob, observer: &dyn Observer) -> Result<Pretrained> {
    let started = Instant::now();
    if !(0.0..1.0).contains(&job.mask_prob) || job.mask_prob == 0.0 {
        invalid!("--mask-prob must lie in (0, 1), not {}", job.mask_prob);
    }
    let base_dir = resolve(&job.base, &LoadOptions::default().local_roots)?;
    let base_sha = sha256_file(&base_dir.join("model.safetensors"))?;
    let tok = ClauseTokenizer::from_file(
        &base_dir.join("tokenizer.json"),
        job.max_tokens,
        (job.max_tokens / 4).min(64),
    )?;
    let corpus = corpus(job, &tok, observer)?;
    let (varmap, model, config) = init_masked_lm(&base_dir, job.seed, &job.device)?;
    let pconfig = PretrainConfig {
        epochs: job.epochs,
        batch_size: job.train_batch,
        learning_rate: job.learning_rate,
        weight_decay: job.weight_decay,
        warmup: job.warmup,
        max_grad_norm: job.max_grad_norm,
        seed: job.seed,
        masking: masking(job, &tok, &base_dir, config.vocab_size as u32)?,
    };
    let checkpoint = job
        .checkpoint
        .clone()
        .unwrap_or_else(|| job.out.join("checkpoint"));
    observer.note(&format!(
        "pre-training {} on {} windows of {} clauses (validation {} clauses), {} epochs",
        base_dir.display(),
        corpus.train.len(),
        corpus.train_texts,
        corpus.valid_texts,
        job.epochs
    ));
    let state = pretrain(
        &model,
        &varmap,
        &corpus.train,
        &corpus.valid,
        tok.pad_id(),
        &pconfig,
        &checkpoint,
        |s| observer.step(s),
    )?;
    observer.steps_done();
    if state.interrupted {
        return Err(TrainError::Interrupted(checkpoint));
    }
    report_epochs(&state, observer);
    let record = json!({
        "method": "masked-LM pre-training (BERT masking, tied decoder), AdamW",
        "base": job.base,
        "base_sha256": base_sha,
        "inputs": job.inputs,
        "train_clauses": corpus.train_texts,
        "train_windows": corpus.train.len(),
        "validation_clauses": corpus.valid_texts,
        "max_tokens": job.max_tokens,
        "config": pconfig,
        "initial": state.initial,
        "history": state.history,
        "total_seconds": started.elapsed().as_secs_f64(),
    });
    save_masked_lm(&job.out, &varmap, &base_dir, record, job.dtype)?;
    Ok(Pretrained {
        state,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The held-out masked-LM figures before training and after each epoch.
fn report_epochs(state: &PretrainState, observer: &dyn Observer) {
    if let Some(s) = &state.initial {
        observer.note(&format!(
            "before: validation masked-LM loss {:.4}, accuracy {:.4}",
            s.loss, s.accuracy
        ));
    }
    for h in &state.history {
        observer.note(&format!(
            "epoch {}: train loss {:.4}, validation masked-LM loss {:.4}, accuracy {:.4}, {:.0}s, {:.0} tokens/s",
            h.epoch + 1, h.train_loss, h.valid.loss, h.valid.accuracy, h.seconds, h.tokens_per_second
        ));
    }
}

/// The distinct clauses of the inputs, shuffled with the seed, split into
/// held-out and training clauses, as windows.
fn corpus(job: &PretrainJob, tok: &ClauseTokenizer, observer: &dyn Observer) -> Result<Corpus> {
    let mut texts = policy_clauses(&job.inputs, None, job.seed, "pretrain", observer)?;
    if texts.len() < 2 {
        invalid!(
            "pre-training needs at least two clauses; found {}",
            texts.len()
        );
    }
    texts.shuffle(&mut StdRng::seed_from_u64(job.seed));
    let n_valid = job.validation_clauses.clamp(1, (texts.len() / 10).max(1));
    let mut train_texts = texts.split_off(n_valid);
    if let Some(n) = job.limit {
        train_texts.truncate(n);
    }
    Ok(Corpus {
        train_texts: train_texts.len(),
        valid_texts: texts.len(),
        train: windows(tok, &train_texts)?,
        valid: windows(tok, &texts)?,
    })
}

/// BERT's masking with this vocabulary's `[MASK]` and special tokens.
fn masking(
    job: &PretrainJob,
    tok: &ClauseTokenizer,
    base_dir: &Path,
    vocab_size: u32,
) -> Result<Masking> {
    let mask_id = tok.token_id("[MASK]").ok_or_else(|| {
        TrainError::Invalid(format!(
            "{}: the vocabulary has no [MASK]",
            base_dir.display()
        ))
    })?;
    let special: Vec<u32> = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        .iter()
        .filter_map(|t| tok.token_id(t))
        .collect();
    Ok(Masking {
        prob: job.mask_prob,
        mask_id,
        vocab_size,
        special,
    })
}

/// Every window of every clause, as model input.
fn windows(tok: &ClauseTokenizer, texts: &[String]) -> Result<Vec<Vec<u32>>> {
    Ok(tok
        .encode_all(texts)?
        .iter()
        .flat_map(|c| (0..c.n_windows()).map(|w| tok.window_input(c, w)))
        .collect())
}
