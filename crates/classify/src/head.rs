//! The multi-label head: one logistic unit per label over the pooled
//! embedding, stored as `classifier.weight` / `classifier.bias`.

use crate::error::{ClassifyError, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::ops::sigmoid;
use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, Clone)]
pub struct Head {
    /// `[n_labels, hidden]`
    pub weight: Tensor,
    /// `[n_labels]`
    pub bias: Tensor,
}

impl Head {
    pub fn n_labels(&self) -> usize {
        self.weight.dims()[0]
    }

    pub fn hidden_size(&self) -> usize {
        self.weight.dims()[1]
    }

    pub fn load(path: &Path, device: &Device) -> Result<Self> {
        let corrupt = |reason: String| ClassifyError::Corrupt {
            path: path.to_path_buf(),
            reason,
            hint: "Re-create the model with `policylens train`, or restore it from git".into(),
        };
        if !path.is_file() {
            return Err(ClassifyError::MissingFile {
                path: path.to_path_buf(),
                hint: "A head-only model needs head.safetensors beside policylens.json".into(),
            });
        }
        let mut tensors =
            candle_core::safetensors::load(path, device).map_err(|e| corrupt(e.to_string()))?;
        let mut take = |name: &str| {
            tensors
                .remove(name)
                .ok_or_else(|| corrupt(format!("no tensor {name}")))
                .and_then(|t| t.to_dtype(DType::F32).map_err(|e| corrupt(e.to_string())))
        };
        let (weight, bias) = (take("classifier.weight")?, take("classifier.bias")?);
        if weight.rank() != 2 || bias.dims() != [weight.dims()[0]] {
            return Err(corrupt(format!(
                "classifier.weight {:?} and classifier.bias {:?} do not fit",
                weight.dims(),
                bias.dims()
            )));
        }
        Ok(Self { weight, bias })
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let map: HashMap<String, Tensor> = [
            (
                "classifier.weight".to_string(),
                self.weight.to_device(&Device::Cpu)?,
            ),
            (
                "classifier.bias".to_string(),
                self.bias.to_device(&Device::Cpu)?,
            ),
        ]
        .into();
        candle_core::safetensors::save(&map, path)?;
        Ok(())
    }

    pub fn to_device(&self, device: &Device) -> Result<Self> {
        Ok(Self {
            weight: self.weight.to_device(device)?,
            bias: self.bias.to_device(device)?,
        })
    }

    /// Logits `[batch, n_labels]` for embeddings `[batch, hidden]`.
    pub fn logits(&self, embeddings: &Tensor) -> Result<Tensor> {
        Ok(embeddings
            .matmul(&self.weight.t()?)?
            .broadcast_add(&self.bias)?)
    }

    /// Probabilities `[batch, n_labels]`.
    pub fn probabilities(&self, embeddings: &Tensor) -> Result<Tensor> {
        Ok(sigmoid(&self.logits(embeddings)?)?)
    }
}
