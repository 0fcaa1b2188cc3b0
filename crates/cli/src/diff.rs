//! `policylens diff`: compare two versions of policies (files, directories
//! or labeled output folders) and report what changed.

use crate::ModelArgs;
use anyhow::{Context, Result};
use clap::Args;
use policylens_classify::Classifier;
use policylens_diff::{Diff, CHANGES_FILE, SUMMARY_FILE};
use policylens_store::{LabeledRun, CLAUSES_FILE};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct DiffArgs {
    /// Old version: a policy file, a directory of policies, or a `policylens label` output folder.
    pub old: PathBuf,
    /// New version: the same kinds; directories are matched by relative path, then file stem.
    pub new: PathBuf,
    /// Output directory: changes.parquet, summary.md, and old/ and new/ for inputs labeled here.
    #[arg(short, long, default_value = "diff-out")]
    pub out: PathBuf,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Also write unchanged clauses to changes.parquet.
    #[arg(long)]
    pub all: bool,
}

pub fn run(args: DiffArgs) -> Result<ExitCode> {
    let mut classifier = None;
    let old = open_or_label(
        &args.old,
        &args.out.join("old"),
        &args.model,
        &mut classifier,
    )?;
    let new = open_or_label(
        &args.new,
        &args.out.join("new"),
        &args.model,
        &mut classifier,
    )?;
    let diff = Diff::between(&old, &new);
    let rows = diff.write(&args.out, args.all)?;
    print!("{diff}");
    eprintln!(
        "{rows} change rows -> {}, summary -> {}",
        args.out.join(CHANGES_FILE).display(),
        args.out.join(SUMMARY_FILE).display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Read a labeled output folder, or label `input` into `dir` first (loading
/// the model once, on first need).
fn open_or_label(
    input: &Path,
    dir: &Path,
    model: &ModelArgs,
    classifier: &mut Option<Classifier>,
) -> Result<LabeledRun> {
    if !input.join(CLAUSES_FILE).is_file() {
        let classifier = match classifier {
            Some(c) => c,
            None => classifier.insert(model.load()?),
        };
        let opts = policylens_pipeline::RunOptions {
            progress: false,
            ..Default::default()
        };
        let s = policylens_pipeline::run(&[input.to_path_buf()], dir, classifier, &opts)
            .with_context(|| format!("labeling {}", input.display()))?;
        for f in &s.failures {
            eprintln!("  not compared (could not be read): {f}");
        }
        eprintln!(
            "labeled {} clauses from {} documents of {} -> {}",
            s.clauses,
            s.documents,
            input.display(),
            dir.display()
        );
        return Ok(LabeledRun::open(dir)?);
    }
    LabeledRun::open(input).with_context(|| format!("reading labeled output {}", input.display()))
}
