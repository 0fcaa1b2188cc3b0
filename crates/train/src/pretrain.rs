//! Domain-adaptive pre-training: continue BERT's masked-language-model
//! objective on unlabeled policy text before fine-tuning (Gururangan et
//! al., 2020, "Don't Stop Pretraining"), so the encoder has read the
//! domain's vocabulary and phrasing before it sees a single label.
//!
//! The model is Hugging Face's `BertForMaskedLM` — [`Bert`] under `bert.`,
//! and the prediction head `cls.predictions` (dense, activation, layer norm,
//! a decoder tied to the word embeddings, one bias per vocabulary entry) —
//! so a written directory loads in Python `transformers` and serves as the
//! `--base` of `policylens train --fine-tune`. Masking is BERT's (15 % of
//! ordinary tokens; of those 80 % `[MASK]`, 10 % a random token, 10 %
//! unchanged), drawn afresh every epoch from the seed; validation uses one
//! fixed draw, so its loss is comparable across epochs. Optimiser, schedule,
//! clipping, length batches and epoch checkpoints are fine-tuning's.

use crate::batch::length_batches;
use crate::checkpoint::{io_err, resume, save_checkpoint};
use crate::init::{load_or_init, read_config, read_weights};
use crate::observe::StepReport;
use crate::optim::{clip_grad_norm, learning_rate, AdamW};
use candle_core::{DType, Device, Module, Result, Tensor, Var};
use candle_nn::{Linear, VarBuilder, VarMap};
use candle_transformers::models::bert::{Config, HiddenAct};
use policylens_classify::bert::{activation, Bert, Family, LayerNorm, Ops};
use policylens_classify::seqcls::pad;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

/// `BertForMaskedLM`: the encoder and its token-prediction head.
pub struct MaskedLm {
    pub bert: Bert,
    dense: Linear,
    norm: LayerNorm,
    /// One bias per vocabulary entry (`cls.predictions.bias`).
    bias: Tensor,
    act: HiddenAct,
}

impl MaskedLm {
    /// Build under `vb` with Hugging Face names (`bert.*`, `cls.predictions.*`).
    pub fn new(vb: VarBuilder, config: &Config) -> Result<Self> {
        let h = config.hidden_size;
        let head = vb.pp("cls").pp("predictions");
        Ok(Self {
            bert: Bert::load(vb.pp("bert"), config)?,
            dense: candle_nn::linear(h, h, head.pp("transform").pp("dense"))?,
            norm: LayerNorm::load(
                head.pp("transform").pp("LayerNorm"),
                h,
                config.layer_norm_eps,
            )?,
            bias: head.get(config.vocab_size, "bias")?,
            act: config.hidden_act,
        })
    }

    /// Vocabulary logits (masked positions, vocab) for the batch's targets.
    pub fn logits(&self, batch: &MaskedBatch, ops: Ops) -> Result<Tensor> {
        let hidden = self
            .bert
            .forward(&batch.ids, &batch.type_ids, &batch.mask, ops)?;
        let (b, t, h) = hidden.dims3()?;
        let picked = hidden
            .reshape((b * t, h))?
            .index_select(&batch.positions, 0)?;
        let x = activation(self.dense.forward(&picked)?, self.act, ops)?;
        let x = self.norm.forward(&x, ops)?;
        x.matmul(&self.bert.word_embeddings().t()?)?
            .broadcast_add(&self.bias)
    }

    /// Mean cross-entropy of the original tokens at the masked positions.
    pub fn loss(&self, batch: &MaskedBatch, ops: Ops) -> Result<Tensor> {
        candle_nn::loss::cross_entropy(&self.logits(batch, ops)?, &batch.targets)
    }
}

/// BERT's corruption of input sequences.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Masking {
    /// Share of ordinary tokens chosen for prediction.
    pub prob: f64,
    pub mask_id: u32,
    pub vocab_size: u32,
    /// Never chosen, never drawn as a random replacement (`[CLS]`, `[SEP]`, padding, ...).
    pub special: Vec<u32>,
}

impl Masking {
    /// Corrupt one sequence: each ordinary token is chosen with probability
    /// `prob` (at least one per sequence that has any); a chosen token
    /// becomes `[MASK]` 80 % of the time, a random ordinary token 10 %, and
    /// stays 10 %. Returns the input and the (position, original id) pairs
    /// to predict, in position order.
    pub fn apply(&self, ids: &[u32], rng: &mut StdRng) -> (Vec<u32>, Vec<(usize, u32)>) {
        let ordinary: Vec<usize> = (0..ids.len())
            .filter(|&i| !self.special.contains(&ids[i]))
            .collect();
        let mut chosen: Vec<usize> = ordinary
            .iter()
            .copied()
            .filter(|_| rng.random::<f64>() < self.prob)
            .collect();
        if chosen.is_empty() && !ordinary.is_empty() {
            chosen.push(ordinary[rng.random_range(0..ordinary.len())]);
        }
        let mut input = ids.to_vec();
        let targets = chosen.iter().map(|&i| (i, ids[i])).collect();
        for i in chosen {
            let r: f64 = rng.random();
            if r < 0.8 {
                input[i] = self.mask_id;
            } else if r < 0.9 {
                input[i] = self.random_token(rng);
            }
        }
        (input, targets)
    }

    fn random_token(&self, rng: &mut StdRng) -> u32 {
        loop {
            let t = rng.random_range(0..self.vocab_size);
            if !self.special.contains(&t) {
                return t;
            }
        }
    }
}

/// A padded, masked batch on the device.
pub struct MaskedBatch {
    pub ids: Tensor,
    pub type_ids: Tensor,
    pub mask: Tensor,
    /// Flat indices (row · padded length + position) of the targets.
    pub positions: Tensor,
    /// The original token at each target position.
    pub targets: Tensor,
    pub tokens: usize,
    pub n_targets: usize,
}

impl MaskedBatch {
    /// Mask each sequence with `masking` and pad them together.
    pub fn new(
        seqs: &[&[u32]],
        masking: &Masking,
        rng: &mut StdRng,
        pad_id: u32,
        device: &Device,
    ) -> Result<Self> {
        let longest = seqs.iter().map(|s| s.len()).max().unwrap_or(1).max(1);
        let (mut inputs, mut positions, mut targets) = (Vec::new(), Vec::new(), Vec::new());
        for (row, s) in seqs.iter().enumerate() {
            let (input, picked) = masking.apply(s, rng);
            for (pos, id) in picked {
                positions.push((row * longest + pos) as u32);
                targets.push(id);
            }
            inputs.push(input);
        }
        let (ids, mask) = pad(&inputs, pad_id, device)?;
        let n_targets = targets.len();
        Ok(Self {
            type_ids: ids.zeros_like()?,
            ids,
            mask,
            positions: Tensor::from_vec(positions, n_targets, device)?,
            targets: Tensor::from_vec(targets, n_targets, device)?,
            tokens: seqs.iter().map(|s| s.len()).sum(),
            n_targets,
        })
    }
}

/// Hyper-parameters of a pre-training run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PretrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub weight_decay: f64,
    /// Share of all steps spent warming up.
    pub warmup: f64,
    pub max_grad_norm: f64,
    pub seed: u64,
    pub masking: Masking,
}

/// Where a run stands; written as `state.json` beside each checkpoint.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct PretrainState {
    /// Epochs finished.
    pub epoch: usize,
    pub step: usize,
    /// Validation before any update: the base encoder's own figures.
    pub initial: Option<MlmScore>,
    pub history: Vec<PretrainEpoch>,
    /// The progress callback stopped the run; resume from the checkpoint.
    #[serde(skip)]
    pub interrupted: bool,
}

/// Masked-token cross-entropy and top-1 accuracy on validation sequences.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct MlmScore {
    pub loss: f64,
    pub accuracy: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PretrainEpoch {
    pub epoch: usize,
    pub train_loss: f64,
    pub valid: MlmScore,
    pub seconds: f64,
    pub tokens_per_second: f64,
}

/// The masked-LM score of `seqs` under one fixed masking drawn from `seed`.
pub fn score(
    model: &MaskedLm,
    seqs: &[Vec<u32>],
    masking: &Masking,
    batch_size: usize,
    pad_id: u32,
    seed: u64,
) -> Result<MlmScore> {
    let device = model.bert.word_embeddings().device().clone();
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut loss_sum, mut correct, mut n) = (0f64, 0usize, 0usize);
    for chunk in seqs.chunks(batch_size.max(1)) {
        let refs: Vec<&[u32]> = chunk.iter().map(Vec::as_slice).collect();
        let batch = MaskedBatch::new(&refs, masking, &mut rng, pad_id, &device)?;
        if batch.n_targets == 0 {
            continue;
        }
        let logits = model.logits(&batch, Ops::Fused)?;
        let loss = candle_nn::loss::cross_entropy(&logits, &batch.targets)?;
        loss_sum += loss.to_dtype(DType::F64)?.to_scalar::<f64>()? * batch.n_targets as f64;
        let hits = logits
            .argmax(1)?
            .eq(&batch.targets)?
            .to_dtype(DType::U32)?
            .sum_all()?
            .to_scalar::<u32>()?;
        correct += hits as usize;
        n += batch.n_targets;
    }
    let n = n.max(1) as f64;
    Ok(MlmScore {
        loss: loss_sum / n,
        accuracy: correct as f64 / n,
    })
}

/// Continue masked-LM training of `model` (variables in `varmap`) on
/// `train` sequences (`[CLS] … [SEP]` each), scoring `valid` before the
/// first and after every epoch. With a checkpoint from an earlier run of
/// the same data, the run resumes after its last finished epoch. The last
/// epoch's weights are left in `varmap`. `progress` sees every step;
/// returning `false` stops the run (as an interruption would).
#[allow(clippy::too_many_arguments)]
pub fn pretrain(
    model: &MaskedLm,
    varmap: &VarMap,
    train: &[Vec<u32>],
    valid: &[Vec<u32>],
    pad_id: u32,
    config: &PretrainConfig,
    checkpoint: &Path,
    mut progress: impl FnMut(&StepReport) -> bool,
) -> Result<PretrainState> {
    let device = model.bert.word_embeddings().device().clone();
    let mut opt = AdamW::new(varmap, config.weight_decay)?;
    let params: Vec<Var> = varmap.all_vars();
    let mut state: PretrainState =
        resume(checkpoint, varmap, &mut opt, &device)?.unwrap_or_default();
    opt.step = state.step;
    let valid_seed = config.seed ^ 0x0da7a;
    let masking = &config.masking;
    let validate = || {
        score(
            model,
            valid,
            masking,
            config.batch_size * 2,
            pad_id,
            valid_seed,
        )
    };
    if state.initial.is_none() {
        let s = validate()?;
        tracing::info!(
            "before pre-training: validation masked-LM loss {:.4}, accuracy {:.4}",
            s.loss,
            s.accuracy
        );
        state.initial = Some(s);
    }
    let lengths: Vec<usize> = train.iter().map(Vec::len).collect();
    let steps_per_epoch = train.len().div_ceil(config.batch_size.max(1));
    let total = steps_per_epoch * config.epochs;
    let warmup = ((total as f64) * config.warmup).round() as usize;
    while state.epoch < config.epochs {
        let epoch = state.epoch;
        let seed = config.seed.wrapping_add(epoch as u64);
        let mut rng = StdRng::seed_from_u64(seed ^ 0x3a5c);
        let started = Instant::now();
        let (mut loss_sum, mut tokens, mut counted) = (0f64, 0usize, 0usize);
        let batches = length_batches(&lengths, config.batch_size, seed);
        for (i, idx) in batches.iter().enumerate() {
            let refs: Vec<&[u32]> = idx.iter().map(|&j| train[j].as_slice()).collect();
            let batch = MaskedBatch::new(&refs, masking, &mut rng, pad_id, &device)?;
            if batch.n_targets > 0 {
                let loss = model.loss(&batch, Ops::Differentiable)?;
                let mut grads = loss.backward()?;
                clip_grad_norm(&mut grads, &params, config.max_grad_norm)?;
                opt.update(
                    &grads,
                    learning_rate(opt.step, total, warmup, config.learning_rate),
                )?;
                loss_sum += loss.to_dtype(DType::F64)?.to_scalar::<f64>()?;
                counted += 1;
            }
            tokens += batch.tokens;
            let go_on = progress(&StepReport {
                epoch,
                step: i + 1,
                total_steps: batches.len(),
                loss: loss_sum / counted.max(1) as f64,
                tokens_per_second: tokens as f64 / started.elapsed().as_secs_f64().max(1e-9),
            });
            if !go_on {
                state.interrupted = true;
                return Ok(state);
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        let valid_score = validate()?;
        let train_loss = loss_sum / counted.max(1) as f64;
        tracing::info!(
            "epoch {}: train loss {train_loss:.4}, validation masked-LM loss {:.4}, accuracy {:.4}, {seconds:.0}s",
            epoch + 1,
            valid_score.loss,
            valid_score.accuracy
        );
        state.history.push(PretrainEpoch {
            epoch,
            train_loss,
            valid: valid_score,
            seconds,
            tokens_per_second: tokens as f64 / seconds.max(1e-9),
        });
        state.epoch = epoch + 1;
        state.step = opt.step;
        save_checkpoint(checkpoint, varmap, &opt, &state)?;
    }
    Ok(state)
}

/// Create a trainable masked LM from an encoder directory (Hugging Face
/// layout). The encoder comes from the checkpoint; the prediction head too
/// when the checkpoint has one (a `BertForMaskedLM`), else it starts fresh
/// from `seed` (sentence-embedding exports such as all-MiniLM-L6-v2 ship
/// without one).
pub fn init_masked_lm(
    dir: &Path,
    seed: u64,
    device: &Device,
) -> Result<(VarMap, MaskedLm, Config)> {
    let config = read_config(dir)?;
    if Family::of(&config) != Family::Bert {
        return Err(candle_core::Error::Msg(format!(
            "{}: masked-LM pre-training supports BERT encoders only (model_type {:?})",
            dir.display(),
            config.model_type.as_deref().unwrap_or("?")
        )));
    }
    let varmap = VarMap::new();
    let model = MaskedLm::new(
        VarBuilder::from_varmap(&varmap, DType::F32, device),
        &config,
    )?;
    load_or_init(
        &varmap,
        &read_weights(dir, device)?,
        dir,
        |n| n.starts_with("cls."),
        |_| false,
        seed,
        device,
    )?;
    Ok((varmap, model, config))
}

/// Write `dir` as a `BertForMaskedLM` directory: the trained weights
/// (stored as `dtype`), the base's pooler carried over unchanged when it
/// has one (so fine-tuning starts from it as it would from the base), the
/// base's tokenizer, and its config with the architecture and `record` (how
/// the weights were made) under `policylens_pretraining`.
pub fn save_masked_lm(
    dir: &Path,
    varmap: &VarMap,
    base: &Path,
    record: Value,
    dtype: DType,
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    let device = Device::Cpu;
    let mut tensors: HashMap<String, Tensor> = HashMap::new();
    for (name, var) in varmap.data().lock().expect("varmap lock").iter() {
        let t = var.as_tensor().to_dtype(dtype)?.to_device(&device)?;
        tensors.insert(name.clone(), t);
    }
    let base_weights = candle_core::safetensors::load(base.join("model.safetensors"), &device)?;
    for (name, t) in base_weights {
        let bare = name.strip_prefix("bert.").unwrap_or(&name);
        if bare.starts_with("pooler.") {
            tensors.insert(format!("bert.{bare}"), t.to_dtype(dtype)?);
        }
    }
    candle_core::safetensors::save(&tensors, dir.join("model.safetensors"))?;
    let config_path = base.join("config.json");
    let text = std::fs::read_to_string(&config_path).map_err(|e| io_err(&config_path, e))?;
    let mut config: Value = serde_json::from_str(&text).map_err(|e| io_err(&config_path, e))?;
    let obj = config
        .as_object_mut()
        .ok_or_else(|| io_err(&config_path, "not a JSON object"))?;
    obj.insert("architectures".into(), json!(["BertForMaskedLM"]));
    obj.insert("tie_word_embeddings".into(), json!(true));
    obj.insert("policylens_pretraining".into(), record);
    let out = dir.join("config.json");
    let body = serde_json::to_string_pretty(&config).map_err(|e| io_err(&out, e))?;
    std::fs::write(&out, body).map_err(|e| io_err(&out, e))?;
    let tok = dir.join("tokenizer.json");
    std::fs::copy(base.join("tokenizer.json"), &tok).map_err(|e| io_err(&tok, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init::init_from_encoder;
    use policylens_classify::testing::{max_abs_diff, var_values as weight, write_tiny_encoder};

    fn masking(vocab: u32) -> Masking {
        Masking {
            prob: 0.15,
            mask_id: 4,
            vocab_size: vocab,
            special: vec![0, 1, 2, 3, 4],
        }
    }

    #[test]
    fn masking_follows_bert_rates_and_spares_special_tokens() {
        let m = masking(1000);
        let mut rng = StdRng::seed_from_u64(1);
        let (mut chosen, mut ordinary, mut as_mask, mut kept) = (0usize, 0usize, 0usize, 0usize);
        for s in 0..2000u32 {
            let mut ids = vec![2u32];
            ids.extend((0..40).map(|i| 5 + (s * 7 + i) % 900));
            ids.push(3);
            let (input, targets) = m.apply(&ids, &mut rng);
            assert_eq!(input.len(), ids.len());
            assert_eq!((input[0], *input.last().unwrap()), (2, 3), "specials stay");
            assert!(targets
                .iter()
                .all(|&(p, id)| p > 0 && p < 41 && ids[p] == id));
            for (i, (&a, &b)) in input.iter().zip(&ids).enumerate() {
                if a != b {
                    assert!(
                        targets.iter().any(|&(p, _)| p == i),
                        "changed but not a target"
                    );
                    assert!(
                        a == 4 || !m.special.contains(&a),
                        "replacement {a} is special"
                    );
                }
            }
            ordinary += 40;
            chosen += targets.len();
            as_mask += targets.iter().filter(|&&(p, _)| input[p] == 4).count();
            kept += targets.iter().filter(|&&(p, id)| input[p] == id).count();
        }
        let rate = chosen as f64 / ordinary as f64;
        assert!((rate - 0.15).abs() < 0.01, "chosen rate {rate}");
        let mask_share = as_mask as f64 / chosen as f64;
        assert!((mask_share - 0.8).abs() < 0.02, "[MASK] share {mask_share}");
        // Unchanged: the 10 % kept, plus random draws that hit the same token (rare).
        let kept_share = kept as f64 / chosen as f64;
        assert!((kept_share - 0.1).abs() < 0.02, "kept share {kept_share}");
        // Every sequence with ordinary tokens gets a target, even a short one.
        let mut rng = StdRng::seed_from_u64(2);
        for _ in 0..50 {
            assert_eq!(m.apply(&[2, 7, 3], &mut rng).1.len(), 1);
        }
        assert!(m.apply(&[2, 3], &mut rng).1.is_empty());
    }

    /// Sequences with a strong pattern to learn: each word is followed by the next id.
    fn patterned(n: usize, seed: u64) -> Vec<Vec<u32>> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                let len = rng.random_range(4..12);
                let start = rng.random_range(5u32..20);
                let mut ids = vec![2u32];
                ids.extend((0..len).map(|i| 5 + (start - 5 + i) % 33));
                ids.push(3);
                ids
            })
            .collect()
    }

    fn config(epochs: usize) -> PretrainConfig {
        PretrainConfig {
            epochs,
            batch_size: 8,
            learning_rate: 5e-3,
            weight_decay: 0.01,
            warmup: 0.1,
            max_grad_norm: 1.0,
            seed: 3,
            masking: masking(38),
        }
    }

    #[test]
    fn pretraining_a_tiny_model_lowers_validation_loss_and_moves_the_encoder() {
        let tmp = tempfile::tempdir().unwrap();
        let enc = tmp.path().join("enc");
        write_tiny_encoder(&enc, 4).unwrap();
        let (varmap, model, _) = init_masked_lm(&enc, 1, &Device::Cpu).unwrap();
        let words = weight(&varmap, "bert.embeddings.word_embeddings.weight");
        let query = weight(&varmap, "bert.encoder.layer.0.attention.self.query.weight");
        let (train, valid) = (patterned(200, 1), patterned(40, 2));
        let state = pretrain(
            &model,
            &varmap,
            &train,
            &valid,
            0,
            &config(12),
            &tmp.path().join("ckpt"),
            |_| true,
        )
        .unwrap();
        let before = state.initial.unwrap();
        let after = state.history.last().unwrap().valid;
        assert!(after.loss < 0.5 * before.loss, "{before:?} -> {after:?}");
        assert!(
            after.accuracy > before.accuracy + 0.3,
            "{before:?} -> {after:?}"
        );
        // The tied decoder trains the embeddings; the layers below learn too.
        assert_ne!(
            weight(&varmap, "bert.embeddings.word_embeddings.weight"),
            words
        );
        assert_ne!(
            weight(&varmap, "bert.encoder.layer.0.attention.self.query.weight"),
            query
        );
    }

    #[test]
    fn a_resumed_pretraining_run_ends_where_an_uninterrupted_one_does() {
        let tmp = tempfile::tempdir().unwrap();
        let enc = tmp.path().join("enc");
        write_tiny_encoder(&enc, 4).unwrap();
        let (train, valid) = (patterned(48, 3), patterned(16, 4));
        let run = |ckpt: &str, stop_at_epoch: Option<usize>| {
            let (varmap, model, _) = init_masked_lm(&enc, 1, &Device::Cpu).unwrap();
            let state = pretrain(
                &model,
                &varmap,
                &train,
                &valid,
                0,
                &config(3),
                &tmp.path().join(ckpt),
                |s| Some(s.epoch) != stop_at_epoch || s.step < 2,
            )
            .unwrap();
            (weight(&varmap, "cls.predictions.bias"), state)
        };
        let (straight, s1) = run("a", None);
        let (_, cut) = run("b", Some(1));
        assert!(cut.interrupted);
        let (resumed, s2) = run("b", None);
        assert_eq!(s1.history.len(), 3);
        assert_eq!(s1.initial, s2.initial);
        for (a, b) in s1.history.iter().zip(&s2.history) {
            assert!((a.train_loss - b.train_loss).abs() < 1e-6, "{a:?} vs {b:?}");
            assert!((a.valid.loss - b.valid.loss).abs() < 1e-6, "{a:?} vs {b:?}");
        }
        let diff = max_abs_diff(&straight, &resumed);
        assert!(diff < 1e-5, "resumed weights differ by {diff}");
    }

    #[test]
    fn a_saved_masked_lm_is_a_fine_tuning_base_with_the_trained_encoder() {
        let tmp = tempfile::tempdir().unwrap();
        let enc = tmp.path().join("enc");
        write_tiny_encoder(&enc, 4).unwrap();
        let (varmap, model, _) = init_masked_lm(&enc, 1, &Device::Cpu).unwrap();
        pretrain(
            &model,
            &varmap,
            &patterned(32, 5),
            &patterned(8, 6),
            0,
            &config(1),
            &tmp.path().join("ckpt"),
            |_| true,
        )
        .unwrap();
        let out = tmp.path().join("mlm");
        save_masked_lm(&out, &varmap, &enc, json!({"epochs": 1}), DType::F32).unwrap();
        let config: Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap())
                .unwrap();
        assert_eq!(config["architectures"], json!(["BertForMaskedLM"]));
        assert_eq!(config["policylens_pretraining"]["epochs"], 1);
        let saved =
            candle_core::safetensors::load(out.join("model.safetensors"), &Device::Cpu).unwrap();
        assert!(saved.contains_key("cls.predictions.bias"));
        assert!(saved.contains_key("bert.encoder.layer.0.output.dense.weight"));
        // The fine-tuning loader reads the trained encoder from it.
        let (ft, _, _) = init_from_encoder(
            &out,
            &policylens_core::LabelSet::new(["a", "b"]).unwrap(),
            1,
            &Device::Cpu,
        )
        .unwrap();
        let name = "bert.encoder.layer.0.attention.self.query.weight";
        assert_eq!(weight(&ft, name), weight(&varmap, name));
        // And it continues pre-training with its own head, not a fresh one.
        let (again, _, _) = init_masked_lm(&out, 99, &Device::Cpu).unwrap();
        assert_eq!(
            weight(&again, "cls.predictions.transform.dense.weight"),
            weight(&varmap, "cls.predictions.transform.dense.weight")
        );
    }
}
