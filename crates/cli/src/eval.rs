//! `policylens eval`: score a model on annotated clauses.

use crate::{data, ModelArgs};
use anyhow::{Context, Result};
use clap::Args;
use policylens_classify::{evaluate, Classifier};
use policylens_core::{LabelSet, Scores};
use policylens_store::Annotated;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct EvalArgs {
    /// Annotated clauses: FILE or FILE@split (.csv/.jsonl/.parquet).
    #[arg(required = true)]
    pub data: Vec<String>,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Average over these labels only (comma-separated); default: labels with gold positives.
    #[arg(long, value_delimiter = ',')]
    pub labels: Option<Vec<String>>,
    /// Also write the report as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Also write every clause's text, gold labels and scores here, one JSON
    /// object per line (for error analysis and ensembles).
    #[arg(long)]
    pub scores: Option<PathBuf>,
}

pub fn run(args: EvalArgs) -> Result<ExitCode> {
    let classifier = args.model.load()?;
    let labels = classifier.labels().clone();
    let (data, scores) = score_annotated(&classifier, &args.data)?;
    let pred = classifier.thresholds().decide_all(&scores);
    let include = match &args.labels {
        None => None,
        Some(names) => Some(
            names
                .iter()
                .map(|n| labels.resolve(n))
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    let report = evaluate(&labels, &data.gold, &pred, include.as_deref());
    println!(
        "model: {}\ndata: {}\n{report}",
        classifier.model_id(),
        args.data.join(" ")
    );
    if let Some(path) = &args.scores {
        write_scores(path, &labels, &data, &scores, &pred)?;
    }
    if let Some(path) = &args.json {
        let v = serde_json::json!({"model": classifier.model_id(), "data": args.data, "report": report});
        std::fs::write(path, serde_json::to_string_pretty(&v)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Read annotated clauses (FILE or FILE@split) for `classifier`'s labels
/// and score every one, with a progress bar.
pub fn score_annotated(
    classifier: &Classifier,
    specs: &[String],
) -> Result<(Annotated, Vec<Scores>)> {
    let data = data::load(specs, classifier.labels())?;
    let tokens = classifier.tokenize_all(&data.texts)?;
    let scores =
        crate::progress::score_with_progress(&tokens, |chunk| Ok(classifier.score(chunk)?))?;
    Ok((data, scores))
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
    std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))
}
