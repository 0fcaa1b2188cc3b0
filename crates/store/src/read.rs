//! Reading a finished run back: `documents.parquet` and `clauses.parquet`
//! from one output directory, as the same typed rows the writers take.
//! `policylens report` and `policylens diff` start here.

use crate::schema::{CLAUSES_FILE, DOCUMENTS_FILE};
use crate::write::{ClauseRow, DocumentRow};
use crate::{Result, StoreError};
use polars::prelude::*;
use policylens_core::{LabelSet, Scores};
use std::fs::File;
use std::path::{Path, PathBuf};

/// A labeled run read back from disk: every document (whatever its status),
/// every clause in (document, position) order, and the model's labels in
/// score-column order.
#[derive(Debug, Clone)]
pub struct LabeledRun {
    pub dir: PathBuf,
    pub labels: LabelSet,
    /// The `model` column's value (the id of the model that scored the run).
    pub model: Option<String>,
    pub documents: Vec<DocumentRow>,
    pub clauses: Vec<ClauseRow>,
}

impl LabeledRun {
    /// Read `dir/documents.parquet` and `dir/clauses.parquet`. A folder
    /// where a run has not finished is an error that says how to resume it.
    pub fn open(dir: &Path) -> Result<Self> {
        crate::run::ensure_finished(dir)?;
        let docs = read_frame(&dir.join(DOCUMENTS_FILE))?;
        let clauses_path = dir.join(CLAUSES_FILE);
        let clauses = read_frame(&clauses_path)?;
        let labels = score_columns(&clauses, &clauses_path)?;
        let model = strings(&clauses, "model", &clauses_path)?
            .into_iter()
            .flatten()
            .next();
        let mut clause_rows = clause_rows(&clauses, &labels, &clauses_path)?;
        let documents = document_rows(&docs, &dir.join(DOCUMENTS_FILE))?;
        // Clauses come out in document order already; make it a guarantee.
        let order: std::collections::HashMap<&str, usize> = documents
            .iter()
            .enumerate()
            .map(|(i, d)| (d.doc_id.as_str(), i))
            .collect();
        clause_rows.sort_by_key(|c| {
            (
                order.get(c.doc_id.as_str()).copied().unwrap_or(usize::MAX),
                c.position,
            )
        });
        Ok(Self {
            dir: dir.to_path_buf(),
            labels,
            model,
            documents,
            clauses: clause_rows,
        })
    }

    /// The clauses of one document, in order.
    pub fn clauses_of<'a>(&'a self, doc_id: &'a str) -> impl Iterator<Item = &'a ClauseRow> + 'a {
        self.clauses.iter().filter(move |c| c.doc_id == doc_id)
    }
}

pub(crate) fn read_frame(path: &Path) -> Result<DataFrame> {
    let file = File::open(path).map_err(|source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    ParquetReader::new(file)
        .finish()
        .map_err(|source| StoreError::Polars {
            path: path.to_path_buf(),
            source,
        })
}

fn pe(path: &Path) -> impl Fn(PolarsError) -> StoreError + '_ {
    move |source| StoreError::Polars {
        path: path.to_path_buf(),
        source,
    }
}

fn column<'a>(df: &'a DataFrame, name: &str, path: &Path) -> Result<&'a Column> {
    df.column(name).map_err(|_| StoreError::Malformed {
        path: path.to_path_buf(),
        message: format!("no `{name}` column; is this a policylens output table?"),
    })
}

fn strings(df: &DataFrame, name: &str, path: &Path) -> Result<Vec<Option<String>>> {
    let c = column(df, name, path)?;
    Ok(c.str()
        .map_err(pe(path))?
        .iter()
        .map(|s| s.map(String::from))
        .collect())
}

fn numbers<T: From<u32>>(df: &DataFrame, name: &str, path: &Path) -> Result<Vec<T>> {
    let c = column(df, name, path)?
        .cast(&DataType::UInt32)
        .map_err(pe(path))?;
    Ok(c.u32()
        .map_err(pe(path))?
        .iter()
        .map(|v| T::from(v.unwrap_or(0)))
        .collect())
}

/// A `list<string>` column as vectors (a null list or element is skipped).
pub(crate) fn string_lists(c: &Column) -> PolarsResult<Vec<Vec<String>>> {
    Ok(c.list()?
        .amortized_iter()
        .map(|s| {
            s.and_then(|s| {
                s.as_ref()
                    .str()
                    .ok()
                    .map(|ca| ca.iter().flatten().map(String::from).collect())
            })
            .unwrap_or_default()
        })
        .collect())
}

/// The label names: the Float32 columns between `n_windows` and `labels`.
fn score_columns(df: &DataFrame, path: &Path) -> Result<LabelSet> {
    let names: Vec<String> = df
        .columns()
        .iter()
        .filter(|c| c.dtype() == &DataType::Float32)
        .map(|c| c.name().to_string())
        .collect();
    LabelSet::new(names).map_err(|e| StoreError::Malformed {
        path: path.to_path_buf(),
        message: format!("score columns: {e}"),
    })
}

pub(crate) fn document_rows(df: &DataFrame, path: &Path) -> Result<Vec<DocumentRow>> {
    let doc_id = strings(df, "doc_id", path)?;
    let p = strings(df, "path", path)?;
    let format = strings(df, "format", path)?;
    let title = strings(df, "title", path)?;
    let status = strings(df, "status", path)?;
    let error = strings(df, "error", path)?;
    let text = strings(df, "text", path)?;
    // Runs written before these columns existed have none.
    let optional = |name: &str| match df.column(name) {
        Ok(_) => strings(df, name, path),
        Err(_) => Ok(vec![None; df.height()]),
    };
    let sha256 = optional("sha256")?;
    let lang = optional("lang")?;
    let kind = optional("kind")?;
    let kind_score: Vec<Option<f32>> = match df.column("kind_score") {
        Ok(c) => c.f32().map_err(pe(path))?.iter().collect(),
        Err(_) => vec![None; df.height()],
    };
    let n_clauses: Vec<u32> = numbers(df, "n_clauses", path)?;
    let bytes: Vec<u64> = column(df, "bytes", path)?
        .cast(&DataType::UInt64)
        .map_err(pe(path))?
        .u64()
        .map_err(pe(path))?
        .iter()
        .map(|v| v.unwrap_or(0))
        .collect();
    Ok((0..df.height())
        .map(|i| DocumentRow {
            doc_id: doc_id[i].clone().unwrap_or_default(),
            path: p[i].clone().unwrap_or_default(),
            format: format[i].clone(),
            lang: lang[i].clone(),
            kind: kind[i].clone(),
            kind_score: kind_score[i],
            title: title[i].clone(),
            bytes: bytes[i],
            sha256: sha256[i].clone(),
            n_clauses: n_clauses[i],
            status: status[i].clone().unwrap_or_default(),
            error: error[i].clone(),
            text: text[i].clone(),
        })
        .collect())
}

fn clause_rows(df: &DataFrame, labels: &LabelSet, path: &Path) -> Result<Vec<ClauseRow>> {
    let doc_id = strings(df, "doc_id", path)?;
    let clause_id = strings(df, "clause_id", path)?;
    let heading = strings(df, "heading", path)?;
    let text = strings(df, "text", path)?;
    let position: Vec<u32> = numbers(df, "position", path)?;
    let char_start: Vec<u32> = numbers(df, "char_start", path)?;
    let char_end: Vec<u32> = numbers(df, "char_end", path)?;
    let n_tokens: Vec<u32> = numbers(df, "n_tokens", path)?;
    let n_windows: Vec<u32> = numbers(df, "n_windows", path)?;
    let mut scores: Vec<Vec<f32>> = vec![Vec::with_capacity(labels.len()); df.height()];
    for name in labels.names() {
        let c = column(df, name, path)?;
        for (row, v) in c.f32().map_err(pe(path))?.iter().enumerate() {
            scores[row].push(v.unwrap_or(f32::NAN));
        }
    }
    let predicted = string_lists(column(df, "labels", path)?).map_err(pe(path))?;
    Ok(scores
        .into_iter()
        .zip(predicted)
        .enumerate()
        .map(|(i, (s, l))| ClauseRow {
            doc_id: doc_id[i].clone().unwrap_or_default(),
            clause_id: clause_id[i].clone().unwrap_or_default(),
            position: position[i],
            heading: heading[i].clone(),
            text: text[i].clone().unwrap_or_default(),
            char_start: char_start[i],
            char_end: char_end[i],
            n_tokens: n_tokens[i],
            n_windows: n_windows[i],
            scores: Scores(s),
            labels: l,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OutputWriter;

    #[test]
    fn a_written_run_reads_back_row_for_row() {
        let tmp = tempfile::tempdir().unwrap();
        let labels = LabelSet::new(["collection", "biometrics"]).unwrap();
        let doc = |id: &str, n| DocumentRow {
            doc_id: id.into(),
            path: format!("{id}.md"),
            format: Some("markdown".into()),
            lang: None,
            kind: Some("privacy_policy".into()),
            kind_score: Some(0.875),
            title: Some(format!("Policy {id}")),
            bytes: 42,
            sha256: None,
            n_clauses: n,
            status: "ok".into(),
            error: None,
            text: Some("We collect your email. We scan faces.".into()),
        };
        let clause = |d: &str, pos: u32, s: [f32; 2], l: &[&str]| ClauseRow {
            doc_id: d.into(),
            clause_id: format!("{d}-{pos}"),
            position: pos,
            heading: (pos == 1).then(|| "Data > Faces".into()),
            text: format!("clause {pos} of {d}"),
            char_start: pos * 10,
            char_end: pos * 10 + 5,
            n_tokens: 7,
            n_windows: 1,
            scores: Scores(s.to_vec()),
            labels: l.iter().map(|s| s.to_string()).collect(),
        };
        let docs = vec![doc("b", 2), doc("a", 1)];
        let clauses = vec![
            clause("b", 0, [0.9, 0.1], &["collection"]),
            clause("b", 1, [0.2, 0.8], &["biometrics"]),
            clause("a", 0, [0.1, 0.1], &[]),
        ];
        let mut w = OutputWriter::create(tmp.path(), &labels, "tiny@abc").unwrap();
        w.write_documents(&docs).unwrap();
        w.write_clauses(&clauses).unwrap();
        w.finish().unwrap();

        let run = LabeledRun::open(tmp.path()).unwrap();
        assert_eq!(run.labels, labels);
        assert_eq!(run.model.as_deref(), Some("tiny@abc"));
        assert_eq!(run.documents, docs);
        assert_eq!(run.clauses, clauses);
        assert_eq!(run.clauses_of("b").count(), 2);
    }

    #[test]
    fn a_directory_without_tables_names_the_missing_file() {
        let tmp = tempfile::tempdir().unwrap();
        let err = LabeledRun::open(tmp.path()).unwrap_err().to_string();
        assert!(err.contains("documents.parquet"), "{err}");
    }
}
