//! The batch run: read → segment → tokenize → infer → write, streaming.
//!
//! Documents are taken in chunks of bounded size. Within a chunk, reading,
//! decoding, segmentation and tokenization run in parallel on rayon; the
//! chunk's clause windows then go through the encoder in length-sorted
//! batches; rows are written as Parquet row groups before the next chunk is
//! read, so memory depends on the chunk size, not on the corpus.
//!
//! Every input file yields a `documents.parquet` row with a status; a file
//! that cannot be read or parsed never stops the run. [`open_or_label`]
//! gives `policylens diff` a finished run for each version it compares.
//! Comparing is `policylens-diff`'s; the tables are `policylens-store`'s.

mod prepare;
mod versions;

pub use prepare::{prepare, segment_file, FileFailure, Prepared, SegmentedFile};
pub use versions::{is_labeled_run, open_or_label, Opened};

use indicatif::{ProgressBar, ProgressStyle};
use policylens_classify::Classifier;
use policylens_core::{clause_id, Status};
use policylens_store::{ClauseRow, DocumentRow, OutputWriter, StoreError};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum PipelineError {
    #[error(transparent)]
    Read(#[from] policylens_read::ReadError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("inference: {0}")]
    Classify(#[from] policylens_classify::ClassifyError),
    /// An input to compare that is not a labeled run, and no model to label it.
    #[error("{}: not a `policylens label` output folder, and no model was given to label it", .0.display())]
    NoModel(PathBuf),
    /// `source` met while `action` (labeling, reading) `input`.
    #[error("{action} {}", input.display())]
    Input {
        action: &'static str,
        input: PathBuf,
        #[source]
        source: Box<PipelineError>,
    },
}

/// Knobs of a labeling run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Documents prepared and scored together; bounds memory.
    pub chunk_documents: usize,
    pub progress: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            chunk_documents: 32,
            progress: true,
        }
    }
}

/// What a run did, for the terminal and for benchmarks.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub documents: usize,
    pub clauses: usize,
    pub tokens: usize,
    pub windows: usize,
    /// Documents by status (`ok`, `empty`, `binary`, ...).
    pub by_status: BTreeMap<String, usize>,
    /// One line per failed document: path and reason.
    pub failures: Vec<String>,
    /// Wall time spent reading, segmenting and tokenizing.
    pub prepare: Duration,
    /// Wall time spent in the encoder and head.
    pub infer: Duration,
    /// Wall time spent building and writing Parquet.
    pub write: Duration,
    pub total: Duration,
}

impl Summary {
    pub fn failed(&self) -> usize {
        self.documents
            - self
                .by_status
                .get(Status::Ok.as_str())
                .copied()
                .unwrap_or(0)
    }
}

/// Label every policy under `inputs` and write `documents.parquet` and
/// `clauses.parquet` into `out_dir`.
pub fn run(
    inputs: &[PathBuf],
    out_dir: &Path,
    classifier: &Classifier,
    opts: &RunOptions,
) -> Result<Summary, PipelineError> {
    let started = Instant::now();
    let paths = policylens_read::discover(inputs)?;
    tracing::info!(
        documents = paths.len(),
        model = classifier.model_id(),
        "labeling"
    );
    let mut writer = OutputWriter::create(out_dir, classifier.labels(), classifier.model_id())?;
    let bar = progress_bar(paths.len(), opts.progress);
    let mut summary = Summary {
        documents: paths.len(),
        ..Default::default()
    };

    for chunk in paths.chunks(opts.chunk_documents.max(1)) {
        let t = Instant::now();
        let prepared: Vec<Prepared> = chunk.par_iter().map(|p| prepare(p, classifier)).collect();
        summary.prepare += t.elapsed();

        let t = Instant::now();
        let tokenized: Vec<_> = prepared
            .iter()
            .flat_map(|d| d.tokens.iter().cloned())
            .collect();
        let scores = {
            let _span = tracing::info_span!("infer", clauses = tokenized.len()).entered();
            classifier.score(&tokenized)?
        };
        summary.infer += t.elapsed();

        let t = Instant::now();
        let mut scores = scores.into_iter();
        let mut clause_rows = Vec::with_capacity(tokenized.len());
        let mut doc_rows = Vec::with_capacity(prepared.len());
        for doc in prepared {
            *summary
                .by_status
                .entry(doc.document.status.as_str().to_string())
                .or_default() += 1;
            if let Some(e) = &doc.document.error {
                summary.failures.push(e.clone());
            }
            for (clause, tokens) in doc.segmented.clauses.iter().zip(&doc.tokens) {
                let s = scores.next().expect("one score per clause");
                let labels = classifier
                    .thresholds()
                    .predict(classifier.labels(), &s)
                    .into_iter()
                    .map(String::from)
                    .collect();
                summary.tokens += tokens.n_tokens();
                summary.windows += tokens.n_windows();
                clause_rows.push(ClauseRow {
                    doc_id: doc.document.id.clone(),
                    clause_id: doc
                        .clause_ids
                        .get(clause.position as usize)
                        .cloned()
                        .flatten()
                        .unwrap_or_else(|| clause_id(&doc.document.id, clause.position)),
                    position: clause.position,
                    heading: (!clause.heading.is_empty()).then(|| clause.heading_path()),
                    text: clause.text.clone(),
                    char_start: clause.char_start as u32,
                    char_end: clause.char_end as u32,
                    n_tokens: tokens.n_tokens() as u32,
                    n_windows: tokens.n_windows() as u32,
                    scores: s,
                    labels,
                });
            }
            summary.clauses += doc.segmented.clauses.len();
            doc_rows.push(doc.into_row());
        }
        writer.write_clauses(&clause_rows)?;
        writer.write_documents(&doc_rows)?;
        summary.write += t.elapsed();
        bar.inc(chunk.len() as u64);
        let secs = started.elapsed().as_secs_f64().max(1e-9);
        bar.set_message(format!(
            "{} clauses, {:.1} clauses/s",
            summary.clauses,
            summary.clauses as f64 / secs
        ));
    }
    let t = Instant::now();
    writer.finish()?;
    summary.write += t.elapsed();
    bar.finish_and_clear();
    summary.total = started.elapsed();
    Ok(summary)
}

fn progress_bar(len: usize, visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} documents  {msg}",
        )
        .expect("static template"),
    );
    bar
}

impl Prepared {
    fn into_row(self) -> DocumentRow {
        DocumentRow {
            doc_id: self.document.id,
            path: self.document.path.display().to_string(),
            format: self.format_name,
            title: self.document.title,
            bytes: self.document.bytes,
            sha256: self.document.sha256,
            n_clauses: self.segmented.clauses.len() as u32,
            status: self.document.status.as_str().to_string(),
            error: self.document.error,
            text: (!self.segmented.text.is_empty()).then_some(self.segmented.text),
        }
    }
}
