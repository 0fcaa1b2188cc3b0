//! `policylens`: label privacy policies clause by clause.
//!
//! This binary parses arguments and wires the library crates together:
//! each command parses, calls one library function, prints, and sets the
//! exit status. The work lives in `policylens-pipeline` (label),
//! `policylens-classify` (models and scoring), `policylens-train`
//! (training, thresholds, evaluation), `policylens-diff` (comparing
//! versions) and `policylens-report` (the HTML report); [`progress`] shows
//! long library jobs on stderr.

mod addlabel;
mod calibrate;
mod diff;
mod eval;
mod label;
mod pretrain;
mod progress;
mod report;
mod train;

use anyhow::{Context, Result};
use candle_core::DType;
use clap::{Args, Parser, Subcommand};
use policylens_classify::{parse_device, Classifier, LoadOptions, Precision};
use std::path::PathBuf;
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Keep freed memory for reuse instead of handing it back to the OS a
/// moment later: every encoder layer allocates and frees activation
/// buffers of tens of MB, and re-faulting them (the kernel zeroing fresh
/// pages) cost a sixth of int8 inference time. Peak RSS barely changes;
/// RSS just no longer shrinks between batches.
fn keep_freed_memory() {
    // `mi_option_purge_delay` in mimalloc v3's include/mimalloc.h (the
    // libmimalloc-sys bindings do not name it; Cargo.lock pins the version).
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: a plain option write, before any worker thread exists.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) };
}

pub const DEFAULT_MODEL: &str = "models/policylens-minilm-opp115";

#[derive(Parser)]
#[command(
    name = "policylens",
    version,
    about = "Label the data practices in privacy policies, clause by clause"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Segment and label policies (.html/.htm/.md/.txt, or clause tables .jsonl/.csv/.parquet) into Parquet tables.
    Label(label::LabelArgs),
    /// Train a classification head on annotated clauses (FILE or FILE@split).
    Train(Box<train::TrainArgs>),
    /// Adapt a base encoder to policy text (masked-LM pre-training on unlabeled policies) before `train --fine-tune --base`.
    Pretrain(Box<pretrain::PretrainArgs>),
    /// Add labels to a fine-tuned model (frozen encoder, new classifier rows); existing labels score as before.
    AddLabel(addlabel::AddLabelArgs),
    /// Evaluate a model on annotated clauses: per-label precision/recall/F1, macro and micro.
    Eval(eval::EvalArgs),
    /// Choose a fine-tuned model's per-label thresholds on annotated validation clauses and write them into its config.json.
    Calibrate(calibrate::CalibrateArgs),
    /// Compare two versions (files, directories or label output folders): added, removed, changed clauses and practices.
    Diff(diff::DiffArgs),
    /// Render a labeled run (OUT_DIR of `label`) as one self-contained HTML report.
    Report(report::ReportArgs),
    /// Download a base encoder from the Hugging Face hub (hf-hub cache) into a directory.
    FetchModel {
        /// Hub repository id, e.g. sentence-transformers/all-MiniLM-L6-v2
        repo_id: String,
        #[arg(long)]
        out: PathBuf,
    },
}

/// Options shared by commands that load a model.
#[derive(Args, Clone)]
pub struct ModelArgs {
    /// Model directory: a Hugging Face BertForSequenceClassification (config.json,
    /// model.safetensors, tokenizer.json) or a PolicyLens head (policylens.json).
    #[arg(long, default_value = DEFAULT_MODEL)]
    pub model: PathBuf,
    /// cpu, cuda, cuda:N, metal or auto.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Token windows per encoder call: more while they are short, fewer
    /// when a batch would pass 128 tokens per window.
    #[arg(long, default_value_t = 32, value_parser = positive)]
    pub batch_size: usize,
    /// Encoder arithmetic: auto (int8 on a CPU with a fast integer kernel,
    /// f32 elsewhere), f32 (exact, agrees with `transformers`), int8
    /// (quantized dense layers, CPU) or bf16 (weights and activations, for
    /// GPUs); the model id in the output records which ran (`+int8`;
    /// `+int8a7w7` on AVX2-only CPUs, whose kernel takes 7-bit activations
    /// and weights; `+bf16w`).
    #[arg(long, default_value = "auto")]
    pub precision: Precision,
}

impl ModelArgs {
    pub fn load_options(&self) -> Result<LoadOptions> {
        Ok(LoadOptions {
            device: parse_device(&self.device)?,
            batch_size: self.batch_size,
            precision: self.precision,
            ..Default::default()
        })
    }

    pub fn load(&self) -> Result<Classifier> {
        let opts = self.load_options()?;
        Classifier::load(&self.model, &opts)
            .with_context(|| format!("loading model {}", self.model.display()))
    }
}

/// A count that must be at least 1 (`--batch-size 0` is refused, not taken as 1).
pub fn positive(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// An error as a user reads it: each cause once (a cause whose text the
/// message already holds, as an OS error quoted by its file's error, is not
/// repeated), and no backtrace (a library may put one in its message when
/// `RUST_BACKTRACE` is set).
fn user_message(e: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        let text = without_backtrace(&text);
        if text.is_empty() || message.contains(text) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(text);
    }
    message
}

/// `text` up to the first line of a backtrace ("stack backtrace:" or a
/// numbered frame such as "   0: std::...").
fn without_backtrace(text: &str) -> &str {
    let mut end = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        let frame = t
            .split_once(": ")
            .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            && line.starts_with(' ');
        if frame || t.starts_with("stack backtrace:") {
            break;
        }
        end += line.len();
    }
    text[..end].trim_end()
}

/// The storage type named by `--dtype` (clap allows only f32 and f16).
pub fn dtype(name: &str) -> DType {
    match name {
        "f16" => DType::F16,
        _ => DType::F32,
    }
}

fn fetch_model(repo_id: &str, out: &std::path::Path) -> Result<ExitCode> {
    policylens_classify::source::fetch_to(repo_id, out)?;
    eprintln!("{repo_id} -> {}", out.display());
    Ok(ExitCode::SUCCESS)
}

/// clap's own exit code for bad arguments (2) would read as "two documents
/// failed" under `label`'s exit status, so an argument error stops with 101
/// like any error that stops a run; `--help` and `--version` exit 0.
fn usage_error(e: clap::Error) -> ExitCode {
    let _ = e.print();
    if e.use_stderr() {
        ExitCode::from(101)
    } else {
        ExitCode::SUCCESS
    }
}

fn main() -> ExitCode {
    keep_freed_memory();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("POLICYLENS_LOG")
                // Training reports each epoch as it ends, where its weights
                // start and when it resumes (logs of long runs).
                .unwrap_or_else(|_| "warn,policylens_train=info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let result = match cli.command {
        Command::Label(a) => label::run(a),
        Command::Train(a) => train::run(*a),
        Command::Pretrain(a) => pretrain::run(*a),
        Command::AddLabel(a) => addlabel::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Calibrate(a) => calibrate::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Report(a) => report::run(a),
        Command::FetchModel { repo_id, out } => fetch_model(&repo_id, &out),
    };
    result.unwrap_or_else(|e| {
        eprintln!("error: {}", user_message(&e));
        ExitCode::from(101)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_the_message_already_quotes_is_not_repeated() {
        let os = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file (os error 2)");
        let e = anyhow::Error::new(policylens_store::StoreError::Io {
            path: "out/_run.json".into(),
            source: os,
        })
        .context("labeling policies/");
        assert_eq!(
            user_message(&e),
            "labeling policies/: out/_run.json: No such file (os error 2)"
        );
    }

    #[test]
    fn a_backtrace_inside_a_message_is_cut() {
        let e = anyhow::anyhow!(
            "shape mismatch in matmul\n   0: candle_core::error::Error::bt\n             at src/error.rs:1\n   1: main"
        )
        .context("loading model m");
        assert_eq!(
            user_message(&e),
            "loading model m: shape mismatch in matmul"
        );
        assert_eq!(without_backtrace("a\nstack backtrace:\n  0: x"), "a");
        assert_eq!(
            without_backtrace("line one\nline 2: two"),
            "line one\nline 2: two"
        );
    }
}
