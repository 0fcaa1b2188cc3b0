//! Tiny random models for tests: a real BERT (or MPNet) layout (config.json,
//! tokenizer.json, model.safetensors) small enough to build in milliseconds.
//! Never used as a shipped model.

use crate::head::Head;
use crate::model::{BaseEncoder, ModelConfig, Windowing, FORMAT, HEAD_FILE};
use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use candle_transformers::models::bert::{BertModel, Config};
use policylens_core::{LabelSet, Thresholds};
use std::path::Path;

const WORDS: &[&str] = &[
    "we",
    "collect",
    "your",
    "data",
    "share",
    "with",
    "third",
    "parties",
    "cookies",
    "face",
    "fingerprint",
    "retain",
    "for",
    "years",
    "contact",
    "us",
    "at",
    "privacy",
    "policy",
    "children",
    "the",
    "and",
    "of",
    "to",
    "information",
    "personal",
    "use",
    "may",
    "our",
    "you",
    ".",
    ",",
    ":",
];

/// The tiny BERT vocabulary's special tokens: ids 0–4, as in BERT.
const BERT_SPECIALS: &[&str] = &["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
/// MPNet's: `<s>`, `<pad>`, `</s>` first, and (as in all-mpnet-base-v2's
/// vocabulary) unused `[CLS]`/`[SEP]` entries that must not be taken for them.
const MPNET_SPECIALS: &[&str] = &["<s>", "<pad>", "</s>", "[UNK]", "[CLS]", "[SEP]", "<mask>"];

fn tokenizer_json() -> String {
    tokenizer_json_with(BERT_SPECIALS, "[CLS]", "[SEP]")
}

/// A WordPiece tokenizer over `specials` then [`WORDS`], whose
/// post-processor wraps a sequence in `cls` … `sep`.
fn tokenizer_json_with(specials: &[&str], cls: &str, sep: &str) -> String {
    let mut vocab = serde_json::Map::new();
    for (i, t) in specials.iter().chain(WORDS).enumerate() {
        vocab.insert((*t).to_string(), i.into());
    }
    let id = |t: &str| specials.iter().position(|s| *s == t).expect("a special");
    serde_json::json!({
        "version": "1.0",
        "truncation": {"direction": "Right", "max_length": 8, "strategy": "LongestFirst", "stride": 0},
        "padding": null,
        "added_tokens": [],
        "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": cls, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": sep, "type_id": 0}}],
            "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {
                cls: {"id": cls, "ids": [id(cls)], "tokens": [cls]},
                sep: {"id": sep, "ids": [id(sep)], "tokens": [sep]}
            }
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": vocab}
    })
    .to_string()
}

/// Create `dir` with its `config.json` and `tokenizer.json`.
fn write_config_and_tokenizer(
    dir: &Path,
    config: &serde_json::Value,
    tokenizer: String,
) -> crate::Result<()> {
    let io = |path: &Path, source| crate::ClassifyError::Io {
        path: path.into(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    for (name, body) in [
        ("config.json", config.to_string()),
        ("tokenizer.json", tokenizer),
    ] {
        std::fs::write(dir.join(name), body).map_err(|e| io(&dir.join(name), e))?;
    }
    Ok(())
}

/// Write a tiny random BERT encoder directory (vocabulary: a few policy words).
pub fn write_tiny_encoder(dir: &Path, seed: u64) -> crate::Result<()> {
    let config = serde_json::json!({
        "vocab_size": WORDS.len() + 5, "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
        "intermediate_size": 32, "hidden_act": "gelu", "hidden_dropout_prob": 0.0, "max_position_embeddings": 64,
        "type_vocab_size": 2, "initializer_range": 0.02, "layer_norm_eps": 1e-12, "pad_token_id": 0, "model_type": "bert"
    });
    write_config_and_tokenizer(dir, &config, tokenizer_json())?;
    let cfg: Config = serde_json::from_value(config).expect("static config");
    let device = Device::Cpu;
    let varmap = VarMap::new();
    BertModel::load(VarBuilder::from_varmap(&varmap, DType::F32, &device), &cfg)?;
    // candle's CPU generator cannot be seeded: overwrite the initial values
    // (layer norms excepted) with a seeded sequence so tests are repeatable.
    let mut rng = Lcg(seed);
    let data = varmap.data().lock().expect("varmap lock");
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    for name in names {
        if !name.contains("LayerNorm") {
            let var = &data[name];
            var.set(&rng.tensor(var.shape().clone(), 0.2)?)?;
        }
    }
    drop(data);
    varmap.save(dir.join("model.safetensors"))?;
    Ok(())
}

/// Write a tiny random MPNet encoder directory (`model_type: "mpnet"`,
/// Hugging Face weight names, `<s>`/`</s>` tokenizer).
pub fn write_tiny_mpnet(dir: &Path, seed: u64) -> crate::Result<()> {
    let config = serde_json::json!({
        "vocab_size": WORDS.len() + MPNET_SPECIALS.len(), "hidden_size": 16, "num_hidden_layers": 1,
        "num_attention_heads": 2, "intermediate_size": 32, "hidden_act": "gelu", "hidden_dropout_prob": 0.0,
        "max_position_embeddings": 64, "initializer_range": 0.02, "layer_norm_eps": 1e-5, "pad_token_id": 1,
        "relative_attention_num_buckets": 32, "model_type": "mpnet"
    });
    write_config_and_tokenizer(
        dir,
        &config,
        tokenizer_json_with(MPNET_SPECIALS, "<s>", "</s>"),
    )?;
    let cfg = crate::bert::parse_config(&config).expect("static config");
    let varmap = VarMap::new();
    crate::bert::Bert::load(
        VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu),
        &cfg,
    )?;
    let mut rng = Lcg(seed);
    let data = varmap.data().lock().expect("varmap lock");
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    for name in names {
        let var = &data[name];
        let value = match name.contains("LayerNorm") {
            true if name.ends_with("weight") => var.ones_like()?,
            true => var.zeros_like()?,
            false => rng.tensor(var.shape().clone(), 0.2)?,
        };
        var.set(&value)?;
    }
    drop(data);
    varmap.save(dir.join("model.safetensors"))?;
    Ok(())
}

/// The values of one variable of `varmap`, flattened (to see what training moved).
pub fn var_values(varmap: &VarMap, name: &str) -> Vec<f32> {
    varmap.data().lock().expect("varmap lock")[name]
        .as_tensor()
        .flatten_all()
        .and_then(|t| t.to_vec1())
        .expect("an f32 variable")
}

/// The largest absolute difference between two equally long vectors.
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0f32, f32::max)
}

/// A tiny deterministic generator for test weights.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    fn tensor(&mut self, shape: candle_core::Shape, scale: f32) -> candle_core::Result<Tensor> {
        let v: Vec<f32> = (0..shape.elem_count())
            .map(|_| self.next() * scale)
            .collect();
        Tensor::from_vec(v, shape, &Device::Cpu)
    }
}

/// Write a tiny encoder under `root/tiny-bert` and a head-only model in
/// `root/tiny-model` that uses it, with windows of `max_tokens`.
pub fn write_tiny_model(
    root: &Path,
    labels: &LabelSet,
    max_tokens: usize,
) -> crate::Result<std::path::PathBuf> {
    write_tiny_encoder(&root.join("tiny-bert"), 7)?;
    let model = root.join("tiny-model");
    std::fs::create_dir_all(&model).map_err(|source| crate::ClassifyError::Io {
        path: model.clone(),
        source,
    })?;
    let dev = Device::Cpu;
    let weight = Lcg(11).tensor((labels.len(), 16).into(), 1.0)?;
    let head = Head {
        weight,
        bias: Tensor::zeros(labels.len(), DType::F32, &dev)?,
    };
    head.save(&model.join(HEAD_FILE))?;
    ModelConfig {
        format: FORMAT.into(),
        name: "tiny-test-model".into(),
        labels: labels.clone(),
        thresholds: Thresholds::uniform(labels.len(), 0.5),
        base: BaseEncoder {
            id: "testing/tiny-bert".into(),
            sha256: None,
        },
        windowing: Windowing {
            max_tokens,
            overlap: 2,
        },
        training: serde_json::Value::Null,
    }
    .write(&model)?;
    Ok(model)
}
