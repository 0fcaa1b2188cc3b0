//! `policylens eval`: a model scored on annotated clauses, per label and
//! averaged, optionally written as JSON and as one scored line per clause.

use crate::data::load_annotated;
use crate::error::{Result, TrainError};
use crate::metrics::{evaluate, EvalReport};
use crate::observe::Observer;
use crate::score::score_texts;
use policylens_classify::Classifier;
use policylens_core::{LabelSet, Scores};
use policylens_store::Annotated;
use std::path::{Path, PathBuf};

/// An evaluation: annotated data, which labels to average, where to write.
#[derive(Debug, Clone, Default)]
pub struct EvalJob {
    /// Annotated clauses, `FILE` or `FILE@split`.
    pub data: Vec<String>,
    /// Average over these labels only (names or OPP-115 categories);
    /// default: the labels with gold positives.
    pub labels: Option<Vec<String>>,
    /// Also write the report as JSON here.
    pub json: Option<PathBuf>,
    /// Also write every clause's text, gold and predicted labels and scores
    /// here, one JSON object per line.
    pub scores: Option<PathBuf>,
}

/// Read annotated clauses for `classifier`'s labels and score every one.
pub fn score_annotated(
    classifier: &Classifier,
    specs: &[String],
    observer: &dyn Observer,
) -> Result<(Annotated, Vec<Scores>)> {
    let data = load_annotated(specs, classifier.labels(), observer)?;
    let scores = score_texts(classifier, &data.texts, observer)?;
    Ok((data, scores))
}

/// Score `job`'s data with `classifier` at its thresholds and write what
/// the job asks for.
pub fn evaluate_model(
    classifier: &Classifier,
    job: &EvalJob,
    observer: &dyn Observer,
) -> Result<EvalReport> {
    let labels = classifier.labels();
    let (data, scores) = score_annotated(classifier, &job.data, observer)?;
    let pred = classifier.thresholds().decide_all(&scores);
    let include = match &job.labels {
        None => None,
        Some(names) => Some(
            names
                .iter()
                .map(|n| labels.resolve(n))
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    let report = evaluate(labels, &data.gold, &pred, include.as_deref());
    if let Some(path) = &job.scores {
        write_scores(path, labels, &data, &scores, &pred)?;
    }
    if let Some(path) = &job.json {
        let v =
            serde_json::json!({"model": classifier.model_id(), "data": job.data, "report": report});
        write(path, serde_json::to_string_pretty(&v)?)?;
    }
    Ok(report)
}

/// A clause's scores as a JSON object in the model's label order (a
/// `serde_json::Map` would sort the keys).
struct LabelScores<'a>(&'a [String], &'a [f32]);

impl serde::Serialize for LabelScores<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, &p) in self.0.iter().zip(self.1) {
            map.serialize_entry(name, &f64::from(p))?;
        }
        map.end()
    }
}

#[derive(serde::Serialize)]
struct ScoreLine<'a> {
    text: &'a str,
    gold: Vec<&'a str>,
    predicted: Vec<&'a str>,
    scores: LabelScores<'a>,
}

/// One JSON object per clause: text, gold and predicted label names, scores.
fn write_scores(
    path: &Path,
    labels: &LabelSet,
    data: &Annotated,
    scores: &[Scores],
    pred: &[Vec<bool>],
) -> Result<()> {
    let named = |flags: &[bool]| -> Vec<&str> {
        labels
            .names()
            .iter()
            .zip(flags)
            .filter(|(_, &f)| f)
            .map(|(n, _)| n.as_str())
            .collect()
    };
    let mut out = String::new();
    for (((text, gold), s), p) in data.texts.iter().zip(&data.gold).zip(scores).zip(pred) {
        let line = ScoreLine {
            text,
            gold: named(gold),
            predicted: named(p),
            scores: LabelScores(labels.names(), &s.0),
        };
        out.push_str(&serde_json::to_string(&line)?);
        out.push('\n');
    }
    write(path, out)
}

fn write(path: &Path, text: String) -> Result<()> {
    std::fs::write(path, text).map_err(|e| TrainError::io("writing", path, e))
}
