//! `policylens label`: segment and label policies into Parquet tables.

use crate::ModelArgs;
use anyhow::Result;
use clap::Args;
use policylens_pipeline::{RunOptions, Summary};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct LabelArgs {
    /// Files or directories (walked recursively, in sorted order).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Output directory for documents.parquet and clauses.parquet.
    #[arg(short, long, default_value = "out")]
    out: PathBuf,
    #[command(flatten)]
    model: ModelArgs,
    /// Documents prepared and scored together (bounds memory).
    #[arg(long, default_value_t = 32)]
    chunk: usize,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

/// Label the inputs; the exit status is the number of documents that
/// failed (at most 100).
pub fn run(args: LabelArgs) -> Result<ExitCode> {
    let classifier = args.model.load()?;
    let opts = RunOptions {
        chunk_documents: args.chunk,
        progress: !args.quiet,
    };
    let s = policylens_pipeline::run(&args.inputs, &args.out, &classifier, &opts)?;
    report(&s, &args.out);
    Ok(ExitCode::from(s.failed().min(100) as u8))
}

/// Throughput, documents by status and every failure, on stderr.
fn report(s: &Summary, out: &std::path::Path) {
    let secs = s.total.as_secs_f64().max(1e-9);
    eprintln!(
        "labeled {} clauses from {} documents in {:.1}s ({:.1} clauses/s, {:.0} tokens/s; prepare {:.1}s, infer {:.1}s, write {:.1}s) -> {}",
        s.clauses,
        s.documents,
        secs,
        s.clauses as f64 / secs,
        s.tokens as f64 / secs,
        s.prepare.as_secs_f64(),
        s.infer.as_secs_f64(),
        s.write.as_secs_f64(),
        out.display()
    );
    let statuses: Vec<String> = s
        .by_status
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    eprintln!("documents by status: {}", statuses.join(", "));
    for f in &s.failures {
        eprintln!("  failed: {f}");
    }
    let failed = s.failed();
    if failed > 0 {
        eprintln!(
            "{failed} of {} documents failed (exit status = number failed, at most 100)",
            s.documents
        );
    }
}
