//! A model that training saved is a Hugging Face sequence-classification
//! directory, and the labeling path loads it and scores as the trained
//! model did; thresholds rewritten later change nothing else.

use candle_core::Device;
use policylens_classify::hf::{is_sequence_classifier, write_thresholds, SEQCLS_FORMAT};
use policylens_classify::testing::{write_tiny_encoder, write_tiny_mpnet};
use policylens_classify::tokenize::ClauseTokenizer;
use policylens_classify::{Classifier, LoadOptions, Result};
use policylens_core::{LabelSet, Thresholds};
use policylens_train::batch::Example;
use policylens_train::finetune::predict;
use policylens_train::testing::write_tiny_seqcls_on;
use serde_json::{json, Value};
use std::path::Path;

fn saved(tmp: &Path, with_settings: bool) -> (std::path::PathBuf, Vec<Vec<f32>>, Vec<String>) {
    saved_on(tmp, with_settings, write_tiny_encoder)
}

fn saved_on(
    tmp: &Path,
    with_settings: bool,
    encoder: impl Fn(&Path, u64) -> Result<()>,
) -> (std::path::PathBuf, Vec<Vec<f32>>, Vec<String>) {
    let labels = LabelSet::new(["collection", "biometrics", "contact"]).unwrap();
    let (out, model) =
        write_tiny_seqcls_on(tmp, &labels, vec![0.25, 0.5, 0.75], "tiny-seqcls", encoder).unwrap();
    let enc = tmp.join("enc");
    if !with_settings {
        let path = out.join("config.json");
        let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        v.as_object_mut().unwrap().remove("policylens");
        std::fs::write(&path, v.to_string()).unwrap();
    }
    // What the in-memory model says, for comparison after loading.
    let texts = vec![
        "we collect your face and fingerprint data".to_string(),
        "contact us".to_string(),
    ];
    let tok = ClauseTokenizer::from_file(&enc.join("tokenizer.json"), 12, 2).unwrap();
    let examples: Vec<Example> = texts
        .iter()
        .map(|t| Example {
            ids: tok.window_input(&tok.encode(t).unwrap(), 0),
            targets: vec![0.0; 3],
            supervised: vec![1.0; 3],
        })
        .collect();
    let probs = predict(&model, &examples, 4, tok.pad_id(), &Device::Cpu).unwrap();
    (out, probs, texts)
}

#[test]
fn a_saved_model_is_a_bert_for_sequence_classification_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _, _) = saved(tmp.path(), true);
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    assert_eq!(v["architectures"], json!(["BertForSequenceClassification"]));
    assert_eq!(v["problem_type"], "multi_label_classification");
    assert_eq!(v["id2label"]["1"], "biometrics");
    assert_eq!(v["label2id"]["contact"], 2);
    assert_eq!(v["hidden_size"], 16, "the encoder's own fields are kept");
    tensor_names_include(
        &dir,
        &[
            "bert.embeddings.word_embeddings.weight",
            "bert.encoder.layer.0.attention.self.query.weight",
            "bert.pooler.dense.weight",
            "classifier.weight",
            "classifier.bias",
        ],
    );
    assert!(dir.join("tokenizer.json").exists());
}

#[test]
fn policylens_label_loads_it_and_scores_as_the_trained_model_did() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, probs, texts) = saved(tmp.path(), true);
    let c = Classifier::load(&dir, &LoadOptions::default()).unwrap();
    assert_eq!(c.labels().names(), ["collection", "biometrics", "contact"]);
    assert_eq!(c.thresholds().0, vec![0.25, 0.5, 0.75]);
    assert_eq!(c.windowing().max_tokens, 12);
    assert!(c.model_id().starts_with("tiny-seqcls@"));
    scores_match(&dir, &texts, &probs);
}

#[test]
fn an_mpnet_model_is_saved_as_mpnet_for_sequence_classification_and_scores_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, probs, texts) = saved_on(tmp.path(), true, write_tiny_mpnet);
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    assert_eq!(
        v["architectures"],
        json!(["MPNetForSequenceClassification"])
    );
    // transformers' MPNetForSequenceClassification names, nothing else.
    let names = tensor_names_include(
        &dir,
        &[
            "mpnet.embeddings.word_embeddings.weight",
            "mpnet.encoder.layer.0.attention.attn.q.weight",
            "mpnet.encoder.layer.0.attention.LayerNorm.weight",
            "mpnet.encoder.relative_attention_bias.weight",
            "classifier.dense.weight",
            "classifier.out_proj.weight",
        ],
    );
    assert!(!names.iter().any(|n| n.starts_with("bert.")), "{names:?}");
    assert!(is_sequence_classifier(&dir));
    scores_match(&dir, &texts, &probs);
}

/// The saved tensor names, asserting that each of `wants` is among them.
fn tensor_names_include(dir: &Path, wants: &[&str]) -> Vec<String> {
    let names: Vec<String> =
        candle_core::safetensors::load(dir.join("model.safetensors"), &Device::Cpu)
            .unwrap()
            .into_keys()
            .collect();
    for want in wants {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
    names
}

/// `policylens label`'s loader scores `texts` as the in-memory model did.
fn scores_match(dir: &Path, texts: &[String], probs: &[Vec<f32>]) {
    let c = Classifier::load(dir, &LoadOptions::default()).unwrap();
    let scores = c.score(&c.tokenize_all(texts).unwrap()).unwrap();
    for (s, p) in scores.iter().zip(probs) {
        for (a, b) in s.0.iter().zip(p) {
            assert!((a - b).abs() < 1e-5, "{:?} vs {p:?}", s.0);
        }
    }
}

#[test]
fn a_directory_trained_elsewhere_loads_with_half_thresholds() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _, _) = saved(tmp.path(), false);
    let c = Classifier::load(&dir, &LoadOptions::default()).unwrap();
    assert_eq!(c.thresholds().0, vec![0.5; 3]);
    assert!(
        c.model_id().starts_with("seqcls@"),
        "named after its folder"
    );
}

fn config_of(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap()
}

#[test]
fn new_thresholds_replace_the_old_and_leave_everything_else() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _, _) = saved(tmp.path(), true);
    let weights = std::fs::read(dir.join("model.safetensors")).unwrap();
    let before = config_of(&dir);
    let old_id = Classifier::load(&dir, &LoadOptions::default())
        .unwrap()
        .model_id()
        .to_string();
    let t = Thresholds(vec![0.125, 0.375, 0.625]);
    write_thresholds(&dir, &t, json!({"threshold_prior": 20.0})).unwrap();
    let c = Classifier::load(&dir, &LoadOptions::default()).unwrap();
    assert_eq!(c.thresholds(), &t);
    // Same weights, other decisions: the id says so.
    assert_ne!(c.model_id(), old_id);
    assert_eq!(c.model_id().split('#').next(), old_id.split('#').next());
    assert_eq!(c.labels().names(), ["collection", "biometrics", "contact"]);
    assert_eq!(c.windowing().max_tokens, 12);
    let mut after = config_of(&dir);
    assert_eq!(after["policylens"]["calibration"]["threshold_prior"], 20.0);
    assert_eq!(after["policylens"]["thresholds"]["contact"], 0.625);
    // Apart from thresholds and the record, the file is as it was.
    let settings = after["policylens"].as_object_mut().unwrap();
    settings.remove("calibration");
    settings.insert(
        "thresholds".into(),
        before["policylens"]["thresholds"].clone(),
    );
    assert_eq!(after, before);
    assert_eq!(
        std::fs::read(dir.join("model.safetensors")).unwrap(),
        weights
    );
    // One threshold per label, or nothing is written.
    let err = write_thresholds(&dir, &Thresholds(vec![0.5]), Value::Null);
    assert!(err.is_err());
    assert_eq!(
        Classifier::load(&dir, &LoadOptions::default())
            .unwrap()
            .thresholds(),
        &t
    );
}

#[test]
fn rewriting_thresholds_keeps_every_other_number_to_the_last_digit() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _, _) = saved(tmp.path(), true);
    let mut v = config_of(&dir);
    // Parsed by a fast, inexact float reader this would come back one
    // unit in the last place off, and the training record would drift.
    v["policylens"]["training"] = json!({"pos_weight": [3.7349278926849365]});
    std::fs::write(dir.join("config.json"), v.to_string()).unwrap();
    write_thresholds(&dir, &Thresholds(vec![0.1, 0.2, 0.3]), Value::Null).unwrap();
    let text = std::fs::read_to_string(dir.join("config.json")).unwrap();
    assert!(text.contains("3.7349278926849365"), "{text}");
}

#[test]
fn a_directory_trained_elsewhere_takes_thresholds_and_keeps_its_name() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _, _) = saved(tmp.path(), false);
    let t = Thresholds(vec![0.3, 0.6, 0.9]);
    write_thresholds(&dir, &t, json!({"data": ["v.csv"]})).unwrap();
    let c = Classifier::load(&dir, &LoadOptions::default()).unwrap();
    assert_eq!(c.thresholds(), &t);
    assert!(c.model_id().starts_with("seqcls@"), "{}", c.model_id());
    assert_eq!(config_of(&dir)["policylens"]["format"], SEQCLS_FORMAT);
}
