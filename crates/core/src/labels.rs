//! The label set a model predicts, per-clause scores and decision thresholds.

use crate::Label;
use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
pub enum LabelError {
    #[error("unknown label {0:?}")]
    Unknown(String),
    #[error("duplicate label {0:?}")]
    Duplicate(String),
    #[error("expected {expected} values, one per label, got {got}")]
    Length { expected: usize, got: usize },
    #[error("label set is empty")]
    Empty,
}

/// The ordered names of the labels a model scores. Score columns in the
/// output follow this order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct LabelSet {
    names: Vec<String>,
}

impl LabelSet {
    pub fn new<S: Into<String>>(names: impl IntoIterator<Item = S>) -> Result<Self, LabelError> {
        let names: Vec<String> = names.into_iter().map(Into::into).collect();
        if names.is_empty() {
            return Err(LabelError::Empty);
        }
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return Err(LabelError::Duplicate(n.clone()));
            }
        }
        Ok(Self { names })
    }

    /// PolicyLens' own labels, [`Label::ALL`] in order.
    pub fn policylens() -> Self {
        Self::new(Label::ALL.map(Label::name)).expect("Label::ALL has distinct names")
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// Resolve a label as written in annotated data: a PolicyLens name, or an
    /// OPP-115 category name (case-insensitive).
    pub fn resolve(&self, raw: &str) -> Result<usize, LabelError> {
        let raw = raw.trim();
        if let Some(i) = self.index(raw) {
            return Ok(i);
        }
        let lower = raw.to_lowercase();
        Label::from_opp115(raw)
            .and_then(|l| self.index(l.name()))
            .or_else(|| self.names.iter().position(|n| n.to_lowercase() == lower))
            .ok_or_else(|| LabelError::Unknown(raw.to_string()))
    }
}

impl TryFrom<Vec<String>> for LabelSet {
    type Error = LabelError;
    fn try_from(v: Vec<String>) -> Result<Self, Self::Error> {
        Self::new(v)
    }
}

impl From<LabelSet> for Vec<String> {
    fn from(l: LabelSet) -> Self {
        l.names
    }
}

/// Per-label probabilities for one clause, in [`LabelSet`] order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scores(pub Vec<f32>);

impl Scores {
    /// Element-wise maximum: how window scores pool into a clause score.
    pub fn max_pool(&mut self, other: &Scores) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a = a.max(*b);
        }
    }
}

/// Per-label decision thresholds, chosen on validation data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thresholds(pub Vec<f32>);

impl Thresholds {
    pub fn uniform(n: usize, t: f32) -> Self {
        Self(vec![t; n])
    }

    pub fn check(&self, labels: &LabelSet) -> Result<(), LabelError> {
        if self.0.len() == labels.len() {
            Ok(())
        } else {
            Err(LabelError::Length {
                expected: labels.len(),
                got: self.0.len(),
            })
        }
    }

    /// For each label, whether its score reaches its threshold.
    pub fn decide(&self, scores: &[f32]) -> Vec<bool> {
        self.decisions(scores).collect()
    }

    /// The rule itself, lazily: no allocation on the labeling path.
    fn decisions<'s>(&'s self, scores: &'s [f32]) -> impl Iterator<Item = bool> + 's {
        scores.iter().zip(&self.0).map(|(s, t)| s >= t)
    }

    /// [`Thresholds::decide`] for every clause.
    pub fn decide_all(&self, scores: &[Scores]) -> Vec<Vec<bool>> {
        scores.iter().map(|s| self.decide(&s.0)).collect()
    }

    /// Names of the labels whose score reaches its threshold.
    pub fn predict<'a>(&self, labels: &'a LabelSet, scores: &Scores) -> Vec<&'a str> {
        labels
            .names()
            .iter()
            .zip(self.decisions(&scores.0))
            .filter(|(_, d)| *d)
            .map(|(n, _)| n.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policylens_set_is_the_catalogue_in_column_order() {
        assert_eq!(
            LabelSet::policylens().names(),
            [
                "collection",
                "sharing",
                "choice",
                "access",
                "retention",
                "security",
                "policy_change",
                "do_not_track",
                "audiences",
                "biometrics",
                "intro",
                "contact",
                "not_covered",
            ]
        );
    }

    #[test]
    fn resolves_opp115_category_names() {
        let l = LabelSet::policylens();
        assert_eq!(l.resolve("Third Party Sharing/Collection"), Ok(1));
        assert_eq!(
            l.resolve("privacy contact information"),
            l.index("contact").ok_or(LabelError::Empty)
        );
        assert_eq!(l.resolve("biometrics"), Ok(9));
        assert!(matches!(l.resolve("#NAME?"), Err(LabelError::Unknown(_))));
    }

    #[test]
    fn rejects_duplicates() {
        assert_eq!(
            LabelSet::new(["a", "a"]),
            Err(LabelError::Duplicate("a".into()))
        );
    }

    #[test]
    fn thresholds_pick_labels_at_or_above() {
        let l = LabelSet::new(["a", "b", "c"]).unwrap();
        let t = Thresholds(vec![0.5, 0.2, 0.9]);
        assert_eq!(t.predict(&l, &Scores(vec![0.5, 0.1, 0.95])), vec!["a", "c"]);
        assert_eq!(
            t.decide_all(&[Scores(vec![0.49, 0.2, 0.9]), Scores(vec![1.0, 0.0, 0.0])]),
            vec![vec![false, true, true], vec![true, false, false]]
        );
        assert!(Thresholds(vec![0.5]).check(&l).is_err());
    }

    #[test]
    fn max_pool_keeps_the_larger_score() {
        let mut s = Scores(vec![0.1, 0.9]);
        s.max_pool(&Scores(vec![0.5, 0.2]));
        assert_eq!(s.0, vec![0.5, 0.9]);
    }
}
