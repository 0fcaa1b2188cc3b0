//! `policylens eval`: score a model on annotated clauses.

use crate::progress::Console;
use crate::ModelArgs;
use anyhow::Result;
use clap::Args;
use policylens_train::recipe::eval::{evaluate_model, EvalJob};
use std::path::PathBuf;
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
    let job = EvalJob {
        data: args.data,
        labels: args.labels,
        json: args.json,
        scores: args.scores,
    };
    let report = evaluate_model(&classifier, &job, &Console::default())?;
    println!(
        "model: {}\ndata: {}\n{report}",
        classifier.model_id(),
        job.data.join(" ")
    );
    Ok(ExitCode::SUCCESS)
}
