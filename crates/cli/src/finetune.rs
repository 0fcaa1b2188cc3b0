//! `policylens train --fine-tune`: train the whole encoder, not just a head.
//!
//! Every window of every training clause is an example carrying its
//! clause's labels. The epoch is chosen by validation macro-F1; then the
//! saved model is loaded through the same path `policylens label` uses, the
//! validation clauses are scored (windows max-pooled) and per-label
//! thresholds are calibrated on them and written into `config.json`.

use crate::data;
use crate::progress::{score_with_progress, EpochBar};
use crate::train::TrainArgs;
use anyhow::{bail, Context, Result};
use policylens_classify::calibrate::calibrate;
use policylens_classify::finetune::{fine_tune, init_from_encoder, Example, FineTuneConfig};
use policylens_classify::hf::{save, SaveRequest};
use policylens_classify::source::{resolve, sha256_file};
use policylens_classify::tokenize::ClauseTokenizer;
use policylens_classify::{evaluate, parse_device, Classifier, LoadOptions, Windowing};
use policylens_core::{LabelSet, Thresholds};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// One example per window of each clause, carrying its clause's targets;
/// a `None` target is left unsupervised (no loss on that label).
fn examples(
    tok: &ClauseTokenizer,
    texts: &[String],
    targets: &[Vec<Option<f32>>],
) -> Result<Vec<Example>> {
    let mut out = Vec::new();
    for (clause, t) in tok.encode_all(texts)?.iter().zip(targets) {
        let supervised: Vec<f32> = t.iter().map(|x| x.is_some() as u8 as f32).collect();
        let targets: Vec<f32> = t.iter().map(|x| x.unwrap_or(0.0)).collect();
        for w in 0..clause.n_windows() {
            out.push(Example {
                ids: tok.window_input(clause, w),
                targets: targets.clone(),
                supervised: supervised.clone(),
            });
        }
    }
    Ok(out)
}

fn hard_targets(gold: &[Vec<bool>]) -> Vec<Vec<Option<f32>>> {
    gold.iter()
        .map(|g| g.iter().map(|&b| Some(b as u8 as f32)).collect())
        .collect()
}

/// What the teachers gave: per clause and label of `labels`, the mean score
/// of the teachers that have that label (by name), or `None` where none has
/// it; and each teacher's model id (name and weights hash), so the training
/// record names the teachers even after their directories are gone.
struct TeacherScores {
    scores: Vec<Vec<Option<f32>>>,
    model_ids: Vec<String>,
}

fn teacher_scores(
    teachers: &[PathBuf],
    labels: &LabelSet,
    texts: &[String],
    opts: &LoadOptions,
) -> Result<TeacherScores> {
    let mut sum = vec![vec![0.0f32; labels.len()]; texts.len()];
    let mut count = vec![0usize; labels.len()];
    let mut model_ids = Vec::with_capacity(teachers.len());
    for dir in teachers {
        let teacher = Classifier::load(dir, opts)
            .with_context(|| format!("loading teacher {}", dir.display()))?;
        model_ids.push(teacher.model_id().to_string());
        let map: Vec<Option<usize>> = labels
            .names()
            .iter()
            .map(|n| teacher.labels().index(n))
            .collect();
        if map.iter().all(Option::is_none) {
            bail!("teacher {} shares no label with the student", dir.display());
        }
        eprintln!("teacher {}: scoring {} clauses", dir.display(), texts.len());
        let tokens = teacher.tokenize_all(texts)?;
        let scores = score_with_progress(&tokens, |c| Ok(teacher.score(c)?))?;
        for (row, s) in sum.iter_mut().zip(&scores) {
            for (j, t) in map.iter().enumerate() {
                if let Some(t) = t {
                    row[j] += s.0[*t];
                }
            }
        }
        for (j, t) in map.iter().enumerate() {
            count[j] += t.is_some() as usize;
        }
    }
    let scores = sum
        .into_iter()
        .map(|row| {
            row.into_iter()
                .zip(&count)
                .map(|(s, &c)| (c > 0).then(|| s / c as f32))
                .collect()
        })
        .collect();
    Ok(TeacherScores { scores, model_ids })
}

/// `alpha * gold + (1 - alpha) * teacher` where a teacher scored the label.
fn distilled_targets(
    gold: &[Vec<bool>],
    teacher: &[Vec<Option<f32>>],
    alpha: f32,
) -> Vec<Vec<Option<f32>>> {
    gold.iter()
        .zip(teacher)
        .map(|(g, t)| {
            g.iter()
                .zip(t)
                .map(|(&g, t)| {
                    let g = g as u8 as f32;
                    Some(t.map_or(g, |t| alpha * g + (1.0 - alpha) * t))
                })
                .collect()
        })
        .collect()
}

fn pos_weights(gold: &[Vec<bool>], n_labels: usize, power: f64) -> Option<Vec<f32>> {
    if power == 0.0 {
        return None;
    }
    Some(
        (0..n_labels)
            .map(|j| {
                let pos = gold.iter().filter(|g| g[j]).count().max(1) as f64;
                let neg = (gold.len() as f64 - pos).max(1.0);
                (neg / pos).powf(power) as f32
            })
            .collect(),
    )
}

pub fn run(args: TrainArgs) -> Result<ExitCode> {
    let ft = &args.fine_tune;
    let started = Instant::now();
    let labels = match &args.labels {
        Some(names) => LabelSet::new(names.clone())?,
        None => LabelSet::policylens(),
    };
    if !args.biometrics_negatives.is_empty() {
        bail!("--biometrics-negatives is not supported with --fine-tune yet");
    }
    let device = parse_device(&args.device)?;
    let opts = LoadOptions {
        device: device.clone(),
        batch_size: args.batch_size,
        ..Default::default()
    };
    let base_dir = resolve(&args.base, &opts.local_roots)?;
    let base_sha = sha256_file(&base_dir.join("model.safetensors"))?;
    let windowing = Windowing {
        max_tokens: ft.max_tokens,
        overlap: Windowing::default().overlap.min(ft.max_tokens / 4),
    };
    let tok = ClauseTokenizer::from_file(
        &base_dir.join("tokenizer.json"),
        windowing.max_tokens,
        windowing.overlap,
    )?;
    let train = data::load(&args.train, &labels)?;
    let val = data::load(&args.validation, &labels)?;
    if train.texts.is_empty() || val.texts.is_empty() {
        bail!("no training or no validation clauses");
    }
    if !(0.0..=1.0).contains(&ft.distill_alpha) {
        bail!(
            "--distill-alpha must lie in [0, 1], not {}",
            ft.distill_alpha
        );
    }
    if !ft.transfer.is_empty() && ft.teachers.is_empty() {
        bail!("--transfer needs at least one --teacher to score its clauses");
    }
    let transfer = data::policy_clauses(&ft.transfer, ft.transfer_limit, ft.seed, "transfer")?;
    let mut train_texts = train.texts.clone();
    let (train_targets, teacher_models) = if ft.teachers.is_empty() {
        (hard_targets(&train.gold), Vec::new())
    } else {
        train_texts.extend(transfer.iter().cloned());
        let TeacherScores {
            scores: mut t,
            model_ids,
        } = teacher_scores(&ft.teachers, &labels, &train_texts, &opts)?;
        let on_transfer = t.split_off(train.texts.len());
        let mut targets = distilled_targets(&train.gold, &t, ft.distill_alpha);
        targets.extend(on_transfer);
        (targets, model_ids)
    };
    let train_ex = examples(&tok, &train_texts, &train_targets)?;
    let val_ex = examples(&tok, &val.texts, &hard_targets(&val.gold))?;
    let config = FineTuneConfig {
        epochs: ft.epochs,
        batch_size: ft.train_batch,
        learning_rate: ft.learning_rate,
        weight_decay: ft.weight_decay,
        warmup: ft.warmup,
        max_grad_norm: ft.max_grad_norm,
        dropout: ft.dropout,
        patience: ft.patience,
        seed: ft.seed,
        pos_weight: pos_weights(&train.gold, labels.len(), ft.pos_weight_power),
        focal_gamma: ft.focal_gamma,
    };
    let (varmap, model, _) = init_from_encoder(&base_dir, &labels, ft.seed, &device)?;
    let checkpoint = ft
        .checkpoint
        .clone()
        .unwrap_or_else(|| args.out.join("checkpoint"));
    eprintln!(
        "fine-tuning {} on {} windows of {} clauses ({} of them transfer; validation {} clauses), {} epochs",
        base_dir.display(),
        train_ex.len(),
        train_texts.len(),
        transfer.len(),
        val.texts.len(),
        ft.epochs
    );
    let bar = EpochBar::new();
    let state = fine_tune(
        &model,
        &varmap,
        &labels,
        &train_ex,
        &val_ex,
        tok.pad_id(),
        &config,
        &checkpoint,
        |s| bar.step(s.epoch, s.step, s.total_steps, s.loss, s.tokens_per_second),
    )?;
    bar.finish();
    for h in &state.history {
        eprintln!(
            "epoch {}: train loss {:.4}, validation macro-F1 (windows, calibrated) {:.4}, {:.0}s, {:.0} tokens/s",
            h.epoch + 1,
            h.train_loss,
            h.valid_macro_f1,
            h.seconds,
            h.tokens_per_second
        );
    }

    // Save with provisional thresholds, reload through the labeling path,
    // calibrate on validation clauses, save again.
    let base_config: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(base_dir.join("config.json"))
            .with_context(|| format!("reading {}", base_dir.join("config.json").display()))?,
    )?;
    let name = args.name.clone().unwrap_or_else(|| {
        args.out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "policylens".into())
    });
    let mut training = serde_json::json!({
        "method": "whole-encoder fine-tuning, Hugging Face *ForSequenceClassification (first-token pooler), masked BCE, AdamW",
        "base": args.base,
        "base_sha256": base_sha,
        "train": args.train,
        "validation": args.validation,
        "train_clauses": train.texts.len(),
        "train_windows": train_ex.len(),
        "teachers": ft.teachers,
        "teacher_models": teacher_models,
        "distill_alpha": (!ft.teachers.is_empty()).then_some(ft.distill_alpha),
        "transfer": ft.transfer,
        "transfer_clauses": transfer.len(),
        "config": config,
        "history": state.history,
        "best_epoch": state.best_epoch + 1,
    });
    let mut request = SaveRequest {
        base_config: &base_config,
        tokenizer: &base_dir.join("tokenizer.json"),
        name: &name,
        labels: &labels,
        thresholds: &Thresholds::uniform(labels.len(), 0.5),
        windowing,
        training: training.clone(),
        dtype: if ft.dtype == "f16" {
            candle_core::DType::F16
        } else {
            candle_core::DType::F32
        },
    };
    save(&args.out, &varmap, &request)?;
    let classifier = Classifier::load(&args.out, &opts)?;
    let val_tok = classifier.tokenize_all(&val.texts)?;
    let scores = score_with_progress(&val_tok, |c| Ok(classifier.score(c)?))?;
    let probs: Vec<Vec<f32>> = scores.iter().map(|s| s.0.clone()).collect();
    let calibration = calibrate(&probs, &val.gold, labels.len(), ft.threshold_prior);
    let thresholds = calibration.thresholds.clone();
    let pred = thresholds.decide_all(&scores);
    let report = evaluate(&labels, &val.gold, &pred, None);
    training["validation_macro_f1"] = report.macro_f1.into();
    training["validation_micro_f1"] = report.micro_f1.into();
    training["calibration"] = crate::calibrate::record(&calibration, &args.validation);
    training["total_seconds"] = started.elapsed().as_secs_f64().into();
    request.thresholds = &thresholds;
    request.training = training;
    save(&args.out, &varmap, &request)?;
    println!("validation (thresholds tuned on it):\n{report}");
    eprintln!(
        "model written to {} in {:.0}s",
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_without_a_target_are_unsupervised_in_every_window() {
        let dir = tempfile::tempdir().unwrap();
        policylens_classify::testing::write_tiny_encoder(dir.path(), 1).unwrap();
        // Windows of 4 tokens: the long clause needs several.
        let tok = ClauseTokenizer::from_file(&dir.path().join("tokenizer.json"), 6, 1).unwrap();
        let texts = vec![
            "we collect data".to_string(),
            "we collect data and we share data and we keep data".to_string(),
        ];
        let targets = vec![vec![Some(1.0), Some(0.0)], vec![Some(0.7), None]];
        let ex = examples(&tok, &texts, &targets).unwrap();
        assert!(ex.len() > 2, "the long clause is windowed: {}", ex.len());
        assert_eq!(ex[0].supervised, vec![1.0, 1.0]);
        for e in &ex[1..] {
            assert_eq!(e.targets, vec![0.7, 0.0]);
            assert_eq!(e.supervised, vec![1.0, 0.0]);
        }
    }

    #[test]
    fn distilled_targets_mix_gold_and_teacher_only_where_a_teacher_scored() {
        let gold = vec![vec![true, false, true]];
        let teacher = vec![vec![Some(0.2), Some(0.6), None]];
        let t = distilled_targets(&gold, &teacher, 0.25);
        let t: Vec<f32> = t[0]
            .iter()
            .map(|x| x.expect("gold clauses are supervised"))
            .collect();
        assert!((t[0] - (0.25 + 0.75 * 0.2)).abs() < 1e-6);
        assert!((t[1] - 0.75 * 0.6).abs() < 1e-6);
        assert_eq!(t[2], 1.0, "no teacher has the label: gold kept");
        assert_eq!(
            distilled_targets(&gold, &teacher, 1.0)[0],
            vec![Some(1.0), Some(0.0), Some(1.0)]
        );
    }
}
