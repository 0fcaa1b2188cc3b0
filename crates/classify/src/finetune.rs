//! Fine-tuning the whole encoder for multi-label clause classification.
//!
//! The model is Hugging Face's `BertForSequenceClassification` — [`Bert`]
//! under `bert.`, the `[CLS]` pooler (`bert.pooler.dense`, tanh) and a
//! linear `classifier` — so a trained directory loads in Python
//! `transformers` unchanged. Training is mini-batch AdamW (decoupled weight
//! decay, not on biases and layer norms) with linear warm-up and decay,
//! global gradient-norm clipping, masked BCE with optional per-label
//! positive weights and focal modulation, batches of similar length, early
//! stopping on validation macro-F1, and a checkpoint after every epoch from
//! which a run resumes exactly. Every random choice (batch order, dropout, the new
//! classifier's initial weights) comes from the seed.

use crate::bert::{parse_config, Bert, Family, Ops};
use crate::calibrate::calibrate_thresholds;
use crate::metrics::evaluate;
use crate::train::focal_bce_with_logits;
use candle_core::{backprop::GradStore, DType, Device, Module, Result, Tensor, Var};
use candle_nn::{Linear, VarBuilder, VarMap};
use candle_transformers::models::bert::Config;
use policylens_core::LabelSet;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

/// `BertForSequenceClassification`: encoder, `[CLS]` pooler, linear classifier.
/// For an MPNet encoder, `MPNetForSequenceClassification`, whose head is the
/// same maths under other names: `classifier.dense` (tanh) then
/// `classifier.out_proj`.
pub struct SequenceClassifier {
    pub bert: Bert,
    pooler: Linear,
    classifier: Linear,
}

impl SequenceClassifier {
    /// Build under `vb` with Hugging Face names (`bert.*`, `classifier.*`;
    /// for MPNet `mpnet.*`, `classifier.dense.*`, `classifier.out_proj.*`).
    pub fn new(vb: VarBuilder, config: &Config, n_labels: usize) -> Result<Self> {
        let h = config.hidden_size;
        let family = Family::of(config);
        let pooler = match family {
            Family::Bert => vb.pp("bert").pp("pooler").pp("dense"),
            Family::MPNet => vb.pp("classifier").pp("dense"),
        };
        let classifier = vb.pp(Self::output_layer(family));
        Ok(Self {
            bert: Bert::load(vb.pp(family.prefix()), config)?,
            pooler: candle_nn::linear(h, h, pooler)?,
            classifier: candle_nn::linear(h, n_labels, classifier)?,
        })
    }

    /// Where the output layer (one row per label) lives: `classifier`, or
    /// `classifier.out_proj` for MPNet.
    pub fn output_layer(family: Family) -> &'static str {
        match family {
            Family::Bert => "classifier",
            Family::MPNet => "classifier.out_proj",
        }
    }

    /// Logits (batch, labels). `dropout` (training only) drops pooled features.
    pub fn forward(
        &self,
        batch: &Batch,
        ops: Ops,
        dropout: Option<&mut Dropout>,
    ) -> Result<Tensor> {
        self.logits(&batch.ids, &batch.type_ids, &batch.mask, ops, dropout)
    }

    /// Logits for model inputs (`[CLS] … [SEP]` each), padded here.
    pub fn logits_for(
        &self,
        seqs: &[Vec<u32>],
        pad_id: u32,
        device: &Device,
        ops: Ops,
    ) -> Result<Tensor> {
        self.classifier
            .forward(&self.pooled_for(seqs, pad_id, device, ops)?)
    }

    /// Pooled `[CLS]` features (batch, hidden): what the classifier reads.
    pub fn pooled_for(
        &self,
        seqs: &[Vec<u32>],
        pad_id: u32,
        device: &Device,
        ops: Ops,
    ) -> Result<Tensor> {
        let (ids, mask) = pad(seqs, pad_id, device)?;
        self.pooled(&ids, &ids.zeros_like()?, &mask, ops)
    }

    fn pooled(&self, ids: &Tensor, type_ids: &Tensor, mask: &Tensor, ops: Ops) -> Result<Tensor> {
        let cls = self.bert.forward_first(ids, type_ids, mask, ops)?;
        self.pooler.forward(&cls)?.tanh()
    }

    fn logits(
        &self,
        ids: &Tensor,
        type_ids: &Tensor,
        mask: &Tensor,
        ops: Ops,
        dropout: Option<&mut Dropout>,
    ) -> Result<Tensor> {
        let mut pooled = self.pooled(ids, type_ids, mask, ops)?;
        if let Some(d) = dropout {
            pooled = d.apply(&pooled)?;
        }
        self.classifier.forward(&pooled)
    }
}

/// Inverted dropout with masks drawn from a seeded generator (candle's own
/// CPU generator cannot be seeded).
pub struct Dropout {
    p: f32,
    rng: StdRng,
}

impl Dropout {
    pub fn new(p: f32, seed: u64) -> Self {
        Self {
            p,
            rng: StdRng::seed_from_u64(seed),
        }
    }

    fn apply(&mut self, x: &Tensor) -> Result<Tensor> {
        if self.p <= 0.0 {
            return Ok(x.clone());
        }
        let keep = 1.0 - self.p;
        let mask: Vec<f32> = (0..x.elem_count())
            .map(|_| {
                if self.rng.random::<f32>() < keep {
                    1.0 / keep
                } else {
                    0.0
                }
            })
            .collect();
        let mask = Tensor::from_vec(mask, x.shape(), x.device())?.to_dtype(x.dtype())?;
        x.mul(&mask)
    }
}

/// One training or evaluation example: model input ids (`[CLS] … [SEP]`),
/// 0/1 targets per label, and which targets are supervised.
#[derive(Debug, Clone)]
pub struct Example {
    pub ids: Vec<u32>,
    pub targets: Vec<f32>,
    pub supervised: Vec<f32>,
}

/// A padded batch on the device.
pub struct Batch {
    pub ids: Tensor,
    pub type_ids: Tensor,
    pub mask: Tensor,
    pub targets: Tensor,
    pub supervised: Tensor,
    pub tokens: usize,
}

impl Batch {
    pub fn new(examples: &[&Example], pad_id: u32, device: &Device) -> Result<Self> {
        let n = examples.len();
        let n_labels = examples.first().map_or(0, |e| e.targets.len());
        let (mut targets, mut supervised) = (Vec::new(), Vec::new());
        for e in examples {
            targets.extend_from_slice(&e.targets);
            supervised.extend_from_slice(&e.supervised);
        }
        let seqs: Vec<Vec<u32>> = examples.iter().map(|e| e.ids.clone()).collect();
        let (ids, mask) = pad(&seqs, pad_id, device)?;
        Ok(Self {
            type_ids: ids.zeros_like()?,
            ids,
            mask,
            targets: Tensor::from_vec(targets, (n, n_labels), device)?,
            supervised: Tensor::from_vec(supervised, (n, n_labels), device)?,
            tokens: examples.iter().map(|e| e.ids.len()).sum(),
        })
    }
}

/// Pad sequences to the longest: ids and a 0/1 attention mask, (n, longest).
pub(crate) fn pad(seqs: &[Vec<u32>], pad_id: u32, device: &Device) -> Result<(Tensor, Tensor)> {
    let n = seqs.len();
    let t = seqs.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let (mut ids, mut mask) = (Vec::with_capacity(n * t), Vec::with_capacity(n * t));
    for s in seqs {
        ids.extend_from_slice(s);
        ids.extend(std::iter::repeat_n(pad_id, t - s.len()));
        mask.extend(std::iter::repeat_n(1u32, s.len()));
        mask.extend(std::iter::repeat_n(0u32, t - s.len()));
    }
    Ok((
        Tensor::from_vec(ids, (n, t), device)?,
        Tensor::from_vec(mask, (n, t), device)?,
    ))
}

/// Groups of example indices of similar length, in a seeded random order:
/// sort by length, cut into batches, shuffle the batches.
pub fn length_batches(lengths: &[usize], batch_size: usize, seed: u64) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    let mut rng = StdRng::seed_from_u64(seed);
    // Shuffle first so equal lengths are not always grouped the same way.
    order.shuffle(&mut rng);
    order.sort_by_key(|&i| lengths[i]);
    let mut batches: Vec<Vec<usize>> = order
        .chunks(batch_size.max(1))
        .map(<[usize]>::to_vec)
        .collect();
    batches.shuffle(&mut rng);
    batches
}

/// AdamW (Loshchilov & Hutter, 2019) with decoupled weight decay; moments
/// are kept by name so they can be checkpointed.
pub struct AdamW {
    params: Vec<(String, Var)>,
    m: Vec<Tensor>,
    v: Vec<Tensor>,
    pub step: usize,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
}

impl AdamW {
    pub fn new(varmap: &VarMap, weight_decay: f64) -> Result<Self> {
        let mut params: Vec<(String, Var)> = varmap
            .data()
            .lock()
            .expect("varmap lock")
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        params.sort_by(|a, b| a.0.cmp(&b.0));
        let zeros = |p: &[(String, Var)]| -> Result<Vec<Tensor>> {
            p.iter().map(|(_, v)| v.as_tensor().zeros_like()).collect()
        };
        Ok(Self {
            m: zeros(&params)?,
            v: zeros(&params)?,
            params,
            step: 0,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay,
        })
    }

    fn decays(name: &str) -> bool {
        !(name.ends_with(".bias") || name.contains("LayerNorm"))
    }

    /// One update at learning rate `lr`. Parameters without a gradient are left alone.
    pub fn update(&mut self, grads: &GradStore, lr: f64) -> Result<()> {
        self.step += 1;
        let (b1, b2) = (self.beta1, self.beta2);
        let c1 = 1.0 - b1.powi(self.step as i32);
        let c2 = 1.0 - b2.powi(self.step as i32);
        for (i, (name, var)) in self.params.iter().enumerate() {
            let Some(g) = grads.get(var.as_tensor()) else {
                continue;
            };
            self.m[i] = ((&self.m[i] * b1)? + (g * (1.0 - b1))?)?;
            self.v[i] = ((&self.v[i] * b2)? + (g.sqr()? * (1.0 - b2))?)?;
            let step = ((&self.m[i] / c1)? / ((&self.v[i] / c2)?.sqrt()? + self.eps)?)?;
            let mut w = var.as_tensor().clone();
            if Self::decays(name) {
                w = (w * (1.0 - lr * self.weight_decay))?;
            }
            var.set(&(w - (step * lr)?)?)?;
        }
        Ok(())
    }

    pub(crate) fn save(&self, path: &Path) -> Result<()> {
        let mut map = HashMap::new();
        for (i, (name, _)) in self.params.iter().enumerate() {
            map.insert(format!("m.{name}"), self.m[i].clone());
            map.insert(format!("v.{name}"), self.v[i].clone());
        }
        candle_core::safetensors::save(&map, path)
    }

    pub(crate) fn load(&mut self, path: &Path, device: &Device) -> Result<()> {
        let map = candle_core::safetensors::load(path, device)?;
        for (i, (name, _)) in self.params.iter().enumerate() {
            let get = |k: String| {
                map.get(&k)
                    .cloned()
                    .ok_or_else(|| candle_core::Error::Msg(format!("{}: no {k}", path.display())))
            };
            self.m[i] = get(format!("m.{name}"))?;
            self.v[i] = get(format!("v.{name}"))?;
        }
        Ok(())
    }
}

/// Global L2 norm of all gradients; scales them down to `max_norm` when above it.
pub fn clip_grad_norm(grads: &mut GradStore, params: &[Var], max_norm: f64) -> Result<f64> {
    let mut total = 0f64;
    for p in params {
        if let Some(g) = grads.get(p.as_tensor()) {
            total += g
                .sqr()?
                .sum_all()?
                .to_dtype(DType::F64)?
                .to_scalar::<f64>()?;
        }
    }
    let norm = total.sqrt();
    if norm > max_norm && norm > 0.0 {
        let scale = max_norm / norm;
        for p in params {
            if let Some(g) = grads.remove(p.as_tensor()) {
                grads.insert(p.as_tensor(), (g * scale)?);
            }
        }
    }
    Ok(norm)
}

/// Learning rate at `step` (0-based) of `total`: linear warm-up over
/// `warmup` steps to `peak`, then linear decay to zero.
pub fn learning_rate(step: usize, total: usize, warmup: usize, peak: f64) -> f64 {
    if step < warmup {
        peak * (step + 1) as f64 / warmup as f64
    } else {
        let left = total.saturating_sub(step) as f64;
        peak * left / (total.saturating_sub(warmup)).max(1) as f64
    }
}

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

/// What the caller's progress display gets after every step.
#[derive(Debug, Clone)]
pub struct StepReport {
    pub epoch: usize,
    pub step: usize,
    pub total_steps: usize,
    pub loss: f64,
    pub tokens_per_second: f64,
}

const CHECKPOINT_WEIGHTS: &str = "model.safetensors";
const CHECKPOINT_OPTIMIZER: &str = "optimizer.safetensors";
const CHECKPOINT_STATE: &str = "state.json";
const BEST_WEIGHTS: &str = "best.safetensors";

pub(crate) fn io_err(path: &Path, e: impl std::fmt::Display) -> candle_core::Error {
    candle_core::Error::Msg(format!("{}: {e}", path.display()))
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
        let probs = candle_nn::ops::sigmoid(&model.forward(&batch, Ops::Fused, None)?)?
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
    let device = model.bert_device()?;
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
            let logits = model.forward(&batch, Ops::Differentiable, Some(&mut dropout))?;
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

/// The run state saved in `checkpoint` after its last finished epoch, with
/// the weights and optimiser moments of that moment restored; `None` for a
/// fresh run.
pub(crate) fn resume<S: serde::de::DeserializeOwned>(
    checkpoint: &Path,
    varmap: &VarMap,
    opt: &mut AdamW,
    device: &Device,
) -> Result<Option<S>> {
    let state_path = checkpoint.join(CHECKPOINT_STATE);
    if !state_path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&state_path).map_err(|e| io_err(&state_path, e))?;
    let state = serde_json::from_str(&text).map_err(|e| io_err(&state_path, e))?;
    restore(varmap, &checkpoint.join(CHECKPOINT_WEIGHTS), device)?;
    opt.load(&checkpoint.join(CHECKPOINT_OPTIMIZER), device)?;
    tracing::info!("resuming from {}", checkpoint.display());
    Ok(Some(state))
}

/// Save weights, optimiser moments and `state` at the end of an epoch.
pub(crate) fn save_checkpoint<S: Serialize>(
    checkpoint: &Path,
    varmap: &VarMap,
    opt: &AdamW,
    state: &S,
) -> Result<()> {
    std::fs::create_dir_all(checkpoint).map_err(|e| io_err(checkpoint, e))?;
    let state_path = checkpoint.join(CHECKPOINT_STATE);
    varmap.save(checkpoint.join(CHECKPOINT_WEIGHTS))?;
    opt.save(&checkpoint.join(CHECKPOINT_OPTIMIZER))?;
    let json = serde_json::to_string_pretty(state).map_err(|e| io_err(&state_path, e))?;
    std::fs::write(&state_path, json).map_err(|e| io_err(&state_path, e))
}

/// Set every variable of `varmap` from the tensor of the same name in `path`.
fn restore(varmap: &VarMap, path: &Path, device: &Device) -> Result<()> {
    let saved = candle_core::safetensors::load(path, device)?;
    for (name, var) in varmap.data().lock().expect("varmap lock").iter() {
        let t = saved
            .get(name)
            .ok_or_else(|| io_err(path, format!("no tensor {name}")))?;
        var.set(t)?;
    }
    Ok(())
}

impl SequenceClassifier {
    fn bert_device(&self) -> Result<Device> {
        Ok(self.classifier.weight().device().clone())
    }
}

/// Create a trainable classifier from a base encoder directory (Hugging Face
/// layout). Encoder and pooler weights come from the checkpoint (with or
/// without the `bert.` prefix); the classifier (and a pooler the checkpoint
/// lacks) starts from N(0, 0.02²) drawn from `seed`, or from the checkpoint
/// when it already has one of the right shape.
pub fn init_from_encoder(
    dir: &Path,
    labels: &LabelSet,
    seed: u64,
    device: &Device,
) -> Result<(VarMap, SequenceClassifier, Config)> {
    let config = read_config(dir)?;
    let varmap = VarMap::new();
    let model = SequenceClassifier::new(
        VarBuilder::from_varmap(&varmap, DType::F32, device),
        &config,
        labels.len(),
    )?;
    // A new head, and a pooler for encoders exported without one.
    let is_new = |name: &str| name.starts_with("classifier.") || name.starts_with("bert.pooler.");
    // A base that is itself a classifier has one output row per label of its
    // own: rows follow the labels by name, never by position.
    let base_labels = base_classifier_labels(dir)?.filter(|base| base != labels);
    let output = SequenceClassifier::output_layer(Family::of(&config));
    let is_output_row = |name: &str| {
        base_labels.is_some()
            && name
                .strip_prefix(output)
                .is_some_and(|r| r == ".weight" || r == ".bias")
    };
    let weights = read_weights(dir, device)?;
    load_or_init(&varmap, &weights, dir, is_new, is_output_row, seed, device)?;
    if let Some(base) = &base_labels {
        carry_label_rows(&varmap, &weights, output, base, labels)?;
    }
    Ok((varmap, model, config))
}

/// The labels of `dir`'s classifier head, when `dir` is a sequence classifier.
fn base_classifier_labels(dir: &Path) -> Result<Option<LabelSet>> {
    if !crate::hf::is_sequence_classifier(dir) {
        return Ok(None);
    }
    let config = crate::hf::SeqClsConfig::read(dir).map_err(candle_core::Error::wrap)?;
    Ok(Some(config.labels))
}

/// Copy the base classifier's output row (weight and bias) of every label
/// the student shares with it into the student's row for that label; the
/// student's other rows keep their fresh initialisation.
fn carry_label_rows(
    varmap: &VarMap,
    weights: &HashMap<String, Tensor>,
    output: &str,
    base: &LabelSet,
    labels: &LabelSet,
) -> Result<()> {
    let data = varmap.data().lock().expect("varmap lock");
    for part in ["weight", "bias"] {
        let name = format!("{output}.{part}");
        let (Some(var), Some(from)) = (data.get(&name), weights.get(&name)) else {
            continue;
        };
        let from = from.to_dtype(DType::F32)?;
        let rows = labels
            .names()
            .iter()
            .enumerate()
            .map(|(j, label)| match base.index(label) {
                Some(i) => from.get(i),
                None => var.as_tensor().get(j),
            })
            .collect::<Result<Vec<_>>>()?;
        var.set(&Tensor::stack(&rows, 0)?)?;
    }
    let (carried, new): (Vec<&String>, Vec<&String>) =
        labels.names().iter().partition(|l| base.index(l).is_some());
    tracing::info!("classifier rows carried from the base by label: {carried:?}; new: {new:?}");
    Ok(())
}

/// The base encoder's `config.json`.
pub(crate) fn read_config(dir: &Path) -> Result<Config> {
    let config_path = dir.join("config.json");
    let text = std::fs::read_to_string(&config_path).map_err(|e| io_err(&config_path, e))?;
    let raw: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| io_err(&config_path, e))?;
    parse_config(&raw).map_err(|e| io_err(&config_path, e))
}

/// A model directory's `model.safetensors`, every tensor by name.
pub(crate) fn read_weights(dir: &Path, device: &Device) -> Result<HashMap<String, Tensor>> {
    candle_core::safetensors::load(dir.join("model.safetensors"), device)
}

/// Set each variable of `varmap` from `weights`, read from `dir` (by its name,
/// with or without the `bert.`/`mpnet.` prefix, when the shape matches and
/// `fresh` does not claim it). Variables the checkpoint lacks may be new only
/// where `is_new` says so: weights get N(0, 0.02²) drawn from `seed`,
/// layer-norm scales 1, biases 0.
pub(crate) fn load_or_init(
    varmap: &VarMap,
    weights: &HashMap<String, Tensor>,
    dir: &Path,
    is_new: impl Fn(&str) -> bool,
    fresh: impl Fn(&str) -> bool,
    seed: u64,
    device: &Device,
) -> Result<()> {
    let mut rng = StdRng::seed_from_u64(seed);
    let data = varmap.data().lock().expect("varmap lock");
    // Name order, so the seeded draws do not depend on hash-map order.
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    for name in names {
        let var = &data[name];
        let bare = name
            .strip_prefix("bert.")
            .or_else(|| name.strip_prefix("mpnet."))
            .unwrap_or(name);
        let found = weights
            .get(name)
            .or_else(|| weights.get(bare))
            .filter(|t| t.shape() == var.shape() && !fresh(name));
        match found {
            Some(t) => var.set(&t.to_dtype(DType::F32)?)?,
            None if is_new(name) => {
                tracing::info!("{name}: new, initialised from the seed");
                let v: Vec<f32> = (0..var.elem_count())
                    .map(|_| {
                        if name.contains("LayerNorm") && name.ends_with("weight") {
                            1.0
                        } else if name.ends_with("bias") {
                            0.0
                        } else {
                            // Box-Muller from the seeded generator.
                            let (u1, u2): (f32, f32) = (rng.random(), rng.random());
                            0.02 * (-2.0 * (1.0 - u1).ln()).sqrt()
                                * (2.0 * std::f32::consts::PI * u2).cos()
                        }
                    })
                    .collect();
                var.set(&Tensor::from_vec(v, var.shape(), device)?)?;
            }
            None => {
                return Err(io_err(
                    &dir.join("model.safetensors"),
                    format!("no tensor {name} of shape {:?}", var.shape()),
                ))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{max_abs_diff, var_values as weight, write_tiny_encoder};

    #[test]
    fn the_schedule_warms_up_then_decays_to_zero() {
        let lr: Vec<f64> = (0..10).map(|s| learning_rate(s, 10, 2, 1.0)).collect();
        assert_eq!(lr[0], 0.5);
        assert_eq!(lr[1], 1.0);
        assert_eq!(lr[2], 1.0, "decay starts from the peak");
        assert!(lr.windows(2).skip(2).all(|w| w[1] < w[0]));
        assert!((lr[9] - 0.125).abs() < 1e-12, "{lr:?}");
    }

    #[test]
    fn length_batches_cover_every_example_once_and_repeat_per_seed() {
        let lengths: Vec<usize> = (0..50).map(|i| (i * 37) % 23).collect();
        let a = length_batches(&lengths, 8, 3);
        let mut all: Vec<usize> = a.concat();
        all.sort();
        assert_eq!(all, (0..50).collect::<Vec<_>>());
        assert_eq!(a, length_batches(&lengths, 8, 3));
        assert_ne!(a, length_batches(&lengths, 8, 4));
        // Within a batch lengths are close: spread no more than the sorted neighbourhood.
        for b in &a {
            let (lo, hi) = (
                b.iter().map(|&i| lengths[i]).min().unwrap(),
                b.iter().map(|&i| lengths[i]).max().unwrap(),
            );
            assert!(hi - lo <= 5, "batch spans lengths {lo}..{hi}");
        }
    }

    #[test]
    fn clipping_scales_the_global_norm_down_only() {
        let dev = Device::Cpu;
        let a = Var::new(&[1f32, 2.0], &dev).unwrap();
        let b = Var::new(&[3f32], &dev).unwrap();
        let loss = ((a.as_tensor() * 3.0).unwrap().sum_all().unwrap()
            + (b.as_tensor() * 4.0).unwrap().sum_all().unwrap())
        .unwrap();
        let mut grads = loss.backward().unwrap();
        let params = [a.clone(), b.clone()];
        let norm = clip_grad_norm(&mut grads, &params, 1.0).unwrap();
        assert!((norm - 34f64.sqrt()).abs() < 1e-6);
        let after = clip_grad_norm(&mut grads, &params, 100.0).unwrap();
        assert!((after - 1.0).abs() < 1e-6, "{after}");
    }

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
        write: impl Fn(&Path, u64) -> crate::Result<()>,
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
            crate::testing::write_tiny_mpnet,
            "classifier.out_proj",
            "mpnet.encoder.layer.0.attention.attn.q.weight",
        );
    }

    fn tiny_classifier_on(
        dir: &Path,
        write: impl Fn(&Path, u64) -> crate::Result<()>,
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
            crate::testing::write_tiny_mpnet,
            "mpnet.encoder.relative_attention_bias.weight",
            "mpnet.encoder.layer.0.attention.attn.q.weight",
        );
    }

    /// Fine-tune a tiny model from the encoder `write` makes; the two named
    /// encoder weights (one at the bottom) must move.
    fn fine_tuning_moves_the_whole_encoder(
        write: impl Fn(&Path, u64) -> crate::Result<()>,
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
