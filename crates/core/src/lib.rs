//! Domain types shared by every PolicyLens stage.
//!
//! The pipeline reads a policy file into a [`Document`], cuts it into
//! [`Clause`]s, scores every clause against a [`LabelSet`] ([`Scores`]) and
//! writes tables. This crate owns only the vocabulary; each stage lives in its
//! own crate:
//!
//! - `policylens-read`: find files, sniff their [`Format`], decode bytes to text;
//! - `policylens-segment`: extracted text and clauses with heading paths;
//! - `policylens-classify`: tokenize, window, encode, score;
//! - `policylens-store`: the Parquet schemas, writers and annotated-clause readers;
//! - `policylens-pipeline`: the parallel, streaming batch run;
//! - `policylens` (crates/cli): the command-line front end.

mod document;
mod labels;

pub use document::{
    clause_id, content_sha256, doc_id_of, slice_chars, Clause, Document, Format, Segmented, Status,
};
pub use labels::{LabelError, LabelSet, Scores, Thresholds, OPP115_CATEGORIES};
