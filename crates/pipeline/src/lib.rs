//! The batch run: read → segment → tokenize → infer → write, streaming.
//!
//! Documents are taken in chunks of bounded size. Within a chunk, reading,
//! decoding, segmentation and tokenization run in parallel on rayon; the
//! chunk is then cut into commit groups of consecutive documents (a few
//! seconds of work each; a long document alone), whose clause windows go
//! through the encoder in length-sorted batches and whose rows are
//! committed to the run folder ([`RunFolder`]) before the next group is
//! scored. Memory depends on the chunk size, not on the corpus, and a run
//! stopped at any moment loses at most the group being scored: the same
//! command, run again, resumes from what was committed.
//!
//! Every input file yields a `documents.parquet` row with a status; a file
//! that cannot be read or parsed never stops the run. [`open_or_label`]
//! gives `policylens diff` a finished run for each version it compares.
//! Comparing is `policylens-diff`'s; the tables are `policylens-store`'s.

mod language;
mod prepare;
mod versions;

pub use language::language_of;
pub use policylens_read::DEFAULT_MAX_FILE_BYTES;
pub use prepare::{
    prepare, segment_file, segment_file_within, FileFailure, Prepared, SegmentedFile,
};
pub use versions::{is_labeled_run, open_or_label, Opened};

use indicatif::{ProgressBar, ProgressStyle};
use policylens_classify::Classifier;
use policylens_core::{clause_id, is_english, Status};
pub use policylens_kind::Kind;
use policylens_store::{ClauseRow, DocumentRow, Job, OpenRun, RunFolder, StoreError};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
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
    /// The model gave a score that is not a number: its weights are damaged.
    #[error("model {model} scored clause {position} of {} as {value}, not a probability; its weights are likely damaged: copy or fetch the model again", path.display())]
    NonFinite {
        model: String,
        path: PathBuf,
        position: u32,
        value: f32,
    },
    /// A run that stopped after it began committing: what is committed stays.
    #[error("{source}\n{committed} of {total} documents are committed in {}; run the same command again to resume", dir.display())]
    Stopped {
        dir: PathBuf,
        committed: usize,
        total: usize,
        source: Box<PipelineError>,
    },
    /// The caller asked the run to stop ([`RunOptions::cancel`]).
    #[error("stopped on request")]
    Cancelled,
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
    /// Documents read and segmented together (then scored and committed in
    /// groups of [`GROUP_WINDOWS`] windows); bounds memory.
    pub chunk_documents: usize,
    pub progress: bool,
    /// Replace a run of another job that the output folder holds (a run of
    /// the same job is resumed, or kept when finished).
    pub overwrite: bool,
    /// Files larger than this get status `too_large` and are not read.
    pub max_file_bytes: u64,
    /// Label only documents of these kinds (the others get status
    /// `other_kind`); empty labels every kind.
    pub kinds: Vec<Kind>,
    /// Set from another thread to stop the run before its next commit
    /// group (what is committed stays, and the same run resumes from it);
    /// the run then ends with [`PipelineError::Stopped`] over
    /// [`PipelineError::Cancelled`].
    pub cancel: Option<Arc<AtomicBool>>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            chunk_documents: 32,
            progress: true,
            overwrite: false,
            max_file_bytes: policylens_read::DEFAULT_MAX_FILE_BYTES,
            kinds: Vec::new(),
            cancel: None,
        }
    }
}

impl RunOptions {
    fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
    }
}

/// What a run did, for the terminal and for benchmarks.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub documents: usize,
    pub clauses: usize,
    /// Tokens and windows scored by this process (not counting resumed work).
    pub tokens: usize,
    pub windows: usize,
    /// Distinct clauses this process sent to the model (a clause repeated
    /// within a commit group is scored once).
    pub scored: usize,
    /// Documents an earlier, interrupted run of the same job had committed,
    /// taken over without labeling them again.
    pub resumed: usize,
    /// The clauses of those documents.
    pub resumed_clauses: usize,
    /// The folder held this job's finished run already; nothing was labeled.
    pub already_finished: bool,
    /// Documents by status (`ok`, `empty`, `binary`, ...).
    pub by_status: BTreeMap<String, usize>,
    /// Documents with text, by kind of page (`privacy_policy`, `terms`, ...).
    pub by_kind: BTreeMap<String, usize>,
    /// One line per failed document: path and reason.
    pub failures: Vec<String>,
    /// One line per labeled document whose text had to be repaired.
    pub warnings: Vec<String>,
    /// Labeled documents not in English, by language (`none` when no
    /// language could be told): the model reads English only.
    pub not_english: BTreeMap<String, usize>,
    /// Wall time spent reading, segmenting and tokenizing.
    pub prepare: Duration,
    /// Wall time spent in the encoder and head.
    pub infer: Duration,
    /// Wall time spent building and writing Parquet.
    pub write: Duration,
    pub total: Duration,
}

impl Summary {
    /// Documents that yielded no clauses for a reason other than their kind.
    pub fn failed(&self) -> usize {
        let count = |s: Status| self.by_status.get(s.as_str()).copied().unwrap_or(0);
        self.documents - count(Status::Ok) - count(Status::OtherKind)
    }

    /// Count a document row: its status, its failure, its clauses.
    fn account(&mut self, doc: &DocumentRow) {
        *self.by_status.entry(doc.status.clone()).or_default() += 1;
        if let Some(kind) = &doc.kind {
            *self.by_kind.entry(kind.clone()).or_default() += 1;
        }
        if doc.status == Status::Ok.as_str() && !is_english(doc.lang.as_deref()) {
            let lang = doc.lang.clone().unwrap_or_else(|| "none".into());
            *self.not_english.entry(lang).or_default() += 1;
        }
        if let Some(e) = &doc.error {
            if doc.status == Status::Ok.as_str() || doc.status == Status::OtherKind.as_str() {
                self.warnings.push(e.clone());
            } else {
                self.failures.push(e.clone());
            }
        }
        self.clauses += doc.n_clauses as usize;
    }
}

/// Label every policy under `inputs` into the run folder `out`: chunk by
/// chunk, each committed before the next is read, then joined into
/// `documents.parquet` and `clauses.parquet`. Chunks an interrupted run of
/// the same job committed are taken over, not labeled again.
pub fn run(
    inputs: &[PathBuf],
    out: RunFolder,
    classifier: &Classifier,
    opts: &RunOptions,
) -> Result<Summary, PipelineError> {
    let started = Instant::now();
    let paths = policylens_read::discover(inputs)?;
    let job = Job::new(
        classifier.model_id(),
        classifier.labels(),
        inputs,
        &paths,
        opts.chunk_documents,
        opts.max_file_bytes,
    )
    .with_kinds(opts.kinds.iter().map(|k| k.to_string()).collect());
    let mut open = out.begin(job, opts.overwrite)?;
    let mut summary = Summary {
        documents: paths.len(),
        ..Default::default()
    };
    if open.is_finished() {
        tracing::info!(dir = %open.dir().display(), "this run has finished already");
        summary.already_finished = true;
        summary.resumed = paths.len();
        open.finished_documents()?
            .iter()
            .for_each(|d| summary.account(d));
        summary.total = started.elapsed();
        return Ok(summary);
    }
    tracing::info!(
        documents = paths.len(),
        model = classifier.model_id(),
        resumed_documents = open.committed(),
        "labeling"
    );
    let bar = progress_bar(paths.len(), opts.progress);
    let chunk_size = open.job().chunk_documents;
    let dir = open.dir().to_path_buf();
    let total = paths.len();
    let stopped = |open: &OpenRun, source| PipelineError::Stopped {
        dir: dir.clone(),
        committed: open.committed(),
        total,
        source: Box::new(source),
    };
    for first in (0..total).step_by(chunk_size) {
        let chunk = first..(first + chunk_size).min(total);
        let resumed = open
            .committed_documents(chunk.clone())
            .map_err(|e| stopped(&open, e.into()))?;
        resumed.iter().for_each(|d| summary.account(d));
        summary.resumed += resumed.len();
        summary.resumed_clauses += resumed.iter().map(|d| d.n_clauses as usize).sum::<usize>();
        bar.inc(resumed.len() as u64);
        let pending: Vec<usize> = chunk.filter(|&d| !open.is_committed(d)).collect();
        if pending.is_empty() {
            continue;
        }
        if opts.cancelled() {
            return Err(stopped(&open, PipelineError::Cancelled));
        }
        let t = Instant::now();
        let prepared: Vec<Prepared> = pending
            .par_iter()
            .map(|&d| prepare(&paths[d], classifier, opts.max_file_bytes, &opts.kinds))
            .collect();
        summary.prepare += t.elapsed();
        let mut prepared = prepared.into_iter();
        for group in commit_groups(
            &pending,
            &prepared
                .as_slice()
                .iter()
                .map(windows_of)
                .collect::<Vec<_>>(),
        ) {
            if opts.cancelled() {
                return Err(stopped(&open, PipelineError::Cancelled));
            }
            let docs: Vec<Prepared> = prepared.by_ref().take(group.len()).collect();
            let (docs, clauses) =
                label_group(docs, classifier, &mut summary).map_err(|e| stopped(&open, e))?;
            let t = Instant::now();
            open.commit(group.start, &docs, &clauses)
                .map_err(|e| stopped(&open, e.into()))?;
            summary.write += t.elapsed();
            bar.inc(docs.len() as u64);
            let secs = started.elapsed().as_secs_f64().max(1e-9);
            bar.set_message(format!(
                "{} clauses, {:.1} clauses/s",
                summary.clauses,
                summary.clauses as f64 / secs
            ));
        }
    }
    let t = Instant::now();
    let committed = open.committed();
    open.finish().map_err(|e| PipelineError::Stopped {
        dir: dir.clone(),
        committed,
        total,
        source: Box::new(e.into()),
    })?;
    summary.write += t.elapsed();
    bar.finish_and_clear();
    summary.total = started.elapsed();
    Ok(summary)
}

/// Documents scored and committed together hold at most this many clause
/// windows (a few seconds of work); a document with more is committed
/// alone. A kill loses at most the group being scored, and a long document
/// never holds back the short ones before it.
pub const GROUP_WINDOWS: usize = 1024;

fn windows_of(doc: &Prepared) -> usize {
    doc.tokens.iter().map(|t| t.n_windows()).sum()
}

/// Cut prepared documents (their indices and window counts, in order) into
/// commit groups: runs of consecutive documents, each within
/// [`GROUP_WINDOWS`] unless it is one document. The cut depends only on the
/// documents, so a resumed run groups (and batches) as a clean one did.
fn commit_groups(indices: &[usize], windows: &[usize]) -> Vec<std::ops::Range<usize>> {
    let mut groups: Vec<std::ops::Range<usize>> = Vec::new();
    let mut held = 0;
    for (&d, &w) in indices.iter().zip(windows) {
        match groups.last_mut() {
            Some(g) if g.end == d && held + w <= GROUP_WINDOWS => {
                g.end += 1;
                held += w;
            }
            _ => {
                groups.push(d..d + 1);
                held = w;
            }
        }
    }
    groups
}

/// Score prepared documents and build their rows.
fn label_group(
    prepared: Vec<Prepared>,
    classifier: &Classifier,
    summary: &mut Summary,
) -> Result<(Vec<DocumentRow>, Vec<ClauseRow>), PipelineError> {
    let t = Instant::now();
    let tokenized: Vec<_> = prepared
        .iter()
        .flat_map(|d| d.tokens.iter().cloned())
        .collect();
    let scores = {
        let _span = tracing::info_span!("infer", clauses = tokenized.len()).entered();
        let (distinct, scores) = score_once_each(&tokenized, classifier)?;
        summary.scored += distinct;
        scores
    };
    summary.infer += t.elapsed();

    let t = Instant::now();
    let mut scores = scores.into_iter();
    let mut clause_rows = Vec::with_capacity(tokenized.len());
    let mut doc_rows = Vec::with_capacity(prepared.len());
    for doc in prepared {
        for (clause, tokens) in doc.segmented.clauses.iter().zip(&doc.tokens) {
            let s = scores.next().expect("one score per clause");
            if let Some(&value) = s.0.iter().find(|v| !v.is_finite()) {
                return Err(PipelineError::NonFinite {
                    model: classifier.model_id().to_string(),
                    path: doc.document.path.clone(),
                    position: clause.position,
                    value,
                });
            }
            summary.tokens += tokens.n_tokens();
            summary.windows += tokens.n_windows();
            clause_rows.push(clause_row(&doc, clause, tokens, s, classifier));
        }
        let row = doc.into_row();
        summary.account(&row);
        doc_rows.push(row);
    }
    summary.write += t.elapsed();
    Ok((doc_rows, clause_rows))
}

/// The number of distinct clauses and scores for `clauses`, each distinct token sequence scored once (a
/// cookie notice repeated on every page, a list item copied 5,000 times).
/// Within one commit group only, so a resumed run scores exactly as a clean one.
fn score_once_each(
    clauses: &[policylens_classify::TokenizedClause],
    classifier: &Classifier,
) -> Result<(usize, Vec<policylens_core::Scores>), PipelineError> {
    let mut first: std::collections::HashMap<&[u32], usize> = Default::default();
    let mut distinct = Vec::new();
    let slot: Vec<usize> = clauses
        .iter()
        .map(|c| {
            *first.entry(c.ids.as_slice()).or_insert_with(|| {
                distinct.push(c.clone());
                distinct.len() - 1
            })
        })
        .collect();
    if distinct.len() < clauses.len() {
        tracing::debug!(
            clauses = clauses.len(),
            distinct = distinct.len(),
            "repeated clauses scored once"
        );
    }
    let scores = classifier.score(&distinct)?;
    Ok((
        distinct.len(),
        slot.into_iter().map(|i| scores[i].clone()).collect(),
    ))
}

fn clause_row(
    doc: &Prepared,
    clause: &policylens_core::Clause,
    tokens: &policylens_classify::TokenizedClause,
    scores: policylens_core::Scores,
    classifier: &Classifier,
) -> ClauseRow {
    let labels = classifier
        .thresholds()
        .predict(classifier.labels(), &scores)
        .into_iter()
        .map(String::from)
        .collect();
    ClauseRow {
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
        scores,
        labels,
    }
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
            lang: self.lang,
            kind: self.kind.map(|v| v.kind.to_string()),
            kind_score: self.kind.map(|v| v.score),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_groups_hold_a_bounded_amount_of_work_and_a_long_document_alone() {
        let g = GROUP_WINDOWS;
        let groups = commit_groups(&[0, 1, 2, 3, 4, 5], &[10, g - 20, 10, 5 * g, 1, 1]);
        assert_eq!(groups, [0..3, 3..4, 4..6]);
        let groups = commit_groups(&[0, 1, 2], &[g, 1, g]);
        assert_eq!(groups, [0..1, 1..2, 2..3]);
    }

    #[test]
    fn commit_groups_never_span_documents_committed_before() {
        // Documents 2 and 3 were committed by an interrupted run.
        assert_eq!(commit_groups(&[0, 1, 4, 5], &[1, 1, 1, 1]), [0..2, 4..6]);
    }

    #[test]
    fn a_resumed_run_groups_the_rest_as_a_clean_run_did() {
        let windows = [300, 500, 400, 900, 100, 200, 700, 50];
        let all: Vec<usize> = (0..windows.len()).collect();
        let clean = commit_groups(&all, &windows);
        for (k, g) in clean.iter().enumerate() {
            let rest: Vec<usize> = (g.start..windows.len()).collect();
            assert_eq!(commit_groups(&rest, &windows[g.start..]), clean[k..]);
        }
    }
}
