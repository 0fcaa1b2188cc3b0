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

impl Prepared {
    fn failed(
        path: &Path,
        id: String,
        bytes: u64,
        format: Option<Format>,
        status: Status,
        error: String,
    ) -> Self {
        Self {
            document: Document {
                id,
                path: path.to_path_buf(),
                format: format.unwrap_or(Format::Text),
                bytes,
                title: None,
                status,
                error: Some(error),
            },
            format_name: format.map(|f| f.as_str().to_string()),
            segmented: Segmented::default(),
            tokens: Vec::new(),
            clause_ids: Vec::new(),
        }
    }
}

/// Read, decode, segment and tokenize one file. Never fails: problems
/// become the document's status and error message.
pub fn prepare(path: &Path, classifier: &Classifier) -> Prepared {
    let _span = tracing::debug_span!("prepare", path = %path.display()).entered();
    let source = match read_source(path) {
        Ok(s) => s,
        Err(e) => return Prepared::failed(path, String::new(), 0, None, e.status(), e.to_string()),
    };
    let (id, bytes) = (source.id.clone(), source.bytes.len() as u64);
    let format = match source.format_or_error() {
        Ok(f) => f,
        Err(e) => return Prepared::failed(path, id, bytes, None, e.status(), e.to_string()),
    };
    let segmented = if format.is_clause_table() {
        match policylens_store::read_clause_table(path) {
            Ok(rows) => {
                let ids = rows.iter().map(|r| r.id.clone()).collect();
                let seg = assemble_table(rows.iter().map(|r| (r.heading.clone(), r.text.clone())));
                return finish(path, id, bytes, format, seg, ids, classifier);
            }
            Err(e) => {
                return Prepared::failed(
                    path,
                    id,
                    bytes,
                    Some(format),
                    Status::Malformed,
                    e.to_string(),
                )
            }
        }
    } else {
        match decode(&source) {
            Ok(text) => policylens_segment::segment(format, &text),
            Err(e) => {
                return Prepared::failed(path, id, bytes, Some(format), e.status(), e.to_string())
            }
        }
    };
    finish(path, id, bytes, format, segmented, Vec::new(), classifier)
}

fn finish(
    path: &Path,
    id: String,
    bytes: u64,
    format: Format,
    segmented: Segmented,
    clause_ids: Vec<Option<String>>,
    classifier: &Classifier,
) -> Prepared {
    if segmented.clauses.is_empty() {
        let msg = format!("{}: no policy text found", path.display());
        return Prepared::failed(path, id, bytes, Some(format), Status::Empty, msg);
    }
    let mut tokens = Vec::with_capacity(segmented.clauses.len());
    for c in &segmented.clauses {
        match classifier.tokenize(&c.text) {
            Ok(t) => tokens.push(t),
            Err(e) => {
                let msg = format!("{}: clause {}: {e}", path.display(), c.position);
                return Prepared::failed(path, id, bytes, Some(format), Status::Malformed, msg);
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
