//! Where training starts: a trainable classifier or encoder built from a
//! base model directory, its weights read by name, new parts (a head, a
//! pooler the base lacks) drawn from the seed, and a base classifier's
//! output rows carried over by label name.

use crate::checkpoint::io_err;
use candle_core::{DType, Device, Result, Tensor};
use candle_nn::{VarBuilder, VarMap};
use candle_transformers::models::bert::Config;
use policylens_classify::bert::{parse_config, Family};
use policylens_classify::hf;
use policylens_classify::seqcls::SequenceClassifier;
use policylens_core::LabelSet;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::path::Path;

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
    if !hf::is_sequence_classifier(dir) {
        return Ok(None);
    }
    let config = hf::SeqClsConfig::read(dir).map_err(candle_core::Error::wrap)?;
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
