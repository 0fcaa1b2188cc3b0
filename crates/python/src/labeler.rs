//! [`Labeler`]: a model loaded once, labeling files or clause texts from
//! Python with the same pipeline (`policylens_pipeline::run`) as
//! `policylens label`.
//!
//! Every call releases the GIL while it works and runs on a worker thread,
//! so the calling thread can watch for Ctrl-C: a `KeyboardInterrupt` sets
//! the run's cancel flag, the run stops before its next commit group, and
//! the exception reaches the caller (what a `label_to` committed stays, and
//! the same call resumes from it).

use crate::errors::{input_missing, to_py};
use crate::table::Table;
use polars::prelude::{DataFrame, ParquetReader, SerReader};
use policylens_classify::{parse_device, Classifier, LoadOptions, Precision};
use policylens_pipeline::{Kind, PipelineError, RunOptions, Summary};
use policylens_store::{RunFolder, CLAUSES_FILE, DOCUMENTS_FILE};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The default model: `$POLICYLENS_MODEL`, else `models/policylens-minilm-opp115`
/// under the working directory, else the one of the checkout this module
/// was built from.
fn default_model() -> PathBuf {
    if let Some(m) = std::env::var_os("POLICYLENS_MODEL") {
        return PathBuf::from(m);
    }
    let here = PathBuf::from("models/policylens-minilm-opp115");
    if here.exists() {
        return here;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/policylens-minilm-opp115")
}

/// Encoder and thread pools take their size from these variables when they
/// start (candle's CPU pool, rayon's global pool), so a thread count given
/// to the first `Labeler` of a process is set here, before the model loads.
fn set_threads(threads: usize) {
    for var in ["RAYON_NUM_THREADS", "CANDLE_NUM_THREADS"] {
        // SAFETY: set before this module starts any thread of its own; the
        // interpreter's threads do not read these variables.
        unsafe { std::env::set_var(var, threads.to_string()) };
    }
}

/// A PolicyLens model, loaded once, that labels policies into tables.
#[pyclass(module = "policylens._native", frozen)]
pub struct Labeler {
    classifier: Arc<Classifier>,
    model_dir: PathBuf,
}

#[pymethods]
impl Labeler {
    #[new]
    #[pyo3(signature = (model=None, precision="auto", device="cpu", batch_size=32, threads=None))]
    fn new(
        py: Python<'_>,
        model: Option<PathBuf>,
        precision: &str,
        device: &str,
        batch_size: usize,
        threads: Option<usize>,
    ) -> PyResult<Self> {
        if batch_size == 0 {
            return Err(PyValueError::new_err("batch_size must be at least 1"));
        }
        let precision: Precision = precision.parse().map_err(PyValueError::new_err)?;
        let device = parse_device(device).map_err(|e| PyValueError::new_err(e.to_string()))?;
        match threads {
            Some(0) => return Err(PyValueError::new_err("threads must be at least 1")),
            Some(n) => set_threads(n),
            None => {}
        }
        let model_dir = model.unwrap_or_else(default_model);
        let opts = LoadOptions {
            device,
            batch_size,
            precision,
            ..Default::default()
        };
        let classifier = py
            .detach(|| Classifier::load(&model_dir, &opts))
            .map_err(|e| to_py(&format!("loading model {}", model_dir.display()), &e))?;
        Ok(Self {
            classifier: Arc::new(classifier),
            model_dir,
        })
    }

    /// The model id written in the `model` column (`+int8`, `+bf16` when quantized).
    #[getter]
    fn model_id(&self) -> &str {
        self.classifier.model_id()
    }

    /// The label names, in the order of the score columns.
    #[getter]
    fn labels(&self) -> Vec<String> {
        self.classifier.labels().names().to_vec()
    }

    /// The model directory this labeler loaded.
    #[getter]
    fn model_dir(&self) -> PathBuf {
        self.model_dir.clone()
    }

    /// Label `paths` into the run folder `out_dir`: the same
    /// `documents.parquet` and `clauses.parquet` as `policylens label`,
    /// resumed when the folder holds an interrupted run of the same job.
    /// Returns the run's summary as a dict.
    #[pyo3(signature = (paths, out_dir, *, kinds=None, overwrite=false, progress=false, chunk=32, max_file_bytes=policylens_pipeline::DEFAULT_MAX_FILE_BYTES))]
    #[allow(clippy::too_many_arguments)]
    fn label_to<'py>(
        &self,
        py: Python<'py>,
        paths: Vec<PathBuf>,
        out_dir: PathBuf,
        kinds: Option<Vec<String>>,
        overwrite: bool,
        progress: bool,
        chunk: usize,
        max_file_bytes: u64,
    ) -> PyResult<Bound<'py, PyDict>> {
        check_inputs(&paths)?;
        if chunk == 0 {
            return Err(PyValueError::new_err("chunk must be at least 1"));
        }
        let mut opts = RunOptions {
            chunk_documents: chunk,
            progress,
            overwrite,
            max_file_bytes,
            kinds: parse_kinds(kinds)?,
            ..Default::default()
        };
        let summary = self.run(py, &paths, &out_dir, &mut opts)?;
        summary_dict(py, &summary)
    }

    /// Label `paths` and return `(documents, clauses)` tables; the run
    /// folder is temporary.
    #[pyo3(signature = (paths, *, kinds=None, max_file_bytes=policylens_pipeline::DEFAULT_MAX_FILE_BYTES))]
    fn label_files(
        &self,
        py: Python<'_>,
        paths: Vec<PathBuf>,
        kinds: Option<Vec<String>>,
        max_file_bytes: u64,
    ) -> PyResult<(Table, Table)> {
        check_inputs(&paths)?;
        let mut opts = RunOptions {
            progress: false,
            max_file_bytes,
            kinds: parse_kinds(kinds)?,
            ..Default::default()
        };
        self.run_to_tables(py, &paths, &mut opts)
    }

    /// Label clause texts as `policylens label` labels a clause table: each
    /// text is one clause (not segmented further), with its heading path if
    /// given. Returns `(documents, clauses)`; the one document row is the
    /// table, `texts.jsonl`.
    #[pyo3(signature = (texts, headings=None))]
    fn label_texts(
        &self,
        py: Python<'_>,
        texts: Vec<String>,
        headings: Option<Vec<Option<String>>>,
    ) -> PyResult<(Table, Table)> {
        if let Some(h) = &headings {
            if h.len() != texts.len() {
                return Err(PyValueError::new_err(format!(
                    "{} headings for {} texts: give one heading (or None) per text",
                    h.len(),
                    texts.len()
                )));
            }
        }
        let dir = temp_dir()?;
        let table = dir.path().join("texts.jsonl");
        write_clause_table(&table, &texts, headings.as_deref())?;
        let mut opts = RunOptions {
            progress: false,
            ..Default::default()
        };
        self.run_to_tables(py, &[table], &mut opts)
    }
}

impl Labeler {
    /// Run the pipeline off the GIL on a worker thread, stopping it when
    /// the interpreter has a signal (Ctrl-C) to deliver.
    fn run(
        &self,
        py: Python<'_>,
        paths: &[PathBuf],
        out_dir: &Path,
        opts: &mut RunOptions,
    ) -> PyResult<Summary> {
        let folder = RunFolder::claim(out_dir)
            .map_err(|e| to_py("opening the output folder", &PipelineError::from(e)))?;
        let cancel = Arc::new(AtomicBool::new(false));
        opts.cancel = Some(cancel.clone());
        let classifier = self.classifier.clone();
        let opts = opts.clone();
        let paths = paths.to_vec();
        let work = move || policylens_pipeline::run(&paths, folder, &classifier, &opts);
        interruptible(py, &cancel, work)?.map_err(|e| to_py("labeling", &e))
    }

    fn run_to_tables(
        &self,
        py: Python<'_>,
        paths: &[PathBuf],
        opts: &mut RunOptions,
    ) -> PyResult<(Table, Table)> {
        let dir = temp_dir()?;
        let out = dir.path().join("run");
        self.run(py, paths, &out, opts)?;
        let documents = read_parquet(&out.join(DOCUMENTS_FILE))?;
        let clauses = read_parquet(&out.join(CLAUSES_FILE))?;
        Ok((Table::new(documents), Table::new(clauses)))
    }
}

/// Run `work` on its own thread with the GIL released; every 50 ms take
/// the GIL back to let Python deliver signals. A `KeyboardInterrupt` (or
/// any exception a signal handler raises) sets `cancel`, waits for the
/// work to stop at its next check, and is returned.
pub fn interruptible<T: Send>(
    py: Python<'_>,
    cancel: &AtomicBool,
    work: impl FnOnce() -> T + Send,
) -> PyResult<T> {
    std::thread::scope(|scope| {
        let handle = scope.spawn(work);
        loop {
            let done = py.detach(|| wait_until(|| handle.is_finished(), Duration::from_millis(50)));
            if done {
                return Ok(join(handle));
            }
            if let Err(signal) = py.check_signals() {
                cancel.store(true, Ordering::Relaxed);
                py.detach(|| {
                    while !handle.is_finished() {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                });
                return Err(signal);
            }
        }
    })
}

fn wait_until(finished: impl Fn() -> bool, at_most: Duration) -> bool {
    let until = std::time::Instant::now() + at_most;
    while !finished() {
        if std::time::Instant::now() >= until {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    true
}

fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

fn check_inputs(paths: &[PathBuf]) -> PyResult<()> {
    match paths.iter().find(|p| !p.exists()) {
        Some(p) => Err(input_missing(p)),
        None if paths.is_empty() => Err(PyValueError::new_err("no input paths given")),
        None => Ok(()),
    }
}

fn parse_kinds(kinds: Option<Vec<String>>) -> PyResult<Vec<Kind>> {
    let mut kinds = kinds
        .unwrap_or_default()
        .iter()
        .map(|k| {
            k.parse::<Kind>()
                .map_err(|e| PyValueError::new_err(e.to_string()))
        })
        .collect::<PyResult<Vec<_>>>()?;
    kinds.sort();
    kinds.dedup();
    Ok(kinds)
}

fn temp_dir() -> PyResult<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("policylens-")
        .tempdir()
        .map_err(|e| pyo3::exceptions::PyOSError::new_err(format!("a temporary folder: {e}")))
}

/// Texts (and headings) as a `.jsonl` clause table, ids `0`, `1`, … so the
/// clause ids say which text each row is.
fn write_clause_table(
    path: &Path,
    texts: &[String],
    headings: Option<&[Option<String>]>,
) -> PyResult<()> {
    let mut out = String::new();
    for (i, text) in texts.iter().enumerate() {
        let heading = headings.and_then(|h| h[i].as_deref());
        let row = serde_json::json!({"id": i.to_string(), "text": text, "heading": heading});
        out.push_str(&row.to_string());
        out.push('\n');
    }
    std::fs::write(path, out)
        .map_err(|e| pyo3::exceptions::PyOSError::new_err(format!("{}: {e}", path.display())))
}

pub fn read_parquet(path: &Path) -> PyResult<DataFrame> {
    let err = |e: String| pyo3::exceptions::PyOSError::new_err(format!("{}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(|e| err(e.to_string()))?;
    ParquetReader::new(file)
        .finish()
        .map_err(|e| err(e.to_string()))
}

fn summary_dict<'py>(py: Python<'py>, s: &Summary) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("documents", s.documents)?;
    d.set_item("clauses", s.clauses)?;
    d.set_item("resumed", s.resumed)?;
    d.set_item("already_finished", s.already_finished)?;
    d.set_item("failed", s.failed())?;
    d.set_item("by_status", s.by_status.clone())?;
    d.set_item("by_kind", s.by_kind.clone())?;
    d.set_item("failures", s.failures.clone())?;
    d.set_item("warnings", s.warnings.clone())?;
    d.set_item("tokens", s.tokens)?;
    d.set_item("seconds", s.total.as_secs_f64())?;
    Ok(d)
}
