//! Streaming Parquet writers. Rows arrive in chunks and are written as row
//! groups, so memory does not grow with the corpus; files are written as
//! `NAME.partial` and renamed only when complete.

use crate::schema::{clauses_schema, documents_schema, CLAUSES_FILE, DOCUMENTS_FILE};
use crate::{Result, StoreError};
use polars::io::parquet::write::BatchedWriter;
use polars::prelude::*;
use policylens_core::{LabelSet, Scores};
use std::fs::File;
use std::path::{Path, PathBuf};

/// One `documents.parquet` row.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentRow {
    pub doc_id: String,
    pub path: String,
    pub format: Option<String>,
    /// ISO 639-3 code of the text's language (`eng`, `fra`, ...); `None`
    /// when the file yielded no text or no language could be told.
    pub lang: Option<String>,
    /// What kind of page it is (`privacy_policy`, `cookie_policy`,
    /// `terms`, `other`; policylens-kind), and the probability the kind
    /// model gives that kind. `None` when the file yielded no text.
    pub kind: Option<String>,
    pub kind_score: Option<f32>,
    pub title: Option<String>,
    pub bytes: u64,
    /// sha256 of the file's bytes: equal for copies of one file under
    /// other names (`doc_id` differs). `None` when they could not be read.
    pub sha256: Option<String>,
    pub n_clauses: u32,
    pub status: String,
    pub error: Option<String>,
    /// The extracted text that clause offsets index into.
    pub text: Option<String>,
}

/// One `clauses.parquet` row.
#[derive(Debug, Clone, PartialEq)]
pub struct ClauseRow {
    pub doc_id: String,
    pub clause_id: String,
    pub position: u32,
    pub heading: Option<String>,
    pub text: String,
    pub char_start: u32,
    pub char_end: u32,
    pub n_tokens: u32,
    pub n_windows: u32,
    pub scores: Scores,
    pub labels: Vec<String>,
}

/// Rows are gathered into row groups of about this many bytes (in memory)
/// before they are written, so that a table joined from many small commits
/// is laid out (and compresses) as if written in a few large batches.
const ROW_GROUP_BYTES: usize = 64 << 20;
/// ... or of this many rows, whichever comes first.
const ROW_GROUP_ROWS: usize = 1 << 17;

/// A file that remembers the operating system's first write error: polars
/// reports a failed write as a damaged file ("Invalid thrift: transport
/// error"), and the user needs to read "No space left on device".
pub(crate) struct Recorded {
    file: File,
    first: FirstError,
}

/// Where a [`Recorded`] file keeps its first error.
#[derive(Clone, Default)]
pub(crate) struct FirstError(std::sync::Arc<std::sync::Mutex<Option<std::io::Error>>>);

impl FirstError {
    /// `source` as met writing `path`: the OS error underneath when there
    /// was one, else polars' own.
    pub(crate) fn explain(&self, path: &Path, source: PolarsError) -> StoreError {
        match self.0.lock().ok().and_then(|mut e| e.take()) {
            Some(io) => StoreError::Io {
                path: path.to_path_buf(),
                source: io,
            },
            None => StoreError::Polars {
                path: path.to_path_buf(),
                source,
            },
        }
    }
}

impl Recorded {
    pub(crate) fn new(file: File) -> (Self, FirstError) {
        let first = FirstError::default();
        let file = Self {
            file,
            first: first.clone(),
        };
        (file, first)
    }

    fn record<T>(&self, r: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &r {
            if let Ok(mut slot) = self.first.0.lock() {
                slot.get_or_insert_with(|| std::io::Error::new(e.kind(), e.to_string()));
            }
        }
        r
    }

    pub(crate) fn sync_all(&self) -> std::io::Result<()> {
        self.file.sync_all()
    }
}

impl std::io::Write for Recorded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let r = self.file.write(buf);
        self.record(r)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let r = self.file.flush();
        self.record(r)
    }
}

/// One Parquet file written batch by batch under a temporary name.
pub struct TableWriter {
    path: PathBuf,
    partial: PathBuf,
    writer: BatchedWriter<Recorded>,
    first_error: FirstError,
    /// Rows not yet written: the next row group.
    pending: Option<DataFrame>,
    rows: usize,
}

impl TableWriter {
    pub fn create(path: &Path, schema: &Schema) -> Result<Self> {
        let partial = path.with_extension("parquet.partial");
        let file = File::create(&partial).map_err(|source| StoreError::Io {
            path: partial.clone(),
            source,
        })?;
        let (file, first_error) = Recorded::new(file);
        let writer = ParquetWriter::new(file)
            .with_compression(ParquetCompression::Zstd(None))
            .batched(schema)
            .map_err(|source| first_error.explain(&partial, source))?;
        Ok(Self {
            path: path.to_path_buf(),
            partial,
            writer,
            first_error,
            pending: None,
            rows: 0,
        })
    }

    pub fn write(&mut self, df: &DataFrame) -> Result<()> {
        if df.height() == 0 {
            return Ok(());
        }
        self.rows += df.height();
        let pending = match &mut self.pending {
            Some(p) => {
                p.vstack_mut(df).map_err(|source| StoreError::Polars {
                    path: self.partial.clone(),
                    source,
                })?;
                p
            }
            None => self.pending.insert(df.clone()),
        };
        if pending.height() >= ROW_GROUP_ROWS || pending.estimated_size() >= ROW_GROUP_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    /// Write the pending rows as one row group.
    fn flush(&mut self) -> Result<()> {
        let Some(mut df) = self.pending.take() else {
            return Ok(());
        };
        df.rechunk_mut();
        self.writer
            .write_batch(&df)
            .map_err(|source| self.first_error.explain(&self.partial, source))
    }

    /// Close the file, sync it and move it to its final name. Returns the
    /// row count.
    pub fn finish(mut self) -> Result<usize> {
        self.flush()?;
        self.writer
            .finish()
            .map_err(|source| self.first_error.explain(&self.partial, source))?;
        File::open(&self.partial)
            .and_then(|f| f.sync_all())
            .map_err(|source| StoreError::Io {
                path: self.partial.clone(),
                source,
            })?;
        std::fs::rename(&self.partial, &self.path).map_err(|source| StoreError::Io {
            path: self.path.clone(),
            source,
        })?;
        Ok(self.rows)
    }
}

impl Drop for TableWriter {
    /// A writer dropped before [`TableWriter::finish`] (an error, a full
    /// disk) leaves no temporary file behind.
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.partial);
    }
}

fn polars_err(path: &Path) -> impl Fn(PolarsError) -> StoreError + '_ {
    move |source| StoreError::Polars {
        path: path.to_path_buf(),
        source,
    }
}

/// Frame for a chunk of document rows, in [`documents_schema`] order.
pub fn documents_frame(rows: &[DocumentRow]) -> PolarsResult<DataFrame> {
    let col = |name: &str, v: Vec<Option<&str>>| Column::new(name.into(), v);
    DataFrame::new(
        rows.len(),
        vec![
            col(
                "doc_id",
                rows.iter().map(|r| Some(r.doc_id.as_str())).collect(),
            ),
            col("path", rows.iter().map(|r| Some(r.path.as_str())).collect()),
            col("format", rows.iter().map(|r| r.format.as_deref()).collect()),
            col("lang", rows.iter().map(|r| r.lang.as_deref()).collect()),
            col("kind", rows.iter().map(|r| r.kind.as_deref()).collect()),
            Column::new(
                "kind_score".into(),
                rows.iter()
                    .map(|r| r.kind_score)
                    .collect::<Vec<Option<f32>>>(),
            ),
            col("title", rows.iter().map(|r| r.title.as_deref()).collect()),
            Column::new(
                "bytes".into(),
                rows.iter().map(|r| r.bytes).collect::<Vec<u64>>(),
            ),
            col("sha256", rows.iter().map(|r| r.sha256.as_deref()).collect()),
            Column::new(
                "n_clauses".into(),
                rows.iter().map(|r| r.n_clauses).collect::<Vec<u32>>(),
            ),
            col(
                "status",
                rows.iter().map(|r| Some(r.status.as_str())).collect(),
            ),
            col("error", rows.iter().map(|r| r.error.as_deref()).collect()),
            col("text", rows.iter().map(|r| r.text.as_deref()).collect()),
        ],
    )
}

/// Frame for a chunk of clause rows, in [`clauses_schema`] order.
pub fn clauses_frame(
    rows: &[ClauseRow],
    labels: &LabelSet,
    model_id: &str,
) -> PolarsResult<DataFrame> {
    let s = |name: &str, v: Vec<Option<&str>>| Column::new(name.into(), v);
    let u = |name: &str, f: fn(&ClauseRow) -> u32| {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<u32>>())
    };
    let mut cols = vec![
        s(
            "doc_id",
            rows.iter().map(|r| Some(r.doc_id.as_str())).collect(),
        ),
        s(
            "clause_id",
            rows.iter().map(|r| Some(r.clause_id.as_str())).collect(),
        ),
        u("position", |r| r.position),
        s(
            "heading",
            rows.iter().map(|r| r.heading.as_deref()).collect(),
        ),
        s("text", rows.iter().map(|r| Some(r.text.as_str())).collect()),
        u("char_start", |r| r.char_start),
        u("char_end", |r| r.char_end),
        u("n_tokens", |r| r.n_tokens),
        u("n_windows", |r| r.n_windows),
    ];
    for (j, name) in labels.names().iter().enumerate() {
        let v: Vec<f32> = rows
            .iter()
            .map(|r| r.scores.0.get(j).copied().unwrap_or(f32::NAN))
            .collect();
        cols.push(Column::new(name.as_str().into(), v));
    }
    let mut list = ListStringChunkedBuilder::new("labels".into(), rows.len(), rows.len() * 2);
    for r in rows {
        list.append_values_iter(r.labels.iter().map(String::as_str));
    }
    cols.push(list.finish().into_series().into_column());
    cols.push(Column::new("model".into(), vec![model_id; rows.len()]));
    DataFrame::new(rows.len(), cols)
}

/// Both output tables of a run, in one directory.
pub struct OutputWriter {
    documents: TableWriter,
    clauses: TableWriter,
    labels: LabelSet,
    model_id: String,
    dir: PathBuf,
}

impl OutputWriter {
    pub fn create(dir: &Path, labels: &LabelSet, model_id: &str) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        Ok(Self {
            documents: TableWriter::create(&dir.join(DOCUMENTS_FILE), &documents_schema())?,
            clauses: TableWriter::create(&dir.join(CLAUSES_FILE), &clauses_schema(labels))?,
            labels: labels.clone(),
            model_id: model_id.to_string(),
            dir: dir.to_path_buf(),
        })
    }

    pub fn write_documents(&mut self, rows: &[DocumentRow]) -> Result<()> {
        let path = self.dir.join(DOCUMENTS_FILE);
        let df = documents_frame(rows).map_err(polars_err(&path))?;
        self.documents.write(&df)
    }

    pub fn write_clauses(&mut self, rows: &[ClauseRow]) -> Result<()> {
        let path = self.dir.join(CLAUSES_FILE);
        let df = clauses_frame(rows, &self.labels, &self.model_id).map_err(polars_err(&path))?;
        self.clauses.write(&df)
    }

    /// Finish both files; returns (documents, clauses) row counts.
    pub fn finish(self) -> Result<(usize, usize)> {
        Ok((self.documents.finish()?, self.clauses.finish()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_disk_is_reported_as_such_not_as_a_damaged_file() {
        let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
            println!("skipping: /dev/full is not available");
            return;
        };
        let labels = LabelSet::new(["a", "b"]).unwrap();
        let mut df =
            clauses_frame(&(0..2000).map(clause).collect::<Vec<_>>(), &labels, "m").unwrap();
        let (mut file, first_error) = Recorded::new(full);
        let err = ParquetWriter::new(&mut file).finish(&mut df).unwrap_err();
        let err = first_error.explain(Path::new("/dev/full"), err);
        assert!(matches!(err, StoreError::Io { .. }), "{err}");
        assert!(err.to_string().contains("No space left on device"), "{err}");
    }

    #[test]
    fn many_small_batches_make_one_row_group() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("t.parquet");
        let labels = LabelSet::new(["a", "b"]).unwrap();
        let mut w = TableWriter::create(&path, &crate::clauses_schema(&labels)).unwrap();
        for i in 0..200 {
            w.write(&clauses_frame(&[clause(i)], &labels, "m").unwrap())
                .unwrap();
        }
        assert_eq!(w.finish().unwrap(), 200);
        let mut reader = ParquetReader::new(File::open(&path).unwrap());
        assert_eq!(reader.get_metadata().unwrap().row_groups.len(), 1);
        let df = reader.finish().unwrap();
        assert_eq!(df.height(), 200);
        assert_eq!(
            df.column("position").unwrap().u32().unwrap().get(199),
            Some(199)
        );
    }

    fn clause(i: u32) -> ClauseRow {
        ClauseRow {
            doc_id: "d".into(),
            clause_id: format!("d-{i}"),
            position: i,
            heading: i.is_multiple_of(2).then(|| "Intro > Data".to_string()),
            text: format!("clause {i}"),
            char_start: i * 10,
            char_end: i * 10 + 8,
            n_tokens: 3,
            n_windows: 1,
            scores: Scores(vec![0.25, 0.75]),
            labels: if i == 0 { vec![] } else { vec!["b".into()] },
        }
    }

    #[test]
    fn tables_match_the_schema_and_appear_only_when_finished() {
        let tmp = tempfile::tempdir().unwrap();
        let labels = LabelSet::new(["a", "b"]).unwrap();
        let mut w = OutputWriter::create(tmp.path(), &labels, "m@1").unwrap();
        w.write_clauses(&[clause(0), clause(1)]).unwrap();
        w.write_clauses(&[clause(2)]).unwrap();
        w.write_documents(&[DocumentRow {
            doc_id: "d".into(),
            path: "p.html".into(),
            format: Some("html".into()),
            lang: None,
            kind: None,
            kind_score: None,
            title: None,
            bytes: 10,
            sha256: Some("ab".into()),
            n_clauses: 3,
            status: "ok".into(),
            error: None,
            text: Some("t".into()),
        }])
        .unwrap();
        assert!(
            !tmp.path().join(CLAUSES_FILE).exists(),
            "no final name before finish"
        );
        assert_eq!(w.finish().unwrap(), (1, 3));
        assert!(!tmp.path().join("clauses.parquet.partial").exists());

        let df = ParquetReader::new(File::open(tmp.path().join(CLAUSES_FILE)).unwrap())
            .finish()
            .unwrap();
        assert_eq!(df.schema().as_ref(), &clauses_schema(&labels));
        assert_eq!(df.height(), 3);
        let b: Vec<Option<f32>> = df.column("b").unwrap().f32().unwrap().iter().collect();
        assert_eq!(b, vec![Some(0.75); 3]);
        let docs = ParquetReader::new(File::open(tmp.path().join(DOCUMENTS_FILE)).unwrap())
            .finish()
            .unwrap();
        assert_eq!(docs.schema().as_ref(), &documents_schema());
    }
}
