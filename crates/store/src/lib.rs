//! The tables PolicyLens writes and the clause files it reads.
//!
//! [`schema`] defines `documents.parquet` and `clauses.parquet` once (the
//! score columns come from the model's [`LabelSet`](policylens_core::LabelSet)),
//! and `changes.parquet`, which `policylens diff` writes;
//! [`write`] streams rows into them in bounded batches under a temporary name
//! and renames on completion; [`annotated`] reads clause tables (`.csv`,
//! `.jsonl`, `.parquet` with a `text` column and optional `id`, labels, split)
//! for labeling, training and evaluation; [`read`] reads a finished run back
//! ([`LabeledRun`]) for reports and diffs.

pub mod annotated;
pub mod read;
pub mod schema;
pub mod write;

pub use annotated::{clause_table_of, read_annotated, read_clause_table, Annotated, TableClause};
pub use read::LabeledRun;
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
    /// A CSV or JSONL table whose bytes could not be read or decoded.
    #[error(transparent)]
    Read(#[from] policylens_read::ReadError),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
