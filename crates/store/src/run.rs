//! A run folder: where a labeling run commits its work, so that a run
//! stopped at any moment resumes where it stopped, a second run cannot write
//! into the same folder, and a reader never sees a mix of two runs.
//!
//! While a run is going, its output folder holds:
//!
//! ```text
//! _run.json                                   the job (model, labels, input
//!                                             fingerprint, chunking) and its
//!                                             state: running | finished
//! _parts/000000064-000000071.clauses.parquet   documents 64 to 70 (the end is
//! _parts/000000064-000000071.documents.parquet exclusive); the documents part
//!                                             is written last: it is the commit
//! ```
//!
//! A part holds any run of consecutive documents: the pipeline commits a
//! document that takes long on its own and groups short ones, so that a
//! kill loses little. Each part is written under a temporary name, synced
//! and renamed, so a part that exists is whole. When every document is
//! committed, [`OpenRun::finish`] joins the parts, in document order, into
//! `documents.parquet` and
//! `clauses.parquet` (each written as `NAME.partial`, synced, renamed),
//! records the run as finished and removes `_parts/`. An advisory lock on
//! the folder itself, which the operating system releases when the process
//! dies, keeps a second run out while one is writing.

use crate::read::{document_rows, read_frame};
use crate::schema::{clauses_schema, documents_schema, CLAUSES_FILE, DOCUMENTS_FILE};
use crate::write::{clauses_frame, documents_frame, ClauseRow, DocumentRow, Recorded, TableWriter};
use crate::{Result, StoreError};
use polars::prelude::*;
use policylens_core::{path_bytes, LabelSet};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::{self, File, TryLockError};
use std::path::{Path, PathBuf};

/// The manifest of a run folder.
pub const RUN_FILE: &str = "_run.json";
/// Committed chunks of an unfinished run.
const PARTS_DIR: &str = "_parts";
/// 2: parts named by document range (1 named them by chunk number).
const MANIFEST_VERSION: u32 = 2;

/// What a run computes: two runs of the same job give the same tables, so a
/// rerun of it may take over what an interrupted one committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// The model id (it names the weights, thresholds and precision).
    pub model: String,
    /// Score columns, in order.
    pub labels: Vec<String>,
    /// The inputs as the user named them (for people; not compared).
    pub inputs: Vec<String>,
    /// Number of input files found.
    pub files: usize,
    /// sha256 over every input file's path bytes, size and modification time.
    pub fingerprint: String,
    /// Documents per committed chunk. A resumed run keeps the chunking it
    /// started with, whatever `--chunk` says, so its batches are the same.
    pub chunk_documents: usize,
    /// The per-file size limit (a larger file is `too_large`).
    pub max_file_bytes: u64,
    /// The document kinds whose clauses are labeled (`--kind`); empty for
    /// every kind.
    #[serde(default)]
    pub kinds: Vec<String>,
}

impl Job {
    pub fn new(
        model: &str,
        labels: &LabelSet,
        inputs: &[PathBuf],
        files: &[PathBuf],
        chunk_documents: usize,
        max_file_bytes: u64,
    ) -> Self {
        Self {
            model: model.to_string(),
            labels: labels.names().to_vec(),
            inputs: inputs.iter().map(|p| p.display().to_string()).collect(),
            files: files.len(),
            fingerprint: fingerprint(files),
            chunk_documents: chunk_documents.max(1),
            max_file_bytes,
            kinds: Vec::new(),
        }
    }

    /// This job labeling only documents of `kinds` (`--kind`).
    pub fn with_kinds(mut self, kinds: Vec<String>) -> Self {
        self.kinds = kinds;
        self
    }

    /// What differs from `other` in what is computed ("model", "inputs", ...);
    /// empty when a run of `other` can be resumed as this one.
    fn differences(&self, other: &Job) -> Vec<&'static str> {
        let mut d = Vec::new();
        if self.model != other.model {
            d.push("model or precision");
        }
        if self.labels != other.labels {
            d.push("labels");
        }
        if self.files != other.files || self.fingerprint != other.fingerprint {
            d.push("input files (names, sizes or modification times)");
        }
        if self.max_file_bytes != other.max_file_bytes {
            d.push("--max-file-bytes");
        }
        if self.kinds != other.kinds {
            d.push("--kind");
        }
        d
    }
}

/// Paths, sizes and modification times, so that an edited file makes a new job.
fn fingerprint(files: &[PathBuf]) -> String {
    let mut h = Sha256::new();
    for f in files {
        h.update(path_bytes(f));
        h.update([0u8]);
        if let Ok(meta) = fs::metadata(f) {
            h.update(meta.len().to_le_bytes());
            if let Ok(since) = meta
                .modified()
                .map(|t| t.duration_since(std::time::UNIX_EPOCH))
            {
                h.update(since.unwrap_or_default().as_nanos().to_le_bytes());
            }
        }
    }
    hex::encode(h.finalize())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum State {
    Running,
    Finished,
}

/// `_run.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    policylens_run: u32,
    state: State,
    /// The process that last wrote the manifest.
    pid: u32,
    job: Job,
    /// Row counts of the finished tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    documents: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    clauses: Option<usize>,
}

/// An output folder held by this process for one run.
#[derive(Debug)]
pub struct RunFolder {
    dir: PathBuf,
    /// The folder itself, opened and locked; closing it releases the lock.
    _lock: File,
}

impl RunFolder {
    /// Take `dir` for a run: create it if needed and lock it. Fails at once
    /// when `dir` is a file or another run holds it.
    pub fn claim(dir: &Path) -> Result<Self> {
        let io = |source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        };
        if dir.exists() && !dir.is_dir() {
            return Err(StoreError::NotAFolder(dir.to_path_buf()));
        }
        fs::create_dir_all(dir).map_err(io)?;
        let lock = File::open(dir).map_err(io)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(StoreError::InUse(dir.to_path_buf()));
            }
            Err(TryLockError::Error(source)) => return Err(io(source)),
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            _lock: lock,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Start `job` here, resume an interrupted run of it, or find it
    /// finished. A folder that holds another job's run, finished or not, is
    /// refused unless `replace`, which removes that run's files (and only
    /// those) first.
    pub fn begin(self, job: Job, replace: bool) -> Result<OpenRun> {
        let held = read_manifest(&self.dir)?;
        if let Some(m) = &held {
            let mut differs = m.job.differences(&job);
            if m.state == State::Running && m.policylens_run != MANIFEST_VERSION {
                differs.push("the run format (an earlier PolicyLens started it)");
            }
            if differs.is_empty() {
                return self.reopen(m);
            }
            if !replace {
                return Err(StoreError::OtherJob {
                    dir: self.dir.clone(),
                    differs: differs.join(", "),
                });
            }
        } else if self.holds_tables() && !replace {
            return Err(StoreError::OtherJob {
                dir: self.dir.clone(),
                differs: "an earlier run that recorded no job".into(),
            });
        }
        self.clear()?;
        fs::create_dir_all(self.parts()).map_err(|source| StoreError::Io {
            path: self.parts(),
            source,
        })?;
        let manifest = Manifest {
            policylens_run: MANIFEST_VERSION,
            state: State::Running,
            pid: std::process::id(),
            job,
            documents: None,
            clauses: None,
        };
        write_manifest(&self.dir, &manifest)?;
        Ok(OpenRun {
            folder: self,
            manifest,
            committed: BTreeMap::new(),
        })
    }

    /// Pick up a run of the same job: drop what was never committed and
    /// list what was.
    fn reopen(self, held: &Manifest) -> Result<OpenRun> {
        let mut manifest = held.clone();
        if manifest.state == State::Finished && self.dir.join(DOCUMENTS_FILE).is_file() {
            // A run killed after recording itself finished but before
            // removing its parts: the tables are whole, the parts are spare.
            if self.remove_parts()? {
                sync_dir(&self.dir)?;
            }
            return Ok(OpenRun {
                folder: self,
                manifest,
                committed: BTreeMap::new(),
            });
        }
        manifest.state = State::Running;
        manifest.pid = std::process::id();
        remove_partials(&self.dir)?;
        let parts = self.parts();
        fs::create_dir_all(&parts).map_err(|source| StoreError::Io {
            path: parts.clone(),
            source,
        })?;
        let committed = committed_parts(&parts)?;
        write_manifest(&self.dir, &manifest)?;
        Ok(OpenRun {
            folder: self,
            manifest,
            committed,
        })
    }

    fn parts(&self) -> PathBuf {
        self.dir.join(PARTS_DIR)
    }

    fn holds_tables(&self) -> bool {
        [DOCUMENTS_FILE, CLAUSES_FILE, PARTS_DIR]
            .iter()
            .any(|f| self.dir.join(f).exists())
    }

    /// Remove every file a run writes here, and nothing else.
    fn clear(&self) -> Result<()> {
        remove_partials(&self.dir)?;
        for name in [DOCUMENTS_FILE, CLAUSES_FILE, RUN_FILE] {
            remove_if_present(&self.dir.join(name))?;
        }
        self.remove_parts()?;
        Ok(())
    }

    /// Remove `_parts/` if it is here; whether it was.
    fn remove_parts(&self) -> Result<bool> {
        let parts = self.parts();
        if !parts.exists() {
            return Ok(false);
        }
        fs::remove_dir_all(&parts).map_err(|source| StoreError::Io {
            path: parts,
            source,
        })?;
        Ok(true)
    }
}

/// A run begun in a held folder.
#[derive(Debug)]
pub struct OpenRun {
    folder: RunFolder,
    manifest: Manifest,
    /// Committed parts: first document → end (exclusive).
    committed: BTreeMap<usize, usize>,
}

impl OpenRun {
    /// The job, with the chunking the run started with.
    pub fn job(&self) -> &Job {
        &self.manifest.job
    }

    pub fn dir(&self) -> &Path {
        self.folder.dir()
    }

    /// Whether the folder already holds this job's finished tables.
    pub fn is_finished(&self) -> bool {
        self.manifest.state == State::Finished
    }

    /// Whether document `index` (in the job's file order) is committed.
    pub fn is_committed(&self, index: usize) -> bool {
        self.committed
            .range(..=index)
            .next_back()
            .is_some_and(|(_, &end)| index < end)
    }

    /// Documents committed so far.
    pub fn committed(&self) -> usize {
        self.committed.iter().map(|(first, end)| end - first).sum()
    }

    /// Write the rows of documents `first..first + documents.len()`
    /// durably. Until this returns, nothing of them counts; on error
    /// nothing of them is left behind.
    pub fn commit(
        &mut self,
        first: usize,
        documents: &[DocumentRow],
        clauses: &[ClauseRow],
    ) -> Result<()> {
        let labels = self.labels()?;
        let end = first + documents.len();
        let (docs_part, clauses_part) = part_paths(&self.folder.parts(), first, end);
        let mut df = clauses_frame(clauses, &labels, &self.manifest.job.model)
            .map_err(polars_at(&clauses_part))?;
        write_part(&clauses_part, &mut df)?;
        let mut df = documents_frame(documents).map_err(polars_at(&docs_part))?;
        write_part(&docs_part, &mut df)?;
        sync_dir(&self.folder.parts())?;
        self.committed.insert(first, end);
        Ok(())
    }

    /// The document rows of the parts that begin in `range` (to account
    /// for resumed work), in document order.
    pub fn committed_documents(&self, range: std::ops::Range<usize>) -> Result<Vec<DocumentRow>> {
        let mut rows = Vec::new();
        for (&first, &end) in self.committed.range(range) {
            let (docs_part, _) = part_paths(&self.folder.parts(), first, end);
            rows.extend(document_rows(&read_frame(&docs_part)?, &docs_part)?);
        }
        Ok(rows)
    }

    /// The document rows of the finished tables.
    pub fn finished_documents(&self) -> Result<Vec<DocumentRow>> {
        let path = self.dir().join(DOCUMENTS_FILE);
        document_rows(&read_frame(&path)?, &path)
    }

    /// Join the committed parts into the final tables and mark the run
    /// finished. Returns the (documents, clauses) row counts.
    pub fn finish(mut self) -> Result<(usize, usize)> {
        if self.is_finished() {
            let m = &self.manifest;
            return Ok((m.documents.unwrap_or(0), m.clauses.unwrap_or(0)));
        }
        let files = self.manifest.job.files;
        if let Some(missing) = (0..files).find(|&d| !self.is_committed(d)) {
            return Err(StoreError::Malformed {
                path: self.folder.parts(),
                message: format!("document {missing} of {files} was never committed"),
            });
        }
        let dir = self.dir().to_path_buf();
        let labels = self.labels()?;
        let mut documents = TableWriter::create(&dir.join(DOCUMENTS_FILE), &documents_schema())?;
        let mut clauses = TableWriter::create(&dir.join(CLAUSES_FILE), &clauses_schema(&labels))?;
        for (&first, &end) in &self.committed {
            let (docs_part, clauses_part) = part_paths(&self.folder.parts(), first, end);
            clauses.write(&read_frame(&clauses_part)?)?;
            documents.write(&read_frame(&docs_part)?)?;
        }
        let counts = (documents.finish()?, clauses.finish()?);
        self.manifest.state = State::Finished;
        self.manifest.documents = Some(counts.0);
        self.manifest.clauses = Some(counts.1);
        write_manifest(&dir, &self.manifest)?;
        self.folder.remove_parts()?;
        sync_dir(&dir)?;
        Ok(counts)
    }

    fn labels(&self) -> Result<LabelSet> {
        LabelSet::new(self.manifest.job.labels.iter().cloned()).map_err(|e| StoreError::Malformed {
            path: self.dir().join(RUN_FILE),
            message: format!("labels: {e}"),
        })
    }
}

/// Refuse to read `dir` as a finished run when a run there has not finished.
pub(crate) fn ensure_finished(dir: &Path) -> Result<()> {
    match read_manifest(dir)? {
        Some(m) if m.state == State::Running => {
            let parts = dir.join(PARTS_DIR);
            let done = list_parts(&parts)
                .map(|(committed, _)| committed.iter().map(|(f, e)| e - f).sum())
                .unwrap_or(0);
            Err(StoreError::Unfinished {
                dir: dir.to_path_buf(),
                committed: done,
                documents: m.job.files,
            })
        }
        _ => Ok(()),
    }
}

fn part_paths(parts: &Path, first: usize, end: usize) -> (PathBuf, PathBuf) {
    (
        parts.join(format!("{first:09}-{end:09}.{DOCUMENTS_FILE}")),
        parts.join(format!("{first:09}-{end:09}.{CLAUSES_FILE}")),
    )
}

/// The document range a part's file name gives (`000000064-000000071.…`).
fn part_range(name: &str) -> Option<(usize, usize)> {
    let (first, end) = name.split('.').next()?.split_once('-')?;
    let (first, end) = (first.parse().ok()?, end.parse().ok()?);
    (first < end).then_some((first, end))
}

/// The committed parts in `parts` (their documents part exists) and every
/// file name there.
fn list_parts(parts: &Path) -> Result<(BTreeMap<usize, usize>, Vec<String>)> {
    let io = |source| StoreError::Io {
        path: parts.to_path_buf(),
        source,
    };
    let docs_suffix = format!(".{DOCUMENTS_FILE}");
    let mut names = Vec::new();
    for entry in fs::read_dir(parts).map_err(io)? {
        names.push(
            entry
                .map_err(io)?
                .file_name()
                .to_string_lossy()
                .into_owned(),
        );
    }
    let committed = names
        .iter()
        .filter(|name| name.ends_with(&docs_suffix))
        .filter_map(|name| part_range(name))
        .collect();
    Ok((committed, names))
}

/// The committed parts; every other file in `parts` is a leftover of an
/// interrupted commit and is removed.
fn committed_parts(parts: &Path) -> Result<BTreeMap<usize, usize>> {
    let (committed, names) = list_parts(parts)?;
    for name in &names {
        let kept = part_range(name).is_some_and(|(first, end)| committed.get(&first) == Some(&end))
            && !name.ends_with(".tmp");
        if !kept {
            remove_if_present(&parts.join(name))?;
        }
    }
    Ok(committed)
}

/// Write a whole part: temporary name, sync, rename. Removes the temporary
/// file when anything fails (a full disk keeps only what was committed).
fn write_part(path: &Path, df: &mut DataFrame) -> Result<()> {
    let tmp = path.with_extension("parquet.tmp");
    let written = (|| {
        let file = File::create(&tmp).map_err(|source| StoreError::Io {
            path: tmp.clone(),
            source,
        })?;
        let (mut file, first_error) = Recorded::new(file);
        ParquetWriter::new(&mut file)
            .with_compression(ParquetCompression::Zstd(None))
            .finish(df)
            .map_err(|source| first_error.explain(&tmp, source))?;
        file.sync_all().map_err(|source| StoreError::Io {
            path: tmp.clone(),
            source,
        })?;
        fs::rename(&tmp, path).map_err(|source| StoreError::Io {
            path: path.to_path_buf(),
            source,
        })
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

fn read_manifest(dir: &Path) -> Result<Option<Manifest>> {
    let path = dir.join(RUN_FILE);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(StoreError::Io { path, source }),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| StoreError::Malformed {
            path,
            message: format!("not a run manifest: {e}"),
        })
}

/// Replace `_run.json` atomically.
fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<()> {
    let path = dir.join(RUN_FILE);
    let tmp = dir.join(format!("{RUN_FILE}.tmp"));
    let json = serde_json::to_string_pretty(manifest).expect("a manifest serializes");
    let io = |source| StoreError::Io {
        path: path.clone(),
        source,
    };
    let write = || -> std::io::Result<()> {
        let mut file = File::create(&tmp)?;
        std::io::Write::write_all(&mut file, json.as_bytes())?;
        file.sync_all()?;
        fs::rename(&tmp, &path)
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io(e)
    })?;
    sync_dir(dir)
}

/// Temporary files of the final tables and manifest that a killed run left.
fn remove_partials(dir: &Path) -> Result<()> {
    for name in [DOCUMENTS_FILE, CLAUSES_FILE] {
        remove_if_present(&dir.join(format!("{name}.partial")))?;
    }
    remove_if_present(&dir.join(format!("{RUN_FILE}.tmp")))
}

fn remove_if_present(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(StoreError::Io {
            path: path.to_path_buf(),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// Make renames in `dir` durable.
fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn polars_at(path: &Path) -> impl Fn(PolarsError) -> StoreError + '_ {
    move |source| StoreError::Polars {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use policylens_core::Scores;

    fn labels() -> LabelSet {
        LabelSet::new(["collection", "sharing"]).unwrap()
    }

    fn job(files: &[PathBuf]) -> Job {
        Job::new(
            "tiny@abc",
            &labels(),
            &[PathBuf::from("in")],
            files,
            2,
            1 << 20,
        )
    }

    /// Chunk `c`'s rows: one document with one clause.
    fn rows(c: usize) -> (Vec<DocumentRow>, Vec<ClauseRow>) {
        let id = format!("d{c}");
        let doc = DocumentRow {
            doc_id: id.clone(),
            path: format!("{id}.md"),
            format: Some("markdown".into()),
            lang: None,
            kind: None,
            kind_score: None,
            title: None,
            bytes: 5,
            sha256: None,
            n_clauses: 1,
            status: "ok".into(),
            error: None,
            text: Some("We collect.".into()),
        };
        let clause = ClauseRow {
            doc_id: id.clone(),
            clause_id: format!("{id}-0"),
            position: 0,
            heading: None,
            text: "We collect.".into(),
            char_start: 0,
            char_end: 11,
            n_tokens: 4,
            n_windows: 1,
            scores: Scores(vec![0.9, c as f32 / 10.0]),
            labels: vec!["collection".into()],
        };
        (vec![doc], vec![clause])
    }

    /// Parts of any length: document 0, documents 1 and 2, document 3.
    const PARTS: [(usize, usize); 3] = [(0, 1), (1, 3), (3, 4)];

    fn rows_of(documents: std::ops::Range<usize>) -> (Vec<DocumentRow>, Vec<ClauseRow>) {
        let (mut d, mut k) = (Vec::new(), Vec::new());
        for c in documents {
            let (dc, kc) = rows(c);
            d.extend(dc);
            k.extend(kc);
        }
        (d, k)
    }

    fn files(dir: &Path, n: usize) -> Vec<PathBuf> {
        (0..n)
            .map(|i| {
                let p = dir.join(format!("p{i}.md"));
                fs::write(&p, "We collect.").unwrap();
                p
            })
            .collect()
    }

    fn finished_bytes(dir: &Path) -> (Vec<u8>, Vec<u8>) {
        (
            fs::read(dir.join(DOCUMENTS_FILE)).unwrap(),
            fs::read(dir.join(CLAUSES_FILE)).unwrap(),
        )
    }

    #[test]
    fn an_interrupted_run_resumes_and_ends_with_the_tables_of_a_clean_one() {
        let tmp = tempfile::tempdir().unwrap();
        let inputs = files(tmp.path(), 4);
        let clean = tmp.path().join("clean");
        let mut run = RunFolder::claim(&clean)
            .unwrap()
            .begin(job(&inputs), false)
            .unwrap();
        for (first, end) in PARTS {
            let (d, k) = rows_of(first..end);
            run.commit(first, &d, &k).unwrap();
        }
        assert_eq!(run.finish().unwrap(), (4, 4));

        // Killed after chunk 0, in the middle of writing chunk 1 and the
        // final tables. An open run cleans nothing up when dropped, so
        // dropping it is a kill: the files stay, the lock goes.
        let out = tmp.path().join("out");
        let mut run = RunFolder::claim(&out)
            .unwrap()
            .begin(job(&inputs), false)
            .unwrap();
        let (d, k) = rows(0);
        run.commit(0, &d, &k).unwrap();
        drop(run);
        fs::write(
            out.join("_parts/000000001-000000003.clauses.parquet"),
            "half",
        )
        .unwrap();
        fs::write(
            out.join("_parts/000000001-000000003.documents.parquet.tmp"),
            "half",
        )
        .unwrap();
        fs::write(out.join("clauses.parquet.partial"), "half").unwrap();
        assert!(
            crate::LabeledRun::open(&out)
                .unwrap_err()
                .to_string()
                .contains("1 of 4 documents committed"),
            "a reader is told the run is unfinished"
        );

        let mut run = RunFolder::claim(&out)
            .unwrap()
            .begin(job(&inputs), false)
            .unwrap();
        assert!(run.is_committed(0) && !run.is_committed(1) && run.committed() == 1);
        assert_eq!(run.committed_documents(0..2).unwrap(), rows(0).0);
        let (d, k) = rows_of(1..3);
        run.commit(1, &d, &k).unwrap();
        assert!(run.is_committed(2) && !run.is_committed(3) && run.committed() == 3);
        let (d, k) = rows_of(3..4);
        run.commit(3, &d, &k).unwrap();
        run.finish().unwrap();
        assert_eq!(finished_bytes(&out), finished_bytes(&clean));
        let mut left: Vec<_> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, [RUN_FILE, CLAUSES_FILE, DOCUMENTS_FILE]);

        // The same job again finds it finished; its tables stay as they are.
        // A kill between recording the run finished and removing its parts
        // left them behind: reopening removes them.
        fs::create_dir_all(out.join(PARTS_DIR)).unwrap();
        fs::write(
            out.join(PARTS_DIR)
                .join("000000000-000000001.documents.parquet"),
            b"x",
        )
        .unwrap();
        let again = RunFolder::claim(&out)
            .unwrap()
            .begin(job(&inputs), false)
            .unwrap();
        assert!(again.is_finished());
        assert_eq!(again.finished_documents().unwrap().len(), 4);
        assert!(!out.join(PARTS_DIR).exists(), "spare parts were left");
        assert_eq!(finished_bytes(&out), finished_bytes(&clean));
    }

    #[test]
    fn a_second_run_into_a_held_folder_is_refused_at_once() {
        let tmp = tempfile::tempdir().unwrap();
        let first = RunFolder::claim(tmp.path()).unwrap();
        let err = RunFolder::claim(tmp.path()).unwrap_err();
        assert!(matches!(err, StoreError::InUse(_)), "{err}");
        assert!(err.to_string().contains("another policylens run"), "{err}");
        drop(first);
        RunFolder::claim(tmp.path()).expect("free once the first lets go");
    }

    #[test]
    fn another_job_is_refused_unless_replaced_and_replacing_removes_only_run_files() {
        let tmp = tempfile::tempdir().unwrap();
        let inputs = files(tmp.path(), 2);
        let out = tmp.path().join("out");
        let run = RunFolder::claim(&out)
            .unwrap()
            .begin(job(&inputs), false)
            .unwrap();
        drop(run); // unfinished
        fs::write(out.join("notes.txt"), "mine").unwrap();

        let mut other = job(&inputs);
        other.model = "tiny@def".into();
        let err = RunFolder::claim(&out)
            .unwrap()
            .begin(other.clone(), false)
            .unwrap_err();
        assert!(err.to_string().contains("model or precision"), "{err}");
        assert!(err.to_string().contains("--overwrite"), "{err}");

        // An edited input makes another job too.
        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::write(&inputs[1], "We collect and share.").unwrap();
        let edited = job(&inputs);
        let err = RunFolder::claim(&out)
            .unwrap()
            .begin(edited, false)
            .unwrap_err();
        assert!(err.to_string().contains("input files"), "{err}");

        let run = RunFolder::claim(&out).unwrap().begin(other, true).unwrap();
        assert_eq!(run.committed(), 0);
        assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
    }

    #[test]
    fn tables_that_recorded_no_job_are_not_replaced_silently() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join(DOCUMENTS_FILE), "old").unwrap();
        let err = RunFolder::claim(tmp.path())
            .unwrap()
            .begin(job(&[]), false)
            .unwrap_err();
        assert!(err.to_string().contains("recorded no job"), "{err}");
        let run = RunFolder::claim(tmp.path())
            .unwrap()
            .begin(job(&[]), true)
            .unwrap();
        assert_eq!(run.finish().unwrap(), (0, 0));
        assert!(crate::LabeledRun::open(tmp.path())
            .unwrap()
            .documents
            .is_empty());
    }

    #[test]
    fn a_file_named_as_the_output_folder_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("out");
        fs::write(&file, "x").unwrap();
        let err = RunFolder::claim(&file).unwrap_err();
        assert!(err.to_string().contains("not a folder"), "{err}");
    }
}
