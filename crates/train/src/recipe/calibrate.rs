//! `policylens calibrate`: choose a fine-tuned model's per-label
//! thresholds on annotated validation clauses and write them into its
//! `config.json` — for a model trained elsewhere (whose thresholds default
//! to 0.5), a model moved to another kind of policy, or to apply a
//! threshold prior to a model trained without one. The weights are not
//! touched.

use super::eval::score_annotated;
use crate::calibrate::{calibrate, record, Calibration};
use crate::error::{invalid, Result};
use crate::metrics::{evaluate, EvalReport};
use crate::observe::Observer;
use policylens_classify::{hf, Classifier};
use policylens_core::Thresholds;
use std::fmt;
use std::path::PathBuf;

/// A calibration: the model's directory, validation data, the prior.
#[derive(Debug, Clone)]
pub struct CalibrateJob {
    /// The fine-tuned model directory whose `config.json` gets the thresholds.
    pub model: PathBuf,
    /// Annotated validation clauses, `FILE` or `FILE@split`.
    pub data: Vec<String>,
    /// Pull toward one shared cut, in positives (0 = each label's own cut).
    pub threshold_prior: f64,
    /// Choose and report, but write nothing.
    pub dry_run: bool,
}

/// What calibration chose, and macro/micro-F1 on the clauses it was tuned on.
pub struct Calibrated {
    pub labels: Vec<String>,
    pub old: Thresholds,
    pub calibration: Calibration,
    pub before: EvalReport,
    pub after: EvalReport,
}

/// Refuse a job that cannot run, before any model is loaded.
pub fn check(job: &CalibrateJob) -> Result<()> {
    if !(job.threshold_prior >= 0.0 && job.threshold_prior.is_finite()) {
        invalid!(
            "--threshold-prior must be a finite number >= 0, not {}",
            job.threshold_prior
        );
    }
    if !hf::is_sequence_classifier(&job.model) {
        invalid!(
            "{}: not a fine-tuned (sequence-classification) model directory; `calibrate` writes thresholds into its config.json",
            job.model.display()
        );
    }
    Ok(())
}

/// Score the data with `classifier` (loaded from `job.model`), choose
/// thresholds, and unless `dry_run` write them into the model's config.
pub fn calibrate_model(
    classifier: &Classifier,
    job: &CalibrateJob,
    observer: &dyn Observer,
) -> Result<Calibrated> {
    check(job)?;
    let labels = classifier.labels();
    let (data, scores) = score_annotated(classifier, &job.data, observer)?;
    if data.texts.is_empty() {
        invalid!("no clauses in {}", job.data.join(" "));
    }
    let probs: Vec<Vec<f32>> = scores.iter().map(|s| s.0.clone()).collect();
    let cal = calibrate(&probs, &data.gold, labels.len(), job.threshold_prior);
    let decide = |t: &Thresholds| evaluate(labels, &data.gold, &t.decide_all(&scores), None);
    let (before, after) = (decide(classifier.thresholds()), decide(&cal.thresholds));
    if !job.dry_run {
        hf::write_thresholds(&job.model, &cal.thresholds, record(&cal, &job.data))?;
    }
    Ok(Calibrated {
        labels: labels.names().to_vec(),
        old: classifier.thresholds().clone(),
        calibration: cal,
        before,
        after,
    })
}

/// The old and new threshold of every label, with its positives.
impl fmt::Display for Calibrated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cal = &self.calibration;
        writeln!(
            f,
            "shared cut {:.3}, threshold prior {}\n{:<16}{:>10}{:>10}{:>10}",
            cal.shared_threshold, cal.threshold_prior, "label", "positives", "old", "new"
        )?;
        let rows = self
            .labels
            .iter()
            .zip(&self.old.0)
            .zip(&cal.thresholds.0)
            .zip(&cal.positives);
        for (((name, o), n), p) in rows {
            writeln!(f, "{name:<16}{p:>10}{o:>10.4}{n:>10.4}")?;
        }
        Ok(())
    }
}
