//! The tables PolicyLens writes and the clause files it reads.
//!
//! [`schema`] defines `documents.parquet` and `clauses.parquet` once (the
//! score columns come from the model's [`LabelSet`](policylens_core::LabelSet)),
//! and `changes.parquet`, which `policylens diff` writes;
//! [`write`] streams rows into them in bounded batches under a temporary name
//! and renames on completion; [`annotated`] reads clause tables (`.csv`,
//! `.jsonl`, `.parquet` with a `text` column and optional `id`, labels, split)
//! for labeling, training and evaluation; [`read`] reads a finished run back
//! ([`LabeledRun`]) for reports and diffs; [`run`] is the run folder a
//! labeling run commits its work into, chunk by chunk, so that it resumes
//! after any interruption and one folder holds one run.

pub mod annotated;
pub mod read;
pub mod run;
pub mod schema;
pub mod write;

pub use annotated::{clause_table_of, read_annotated, read_clause_table, Annotated, TableClause};
pub use read::LabeledRun;
pub use run::{Job, OpenRun, RunFolder, RUN_FILE};
pub use schema::{
    changes_schema, clauses_schema, documents_schema, CHANGES_FILE, CLAUSES_FILE, DOCUMENTS_FILE,
};
pub use write::{ClauseRow, DocumentRow, OutputWriter, TableWriter};

use std::path::PathBuf;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Polars {
        path: PathBuf,
        source: polars::error::PolarsError,
    },
    #[error("{path}: {message}")]
    Malformed { path: PathBuf, message: String },
    #[error("{}: not a folder (-o names where the tables go)", .0.display())]
    NotAFolder(PathBuf),
    #[error("{}: another policylens run is writing here; wait for it or choose another output folder", .0.display())]
    InUse(PathBuf),
    /// The folder holds a run of another job.
    #[error("{}: holds a run of another job (it differs in {differs}); pass --overwrite to replace it, or choose another output folder", dir.display())]
    OtherJob { dir: PathBuf, differs: String },
    #[error("{}: the run writing here has not finished ({committed} of {documents} documents committed); run the same `policylens label` command again to resume it", dir.display())]
    Unfinished {
        dir: PathBuf,
        committed: usize,
        documents: usize,
    },
    /// A CSV or JSONL table whose bytes could not be read or decoded.
    #[error(transparent)]
    Read(#[from] policylens_read::ReadError),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
