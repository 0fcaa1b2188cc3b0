//! Write a synthetic labeled run: `synthetic_run DIR [DOCUMENTS] [CLAUSES_PER_DOCUMENT]`.
//! For checking `policylens report` at corpus scale without labeling a corpus.

use policylens_report::synthetic::{write_run, Synthetic};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first().map(PathBuf::from) else {
        eprintln!("usage: synthetic_run DIR [DOCUMENTS] [CLAUSES_PER_DOCUMENT]");
        return ExitCode::from(2);
    };
    let number = |i: usize, default: usize| {
        args.get(i)
            .map(|s| s.parse::<usize>().expect("a whole number"))
            .unwrap_or(default)
    };
    let spec = Synthetic {
        documents: number(1, 1000),
        clauses_per_document: number(2, 40),
        ..Default::default()
    };
    match write_run(&dir, &spec) {
        Ok((docs, clauses)) => {
            eprintln!("{docs} documents, {clauses} clauses -> {}", dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
