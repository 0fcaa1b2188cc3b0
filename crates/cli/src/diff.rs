//! `policylens diff`: compare two versions of policies (files, directories
//! or labeled output folders) and report what changed.

use crate::ModelArgs;
use anyhow::Result;
use clap::Args;
use policylens_diff::{Diff, CHANGES_FILE, SUMMARY_FILE};
use policylens_pipeline::{is_labeled_run, open_or_label, Opened};
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
    // The model is loaded only when a side has to be labeled first.
    let classifier = match is_labeled_run(&args.old) && is_labeled_run(&args.new) {
        true => None,
        false => Some(args.model.load()?),
    };
    let old = open_or_label(&args.old, &args.out.join("old"), classifier.as_ref())?;
    report_labeled(&old, &args.old, &args.out.join("old"));
    let new = open_or_label(&args.new, &args.out.join("new"), classifier.as_ref())?;
    report_labeled(&new, &args.new, &args.out.join("new"));
    let diff = Diff::between(&old.run, &new.run);
    let rows = diff.write(&args.out, args.all)?;
    print!("{diff}");
    eprintln!(
        "{rows} change rows -> {}, summary -> {}",
        args.out.join(CHANGES_FILE).display(),
        args.out.join(SUMMARY_FILE).display()
    );
    Ok(ExitCode::SUCCESS)
}

/// What labeling a side did, when it was not a labeled run already.
fn report_labeled(side: &Opened, input: &Path, dir: &Path) {
    let Some(s) = &side.labeled else { return };
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
}
