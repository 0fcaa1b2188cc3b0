//! `policylens label`: segment and label policies into Parquet tables.

use crate::ModelArgs;
use anyhow::Result;
use clap::Args;
use policylens_pipeline::{Kind, RunOptions, Summary};
use policylens_store::RunFolder;
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
    /// Documents read and segmented together (bounds memory); they are
    /// scored and committed in groups of a few seconds' work, a long
    /// document alone, so an interruption loses at most one group.
    #[arg(long, default_value_t = 32, value_parser = crate::positive)]
    chunk: usize,
    /// Replace a run of another job (other inputs, model or precision) that
    /// the output folder holds. A run of this same job is always resumed,
    /// or kept when it has finished.
    #[arg(long)]
    overwrite: bool,
    /// Files larger than this many bytes get status `too_large` and are not read.
    #[arg(long, default_value_t = policylens_pipeline::DEFAULT_MAX_FILE_BYTES)]
    max_file_bytes: u64,
    /// Label only pages of this kind (repeatable): privacy_policy,
    /// cookie_policy, terms, other. Every document's kind is recorded in
    /// `documents.parquet` (`kind`, `kind_score`); a page of another kind
    /// gets status `other_kind` and no clauses. By default every kind is labeled.
    #[arg(long = "kind", value_name = "KIND")]
    kinds: Vec<Kind>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

/// Label the inputs; the exit status is the number of documents that
/// failed (at most 100).
pub fn run(args: LabelArgs) -> Result<ExitCode> {
    // The folder is checked and locked before the model loads.
    let folder = RunFolder::claim(&args.out)?;
    let classifier = args.model.load()?;
    let opts = RunOptions {
        chunk_documents: args.chunk,
        progress: !args.quiet,
        overwrite: args.overwrite,
        max_file_bytes: args.max_file_bytes,
        kinds: {
            let mut k = args.kinds;
            k.sort();
            k.dedup();
            k
        },
        cancel: None,
    };
    let s = policylens_pipeline::run(&args.inputs, folder, &classifier, &opts)?;
    report(&s, &args.out);
    Ok(ExitCode::from(s.failed().min(100) as u8))
}

/// Throughput (or what an earlier run left), documents by status and every
/// failure, on stderr.
fn report(s: &Summary, out: &std::path::Path) {
    if s.already_finished {
        eprintln!(
            "{} holds this run, finished: {} clauses from {} documents; nothing to label (remove the folder to label again)",
            out.display(),
            s.clauses,
            s.documents
        );
    } else {
        if s.resumed > 0 {
            eprintln!(
                "resumed: {} of {} documents were committed by an interrupted run of this job and kept",
                s.resumed, s.documents
            );
        }
        throughput(s, out);
    }
    let statuses: Vec<String> = s
        .by_status
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    eprintln!("documents by status: {}", statuses.join(", "));
    if !s.by_kind.is_empty() {
        let kinds: Vec<String> = s.by_kind.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        eprintln!(
            "documents by kind (`kind` in documents.parquet): {}",
            kinds.join(", ")
        );
    }
    for f in &s.failures {
        eprintln!("  failed: {f}");
    }
    for w in &s.warnings {
        eprintln!("  warning: {w}");
    }
    if !s.not_english.is_empty() {
        let langs: Vec<String> = s
            .not_english
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        eprintln!(
            "{} labeled documents are not in English ({}; `lang` in documents.parquet): the model reads English only, so their labels are unreliable",
            s.not_english.values().sum::<usize>(),
            langs.join(", ")
        );
    }
    let failed = s.failed();
    if failed > 0 {
        eprintln!(
            "{failed} of {} documents failed (exit status = number failed, at most 100)",
            s.documents
        );
    }
}

fn throughput(s: &Summary, out: &std::path::Path) {
    let secs = s.total.as_secs_f64().max(1e-9);
    let labeled = s.clauses - s.resumed_clauses;
    if s.scored < labeled {
        eprintln!(
            "{} of {labeled} clauses were repeats of another clause in their commit group and were scored once",
            labeled - s.scored
        );
    }
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
}
