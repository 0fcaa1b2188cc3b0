//! A loaded model: tokenizer, encoder and head, scoring clauses in
//! length-sorted batches with long clauses windowed and max-pooled.

use crate::encoder::Encoder;
use crate::error::{ClassifyError, Result, FETCH_HINT};
use crate::head::Head;
use crate::model::{ModelConfig, HEAD_FILE};
use crate::source::{resolve, sha256_file};
use crate::tokenize::{ClauseTokenizer, TokenizedClause};
use candle_core::{Device, Tensor};
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
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            device: Device::Cpu,
            local_roots: vec![PathBuf::from("models")],
            batch_size: 32,
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
        let encoder = Encoder::load(dir, &opts.device)?;
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
        use rayon::prelude::*;
        texts
            .par_iter()
            .map(|t| self.tokenize(t.as_ref()))
            .collect()
    }

    /// Embeddings of every window of every clause, `[n_windows, hidden]`,
    /// and for each window the index of its clause. Windows are batched by
    /// length so padding stays small; rows come back in clause order.
    pub fn embed_windows(&self, clauses: &[TokenizedClause]) -> Result<(Tensor, Vec<usize>)> {
        let mut inputs = Vec::new();
        let mut owner = Vec::new();
        for (ci, c) in clauses.iter().enumerate() {
            for w in 0..c.n_windows() {
                inputs.push(self.tokenizer.window_input(c, w));
                owner.push(ci);
            }
        }
        let mut order: Vec<usize> = (0..inputs.len()).collect();
        order.sort_by_key(|&i| inputs[i].len());
        let mut rows: Vec<Option<Tensor>> = vec![None; inputs.len()];
        for chunk in order.chunks(self.batch_size) {
            let batch: Vec<Vec<u32>> = chunk
                .iter()
                .map(|&i| std::mem::take(&mut inputs[i]))
                .collect();
            let emb = self.encoder.embed(&batch, self.tokenizer.pad_id())?;
            for (j, &i) in chunk.iter().enumerate() {
                rows[i] = Some(emb.get(j)?);
            }
        }
        let rows: Vec<Tensor> = rows.into_iter().flatten().collect();
        let all = if rows.is_empty() {
            Tensor::zeros(
                (0, self.encoder.hidden_size()),
                candle_core::DType::F32,
                self.encoder.device(),
            )?
        } else {
            Tensor::stack(&rows, 0)?
        };
        Ok((all, owner))
    }
}

/// A model ready to score clauses.
pub struct Classifier {
    pub config: ModelConfig,
    pub embedder: Embedder,
    head: Head,
    model_id: String,
}

impl Classifier {
    /// Load a PolicyLens model directory (`policylens.json` + `head.safetensors`)
    /// and resolve its base encoder.
    pub fn load(model_dir: &Path, opts: &LoadOptions) -> Result<Self> {
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
        let model_id = format!("{}@{}", config.name, &head_sha[..12]);
        Ok(Self {
            config,
            embedder,
            head,
            model_id,
        })
    }

    /// The id written into every output row: name and head hash.
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    pub fn labels(&self) -> &LabelSet {
        &self.config.labels
    }

    pub fn thresholds(&self) -> &Thresholds {
        &self.config.thresholds
    }

    pub fn tokenize(&self, text: &str) -> Result<TokenizedClause> {
        self.embedder.tokenize(text)
    }

    pub fn tokenize_all<S: AsRef<str> + Sync>(&self, texts: &[S]) -> Result<Vec<TokenizedClause>> {
        self.embedder.tokenize_all(texts)
    }

    /// Per-label probabilities for each clause: window scores max-pooled.
    pub fn score(&self, clauses: &[TokenizedClause]) -> Result<Vec<Scores>> {
        let (emb, owner) = self.embedder.embed_windows(clauses)?;
        score_windows(&self.head, &emb, &owner, clauses.len())
    }

    pub fn head(&self) -> &Head {
        &self.head
    }
}

/// Clause scores from window embeddings: the head's probabilities,
/// max-pooled over each clause's windows (`owner[i]` is window i's clause).
pub fn score_windows(
    head: &Head,
    emb: &Tensor,
    owner: &[usize],
    n_clauses: usize,
) -> Result<Vec<Scores>> {
    let mut out: Vec<Option<Scores>> = vec![None; n_clauses];
    if !owner.is_empty() {
        let probs: Vec<Vec<f32>> = head.probabilities(emb)?.to_vec2()?;
        for (p, &ci) in probs.into_iter().zip(owner) {
            let p = Scores(p);
            match &mut out[ci] {
                Some(s) => s.max_pool(&p),
                slot => *slot = Some(p),
            }
        }
    }
    Ok(out
        .into_iter()
        .map(|s| s.unwrap_or_else(|| Scores(vec![0.0; head.n_labels()])))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert_eq!(c.model_id().len(), "tiny-test-model@".len() + 12);
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
}
