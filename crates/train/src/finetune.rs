//! Fine-tuning the whole encoder for multi-label clause classification.
//!
//! The model is Hugging Face's `BertForSequenceClassification` — `Bert`
//! under `bert.`, the `[CLS]` pooler (`bert.pooler.dense`, tanh) and a
//! linear `classifier` — so a trained directory loads in Python
//! `transformers` unchanged. Training is mini-batch AdamW (decoupled weight
//! decay, not on biases and layer norms) with linear warm-up and decay,
//! global gradient-norm clipping, masked BCE with optional per-label
//! positive weights and focal modulation, batches of similar length, early
//! stopping on validation macro-F1, and a checkpoint after every epoch from
//! which a run resumes exactly. Every random choice (batch order, dropout, the new
//! classifier's initial weights) comes from the seed.
//!
//! The model file is `policylens_classify::seqcls`; examples and batches are
//! [`crate::batch`], the optimiser [`crate::optim`], checkpoints
//! [`crate::checkpoint`], and where the weights start [`crate::init`].

use crate::batch::{length_batches, Batch, Example};
use crate::calibrate::calibrate_thresholds;
use crate::checkpoint::{io_err, restore, resume, save_checkpoint, BEST_WEIGHTS};
use crate::loss::focal_bce_with_logits;
use crate::metrics::evaluate;
pub use crate::observe::StepReport;
use crate::optim::{clip_grad_norm, learning_rate, AdamW};
use candle_core::{DType, Device, Result, Tensor, Var};
use candle_nn::VarMap;
use policylens_classify::bert::Ops;
use policylens_classify::seqcls::{Dropout, SequenceClassifier};
use policylens_core::LabelSet;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Instant;

/// Hyper-parameters of a fine-tuning run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FineTuneConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub weight_decay: f64,
    /// Share of all steps spent warming up.
    pub warmup: f64,
    pub max_grad_norm: f64,
    pub dropout: f32,
    /// Stop after this many epochs without a better validation macro-F1.
    pub patience: usize,
    pub seed: u64,
    /// Per-label positive weights for the BCE (1 = unweighted).
    pub pos_weight: Option<Vec<f32>>,
    /// Focal modulation of the BCE (0 = plain BCE).
    #[serde(default)]
    pub focal_gamma: f64,
}

impl Default for FineTuneConfig {
    fn default() -> Self {
        Self {
            epochs: 4,
            batch_size: 16,
            learning_rate: 5e-5,
            weight_decay: 0.01,
            warmup: 0.1,
            max_grad_norm: 1.0,
            dropout: 0.1,
            patience: 2,
            seed: 17,
            pos_weight: None,
            focal_gamma: 0.0,
        }
    }
}

/// Where a run stands; written as `state.json` beside each checkpoint.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TrainState {
    /// Epochs finished.
    pub epoch: usize,
    pub step: usize,
    pub best_macro_f1: f64,
    pub best_epoch: usize,
    pub history: Vec<EpochRecord>,
    /// The progress callback stopped the run; resume from the checkpoint.
    #[serde(skip)]
    pub interrupted: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EpochRecord {
    pub epoch: usize,
    pub train_loss: f64,
    pub valid_macro_f1: f64,
    pub seconds: f64,
    pub tokens_per_second: f64,
}

/// Sigmoid probabilities for `examples`, in order, with the fused (fast) forward.
pub fn predict(
    model: &SequenceClassifier,
    examples: &[Example],
    batch_size: usize,
    pad_id: u32,
    device: &Device,
) -> Result<Vec<Vec<f32>>> {
    let lengths: Vec<usize> = examples.iter().map(|e| e.ids.len()).collect();
    let mut order: Vec<usize> = (0..examples.len()).collect();
    order.sort_by_key(|&i| lengths[i]);
    let mut out = vec![Vec::new(); examples.len()];
    for chunk in order.chunks(batch_size.max(1)) {
        let refs: Vec<&Example> = chunk.iter().map(|&i| &examples[i]).collect();
        let batch = Batch::new(&refs, pad_id, device)?;
        let probs = candle_nn::ops::sigmoid(&model.logits(
            &batch.ids,
            &batch.type_ids,
            &batch.mask,
            Ops::Fused,
            None,
        )?)?
        .to_dtype(DType::F32)?
        .to_vec2::<f32>()?;
        for (&i, p) in chunk.iter().zip(probs) {
            out[i] = p;
        }
    }
    Ok(out)
}

/// Macro-F1 over the labels with validation positives, each label at the
/// threshold that maximises its F1 on these examples (as the saved model's
/// thresholds will be chosen). A fixed 0.5 would read an under-confident
/// early epoch as worthless: with rare labels, BCE first pushes every
/// probability below 0.5 while the ranking is already good.
pub fn calibrated_macro_f1(labels: &LabelSet, probs: &[Vec<f32>], examples: &[Example]) -> f64 {
    let gold: Vec<Vec<bool>> = examples
        .iter()
        .map(|e| e.targets.iter().map(|&t| t > 0.5).collect())
        .collect();
    let thresholds = calibrate_thresholds(probs, &gold, labels.len());
    let pred: Vec<Vec<bool>> = probs.iter().map(|p| thresholds.decide(p)).collect();
    evaluate(labels, &gold, &pred, None).macro_f1
}

/// Train `model` (whose variables live in `varmap`) on `train`, choosing the
/// epoch by validation macro-F1. With `checkpoint`, every epoch is saved
/// there and an interrupted run resumes from the last finished epoch. The
/// best epoch's weights are left in `varmap` on return. `progress` sees
/// every step; returning `false` stops the run (as an interruption would).
#[allow(clippy::too_many_arguments)]
pub fn fine_tune(
    model: &SequenceClassifier,
    varmap: &VarMap,
    labels: &LabelSet,
    train: &[Example],
    valid: &[Example],
    pad_id: u32,
    config: &FineTuneConfig,
    checkpoint: &Path,
    mut progress: impl FnMut(&StepReport) -> bool,
) -> Result<TrainState> {
    let device = model.device();
    std::fs::create_dir_all(checkpoint).map_err(|e| io_err(checkpoint, e))?;
    let mut opt = AdamW::new(varmap, config.weight_decay)?;
    let params: Vec<Var> = varmap.all_vars();
    let mut state: TrainState = resume(checkpoint, varmap, &mut opt, &device)?.unwrap_or_default();
    opt.step = state.step;
    let n_labels = labels.len();
    let pos_weight = Tensor::from_vec(
        config
            .pos_weight
            .clone()
            .unwrap_or_else(|| vec![1.0; n_labels]),
        n_labels,
        &device,
    )?;
    let lengths: Vec<usize> = train.iter().map(|e| e.ids.len()).collect();
    let steps_per_epoch = train.len().div_ceil(config.batch_size.max(1));
    let total = steps_per_epoch * config.epochs;
    let warmup = ((total as f64) * config.warmup).round() as usize;
    while state.epoch < config.epochs && state.epoch < state.best_epoch + config.patience + 1 {
        let epoch = state.epoch;
        let seed = config.seed.wrapping_add(epoch as u64);
        let mut dropout = Dropout::new(config.dropout, seed ^ 0x5eed);
        let started = Instant::now();
        let (mut loss_sum, mut tokens) = (0f64, 0usize);
        let batches = length_batches(&lengths, config.batch_size, seed);
        for (i, idx) in batches.iter().enumerate() {
            let refs: Vec<&Example> = idx.iter().map(|&j| &train[j]).collect();
            let batch = Batch::new(&refs, pad_id, &device)?;
            let logits = model.logits(
                &batch.ids,
                &batch.type_ids,
                &batch.mask,
                Ops::Differentiable,
                Some(&mut dropout),
            )?;
            let loss = focal_bce_with_logits(
                &logits,
                &batch.targets,
                &pos_weight,
                Some(&batch.supervised),
                config.focal_gamma,
            )?;
            let mut grads = loss.backward()?;
            clip_grad_norm(&mut grads, &params, config.max_grad_norm)?;
            opt.update(
                &grads,
                learning_rate(opt.step, total, warmup, config.learning_rate),
            )?;
            loss_sum += loss.to_dtype(DType::F64)?.to_scalar::<f64>()?;
            tokens += batch.tokens;
            let go_on = progress(&StepReport {
                epoch,
                step: i + 1,
                total_steps: batches.len(),
                loss: loss_sum / (i + 1) as f64,
                tokens_per_second: tokens as f64 / started.elapsed().as_secs_f64().max(1e-9),
            });
            if !go_on {
                // Like a kill: the unfinished epoch is lost, the checkpoint stays.
                state.interrupted = true;
                return Ok(state);
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        let probs = predict(model, valid, config.batch_size * 2, pad_id, &device)?;
        let f1 = calibrated_macro_f1(labels, &probs, valid);
        state.history.push(EpochRecord {
            epoch,
            train_loss: loss_sum / batches.len().max(1) as f64,
            valid_macro_f1: f1,
            seconds,
            tokens_per_second: tokens as f64 / seconds.max(1e-9),
        });
        tracing::info!(
            "epoch {}: train loss {:.4}, validation macro-F1 {f1:.4}, {seconds:.0}s",
            epoch + 1,
            loss_sum / batches.len().max(1) as f64
        );
        if f1 > state.best_macro_f1 || epoch == 0 {
            state.best_macro_f1 = f1;
            state.best_epoch = epoch;
            varmap.save(checkpoint.join(BEST_WEIGHTS))?;
        }
        state.epoch = epoch + 1;
        state.step = opt.step;
        save_checkpoint(checkpoint, varmap, &opt, &state)?;
    }
    restore(varmap, &checkpoint.join(BEST_WEIGHTS), &device)?;
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init::init_from_encoder;
    use policylens_classify::testing::{max_abs_diff, var_values as weight, write_tiny_encoder};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// Label 0: the clause names "face" or "fingerprint"; label 1: "share".
    fn toy_examples(n: usize, seed: u64) -> Vec<Example> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                let len = rng.random_range(3..10);
                let mut ids = vec![2u32];
                ids.extend((0..len).map(|_| rng.random_range(5u32..38)));
                ids.push(3);
                let has = |w: &[u32]| ids.iter().any(|i| w.contains(i));
                let targets = vec![has(&[14, 15]) as u8 as f32, has(&[9]) as u8 as f32];
                Example {
                    ids,
                    targets,
                    supervised: vec![1.0, 1.0],
                }
            })
            .collect()
    }

    fn tiny_classifier(dir: &Path) -> (VarMap, SequenceClassifier) {
        tiny_classifier_on(dir, write_tiny_encoder)
    }

    fn two_labels() -> LabelSet {
        LabelSet::new(["a", "b"]).unwrap()
    }

    /// Continue from a classifier with labels a, b, c as a student with c, a, d.
    fn head_rows_follow_label_names(
        write: impl Fn(&Path, u64) -> policylens_classify::Result<()>,
        output: &str,
        encoder_weight: &str,
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let base_labels = LabelSet::new(["a", "b", "c"]).unwrap();
        let (base, _) = crate::testing::write_tiny_seqcls_on(
            tmp.path(),
            &base_labels,
            vec![0.5; 3],
            "base",
            write,
        )
        .unwrap();
        // Same labels, same order: the whole base, head included, by position.
        let (same, _, _) = init_from_encoder(&base, &base_labels, 7, &Device::Cpu).unwrap();
        let w_base = weight(&same, &format!("{output}.weight"));
        let h = w_base.len() / 3;
        let row = |i: usize| &w_base[i * h..(i + 1) * h];

        let student = LabelSet::new(["c", "a", "d"]).unwrap();
        let (varmap, _, _) = init_from_encoder(&base, &student, 7, &Device::Cpu).unwrap();
        let w = weight(&varmap, &format!("{output}.weight"));
        assert_eq!(&w[..h], row(2), "c's row is the base's row 2");
        assert_eq!(&w[h..2 * h], row(0), "a's row is the base's row 0");
        for i in 0..3 {
            assert!(
                max_abs_diff(&w[2 * h..], row(i)) > 1e-3,
                "d is new, not base row {i}"
            );
        }
        assert_eq!(weight(&varmap, &format!("{output}.bias")).len(), 3);
        assert_eq!(
            weight(&varmap, encoder_weight),
            weight(&same, encoder_weight)
        );
    }

    #[test]
    fn continuing_from_a_classifier_carries_output_rows_by_label_name() {
        head_rows_follow_label_names(
            write_tiny_encoder,
            "classifier",
            "bert.encoder.layer.0.attention.self.query.weight",
        );
    }

    #[test]
    fn continuing_from_an_mpnet_classifier_carries_output_rows_by_label_name() {
        head_rows_follow_label_names(
            policylens_classify::testing::write_tiny_mpnet,
            "classifier.out_proj",
            "mpnet.encoder.layer.0.attention.attn.q.weight",
        );
    }

    fn tiny_classifier_on(
        dir: &Path,
        write: impl Fn(&Path, u64) -> policylens_classify::Result<()>,
    ) -> (VarMap, SequenceClassifier) {
        write(dir, 9).unwrap();
        let (varmap, model, _) = init_from_encoder(dir, &two_labels(), 1, &Device::Cpu).unwrap();
        (varmap, model)
    }

    fn config(epochs: usize) -> FineTuneConfig {
        FineTuneConfig {
            epochs,
            batch_size: 8,
            learning_rate: 3e-3,
            weight_decay: 0.01,
            warmup: 0.1,
            max_grad_norm: 1.0,
            dropout: 0.1,
            patience: 100,
            seed: 5,
            pos_weight: None,
            focal_gamma: 0.0,
        }
    }

    #[test]
    fn fine_tuning_a_tiny_model_lowers_the_loss_and_moves_the_whole_encoder() {
        fine_tuning_moves_the_whole_encoder(
            write_tiny_encoder,
            "bert.embeddings.LayerNorm.weight",
            "bert.encoder.layer.0.attention.self.query.weight",
        );
    }

    #[test]
    fn fine_tuning_a_tiny_mpnet_lowers_the_loss_and_moves_the_whole_encoder() {
        fine_tuning_moves_the_whole_encoder(
            policylens_classify::testing::write_tiny_mpnet,
            "mpnet.encoder.relative_attention_bias.weight",
            "mpnet.encoder.layer.0.attention.attn.q.weight",
        );
    }

    /// Fine-tune a tiny model from the encoder `write` makes; the two named
    /// encoder weights (one at the bottom) must move.
    fn fine_tuning_moves_the_whole_encoder(
        write: impl Fn(&Path, u64) -> policylens_classify::Result<()>,
        bottom: &str,
        query_name: &str,
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let (varmap, model) = tiny_classifier_on(&tmp.path().join("enc"), write);
        let labels = LabelSet::new(["biometrics", "sharing"]).unwrap();
        let (train, valid) = (toy_examples(96, 1), toy_examples(48, 2));
        let before = weight(&varmap, bottom);
        let query = weight(&varmap, query_name);
        let f1_before = calibrated_macro_f1(
            &labels,
            &predict(&model, &valid, 16, 0, &Device::Cpu).unwrap(),
            &valid,
        );
        let state = fine_tune(
            &model,
            &varmap,
            &labels,
            &train,
            &valid,
            0,
            &config(24),
            &tmp.path().join("ckpt"),
            |_| true,
        )
        .unwrap();
        let losses: Vec<f64> = state.history.iter().map(|h| h.train_loss).collect();
        assert!(
            losses.last().unwrap() < &(0.5 * losses[0]),
            "loss did not fall: {losses:?}"
        );
        assert!(
            state.best_macro_f1 > f1_before + 0.2,
            "{f1_before} -> {state:?}"
        );
        // The bottom of the encoder learned, not just the head.
        assert_ne!(weight(&varmap, bottom), before);
        assert_ne!(weight(&varmap, query_name), query);
    }

    #[test]
    fn a_resumed_run_ends_where_an_uninterrupted_one_does() {
        let labels = LabelSet::new(["biometrics", "sharing"]).unwrap();
        let (train, valid) = (toy_examples(32, 3), toy_examples(16, 4));
        let tmp = tempfile::tempdir().unwrap();
        let run = |ckpt: &str, enc: &str, stop_at_epoch: Option<usize>| {
            let (varmap, model) = tiny_classifier(&tmp.path().join(enc));
            let state = fine_tune(
                &model,
                &varmap,
                &labels,
                &train,
                &valid,
                0,
                &config(3),
                &tmp.path().join(ckpt),
                |s| Some(s.epoch) != stop_at_epoch || s.step < 2,
            )
            .unwrap();
            (weight(&varmap, "classifier.weight"), state)
        };
        let (straight, s1) = run("a", "e1", None);
        let (_, cut) = run("b", "e2", Some(1));
        assert!(cut.interrupted);
        assert_eq!(cut.history.len(), 1, "only the finished epoch survives");
        // A fresh model, as in a new process: everything comes from the checkpoint.
        let (resumed, s2) = run("b", "e3", None);
        assert!(!s2.interrupted);
        assert_eq!(s1.history.len(), 3);
        assert_eq!(s2.history.len(), 3);
        for (a, b) in s1.history.iter().zip(&s2.history) {
            assert_eq!(a.valid_macro_f1, b.valid_macro_f1);
            assert!((a.train_loss - b.train_loss).abs() < 1e-6, "{a:?} vs {b:?}");
        }
        let diff = max_abs_diff(&straight, &resumed);
        assert!(diff < 1e-5, "resumed weights differ by {diff}");
    }
}
