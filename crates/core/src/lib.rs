//! Domain types shared by every PolicyLens stage.
//!
//! The pipeline reads a policy file into a [`Document`], cuts it into
//! [`Clause`]s, scores every clause against a [`LabelSet`] ([`Scores`]) and
//! writes tables. This crate owns only the vocabulary: those types, and the
//! label catalogue ([`Label`]: each of PolicyLens' own labels with its name,
//! OPP-115 category, whether it is a practice and a core practice, and a
//! description; exported as `datasets/labels.json`), which other crates read
//! instead of keeping their own label lists. Each stage lives in its own crate:
//!
//! - `policylens-read`: find files, sniff their [`Format`], decode bytes to text;
//! - `policylens-segment`: extracted text and clauses with heading paths;
//! - `policylens-kernels`: the CPU kernels of inference (int8 products,
//!   fused attention, GELU);
//! - `policylens-classify`: tokenize, window, encode, score;
//! - `policylens-train`: fine-tune, pre-train, calibrate, evaluate;
//! - `policylens-store`: the Parquet schemas, writers and annotated-clause readers;
//! - `policylens-pipeline`: the parallel, streaming batch run;
//! - `policylens-diff` and `policylens-report`: comparing versions, the HTML report;
//! - `policylens` (crates/cli): the command-line front end.

mod catalogue;
mod document;
mod labels;

pub use catalogue::{is_practice_name, Label};
pub use document::{
    clause_id, content_sha256, doc_id_of, english_share, is_english, is_other_language, path_bytes,
    slice_chars, Clause, Document, Format, Segmented, Status, ENGLISH,
};
pub use labels::{LabelError, LabelSet, Scores, Thresholds};
