//! `policylens train --fine-tune`: train the whole encoder, not just a head.
//!
//! Every window of every training clause is an example carrying its
//! clause's targets (gold, or gold blended with teachers' scores). The
//! epoch is chosen by validation macro-F1; then the saved model is loaded
//! through the same path `policylens label` uses, the validation clauses
//! are scored (windows max-pooled), per-label thresholds are calibrated on
//! them and written into `config.json`.

use super::distill::{
    distilled_targets, examples, hard_targets, pos_weights, scores_on_rows, teacher_scores,
    TeacherScores,
};
use super::TrainSpec;
use crate::batch::Example;
use crate::calibrate::{calibrate, record as calibration_record};
use crate::data::{load_annotated, load_annotated_by_source, policy_clauses};
use crate::error::{invalid, Result, TrainError};
use crate::finetune::{fine_tune, FineTuneConfig, TrainState};
use crate::init::init_from_encoder;
use crate::metrics::{evaluate, EvalReport};
use crate::observe::Observer;
use crate::score::score_texts;
use candle_core::DType;
use candle_nn::VarMap;
use policylens_classify::hf::{save, SaveRequest};
use policylens_classify::seqcls::SequenceClassifier;
use policylens_classify::source::{resolve, sha256_file};
use policylens_classify::tokenize::ClauseTokenizer;
use policylens_classify::{Classifier, Windowing};
use policylens_core::Thresholds;
use policylens_store::Annotated;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Instant;

/// A fine-tuning run: the data and base, the optimiser's settings, and
/// the recipe around them.
#[derive(Debug, Clone)]
pub struct FineTuneJob {
    pub spec: TrainSpec,
    /// Epochs, batch, learning rate, …; `pos_weight` is set from
    /// `pos_weight_power` and the training labels.
    pub config: FineTuneConfig,
    /// Weight positives of label j by (negatives/positives)^power (0 = unweighted).
    pub pos_weight_power: f64,
    /// Tokens per window when training and labeling.
    pub max_tokens: usize,
    /// Pull toward one shared threshold, in positives (see [`crate::calibrate`]).
    pub threshold_prior: f64,
    /// Checkpoint directory (default `out/checkpoint`); a run resumes from it.
    pub checkpoint: Option<PathBuf>,
    /// Storage type of the written weights (F32 or F16).
    pub dtype: DType,
    /// Models to distil from (their scores are averaged per label).
    pub teachers: Vec<PathBuf>,
    /// Weight of gold against the teachers' scores (1 = ignore the teachers).
    pub distill_alpha: f32,
    /// Training files (as given in `spec.train`) whose clauses get the
    /// teachers' blend; the others keep gold targets. Empty: every file.
    pub distill_only: Vec<String>,
    /// Unlabeled policies whose clauses the teachers label for training.
    pub transfer: Vec<PathBuf>,
    pub transfer_limit: Option<usize>,
}

/// What a fine-tuning run reports when it is done.
pub struct FineTuned {
    pub state: TrainState,
    /// Validation, scored as `policylens label` scores, at the calibrated
    /// thresholds (which were tuned on it).
    pub validation: EvalReport,
    pub seconds: f64,
}

/// The training clauses (annotated, then transfer) and their targets.
struct Targets {
    texts: Vec<String>,
    targets: Vec<Vec<Option<f32>>>,
    teacher_models: Vec<String>,
    transfer: usize,
}

/// Run `job`: train, save, reload, calibrate on validation, save again.
pub fn fine_tune_model(job: &FineTuneJob, observer: &dyn Observer) -> Result<FineTuned> {
    let started = Instant::now();
    check(job)?;
    let spec = &job.spec;
    let base_dir = resolve(&spec.base, &spec.load.local_roots)?;
    let base_sha = sha256_file(&base_dir.join("model.safetensors"))?;
    let windowing = Windowing {
        max_tokens: job.max_tokens,
        overlap: Windowing::default().overlap.min(job.max_tokens / 4),
    };
    let tok = ClauseTokenizer::from_file(
        &base_dir.join("tokenizer.json"),
        windowing.max_tokens,
        windowing.overlap,
    )?;
    let (train, source) = load_annotated_by_source(&spec.train, &spec.labels, observer)?;
    let val = load_annotated(&spec.validation, &spec.labels, observer)?;
    if train.texts.is_empty() || val.texts.is_empty() {
        invalid!("no training or no validation clauses");
    }
    let distilled: Vec<bool> = source
        .iter()
        .map(|&i| job.distill_only.is_empty() || job.distill_only.contains(&spec.train[i]))
        .collect();
    let targets = training_targets(job, &train, &distilled, observer)?;
    let train_ex = examples(&tok, &targets.texts, &targets.targets)?;
    let val_ex = examples(&tok, &val.texts, &hard_targets(&val.gold))?;
    let config = FineTuneConfig {
        pos_weight: pos_weights(&train.gold, spec.labels.len(), job.pos_weight_power),
        ..job.config.clone()
    };
    let (varmap, model, _) =
        init_from_encoder(&base_dir, &spec.labels, config.seed, &spec.load.device)?;
    observer.note(&format!(
        "fine-tuning {} on {} windows of {} clauses ({} of them transfer; validation {} clauses), {} epochs",
        base_dir.display(), train_ex.len(), targets.texts.len(), targets.transfer, val.texts.len(), config.epochs
    ));
    let state = train_encoder(
        job, &model, &varmap, &tok, &train_ex, &val_ex, &config, observer,
    )?;
    let record = json!({
        "method": "whole-encoder fine-tuning, Hugging Face *ForSequenceClassification (first-token pooler), masked BCE, AdamW",
        "base": spec.base,
        "base_sha256": base_sha,
        "train": spec.train,
        "validation": spec.validation,
        "train_clauses": train.texts.len(),
        "train_windows": train_ex.len(),
        "teachers": job.teachers,
        "teacher_models": targets.teacher_models,
        "distill_alpha": (!job.teachers.is_empty()).then_some(job.distill_alpha),
        "distill_only": job.distill_only,
        "transfer": job.transfer,
        "transfer_clauses": targets.transfer,
        "config": config,
        "history": state.history,
        "best_epoch": state.best_epoch + 1,
    });
    let saved = Saved {
        job,
        base_dir: &base_dir,
        varmap: &varmap,
        windowing,
    };
    let validation = saved.save_calibrated(record, &val, started, observer)?;
    Ok(FineTuned {
        state,
        validation,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Options that cannot make a run.
fn check(job: &FineTuneJob) -> Result<()> {
    if !(0.0..=1.0).contains(&job.distill_alpha) {
        invalid!(
            "--distill-alpha must lie in [0, 1], not {}",
            job.distill_alpha
        );
    }
    if !job.transfer.is_empty() && job.teachers.is_empty() {
        invalid!("--transfer needs at least one --teacher to score its clauses");
    }
    if !job.distill_only.is_empty() && job.teachers.is_empty() {
        invalid!("--distill-only needs at least one --teacher");
    }
    if let Some(spec) = job
        .distill_only
        .iter()
        .find(|s| !job.spec.train.contains(s))
    {
        invalid!("--distill-only {spec}: not one of the --train arguments, written the same way");
    }
    Ok(())
}

/// Gold targets, or with teachers gold blended with their scores, followed
/// by the transfer clauses the teachers alone label.
fn training_targets(
    job: &FineTuneJob,
    train: &Annotated,
    distilled: &[bool],
    observer: &dyn Observer,
) -> Result<Targets> {
    let seed = job.config.seed;
    let transfer = policy_clauses(
        &job.transfer,
        job.transfer_limit,
        seed,
        "transfer",
        observer,
    )?;
    let mut texts = train.texts.clone();
    if job.teachers.is_empty() {
        let targets = hard_targets(&train.gold);
        return Ok(Targets {
            texts,
            targets,
            teacher_models: Vec::new(),
            transfer: 0,
        });
    }
    texts.extend(transfer.iter().cloned());
    let labels = &job.spec.labels;
    // The teachers score only what they blend into: distilled rows, then transfer.
    let to_score: Vec<String> = train
        .texts
        .iter()
        .zip(distilled)
        .filter(|(_, &d)| d)
        .map(|(t, _)| t.clone())
        .chain(transfer.iter().cloned())
        .collect();
    let TeacherScores { scores, model_ids } =
        teacher_scores(&job.teachers, labels, &to_score, &job.spec.load, observer)?;
    let (t, on_transfer) = scores_on_rows(scores, distilled, labels.len());
    let mut targets = distilled_targets(&train.gold, &t, job.distill_alpha);
    targets.extend(on_transfer);
    Ok(Targets {
        texts,
        targets,
        teacher_models: model_ids,
        transfer: transfer.len(),
    })
}

/// The training loop proper, with its checkpoints. A run the observer
/// stopped is an error: only its checkpoint is kept, nothing is saved.
#[allow(clippy::too_many_arguments)]
fn train_encoder(
    job: &FineTuneJob,
    model: &SequenceClassifier,
    varmap: &VarMap,
    tok: &ClauseTokenizer,
    train: &[Example],
    valid: &[Example],
    config: &FineTuneConfig,
    observer: &dyn Observer,
) -> Result<TrainState> {
    let spec = &job.spec;
    let checkpoint = job
        .checkpoint
        .clone()
        .unwrap_or_else(|| spec.out.join("checkpoint"));
    let state = fine_tune(
        model,
        varmap,
        &spec.labels,
        train,
        valid,
        tok.pad_id(),
        config,
        &checkpoint,
        |s| observer.step(s),
    )?;
    observer.steps_done();
    if state.interrupted {
        return Err(TrainError::Interrupted(checkpoint));
    }
    for h in &state.history {
        observer.note(&format!(
            "epoch {}: train loss {:.4}, validation macro-F1 (windows, calibrated) {:.4}, {:.0}s, {:.0} tokens/s",
            h.epoch + 1, h.train_loss, h.valid_macro_f1, h.seconds, h.tokens_per_second
        ));
    }
    Ok(state)
}

/// A trained model on its way to disk.
struct Saved<'a> {
    job: &'a FineTuneJob,
    base_dir: &'a std::path::Path,
    varmap: &'a VarMap,
    windowing: Windowing,
}

impl Saved<'_> {
    /// Save with provisional thresholds, reload through the labeling path,
    /// calibrate on the validation clauses, save again with the thresholds
    /// and the full training record.
    fn save_calibrated(
        &self,
        mut training: Value,
        val: &Annotated,
        started: Instant,
        observer: &dyn Observer,
    ) -> Result<EvalReport> {
        let spec = &self.job.spec;
        let labels = &spec.labels;
        self.save(&Thresholds::uniform(labels.len(), 0.5), training.clone())?;
        let classifier = Classifier::load(&spec.out, &spec.load)?;
        let scores = score_texts(&classifier, &val.texts, observer)?;
        let probs: Vec<Vec<f32>> = scores.iter().map(|s| s.0.clone()).collect();
        let calibration = calibrate(&probs, &val.gold, labels.len(), self.job.threshold_prior);
        let report = evaluate(
            labels,
            &val.gold,
            &calibration.thresholds.decide_all(&scores),
            None,
        );
        training["validation_macro_f1"] = report.macro_f1.into();
        training["validation_micro_f1"] = report.micro_f1.into();
        training["calibration"] = calibration_record(&calibration, &spec.validation);
        training["total_seconds"] = started.elapsed().as_secs_f64().into();
        self.save(&calibration.thresholds, training)?;
        Ok(report)
    }

    fn save(&self, thresholds: &Thresholds, training: Value) -> Result<()> {
        let config_path = self.base_dir.join("config.json");
        let text = std::fs::read_to_string(&config_path)
            .map_err(|e| TrainError::io("reading", &config_path, e))?;
        let base_config: Value = serde_json::from_str(&text)?;
        let spec = &self.job.spec;
        let request = SaveRequest {
            base_config: &base_config,
            tokenizer: &self.base_dir.join("tokenizer.json"),
            name: &spec.model_name(),
            labels: &spec.labels,
            thresholds,
            windowing: self.windowing,
            training,
            dtype: self.job.dtype,
        };
        Ok(save(&spec.out, self.varmap, &request)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::StepReport;
    use policylens_classify::testing::write_tiny_encoder;
    use policylens_classify::LoadOptions;
    use policylens_core::LabelSet;

    /// A job with no teacher, no transfer and 16-token windows; tests set
    /// the spec and what they vary.
    fn plain_job() -> FineTuneJob {
        FineTuneJob {
            spec: TrainSpec {
                train: Vec::new(),
                validation: Vec::new(),
                base: String::new(),
                out: PathBuf::new(),
                name: None,
                labels: LabelSet::new(["collection"]).unwrap(),
                load: LoadOptions::default(),
            },
            config: FineTuneConfig::default(),
            pos_weight_power: 0.0,
            max_tokens: 16,
            threshold_prior: 0.0,
            checkpoint: None,
            dtype: DType::F32,
            teachers: Vec::new(),
            distill_alpha: 0.5,
            distill_only: Vec::new(),
            transfer: Vec::new(),
            transfer_limit: None,
        }
    }

    /// Stops the run at its first step.
    struct StopAtOnce;

    impl Observer for StopAtOnce {
        fn step(&self, _: &StepReport) -> bool {
            false
        }
    }

    #[test]
    fn a_run_the_observer_stops_saves_no_model_and_can_resume() {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().join("enc");
        write_tiny_encoder(&base, 3).unwrap();
        let data = tmp.path().join("clauses.jsonl");
        let rows: String = (0..8)
            .map(|i| {
                let (text, label) = match i % 2 {
                    0 => ("we share data with partners", "sharing"),
                    _ => ("we collect your email", "collection"),
                };
                format!("{{\"text\":\"{text} {i}\",\"labels\":[\"{label}\"]}}\n")
            })
            .collect();
        std::fs::write(&data, rows).unwrap();
        let out = tmp.path().join("model");
        let job = FineTuneJob {
            spec: TrainSpec {
                train: vec![data.display().to_string()],
                validation: vec![data.display().to_string()],
                base: base.display().to_string(),
                out: out.clone(),
                name: None,
                labels: LabelSet::new(["collection", "sharing"]).unwrap(),
                load: LoadOptions::default(),
            },
            config: FineTuneConfig {
                epochs: 2,
                batch_size: 4,
                ..Default::default()
            },
            ..plain_job()
        };
        let err = fine_tune_model(&job, &StopAtOnce).err().expect("stopped");
        assert!(matches!(err, TrainError::Interrupted(ref c) if *c == out.join("checkpoint")));
        assert!(!out.join("config.json").exists(), "no model is written");
        assert!(!out.join("model.safetensors").exists());
        let done = fine_tune_model(&job, &crate::Silent).unwrap();
        assert_eq!(done.state.history.len(), 2);
        assert!(out.join("config.json").exists());
    }

    #[test]
    fn distill_only_must_name_a_train_argument_and_needs_a_teacher() {
        let mut job = FineTuneJob {
            distill_only: vec!["opp.csv".into()],
            ..plain_job()
        };
        job.spec.train = vec!["opp.csv".into(), "modern.jsonl@train".into()];
        let err = check(&job).unwrap_err().to_string();
        assert!(err.contains("needs at least one --teacher"), "{err}");
        job.teachers = vec![PathBuf::from("teacher")];
        assert!(check(&job).is_ok());
        job.distill_only = vec!["modern.jsonl".into()];
        let err = check(&job).unwrap_err().to_string();
        assert!(
            err.contains("modern.jsonl") && err.contains("--train"),
            "{err}"
        );
    }
}
