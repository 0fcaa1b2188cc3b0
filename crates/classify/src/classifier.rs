//! A loaded model scoring clauses in length-sorted batches, long clauses
//! windowed and the window scores max-pooled. Two kinds of model load:
//! a frozen encoder with a logistic head (`policylens.json` +
//! `head.safetensors`, base encoder resolved by id), and a fine-tuned
//! Hugging Face `BertForSequenceClassification` directory ([`crate::hf`]).

use crate::bert::Ops;
use crate::encoder::Encoder;
use crate::error::{ClassifyError, Result, FETCH_HINT};
use crate::head::Head;
use crate::hf::SeqClsConfig;
use crate::model::{ModelConfig, Windowing, HEAD_FILE};
use crate::precision::Precision;
use crate::seqcls::SequenceClassifier;
use crate::source::{resolve, sha256_file};
use crate::tokenize::{ClauseTokenizer, TokenizedClause};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use policylens_core::{LabelSet, Scores, Thresholds};
use std::path::{Path, PathBuf};

/// How to load a model.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub device: Device,
    /// Folders searched for a base encoder named by hub id (`<root>/<name>`).
    pub local_roots: Vec<PathBuf>,
    /// Windows per encoder call.
    pub batch_size: usize,
    /// Arithmetic of the encoder's dense layers (recorded in the model id).
    pub precision: Precision,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            device: Device::Cpu,
            local_roots: vec![PathBuf::from("models")],
            batch_size: 32,
            precision: Precision::F32,
        }
    }
}

/// An encoder with a tokenizer: everything but the head. Training a head
/// needs only this; scoring needs a [`Classifier`].
pub struct Embedder {
    pub tokenizer: ClauseTokenizer,
    pub encoder: Encoder,
    pub batch_size: usize,
}

impl Embedder {
    /// Load a base encoder directory, checking its sha256 when one is given.
    pub fn load(
        dir: &Path,
        expected_sha256: Option<&str>,
        windowing: crate::Windowing,
        opts: &LoadOptions,
    ) -> Result<Self> {
        let encoder = Encoder::load(dir, &opts.device, opts.precision)?;
        if let Some(expected) = expected_sha256 {
            let path = dir.join("model.safetensors");
            let actual = sha256_file(&path)?;
            if actual != expected {
                return Err(ClassifyError::HashMismatch {
                    path,
                    expected: expected.to_string(),
                    actual,
                    hint: FETCH_HINT.into(),
                });
            }
        }
        let max_tokens = windowing.max_tokens.min(encoder.max_positions());
        let tokenizer =
            ClauseTokenizer::from_file(&dir.join("tokenizer.json"), max_tokens, windowing.overlap)?;
        Ok(Self {
            tokenizer,
            encoder,
            batch_size: opts.batch_size.max(1),
        })
    }

    pub fn tokenize(&self, text: &str) -> Result<TokenizedClause> {
        self.tokenizer.encode(text)
    }

    /// Tokenize many clauses in parallel.
    pub fn tokenize_all<S: AsRef<str> + Sync>(&self, texts: &[S]) -> Result<Vec<TokenizedClause>> {
        self.tokenizer.encode_all(texts)
    }

    /// Embeddings of every window of every clause, `[n_windows, hidden]`,
    /// and for each window the index of its clause. Windows are batched by
    /// length so padding stays small; rows come back in clause order.
    pub fn embed_windows(&self, clauses: &[TokenizedClause]) -> Result<(Tensor, Vec<usize>)> {
        let (rows, owner) = run_windows(&self.tokenizer, clauses, self.batch_size, |batch| {
            self.encoder.embed(batch, self.tokenizer.pad_id())
        })?;
        let all = if rows.is_empty() {
            Tensor::zeros(
                (0, self.encoder.hidden_size()),
                DType::F32,
                self.encoder.device(),
            )?
        } else {
            Tensor::stack(&rows, 0)?
        };
        Ok((all, owner))
    }
}

/// Windows of at most this many tokens are batched by tokens rather than
/// by count: a batch of short windows (list items, table cells, headings
/// cut into clauses) holds up to `batch_size` × this many tokens, since
/// each encoder call has a fixed cost that tiny batches never repay.
const SHORT_WINDOW_TOKENS: usize = 64;
/// However short its windows, a batch holds at most `batch_size` × this.
const MAX_SHORT_BATCHES: usize = 16;
/// A batch of long windows holds at most `batch_size` × this many tokens
/// (16 windows of 256, 8 of 512): its activations are then a few tens of
/// MB rather than a hundred, and memory the process touches for the
/// first time costs the kernel a page clearing.
const LONG_WINDOW_TOKENS: usize = 128;

/// Sizes of consecutive batches over windows of ascending `lengths`:
/// `batch_size` windows each, more while they are short (see
/// [`SHORT_WINDOW_TOKENS`]) and fewer when they are long (see
/// [`LONG_WINDOW_TOKENS`]).
fn batch_sizes(lengths: &[usize], batch_size: usize) -> Vec<usize> {
    let budget = batch_size * SHORT_WINDOW_TOKENS;
    let most = batch_size * MAX_SHORT_BATCHES;
    let mut sizes = Vec::new();
    let mut at = 0;
    while at < lengths.len() {
        let mut n = batch_size.min(lengths.len() - at);
        // Ascending lengths: the last window of a batch is its longest.
        while at + n < lengths.len() && n < most && (n + 1) * lengths[at + n] <= budget {
            n += 1;
        }
        while n > 1 && n * lengths[at + n - 1] > batch_size * LONG_WINDOW_TOKENS {
            n -= 1;
        }
        sizes.push(n);
        at += n;
    }
    sizes
}

/// Run `f` over every window of every clause in length-sorted batches of
/// `batch_size` (more when short, see [`batch_sizes`]), each distinct window
/// once; returns one output row per window in clause order, and each
/// window's clause index.
pub fn run_windows(
    tokenizer: &ClauseTokenizer,
    clauses: &[TokenizedClause],
    batch_size: usize,
    mut f: impl FnMut(&[Vec<u32>]) -> Result<Tensor>,
) -> Result<(Vec<Tensor>, Vec<usize>)> {
    let mut inputs = Vec::new();
    let mut owner = Vec::new();
    for (ci, c) in clauses.iter().enumerate() {
        for w in 0..c.n_windows() {
            inputs.push(tokenizer.window_input(c, w));
            owner.push(ci);
        }
    }
    // Identical windows are run once: a clause repeated 100,000 times in
    // one field, or a heading of one word, has few distinct windows.
    let (mut distinct, slot) = distinct_windows(inputs);
    let mut order: Vec<usize> = (0..distinct.len()).collect();
    order.sort_by_key(|&i| distinct[i].len());
    let lengths: Vec<usize> = order.iter().map(|&i| distinct[i].len()).collect();
    let mut rows: Vec<Option<Tensor>> = vec![None; distinct.len()];
    let mut at = 0;
    for size in batch_sizes(&lengths, batch_size.max(1)) {
        let chunk = &order[at..at + size];
        at += size;
        let batch: Vec<Vec<u32>> = chunk
            .iter()
            .map(|&i| std::mem::take(&mut distinct[i]))
            .collect();
        let out = f(&batch)?;
        for (j, &i) in chunk.iter().enumerate() {
            rows[i] = Some(out.get(j)?);
        }
    }
    let rows = slot
        .into_iter()
        .map(|i| rows[i].clone().expect("every distinct window was run"))
        .collect();
    Ok((rows, owner))
}

/// The distinct windows of `inputs`, in order of first appearance, and for
/// each input the index of its distinct window.
fn distinct_windows(inputs: Vec<Vec<u32>>) -> (Vec<Vec<u32>>, Vec<usize>) {
    let mut first: std::collections::HashMap<Vec<u32>, usize> = Default::default();
    let mut distinct = Vec::new();
    let slot = inputs
        .into_iter()
        .map(|w| match first.get(&w) {
            Some(&i) => i,
            None => {
                first.insert(w.clone(), distinct.len());
                distinct.push(w);
                distinct.len() - 1
            }
        })
        .collect();
    (distinct, slot)
}

/// How a model turns windows into label probabilities.
enum Scorer {
    /// Frozen encoder, mean pooling, logistic head.
    Head { embedder: Embedder, head: Head },
    /// A fine-tuned `BertForSequenceClassification`.
    Sequence {
        tokenizer: ClauseTokenizer,
        model: SequenceClassifier,
        batch_size: usize,
        device: Device,
    },
}

/// A model ready to score clauses.
pub struct Classifier {
    labels: LabelSet,
    thresholds: Thresholds,
    windowing: Windowing,
    scorer: Scorer,
    model_id: String,
}

impl Classifier {
    /// Load a model directory: a PolicyLens head model (`policylens.json` +
    /// `head.safetensors`, whose base encoder is resolved) or a Hugging Face
    /// `BertForSequenceClassification` directory.
    pub fn load(model_dir: &Path, opts: &LoadOptions) -> Result<Self> {
        let opts = &LoadOptions {
            precision: opts.precision.resolve(&opts.device),
            ..opts.clone()
        };
        if opts.precision == Precision::Int8 && !opts.device.is_cpu() {
            return Err(ClassifyError::Unsupported(format!(
                "--precision int8 runs on the CPU only, not on {:?}; use f32 there",
                opts.device
            )));
        }
        let head_model = model_dir.join(crate::model::MODEL_CONFIG);
        if !head_model.exists() && !model_dir.join("config.json").exists() {
            return Err(ClassifyError::MissingFile {
                path: model_dir.to_path_buf(),
                hint: "A model directory holds config.json + model.safetensors + tokenizer.json \
                       (a sequence classifier, like the default models/policylens-minilm-opp115), \
                       or policylens.json + head.safetensors (a head on a base encoder)"
                    .into(),
            });
        }
        // Without policylens.json the directory is a sequence classifier
        // (ours or Hugging Face's); its config.json says whether it is one.
        if !head_model.exists() {
            return Self::load_sequence_classifier(model_dir, opts);
        }
        let config = ModelConfig::read(model_dir)?;
        let head_path = model_dir.join(HEAD_FILE);
        let head = Head::load(&head_path, &opts.device)?;
        let mut roots = vec![model_dir.parent().unwrap_or(Path::new(".")).to_path_buf()];
        roots.extend(opts.local_roots.iter().cloned());
        let base_dir = resolve(&config.base.id, &roots)?;
        let embedder = Embedder::load(
            &base_dir,
            config.base.sha256.as_deref(),
            config.windowing,
            opts,
        )?;
        if head.n_labels() != config.labels.len()
            || head.hidden_size() != embedder.encoder.hidden_size()
        {
            return Err(ClassifyError::Corrupt {
                path: head_path,
                reason: format!(
                    "head is {:?} but the model has {} labels and a {}-wide encoder",
                    head.weight.dims(),
                    config.labels.len(),
                    embedder.encoder.hidden_size()
                ),
                hint: "Re-create the model with `policylens train`".into(),
            });
        }
        let head_sha = sha256_file(&head_path)?;
        Ok(Self {
            model_id: model_id(
                &config.name,
                &head_sha,
                &config.thresholds,
                opts.precision,
                embedder.encoder.bf16_attention(),
            ),
            labels: config.labels,
            thresholds: config.thresholds,
            windowing: config.windowing,
            scorer: Scorer::Head { embedder, head },
        })
    }

    fn load_sequence_classifier(dir: &Path, opts: &LoadOptions) -> Result<Self> {
        check_model_files(dir)?;
        let config = SeqClsConfig::read(dir)?;
        let weights = dir.join("model.safetensors");
        let sha = sha256_file(&weights)?;
        if let Some(expected) = config.weights_sha256.as_deref() {
            if expected != sha {
                return Err(ClassifyError::HashMismatch {
                    path: weights,
                    expected: expected.to_string(),
                    actual: sha,
                    hint: "The weights are not the ones config.json records (damaged or replaced); copy the model again (for the default: `git checkout models/`)".into(),
                });
            }
        }
        let corrupt = |reason: String| ClassifyError::Corrupt {
            path: weights.clone(),
            reason,
            hint: "Re-create the model with `policylens train --fine-tune`".into(),
        };
        let bert_config: candle_transformers::models::bert::Config =
            crate::bert::parse_config(&config.raw).map_err(|e| ClassifyError::Corrupt {
                path: dir.join("config.json"),
                reason: e.to_string(),
                hint: "config.json must be a BERT config".into(),
            })?;
        // SAFETY: read-only memory map; candle copies the tensors out.
        let dtype = opts.precision.dtype();
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[&weights], dtype, &opts.device) }
            .map_err(|e| corrupt(e.to_string()))?;
        let mut model = SequenceClassifier::new(vb, &bert_config, config.labels.len())
            .map_err(|e| weights_error(dir, &e.to_string()))?;
        if opts.precision == Precision::Int8 {
            model.bert.quantize_int8()?;
        }
        let max_tokens = config
            .windowing
            .max_tokens
            .min(bert_config.max_position_embeddings);
        let tokenizer = ClauseTokenizer::from_file(
            &dir.join("tokenizer.json"),
            max_tokens,
            config.windowing.overlap,
        )?;
        Ok(Self {
            model_id: model_id(
                &config.name,
                &sha,
                &config.thresholds,
                opts.precision,
                model.bert.bf16_attention(),
            ),
            labels: config.labels,
            thresholds: config.thresholds,
            windowing: config.windowing,
            scorer: Scorer::Sequence {
                tokenizer,
                model,
                batch_size: opts.batch_size.max(1),
                device: opts.device.clone(),
            },
        })
    }

    /// The id written into every output row, `name@weights#thresholds`
    /// (see [`model_id`]).
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    pub fn labels(&self) -> &LabelSet {
        &self.labels
    }

    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }

    pub fn windowing(&self) -> Windowing {
        self.windowing
    }

    fn tokenizer(&self) -> &ClauseTokenizer {
        match &self.scorer {
            Scorer::Head { embedder, .. } => &embedder.tokenizer,
            Scorer::Sequence { tokenizer, .. } => tokenizer,
        }
    }

    pub fn tokenize(&self, text: &str) -> Result<TokenizedClause> {
        self.tokenizer().encode(text)
    }

    /// Tokenize many clauses in parallel.
    pub fn tokenize_all<S: AsRef<str> + Sync>(&self, texts: &[S]) -> Result<Vec<TokenizedClause>> {
        self.tokenizer().encode_all(texts)
    }

    /// Per-label probabilities for each clause: window scores max-pooled.
    pub fn score(&self, clauses: &[TokenizedClause]) -> Result<Vec<Scores>> {
        match &self.scorer {
            Scorer::Head { embedder, head } => {
                let (emb, owner) = embedder.embed_windows(clauses)?;
                score_windows(head, &emb, &owner, clauses.len())
            }
            Scorer::Sequence {
                tokenizer,
                model,
                batch_size,
                device,
            } => {
                let (rows, owner) = run_windows(tokenizer, clauses, *batch_size, |batch| {
                    let logits = model.logits_for(batch, tokenizer.pad_id(), device, Ops::Fused)?;
                    Ok(candle_nn::ops::sigmoid(&logits.to_dtype(DType::F32)?)?)
                })?;
                let probs = rows
                    .iter()
                    .map(|r| r.to_vec1::<f32>())
                    .collect::<candle_core::Result<Vec<_>>>()?;
                Ok(pool_windows(
                    probs,
                    &owner,
                    clauses.len(),
                    self.labels.len(),
                ))
            }
        }
    }
}

/// Max-pool window probabilities into clause scores (`owner[i]` is window
/// i's clause); a clause without windows scores 0.
fn pool_windows(
    probs: Vec<Vec<f32>>,
    owner: &[usize],
    n_clauses: usize,
    n_labels: usize,
) -> Vec<Scores> {
    let mut out: Vec<Option<Scores>> = vec![None; n_clauses];
    for (p, &ci) in probs.into_iter().zip(owner) {
        let p = Scores(p);
        match &mut out[ci] {
            Some(s) => s.max_pool(&p),
            slot => *slot = Some(p),
        }
    }
    out.into_iter()
        .map(|s| s.unwrap_or_else(|| Scores(vec![0.0; n_labels])))
        .collect()
}

/// Clause scores from window embeddings: the head's probabilities,
/// max-pooled over each clause's windows (`owner[i]` is window i's clause).
pub fn score_windows(
    head: &Head,
    emb: &Tensor,
    owner: &[usize],
    n_clauses: usize,
) -> Result<Vec<Scores>> {
    let probs: Vec<Vec<f32>> = if owner.is_empty() {
        Vec::new()
    } else {
        head.probabilities(emb)?.to_vec2()?
    };
    Ok(pool_windows(probs, owner, n_clauses, head.n_labels()))
}

/// Why weights would not load into the model `config.json` describes: a
/// shape that differs is config.json's fault as much as the weights'. Only
/// the first line of candle's message (it appends a backtrace when
/// `RUST_BACKTRACE` is set).
fn weights_error(dir: &Path, message: &str) -> ClassifyError {
    let first = message.lines().next().unwrap_or_default();
    if first.contains("shape mismatch") {
        ClassifyError::Corrupt {
            path: dir.join("config.json"),
            reason: format!("it does not describe the weights in model.safetensors ({first})"),
            hint: "Restore the config.json saved with these weights".into(),
        }
    } else {
        ClassifyError::Corrupt {
            path: dir.join("model.safetensors"),
            reason: first.to_string(),
            hint: "Re-create the model with `policylens train --fine-tune`".into(),
        }
    }
}

/// A sequence classifier's three files, each named with the fix when missing.
fn check_model_files(dir: &Path) -> Result<()> {
    for f in crate::source::ENCODER_FILES {
        let path = dir.join(f);
        if !path.is_file() {
            return Err(ClassifyError::MissingFile {
                path,
                hint: "A model directory needs config.json, model.safetensors and tokenizer.json; \
                   copy the missing file from where the model came from (the default: \
                   `git checkout models/policylens-minilm-opp115`)"
                    .into(),
            });
        }
    }
    Ok(())
}

/// `name@W#T`: W is the first 12 hex digits of the weights' (or head's)
/// sha256, T the first 6 of the sha256 of the thresholds, so a model
/// recalibrated with `policylens calibrate` (same weights, other decisions)
/// gets another id; `+int8` (`+int8a7w7` on the AVX2 kernel's 7-bit
/// activations and weights) follows for int8 arithmetic, then `+bf16` if attention runs
/// in bf16.
fn model_id(
    name: &str,
    weights_sha: &str,
    thresholds: &Thresholds,
    precision: Precision,
    bf16_attention: bool,
) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for t in &thresholds.0 {
        h.update(t.to_le_bytes());
    }
    let t: String = h.finalize()[..3]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let bf16 = if bf16_attention { "+bf16" } else { "" };
    format!(
        "{name}@{}#{t}{}{bf16}",
        &weights_sha[..12],
        precision.id_suffix()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_windows_are_run_once_and_every_window_gets_its_row() {
        let (distinct, slot) =
            distinct_windows(vec![vec![1, 2], vec![3], vec![1, 2], vec![3], vec![4]]);
        assert_eq!(distinct, [vec![1, 2], vec![3], vec![4]]);
        assert_eq!(slot, [0, 1, 0, 1, 2]);
    }

    #[test]
    fn short_and_long_windows_are_batched_by_tokens() {
        // 1,000 windows of 6 tokens, then 100 of 200.
        let lengths: Vec<usize> = [vec![6; 1000], vec![200; 100]].concat();
        let sizes = batch_sizes(&lengths, 32);
        // 32 × 64 tokens of 6-token windows: 341 per batch; the 200-token
        // windows 20 per batch (32 × 128 tokens at most).
        assert_eq!(sizes, [341, 341, 318, 20, 20, 20, 20, 20]);
        // At most 16 batches' worth however short.
        assert_eq!(batch_sizes(&[1; 2000], 32)[0], 512);
        // Windows of 64 to 128 tokens: batch_size each; 512: 8 each.
        assert_eq!(batch_sizes(&[64; 100], 32), [32, 32, 32, 4]);
        assert_eq!(batch_sizes(&[512; 20], 32), [8, 8, 4]);
        assert_eq!(batch_sizes(&[], 32), Vec::<usize>::new());
    }
    use crate::testing::write_tiny_model;

    fn tiny(max_tokens: usize) -> (tempfile::TempDir, Classifier) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = write_tiny_model(tmp.path(), &LabelSet::policylens(), max_tokens).unwrap();
        let c = Classifier::load(
            &dir,
            &LoadOptions {
                batch_size: 3,
                ..Default::default()
            },
        )
        .unwrap();
        (tmp, c)
    }

    #[test]
    fn long_clauses_are_windowed_not_truncated_and_max_pooled() {
        let (_tmp, c) = tiny(10);
        let long = "we collect your data and share with third parties for years . ".repeat(4);
        let t = c.tokenize(&long).unwrap();
        assert_eq!(
            t.n_tokens(),
            48,
            "every word is a token; tokenizer.json's truncation must be ignored"
        );
        assert!(t.n_windows() >= 6, "8 tokens per window: {:?}", t.windows);
        let whole = c.score(std::slice::from_ref(&t)).unwrap().remove(0);
        // Score each window as its own clause: the clause score is their maximum.
        let parts: Vec<TokenizedClause> = t
            .windows
            .iter()
            .map(|w| TokenizedClause {
                ids: t.ids[w.clone()].to_vec(),
                windows: std::iter::once(0..w.len()).collect(),
            })
            .collect();
        let each = c.score(&parts).unwrap();
        for j in 0..c.labels().len() {
            let max = each.iter().map(|s| s.0[j]).fold(f32::MIN, f32::max);
            assert!(
                (whole.0[j] - max).abs() < 1e-5,
                "label {j}: {} vs {max}",
                whole.0[j]
            );
        }
    }

    #[test]
    fn scores_do_not_depend_on_batching_or_order() {
        let (_tmp, c) = tiny(32);
        let texts = [
            "we collect your data .",
            "contact us at privacy",
            "cookies",
            "",
            "children .",
        ];
        let toks = c.tokenize_all(&texts).unwrap();
        let together = c.score(&toks).unwrap();
        for (i, t) in toks.iter().enumerate() {
            let alone = c.score(std::slice::from_ref(t)).unwrap().remove(0);
            for (a, b) in alone.0.iter().zip(&together[i].0) {
                assert!((a - b).abs() < 1e-4, "clause {i}: padding changed a score");
            }
        }
        assert_eq!(
            together.len(),
            texts.len(),
            "an empty clause still gets scores"
        );
    }

    #[test]
    fn model_id_names_the_model_and_head_hash() {
        let (_tmp, c) = tiny(16);
        assert!(c.model_id().starts_with("tiny-test-model@"));
        assert_eq!(c.model_id().len(), "tiny-test-model@".len() + 12 + 7);
    }

    #[test]
    fn model_id_changes_with_the_thresholds_not_only_the_weights() {
        let sha = "ab".repeat(32);
        let a = model_id(
            "m",
            &sha,
            &Thresholds(vec![0.5, 0.6]),
            Precision::F32,
            false,
        );
        let b = model_id(
            "m",
            &sha,
            &Thresholds(vec![0.5, 0.61]),
            Precision::F32,
            false,
        );
        assert!(a.starts_with("m@abababababab#"), "{a}");
        assert_eq!(a.len(), "m@abababababab#".len() + 6);
        assert_ne!(a, b);
        assert_eq!(a[..15], b[..15], "same weights, same weights hash");
        let int8 = model_id(
            "m",
            &sha,
            &Thresholds(vec![0.5, 0.6]),
            Precision::Int8,
            false,
        );
        assert_eq!(int8, format!("{a}{}", Precision::Int8.id_suffix()));
        assert!(int8.starts_with(&format!("{a}+int8")), "{int8}");
        let bf16 = model_id(
            "m",
            &sha,
            &Thresholds(vec![0.5, 0.6]),
            Precision::Int8,
            true,
        );
        assert_eq!(bf16, format!("{int8}+bf16"));
    }

    #[test]
    fn a_wrong_base_hash_is_refused_with_the_fix() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = write_tiny_model(tmp.path(), &LabelSet::policylens(), 16).unwrap();
        let mut cfg = ModelConfig::read(&dir).unwrap();
        cfg.base.sha256 = Some("00".repeat(32));
        cfg.write(&dir).unwrap();
        let err = Classifier::load(&dir, &LoadOptions::default())
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("model.safetensors") && err.contains("fetch-model.sh"),
            "{err}"
        );
    }

    #[test]
    fn a_corrupt_encoder_file_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = write_tiny_model(tmp.path(), &LabelSet::policylens(), 16).unwrap();
        std::fs::write(
            tmp.path().join("tiny-bert/model.safetensors"),
            b"not safetensors",
        )
        .unwrap();
        let err = Classifier::load(&dir, &LoadOptions::default())
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("tiny-bert/model.safetensors"), "{err}");
    }

    /// Scores of the tiny model in f32 and in `precision`, for two clauses,
    /// and the model id in `precision`.
    fn scores_in(precision: Precision) -> (Vec<Scores>, Vec<Scores>, String) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = write_tiny_model(tmp.path(), &LabelSet::policylens(), 16).unwrap();
        let load = |precision| {
            Classifier::load(
                &dir,
                &LoadOptions {
                    precision,
                    ..Default::default()
                },
            )
            .unwrap()
        };
        let (exact, other) = (load(Precision::F32), load(precision));
        assert!(!exact.model_id().contains('+'), "{}", exact.model_id());
        let texts = [
            "we collect your fingerprint at the door",
            "you may opt out of marketing e-mail at any time by writing to us",
        ];
        let a = exact.score(&exact.tokenize_all(&texts).unwrap()).unwrap();
        let b = other.score(&other.tokenize_all(&texts).unwrap()).unwrap();
        (a, b, other.model_id().to_string())
    }

    /// Whether every score is within `tolerance` of f32's and some differ.
    fn tracks(a: &[Scores], b: &[Scores], tolerance: f32) -> bool {
        let mut differs = false;
        for (x, y) in a.iter().zip(b) {
            for (p, q) in x.0.iter().zip(&y.0) {
                assert!((p - q).abs() < tolerance, "{p} vs {q}");
                differs |= p != q;
            }
        }
        differs
    }

    #[test]
    fn int8_scores_track_f32_and_the_model_id_says_int8() {
        let (exact, int8, id) = scores_in(Precision::Int8);
        assert!(id.contains("+int8"), "{id}");
        assert!(
            tracks(&exact, &int8, 0.02),
            "int8 scores equal f32 bit for bit: not quantized?"
        );
    }

    #[test]
    fn bf16_scores_track_f32_and_the_model_id_says_bf16() {
        let (exact, bf16, id) = scores_in(Precision::Bf16);
        assert!(id.ends_with("+bf16w"), "{id}");
        assert!(
            tracks(&exact, &bf16, 0.02),
            "bf16 scores equal f32 bit for bit: not bf16?"
        );
    }
}
