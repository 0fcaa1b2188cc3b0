//! Fine-tuned models as Hugging Face `BertForSequenceClassification`
//! directories: `config.json` (with `id2label`, `label2id` and
//! `"problem_type": "multi_label_classification"`), `model.safetensors`
//! with `bert.*` and `classifier.*` weights, and `tokenizer.json`. Python
//! `transformers` loads such a directory unchanged; PolicyLens keeps its
//! own settings (per-label thresholds, windowing, provenance) under the
//! `policylens` key of `config.json`, which `transformers` carries along as
//! an attribute and otherwise ignores. Directories trained elsewhere, without
//! that key, load with thresholds of 0.5.

use crate::error::{ClassifyError, Result};
use crate::model::Windowing;
use candle_core::{DType, Tensor};
use candle_nn::VarMap;
use policylens_core::{LabelSet, Thresholds};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::path::Path;

pub const SEQCLS_FORMAT: &str = "policylens-seqcls/1";
pub const ARCHITECTURE: &str = "BertForSequenceClassification";
/// The architecture written for an MPNet encoder.
pub const MPNET_ARCHITECTURE: &str = "MPNetForSequenceClassification";

/// PolicyLens's part of `config.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyLensSettings {
    pub format: String,
    /// Short name written into every output row's `model` column.
    pub name: String,
    /// Per-label decision thresholds, by label name.
    pub thresholds: Map<String, Value>,
    #[serde(default)]
    pub windowing: Windowing,
    #[serde(default)]
    pub training: Value,
    /// sha256 of `model.safetensors` as saved; checked at every load, so
    /// weights damaged on disk (same size, other bytes) are refused
    /// instead of scoring NaN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights_sha256: Option<String>,
}

/// What PolicyLens needs from a sequence-classification `config.json`.
#[derive(Debug, Clone)]
pub struct SeqClsConfig {
    /// The whole `config.json`, for the encoder's own fields.
    pub raw: Value,
    pub name: String,
    pub labels: LabelSet,
    pub thresholds: Thresholds,
    pub windowing: Windowing,
    /// The recorded sha256 of `model.safetensors`, when the config has one.
    pub weights_sha256: Option<String>,
}

fn corrupt(path: &Path, reason: impl Into<String>) -> ClassifyError {
    ClassifyError::Corrupt {
        path: path.to_path_buf(),
        reason: reason.into(),
        hint: "A sequence-classification model needs id2label in config.json".into(),
    }
}

/// Whether `dir` holds a Hugging Face sequence-classification model.
pub fn is_sequence_classifier(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("config.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .is_some_and(|v| {
            v["architectures"].as_array().is_some_and(|a| {
                a.iter()
                    .any(|s| s == ARCHITECTURE || s == MPNET_ARCHITECTURE)
            }) || v.get("id2label").is_some() && v.get("policylens").is_some()
        })
}

impl SeqClsConfig {
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join("config.json");
        let text = std::fs::read_to_string(&path).map_err(|source| ClassifyError::Io {
            path: path.clone(),
            source,
        })?;
        let raw: Value = serde_json::from_str(&text).map_err(|e| ClassifyError::Corrupt {
            path: path.clone(),
            reason: format!("not valid JSON ({e})"),
            hint: "Restore the config.json saved with this model".into(),
        })?;
        let id2label = raw["id2label"]
            .as_object()
            .ok_or_else(|| corrupt(&path, "no id2label"))?;
        let mut pairs: Vec<(usize, String)> = id2label
            .iter()
            .map(|(k, v)| {
                let id = k
                    .parse()
                    .map_err(|_| corrupt(&path, format!("id2label key {k:?} is not a number")))?;
                let name = v
                    .as_str()
                    .ok_or_else(|| corrupt(&path, format!("id2label[{k}] is not a string")))?;
                Ok((id, name.to_string()))
            })
            .collect::<Result<_>>()?;
        pairs.sort();
        if pairs.iter().enumerate().any(|(i, (id, _))| *id != i) {
            return Err(corrupt(&path, "id2label ids are not 0..n"));
        }
        let labels = LabelSet::new(pairs.into_iter().map(|(_, n)| n))?;
        let settings: Option<PolicyLensSettings> = match raw.get("policylens") {
            None => None,
            Some(v) => Some(
                serde_json::from_value(v.clone())
                    .map_err(|e| corrupt(&path, format!("policylens settings: {e}")))?,
            ),
        };
        let thresholds = Thresholds(
            labels
                .names()
                .iter()
                .map(|n| {
                    settings
                        .as_ref()
                        .and_then(|s| s.thresholds.get(n))
                        .and_then(Value::as_f64)
                        .unwrap_or(0.5) as f32
                })
                .collect(),
        );
        thresholds.check(&labels)?;
        let name = settings.as_ref().map_or_else(
            || {
                dir.file_name()
                    .map_or("model".into(), |n| n.to_string_lossy().into_owned())
            },
            |s| s.name.clone(),
        );
        Ok(Self {
            name,
            labels,
            thresholds,
            windowing: settings.as_ref().map(|s| s.windowing).unwrap_or_default(),
            weights_sha256: settings.as_ref().and_then(|s| s.weights_sha256.clone()),
            raw,
        })
    }
}

/// Everything that goes into a saved sequence-classification directory.
pub struct SaveRequest<'a> {
    /// The base encoder's `config.json`, extended here.
    pub base_config: &'a Value,
    /// The base encoder's `tokenizer.json`, copied.
    pub tokenizer: &'a Path,
    pub name: &'a str,
    pub labels: &'a LabelSet,
    pub thresholds: &'a Thresholds,
    pub windowing: Windowing,
    pub training: Value,
    /// How the weights are stored (F32, or F16 to halve the files; they
    /// are computed with in F32 either way).
    pub dtype: DType,
}

/// Write `dir` as a `BertForSequenceClassification` model (or, for an MPNet
/// base, `MPNetForSequenceClassification`).
pub fn save(dir: &Path, varmap: &VarMap, req: &SaveRequest) -> Result<()> {
    let tensors: HashMap<String, Tensor> = varmap
        .data()
        .lock()
        .expect("varmap lock")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_tensor().clone()))
        .collect();
    save_tensors(dir, &tensors, req)
}

/// [`save`] for weights held as named tensors.
pub fn save_tensors(
    dir: &Path,
    tensors: &HashMap<String, Tensor>,
    req: &SaveRequest,
) -> Result<()> {
    let io = |path: &Path, source| ClassifyError::Io {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let mut config = req.base_config.clone();
    let names = req.labels.names();
    let obj = config
        .as_object_mut()
        .ok_or_else(|| corrupt(dir, "base config.json is not an object"))?;
    let architecture = match obj.get("model_type").and_then(Value::as_str) {
        Some("mpnet") => MPNET_ARCHITECTURE,
        _ => ARCHITECTURE,
    };
    obj.insert("architectures".into(), json!([architecture]));
    obj.insert("problem_type".into(), json!("multi_label_classification"));
    obj.insert(
        "id2label".into(),
        Value::Object(
            names
                .iter()
                .enumerate()
                .map(|(i, n)| (i.to_string(), json!(n)))
                .collect(),
        ),
    );
    obj.insert(
        "label2id".into(),
        Value::Object(
            names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.clone(), json!(i)))
                .collect(),
        ),
    );
    let settings = PolicyLensSettings {
        format: SEQCLS_FORMAT.into(),
        name: req.name.into(),
        thresholds: names
            .iter()
            .zip(&req.thresholds.0)
            .map(|(n, t)| (n.clone(), json!(t)))
            .collect(),
        windowing: req.windowing,
        training: req.training.clone(),
        weights_sha256: None,
    };
    obj.insert(
        "policylens".into(),
        serde_json::to_value(settings).expect("settings serialize"),
    );
    let stored = tensors
        .iter()
        .map(|(k, t)| Ok((k.clone(), t.to_dtype(req.dtype)?)))
        .collect::<candle_core::Result<HashMap<_, _>>>()?;
    let weights = dir.join("model.safetensors");
    candle_core::safetensors::save(&stored, &weights)?;
    config["policylens"]["weights_sha256"] = json!(crate::source::sha256_file(&weights)?);
    let config_path = dir.join("config.json");
    let text = serde_json::to_string_pretty(&config).expect("config serializes") + "\n";
    std::fs::write(&config_path, text).map_err(|e| io(&config_path, e))?;
    let tok = dir.join("tokenizer.json");
    if req.tokenizer != tok {
        std::fs::copy(req.tokenizer, &tok).map_err(|e| io(&tok, e))?;
    }
    Ok(())
}

/// Replace the per-label thresholds in `dir/config.json` (a
/// sequence-classification directory, ours or trained elsewhere) and record
/// how they were chosen under `policylens.calibration`. Nothing else in the
/// file changes; the weights are not touched.
pub fn write_thresholds(dir: &Path, thresholds: &Thresholds, calibration: Value) -> Result<()> {
    let config = SeqClsConfig::read(dir)?;
    thresholds.check(&config.labels)?;
    let path = dir.join("config.json");
    let mut raw = config.raw;
    let obj = raw
        .as_object_mut()
        .ok_or_else(|| corrupt(&path, "not a JSON object"))?;
    let settings = obj.entry("policylens").or_insert_with(|| {
        json!({
            "format": SEQCLS_FORMAT,
            "name": config.name,
            "windowing": config.windowing,
        })
    });
    settings["thresholds"] = Value::Object(
        config
            .labels
            .names()
            .iter()
            .zip(&thresholds.0)
            .map(|(n, t)| (n.clone(), json!(t)))
            .collect(),
    );
    settings["calibration"] = calibration;
    let text = serde_json::to_string_pretty(&raw).expect("config serializes") + "\n";
    std::fs::write(&path, text).map_err(|source| ClassifyError::Io { path, source })
}
