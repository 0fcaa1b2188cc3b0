//! Adding labels to a trained sequence classifier without moving the ones
//! it has.
//!
//! Fine-tuning the whole encoder for one new label is slow and shifts every
//! other label. Here the encoder and pooler stay frozen: the new labels are
//! fitted as logistic rows over the pooled `[CLS]` features (the classifier's
//! own input), and those rows are spliced into `classifier.weight` and
//! `classifier.bias`. The existing rows are copied unchanged, so the model
//! scores its old labels exactly as before, and the result is still a plain
//! `BertForSequenceClassification`.

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use policylens_classify::bert::{parse_config, Family, Ops};
use policylens_classify::classifier::run_windows;
use policylens_classify::head::Head;
use policylens_classify::hf::SeqClsConfig;
use policylens_classify::seqcls::SequenceClassifier;
use policylens_classify::tokenize::{ClauseTokenizer, TokenizedClause};
use policylens_classify::{ClassifyError, Result};
use policylens_core::{LabelSet, Thresholds};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A sequence-classification directory loaded with its raw tensors.
pub struct Extendable {
    pub dir: PathBuf,
    pub config: SeqClsConfig,
    tensors: HashMap<String, Tensor>,
    model: SequenceClassifier,
    tokenizer: ClauseTokenizer,
    device: Device,
}

/// The new classifier: weights by name, its labels and thresholds.
pub struct Extended {
    pub tensors: HashMap<String, Tensor>,
    pub labels: LabelSet,
    pub thresholds: Thresholds,
}

impl Extendable {
    pub fn load(dir: &Path, device: &Device) -> Result<Self> {
        let config = SeqClsConfig::read(dir)?;
        let weights = dir.join("model.safetensors");
        let corrupt = |reason: String| ClassifyError::Corrupt {
            path: weights.clone(),
            reason,
            hint: "A BertForSequenceClassification model.safetensors is needed".into(),
        };
        let tensors = candle_core::safetensors::load(&weights, device)
            .map_err(|e| corrupt(e.to_string()))?
            .into_iter()
            .map(|(k, t)| Ok((k, t.to_dtype(DType::F32)?)))
            .collect::<candle_core::Result<HashMap<_, _>>>()?;
        let bert: candle_transformers::models::bert::Config =
            parse_config(&config.raw).map_err(|e| ClassifyError::Corrupt {
                path: dir.join("config.json"),
                reason: e.to_string(),
                hint: "config.json must be a BERT config".into(),
            })?;
        if Family::of(&bert) != Family::Bert {
            return Err(corrupt(
                "adding labels supports BertForSequenceClassification models only".into(),
            ));
        }
        let vb = VarBuilder::from_tensors(tensors.clone(), DType::F32, device);
        let model = SequenceClassifier::new(vb, &bert, config.labels.len())
            .map_err(|e| corrupt(e.to_string()))?;
        let tokenizer = ClauseTokenizer::from_file(
            &dir.join("tokenizer.json"),
            config
                .windowing
                .max_tokens
                .min(bert.max_position_embeddings),
            config.windowing.overlap,
        )?;
        Ok(Self {
            dir: dir.to_path_buf(),
            config,
            tensors,
            model,
            tokenizer,
            device: device.clone(),
        })
    }

    pub fn labels(&self) -> &LabelSet {
        &self.config.labels
    }

    pub fn tokenizer(&self) -> &ClauseTokenizer {
        &self.tokenizer
    }

    /// Pooled features of every window of `clauses` (windows, hidden), with
    /// each window's clause index.
    pub fn pooled_windows(
        &self,
        clauses: &[TokenizedClause],
        batch_size: usize,
    ) -> Result<(Tensor, Vec<usize>)> {
        let (rows, owner) = run_windows(&self.tokenizer, clauses, batch_size, |batch| {
            Ok(self
                .model
                .pooled_for(batch, self.tokenizer.pad_id(), &self.device, Ops::Fused)?)
        })?;
        let hidden = self.tensors["classifier.weight"].dim(1)?;
        let x = if rows.is_empty() {
            Tensor::zeros((0, hidden), DType::F32, &self.device)?
        } else {
            Tensor::stack(&rows, 0)?
        };
        Ok((x, owner))
    }

    /// The classifier with `head`'s rows (one per label of `new`, a label
    /// set disjoint from the model's) added, labels ordered as in `order`
    /// (labels `order` does not name follow, old before new).
    pub fn extend(
        &self,
        new: &LabelSet,
        head: &Head,
        new_thresholds: &Thresholds,
        order: &LabelSet,
    ) -> Result<Extended> {
        let old = self.labels();
        if let Some(dup) = new.names().iter().find(|n| old.index(n).is_some()) {
            return Err(ClassifyError::Training(format!(
                "the model already has a {dup} label"
            )));
        }
        if head.n_labels() != new.len() || new_thresholds.0.len() != new.len() {
            return Err(ClassifyError::Training(format!(
                "{} new labels but a head of {} rows and {} thresholds",
                new.len(),
                head.n_labels(),
                new_thresholds.0.len()
            )));
        }
        // Each row: (name, weight row, bias, threshold).
        let w_old = &self.tensors["classifier.weight"];
        let b_old = self.tensors["classifier.bias"].to_vec1::<f32>()?;
        let b_new = head.bias.to_vec1::<f32>()?;
        let mut rows: Vec<(String, Tensor, f32, f32)> = Vec::new();
        for (i, name) in old.names().iter().enumerate() {
            rows.push((
                name.clone(),
                w_old.get(i)?,
                b_old[i],
                self.config.thresholds.0[i],
            ));
        }
        for (i, name) in new.names().iter().enumerate() {
            rows.push((
                name.clone(),
                head.weight.get(i)?,
                b_new[i],
                new_thresholds.0[i],
            ));
        }
        let rank = |n: &str| order.index(n).unwrap_or(usize::MAX);
        rows.sort_by_key(|r| rank(&r.0)); // stable: unnamed labels keep old-then-new order
        let labels = LabelSet::new(rows.iter().map(|r| r.0.clone()))?;
        let weight = Tensor::stack(&rows.iter().map(|r| r.1.clone()).collect::<Vec<_>>(), 0)?;
        let bias = Tensor::new(rows.iter().map(|r| r.2).collect::<Vec<f32>>(), &self.device)?;
        let mut tensors = self.tensors.clone();
        tensors.insert("classifier.weight".into(), weight);
        tensors.insert("classifier.bias".into(), bias);
        Ok(Extended {
            tensors,
            labels,
            thresholds: Thresholds(rows.iter().map(|r| r.3).collect()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::write_tiny_seqcls;
    use policylens_classify::hf::{save_tensors, SaveRequest};
    use policylens_classify::{Classifier, LoadOptions};
    use serde_json::json;

    fn tiny_seqcls(tmp: &Path) -> PathBuf {
        let labels = LabelSet::new(["collection", "contact"]).unwrap();
        write_tiny_seqcls(tmp, &labels, vec![0.3, 0.6], "tiny")
            .unwrap()
            .0
    }

    #[test]
    fn added_labels_take_their_place_and_old_labels_score_exactly_as_before() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tiny_seqcls(tmp.path());
        let texts = [
            "we scan your face at the door",
            "write to privacy@example.com",
        ];
        let before = Classifier::load(&dir, &LoadOptions::default()).unwrap();
        let old_scores = before.score(&before.tokenize_all(&texts).unwrap()).unwrap();

        let ext = Extendable::load(&dir, &Device::Cpu).unwrap();
        let tokens = ext.tokenizer().encode_all(&texts).unwrap();
        let (x, owner) = ext.pooled_windows(&tokens, 4).unwrap();
        assert_eq!(owner, vec![0, 1]);
        let hidden = x.dim(1).unwrap();
        // A head whose row is the first pooled feature vector: a known logit.
        let head = Head {
            weight: x.get(0).unwrap().unsqueeze(0).unwrap(),
            bias: Tensor::new(&[0.5f32], &Device::Cpu).unwrap(),
        };
        assert_eq!(head.hidden_size(), hidden);
        let new = LabelSet::new(["biometrics"]).unwrap();
        let order = LabelSet::new(["collection", "biometrics", "contact"]).unwrap();
        let e = ext
            .extend(&new, &head, &Thresholds(vec![0.9]), &order)
            .unwrap();
        assert_eq!(e.labels.names(), ["collection", "biometrics", "contact"]);
        assert_eq!(e.thresholds.0, vec![0.3, 0.9, 0.6]);

        let out = tmp.path().join("extended");
        let base = ext.config.raw.clone();
        let req = SaveRequest {
            base_config: &base,
            tokenizer: &dir.join("tokenizer.json"),
            name: "tiny-bio",
            labels: &e.labels,
            thresholds: &e.thresholds,
            windowing: ext.config.windowing,
            training: json!({}),
            dtype: DType::F16,
        };
        save_tensors(&out, &e.tensors, &req).unwrap();
        let stored =
            candle_core::safetensors::load(out.join("model.safetensors"), &Device::Cpu).unwrap();
        assert_eq!(stored["classifier.weight"].dtype(), DType::F16);

        let after = Classifier::load(&out, &LoadOptions::default()).unwrap();
        assert_eq!(after.labels().names(), e.labels.names());
        let new_scores = after.score(&after.tokenize_all(&texts).unwrap()).unwrap();
        for (o, n) in old_scores.iter().zip(&new_scores) {
            // Old labels moved only by f16 storage of the weights.
            assert!((o.0[0] - n.0[0]).abs() < 2e-3, "{o:?} {n:?}");
            assert!((o.0[1] - n.0[2]).abs() < 2e-3, "{o:?} {n:?}");
        }
        // The new label's logit on clause 0 is |x0|² + 0.5.
        let x0 = x.get(0).unwrap();
        let logit = x0
            .sqr()
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
            + 0.5;
        let want = 1.0 / (1.0 + (-logit).exp());
        assert!(
            (new_scores[0].0[1] - want).abs() < 2e-3,
            "{} vs {want}",
            new_scores[0].0[1]
        );
    }

    #[test]
    fn a_label_the_model_has_cannot_be_added_again() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tiny_seqcls(tmp.path());
        let ext = Extendable::load(&dir, &Device::Cpu).unwrap();
        let head = Head {
            weight: Tensor::zeros((1, 16), DType::F32, &Device::Cpu).unwrap(),
            bias: Tensor::zeros(1, DType::F32, &Device::Cpu).unwrap(),
        };
        let new = LabelSet::new(["contact"]).unwrap();
        let err = ext
            .extend(&new, &head, &Thresholds(vec![0.5]), &new)
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("already has a contact label"),
            "{err}"
        );
    }
}
