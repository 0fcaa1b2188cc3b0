//! The BERT-family encoder ([`Bert`], fused inference kernels, optionally
//! int8) and the sentence-transformers pooling on top of it: masked mean,
//! then L2 norm.

use crate::bert::{Bert, Ops};
use crate::error::{ClassifyError, Result, FETCH_HINT};
use crate::precision::Precision;
use crate::source::check_encoder_dir;
use candle_core::{DType, Device, Tensor, D};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::Config;
use std::path::Path;

pub struct Encoder {
    bert: Bert,
    config: Config,
    device: Device,
}

impl Encoder {
    /// Load `config.json` and `model.safetensors` from a Hugging Face-layout
    /// directory. Errors name the file and suggest the fix.
    pub fn load(dir: &Path, device: &Device, precision: Precision) -> Result<Self> {
        check_encoder_dir(dir)?;
        let config_path = dir.join("config.json");
        let corrupt = |path: &Path, reason: String| ClassifyError::Corrupt {
            path: path.to_path_buf(),
            reason,
            hint: FETCH_HINT.into(),
        };
        let text = std::fs::read_to_string(&config_path)
            .map_err(|e| corrupt(&config_path, e.to_string()))?;
        let config: Config = serde_json::from_str(&text)
            .and_then(|raw| crate::bert::parse_config(&raw))
            .map_err(|e| corrupt(&config_path, e.to_string()))?;
        let weights = dir.join("model.safetensors");
        let precision = precision.resolve(device);
        // SAFETY: the file is memory-mapped read-only; candle copies tensors out of it.
        let vb =
            unsafe { VarBuilder::from_mmaped_safetensors(&[&weights], precision.dtype(), device) }
                .map_err(|e| corrupt(&weights, e.to_string()))?;
        let mut bert = Bert::load(vb, &config).map_err(|e| corrupt(&weights, e.to_string()))?;
        if precision == Precision::Int8 {
            bert.quantize_int8()?;
        }
        Ok(Self {
            bert,
            config,
            device: device.clone(),
        })
    }

    /// Whether attention runs with bf16 products ([`Bert::bf16_attention`]).
    pub fn bf16_attention(&self) -> bool {
        self.bert.bf16_attention()
    }

    pub fn hidden_size(&self) -> usize {
        self.config.hidden_size
    }

    pub fn max_positions(&self) -> usize {
        self.config.max_position_embeddings
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Embed sequences (each already `[CLS] … [SEP]`), padded to the longest
    /// in the batch: one mean-pooled, unit-length row per sequence.
    pub fn embed(&self, seqs: &[Vec<u32>], pad_id: u32) -> Result<Tensor> {
        let max_len = seqs.iter().map(Vec::len).max().unwrap_or(0).max(1);
        let n = seqs.len();
        let mut ids = Vec::with_capacity(n * max_len);
        let mut mask = Vec::with_capacity(n * max_len);
        for s in seqs {
            ids.extend_from_slice(s);
            ids.extend(std::iter::repeat_n(pad_id, max_len - s.len()));
            mask.extend(std::iter::repeat_n(1u32, s.len()));
            mask.extend(std::iter::repeat_n(0u32, max_len - s.len()));
        }
        let ids = Tensor::from_vec(ids, (n, max_len), &self.device)?;
        let mask = Tensor::from_vec(mask, (n, max_len), &self.device)?;
        let types = ids.zeros_like()?;
        let hidden = self.bert.forward(&ids, &types, &mask, Ops::Fused)?;
        // Pooled in f32 whatever the encoder's precision.
        mean_pool_normalized(&hidden.to_dtype(DType::F32)?, &mask)
    }
}

/// Masked mean over tokens, then L2 normalisation, as sentence-transformers does.
pub fn mean_pool_normalized(hidden: &Tensor, mask: &Tensor) -> Result<Tensor> {
    let mask = mask.to_dtype(hidden.dtype())?.unsqueeze(D::Minus1)?;
    let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
    let counts = mask.sum(1)?.clamp(1e-9, f64::MAX)?;
    let mean = summed.broadcast_div(&counts)?;
    let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
    Ok(mean.broadcast_div(&norm)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooling_ignores_padding_and_normalises() {
        let dev = Device::Cpu;
        // Two sequences of two tokens, hidden size 2; the second's last token is padding.
        let hidden =
            Tensor::new(&[[[3f32, 4.], [3., 4.]], [[1., 0.], [100., 100.]]], &dev).unwrap();
        let mask = Tensor::new(&[[1u32, 1], [1, 0]], &dev).unwrap();
        let out: Vec<Vec<f32>> = mean_pool_normalized(&hidden, &mask)
            .unwrap()
            .to_vec2()
            .unwrap();
        assert!((out[0][0] - 0.6).abs() < 1e-6 && (out[0][1] - 0.8).abs() < 1e-6);
        assert_eq!(out[1], vec![1.0, 0.0]);
    }
}
