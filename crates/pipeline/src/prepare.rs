//! One document from path to tokenized clauses; the parallel part of a run.

use policylens_classify::{Classifier, TokenizedClause};
use policylens_core::{Clause, Document, Format, Segmented, Status};
use policylens_read::{decode, read_source};
use std::path::Path;

/// A document made ready for inference, or marked with why it is not.
pub struct Prepared {
    pub document: Document,
    pub format_name: Option<String>,
    pub segmented: Segmented,
    pub tokens: Vec<TokenizedClause>,
    /// Ids given by a clause table's `id` column, by position.
    pub clause_ids: Vec<Option<String>>,
}

/// A file read, decoded and cut into clauses: everything before the model.
pub struct SegmentedFile {
    pub id: String,
    pub bytes: u64,
    pub format: Format,
    pub segmented: Segmented,
    /// Ids given by a clause table's `id` column, by position.
    pub clause_ids: Vec<Option<String>>,
}

/// Why a file yields no clauses: its status and a message naming it.
#[derive(Debug, Clone)]
pub struct FileFailure {
    pub id: String,
    pub bytes: u64,
    pub format: Option<Format>,
    pub status: Status,
    pub error: String,
}

impl FileFailure {
    fn new(id: &str, bytes: u64, format: Option<Format>, status: Status, error: String) -> Self {
        Self {
            id: id.to_string(),
            bytes,
            format,
            status,
            error,
        }
    }
}

impl Prepared {
    fn failed(path: &Path, f: FileFailure) -> Self {
        Self {
            document: Document {
                id: f.id,
                path: path.to_path_buf(),
                format: f.format.unwrap_or(Format::Text),
                bytes: f.bytes,
                title: None,
                status: f.status,
                error: Some(f.error),
            },
            format_name: f.format.map(|f| f.as_str().to_string()),
            segmented: Segmented::default(),
            tokens: Vec::new(),
            clause_ids: Vec::new(),
        }
    }
}

/// Read, decode and segment one file (a clause table's rows are its
/// clauses). A file with no clauses is a failure with status `empty`.
pub fn segment_file(path: &Path) -> Result<SegmentedFile, FileFailure> {
    let source =
        read_source(path).map_err(|e| FileFailure::new("", 0, None, e.status(), e.to_string()))?;
    let (id, bytes) = (source.id.clone(), source.bytes.len() as u64);
    let format = source
        .format_or_error()
        .map_err(|e| FileFailure::new(&id, bytes, None, e.status(), e.to_string()))?;
    let fail =
        |status: Status, error: String| FileFailure::new(&id, bytes, Some(format), status, error);
    let (segmented, clause_ids) = if format.is_clause_table() {
        let rows = policylens_store::read_clause_table(path)
            .map_err(|e| fail(Status::Malformed, e.to_string()))?;
        let ids = rows.iter().map(|r| r.id.clone()).collect();
        let seg = assemble_table(rows.iter().map(|r| (r.heading.clone(), r.text.clone())));
        (seg, ids)
    } else {
        let text = decode(&source).map_err(|e| fail(e.status(), e.to_string()))?;
        (policylens_segment::segment(format, &text), Vec::new())
    };
    if segmented.clauses.is_empty() {
        return Err(fail(
            Status::Empty,
            format!("{}: no policy text found", path.display()),
        ));
    }
    Ok(SegmentedFile {
        id,
        bytes,
        format,
        segmented,
        clause_ids,
    })
}

/// Read, decode, segment and tokenize one file. Never fails: problems
/// become the document's status and error message.
pub fn prepare(path: &Path, classifier: &Classifier) -> Prepared {
    let _span = tracing::debug_span!("prepare", path = %path.display()).entered();
    match segment_file(path) {
        Ok(file) => tokenize(path, file, classifier),
        Err(f) => Prepared::failed(path, f),
    }
}

fn tokenize(path: &Path, file: SegmentedFile, classifier: &Classifier) -> Prepared {
    let SegmentedFile {
        id,
        bytes,
        format,
        segmented,
        clause_ids,
    } = file;
    let mut tokens = Vec::with_capacity(segmented.clauses.len());
    for c in &segmented.clauses {
        match classifier.tokenize(&c.text) {
            Ok(t) => tokens.push(t),
            Err(e) => {
                let msg = format!("{}: clause {}: {e}", path.display(), c.position);
                let f = FileFailure::new(&id, bytes, Some(format), Status::Malformed, msg);
                return Prepared::failed(path, f);
            }
        }
    }
    Prepared {
        document: Document {
            id,
            path: path.to_path_buf(),
            format,
            bytes,
            title: segmented.title.clone(),
            status: Status::Ok,
            error: None,
        },
        format_name: Some(format.as_str().to_string()),
        segmented,
        tokens,
        clause_ids,
    }
}

/// Clauses of a table laid end to end as the document's text, with offsets.
fn assemble_table(rows: impl Iterator<Item = (Option<String>, String)>) -> Segmented {
    let mut seg = Segmented::default();
    let mut offset = 0usize;
    for (heading, text) in rows {
        let text = text.trim().to_string();
        if text.is_empty() {
            continue;
        }
        if !seg.text.is_empty() {
            seg.text.push_str("\n\n");
            offset += 2;
        }
        let len = text.chars().count();
        seg.text.push_str(&text);
        seg.clauses.push(Clause {
            position: seg.clauses.len() as u32,
            heading: heading
                .map(|h| h.split(" > ").map(String::from).collect())
                .unwrap_or_default(),
            text,
            char_start: offset,
            char_end: offset + len,
        });
        offset += len;
    }
    seg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_rows_become_clauses_with_true_offsets() {
        let seg = assemble_table(
            [
                (None, "First clause.".to_string()),
                (Some("A > B".into()), " Zweite Klausel – ü ".into()),
                (None, "  ".into()),
            ]
            .into_iter(),
        );
        assert_eq!(seg.clauses.len(), 2);
        for c in &seg.clauses {
            let slice = seg.text_of(c);
            assert_eq!(slice, c.text);
        }
        assert_eq!(
            seg.clauses[1].heading,
            vec!["A".to_string(), "B".to_string()]
        );
    }
}
