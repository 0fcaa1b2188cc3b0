//! `policylens eval`: score a model on annotated clauses.

use crate::{data, ModelArgs};
use anyhow::{Context, Result};
use clap::Args;
use policylens_classify::evaluate;
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
    let data = data::load(&args.data, &labels)?;
    let tokens = classifier.tokenize_all(&data.texts)?;
    let scores = crate::train::score_with_progress(&tokens, |chunk| Ok(classifier.score(chunk)?))?;
    let pred = crate::train::predict(&scores, &classifier.thresholds().0);
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
        let scores: serde_json::Map<String, serde_json::Value> = labels
            .names()
            .iter()
            .zip(&s.0)
            .map(|(n, &p)| (n.clone(), p.into()))
            .collect();
        let line = serde_json::json!({
            "text": text, "gold": named(gold), "predicted": named(p), "scores": scores
        });
        out.push_str(&line.to_string());
        out.push('\n');
    }
    std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))
}
