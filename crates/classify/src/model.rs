//! The stored model: `policylens.json` (labels, thresholds, the base encoder
//! by id and sha256, windowing) beside `head.safetensors`. The base encoder is
//! resolved like any model: a local directory, `models/<name>`, or the hub.

use crate::error::{ClassifyError, Result};
use policylens_core::{LabelSet, Thresholds};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const MODEL_CONFIG: &str = "policylens.json";
pub const HEAD_FILE: &str = "head.safetensors";
pub const FORMAT: &str = "policylens-head/1";

/// The base encoder a head was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaseEncoder {
    /// A hub id (`sentence-transformers/all-MiniLM-L6-v2`) or a path.
    pub id: String,
    /// sha256 of its `model.safetensors`; checked at load when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// How long clauses are cut for the encoder.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Windowing {
    /// Tokens per window, counting `[CLS]` and `[SEP]`.
    pub max_tokens: usize,
    /// Tokens shared by consecutive windows.
    pub overlap: usize,
}

impl Default for Windowing {
    fn default() -> Self {
        Self {
            max_tokens: 256,
            overlap: 64,
        }
    }
}

/// Contents of `policylens.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    pub format: String,
    /// Short name written into every output row's `model` column.
    pub name: String,
    pub labels: LabelSet,
    pub thresholds: Thresholds,
    pub base: BaseEncoder,
    #[serde(default)]
    pub windowing: Windowing,
    /// How the head was made (data, hyper-parameters, validation figures).
    #[serde(default)]
    pub training: serde_json::Value,
}

impl ModelConfig {
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(MODEL_CONFIG);
        let text = std::fs::read_to_string(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ClassifyError::MissingFile {
                path: path.clone(),
                hint: "Point --model at a PolicyLens model directory (e.g. models/policylens-minilm-opp115)".into(),
            },
            _ => ClassifyError::Io { path: path.clone(), source: e },
        })?;
        let cfg: Self = serde_json::from_str(&text).map_err(|e| ClassifyError::Corrupt {
            path: path.clone(),
            reason: e.to_string(),
            hint: "Restore it from git or re-create it with `policylens train`".into(),
        })?;
        if cfg.format != FORMAT {
            return Err(ClassifyError::Corrupt {
                path,
                reason: format!("format {:?}, expected {FORMAT:?}", cfg.format),
                hint: "This PolicyLens reads head-only models only".into(),
            });
        }
        cfg.thresholds.check(&cfg.labels)?;
        Ok(cfg)
    }

    pub fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join(MODEL_CONFIG);
        let text = serde_json::to_string_pretty(self).expect("model config serializes");
        std::fs::write(&path, text + "\n").map_err(|source| ClassifyError::Io { path, source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ModelConfig {
        ModelConfig {
            format: FORMAT.into(),
            name: "test".into(),
            labels: LabelSet::policylens(),
            thresholds: Thresholds((0..13).map(|i| 0.1 + i as f32 * 0.05).collect()),
            base: BaseEncoder {
                id: "org/base".into(),
                sha256: Some("ab".into()),
            },
            windowing: Windowing {
                max_tokens: 128,
                overlap: 16,
            },
            training: serde_json::json!({"epochs": 3}),
        }
    }

    #[test]
    fn labels_and_thresholds_round_trip() {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = config();
        cfg.write(tmp.path()).unwrap();
        assert_eq!(ModelConfig::read(tmp.path()).unwrap(), cfg);
    }

    #[test]
    fn mismatched_thresholds_and_missing_files_are_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let err = ModelConfig::read(tmp.path()).unwrap_err().to_string();
        assert!(err.contains("policylens.json"), "{err}");
        let mut cfg = config();
        cfg.thresholds.0.pop();
        cfg.write(tmp.path()).unwrap();
        assert!(ModelConfig::read(tmp.path()).is_err());
    }
}
