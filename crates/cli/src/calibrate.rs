//! `policylens calibrate`: choose a fine-tuned model's per-label thresholds
//! on annotated validation clauses and write them into its `config.json`.
//!
//! For a model trained elsewhere (whose thresholds default to 0.5), for a
//! model moved to another kind of policy, or to apply a threshold prior to
//! a model trained without one. The weights are not touched.

use crate::ModelArgs;
use anyhow::{bail, Result};
use clap::Args;
use policylens_classify::calibrate::{calibrate, Calibration};
use policylens_classify::{evaluate, hf};
use policylens_core::Thresholds;
use std::process::ExitCode;

#[derive(Args)]
pub struct CalibrateArgs {
    /// Annotated validation clauses: FILE or FILE@split (.csv/.jsonl/.parquet).
    #[arg(required = true)]
    pub data: Vec<String>,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Pull each label's threshold toward one shared cut by this many
    /// positives' worth of evidence: a label with n validation positives
    /// ends at (n * own cut + k * shared cut) / (n + k). 0 keeps each
    /// label's own F1-maximising cut.
    #[arg(long, default_value_t = 0.0)]
    pub threshold_prior: f64,
    /// Print the new thresholds without writing them.
    #[arg(long)]
    pub dry_run: bool,
}

/// What goes into `config.json` about how thresholds were chosen.
pub fn record(c: &Calibration, data: &[String]) -> serde_json::Value {
    serde_json::json!({
        "method": "per-label F1-maximising cut on validation, pulled toward the shared macro-F1-maximising cut by threshold_prior positives",
        "data": data,
        "threshold_prior": c.threshold_prior,
        "shared_threshold": c.shared_threshold,
        "positives": c.positives,
    })
}

pub fn run(args: CalibrateArgs) -> Result<ExitCode> {
    if !(args.threshold_prior >= 0.0 && args.threshold_prior.is_finite()) {
        bail!(
            "--threshold-prior must be a finite number >= 0, not {}",
            args.threshold_prior
        );
    }
    let dir = &args.model.model;
    if !hf::is_sequence_classifier(dir) {
        bail!(
            "{}: not a fine-tuned (sequence-classification) model directory; `calibrate` writes thresholds into its config.json",
            dir.display()
        );
    }
    let classifier = args.model.load()?;
    let labels = classifier.labels().clone();
    let (data, scores) = crate::eval::score_annotated(&classifier, &args.data)?;
    if data.texts.is_empty() {
        bail!("no clauses in {}", args.data.join(" "));
    }
    let probs: Vec<Vec<f32>> = scores.iter().map(|s| s.0.clone()).collect();
    let cal = calibrate(&probs, &data.gold, labels.len(), args.threshold_prior);
    let before = evaluate(
        &labels,
        &data.gold,
        &classifier.thresholds().decide_all(&scores),
        None,
    );
    let after = evaluate(
        &labels,
        &data.gold,
        &cal.thresholds.decide_all(&scores),
        None,
    );
    println!("{}", table(labels.names(), classifier.thresholds(), &cal));
    println!(
        "on these clauses: macro-F1 {:.4} -> {:.4}, micro-F1 {:.4} -> {:.4} (thresholds tuned on them)",
        before.macro_f1, after.macro_f1, before.micro_f1, after.micro_f1
    );
    if args.dry_run {
        eprintln!("--dry-run: {} unchanged", dir.display());
    } else {
        hf::write_thresholds(dir, &cal.thresholds, record(&cal, &args.data))?;
        eprintln!(
            "thresholds written to {}",
            dir.join("config.json").display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn table(names: &[String], old: &Thresholds, cal: &Calibration) -> String {
    let mut out = format!(
        "shared cut {:.3}, threshold prior {}\n{:<16}{:>10}{:>10}{:>10}\n",
        cal.shared_threshold, cal.threshold_prior, "label", "positives", "old", "new"
    );
    for (((name, o), n), p) in names
        .iter()
        .zip(&old.0)
        .zip(&cal.thresholds.0)
        .zip(&cal.positives)
    {
        out.push_str(&format!("{name:<16}{p:>10}{o:>10.4}{n:>10.4}\n"));
    }
    out
}
