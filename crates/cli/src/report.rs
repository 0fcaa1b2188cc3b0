//! `policylens report`: render a labeled run as one static HTML file.

use anyhow::{Context, Result};
use clap::Args;
use policylens_report::{write_report, ReportOptions};
use policylens_store::LabeledRun;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct ReportArgs {
    /// Output directory of `policylens label` (documents.parquet + clauses.parquet).
    pub run: PathBuf,
    /// The HTML file to write [default: RUN/report.html].
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Page title [default: "PolicyLens report: <run folder name>"].
    #[arg(long)]
    pub title: Option<String>,
    /// Coverage matrix rows per page.
    #[arg(long, default_value_t = 50)]
    pub page_size: usize,
    /// Count pages of every kind (`kind` in documents.parquet: terms,
    /// cookie policies, other pages), not only privacy policies.
    #[arg(long)]
    pub all_kinds: bool,
}

pub fn run(args: ReportArgs) -> Result<ExitCode> {
    let run = LabeledRun::open(&args.run)
        .with_context(|| format!("reading the run in {}", args.run.display()))?;
    let out = args.output.unwrap_or_else(|| args.run.join("report.html"));
    let opts = ReportOptions {
        title: args.title,
        page_size: args.page_size,
        all_kinds: args.all_kinds,
        ..Default::default()
    };
    let bytes = write_report(&run, &opts, &out)?;
    println!("{}", out.display());
    eprintln!(
        "report of {} documents, {} clauses: {} ({:.1} KiB)",
        run.documents.len(),
        run.clauses.len(),
        out.display(),
        bytes as f64 / 1024.0
    );
    Ok(ExitCode::SUCCESS)
}
