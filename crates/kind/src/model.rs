//! The kind model: vocabulary, weights, and how a document is scored.

use crate::{features, Kind, Words};
use policylens_core::Segmented;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum KindError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a kind model: {reason}", path.display())]
    Invalid { path: PathBuf, reason: String },
}

/// The model's answer for one document.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    pub kind: Kind,
    /// The probability the model gives `kind`.
    pub score: f32,
    /// The probability of every kind, in [`Kind::ALL`] order.
    pub probabilities: [f32; 4],
}

/// A multinomial logistic regression over [`Words`]: each place's words
/// (title, headings, body) are weighted `(1 + ln count) · idf` and scaled
/// to a length of their own ([`PLACE_WEIGHTS`]), so a long body does not
/// drown the title.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KindModel {
    /// Names the model in runs (`documents.parquet` records no more).
    pub id: String,
    /// Class names, in [`Kind::ALL`] order.
    pub classes: Vec<String>,
    /// Words with their place prefix (`t:privacy`, `b:cookies`).
    pub vocabulary: Vec<String>,
    /// Inverse document frequency of each word in the training documents.
    pub idf: Vec<f32>,
    /// One row of class weights per word.
    pub weights: Vec<[f32; 4]>,
    pub bias: [f32; 4],
    /// The length each place's words are scaled to (`t`, `h`, `b`); 1 for
    /// a place not named.
    #[serde(default)]
    pub place_weights: BTreeMap<String, f32>,
    /// How the model was made: data, split, figures (free-form).
    #[serde(default)]
    pub provenance: serde_json::Value,
    #[serde(skip)]
    index: HashMap<String, usize>,
}

/// The length of the title's, the headings' and the body's part of a
/// document's vector, chosen by cross-validation (`scripts/train-kind.sh`).
pub const PLACE_WEIGHTS: [(&str, f32); 3] = [("t", 0.5), ("h", 0.5), ("b", 1.0)];

const BUNDLED: &str = include_str!("../../../models/policylens-kind/kind.json");

impl KindModel {
    /// The model shipped with PolicyLens (`models/policylens-kind`).
    pub fn bundled() -> Self {
        Self::from_json(BUNDLED).expect("the bundled kind model is valid JSON")
    }

    pub fn load(path: &Path) -> Result<Self, KindError> {
        let raw = std::fs::read_to_string(path).map_err(|source| KindError::Io {
            path: path.into(),
            source,
        })?;
        Self::from_json(&raw).map_err(|reason| KindError::Invalid {
            path: path.into(),
            reason,
        })
    }

    pub fn save(&self, path: &Path) -> Result<(), KindError> {
        let json = serde_json::to_string(self).expect("a kind model serializes");
        std::fs::write(path, json + "\n").map_err(|source| KindError::Io {
            path: path.into(),
            source,
        })
    }

    fn from_json(raw: &str) -> Result<Self, String> {
        let model: KindModel = serde_json::from_str(raw).map_err(|e| e.to_string())?;
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        if model.classes != names {
            return Err(format!("classes {:?}, expected {names:?}", model.classes));
        }
        let n = model.vocabulary.len();
        if model.idf.len() != n || model.weights.len() != n {
            return Err("vocabulary, idf and weights differ in length".into());
        }
        Ok(model.indexed())
    }

    /// Build from parts (see [`crate::fit`]).
    pub(crate) fn new(
        vocabulary: Vec<String>,
        idf: Vec<f32>,
        weights: Vec<[f32; 4]>,
        bias: [f32; 4],
    ) -> Self {
        KindModel {
            id: String::new(),
            classes: Kind::ALL.iter().map(|k| k.as_str().to_string()).collect(),
            vocabulary,
            idf,
            weights,
            bias,
            place_weights: PLACE_WEIGHTS
                .iter()
                .map(|&(p, w)| (p.to_string(), w))
                .collect(),
            provenance: serde_json::Value::Null,
            index: HashMap::new(),
        }
        .indexed()
    }

    fn indexed(mut self) -> Self {
        self.index = self
            .vocabulary
            .iter()
            .enumerate()
            .map(|(i, w)| (w.clone(), i))
            .collect();
        self
    }

    /// The kind of a segmented document.
    pub fn classify(&self, doc: &Segmented) -> Verdict {
        self.classify_words(&features(doc))
    }

    pub fn classify_words(&self, words: &Words) -> Verdict {
        let probabilities = self.probabilities(&self.vector(words));
        let best = (0..4)
            .max_by(|&a, &b| probabilities[a].total_cmp(&probabilities[b]))
            .expect("four classes");
        Verdict {
            kind: Kind::ALL[best],
            score: probabilities[best],
            probabilities,
        }
    }

    /// Sparse feature vector: (word index, value), each place at unit length.
    pub fn vector(&self, words: &Words) -> Vec<(usize, f32)> {
        let mut by_place: HashMap<&str, Vec<(usize, f32)>> = HashMap::new();
        for (w, &count) in &words.counts {
            if let Some(&i) = self.index.get(w) {
                let place = &w[..w.find(':').unwrap_or(0)];
                let value = (1.0 + (count as f32).ln()) * self.idf[i];
                by_place.entry(place).or_default().push((i, value));
            }
        }
        let mut out = Vec::new();
        for (place, mut v) in by_place {
            // In index order, so that the norm (a float sum) is the same in
            // every process whatever order the hash map gave.
            v.sort_by_key(|&(i, _)| i);
            let norm = v.iter().map(|(_, x)| x * x).sum::<f32>().sqrt();
            let scale = self.place_weights.get(place).copied().unwrap_or(1.0);
            if norm > 0.0 {
                v.iter_mut().for_each(|(_, x)| *x *= scale / norm);
            }
            out.extend(v);
        }
        out.sort_by_key(|&(i, _)| i);
        out
    }

    /// Softmax over the classes for a feature vector.
    pub fn probabilities(&self, x: &[(usize, f32)]) -> [f32; 4] {
        let mut z = self.bias;
        for &(i, v) in x {
            for (zk, wk) in z.iter_mut().zip(&self.weights[i]) {
                *zk += wk * v;
            }
        }
        softmax(z)
    }
}

pub(crate) fn softmax(z: [f32; 4]) -> [f32; 4] {
    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e = z.map(|v| (v - max).exp());
    let sum: f32 = e.iter().sum();
    e.map(|v| v / sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_scores_bit_for_bit_the_same_whatever_the_hash_order() {
        let vocabulary: Vec<String> = (0..200).map(|i| format!("b:w{i}")).collect();
        let idf = (0..200).map(|i| 1.0 + i as f32 / 7.0).collect();
        let weights = (0..200)
            .map(|i| [i as f32 / 13.0, -0.1, 0.2, 0.0])
            .collect();
        let model = KindModel::new(vocabulary.clone(), idf, weights, [0.0; 4]);
        let words = |order: &mut dyn Iterator<Item = usize>| {
            let mut w = Words::default();
            for i in order {
                w.counts.insert(vocabulary[i].clone(), 1 + (i % 5) as u32);
            }
            w
        };
        let bits = |x: Vec<(usize, f32)>| -> Vec<(usize, u32)> {
            x.into_iter().map(|(i, v)| (i, v.to_bits())).collect()
        };
        let first = bits(model.vector(&words(&mut (0..200))));
        for _ in 0..20 {
            // Each map has its own hash keys, so its own iteration order.
            let again = bits(model.vector(&words(&mut (0..200).rev())));
            assert_eq!(again, first);
        }
    }
}
