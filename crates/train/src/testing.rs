//! Tiny fine-tuned models for tests of this and other crates (feature
//! `testing`): a sequence classifier initialised from one of
//! `policylens_classify::testing`'s tiny encoders and saved as a Hugging
//! Face directory.

use crate::init::init_from_encoder;
use candle_core::{DType, Device};
use policylens_classify::hf;
use policylens_classify::seqcls::SequenceClassifier;
use policylens_classify::testing::write_tiny_encoder;
use policylens_classify::Windowing;
use policylens_core::{LabelSet, Thresholds};
use std::path::Path;

/// A tiny fine-tuned model saved under `dir/seqcls` as a
/// `BertForSequenceClassification` directory (12-token windows, overlap 2),
/// and the in-memory model it was saved from.
pub fn write_tiny_seqcls(
    dir: &Path,
    labels: &LabelSet,
    thresholds: Vec<f32>,
    name: &str,
) -> policylens_classify::Result<(std::path::PathBuf, SequenceClassifier)> {
    write_tiny_seqcls_on(dir, labels, thresholds, name, write_tiny_encoder)
}

/// [`write_tiny_seqcls`] over the encoder that `write_encoder(dir, seed)`
/// writes (such as [`write_tiny_mpnet`](policylens_classify::testing::write_tiny_mpnet)).
pub fn write_tiny_seqcls_on(
    dir: &Path,
    labels: &LabelSet,
    thresholds: Vec<f32>,
    name: &str,
    write_encoder: impl Fn(&Path, u64) -> policylens_classify::Result<()>,
) -> policylens_classify::Result<(std::path::PathBuf, SequenceClassifier)> {
    let enc = dir.join("enc");
    write_encoder(&enc, 4)?;
    let (varmap, model, _) = init_from_encoder(&enc, labels, 2, &Device::Cpu)?;
    let base: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(enc.join("config.json")).expect("just written"),
    )
    .expect("valid json");
    let out = dir.join("seqcls");
    let req = hf::SaveRequest {
        base_config: &base,
        tokenizer: &enc.join("tokenizer.json"),
        name,
        labels,
        thresholds: &Thresholds(thresholds),
        windowing: Windowing {
            max_tokens: 12,
            overlap: 2,
        },
        training: serde_json::json!({"epochs": 1}),
        dtype: DType::F32,
    };
    hf::save(&out, &varmap, &req)?;
    Ok((out, model))
}
