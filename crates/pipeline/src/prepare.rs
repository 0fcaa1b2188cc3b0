//! One document from path to tokenized clauses; the parallel part of a run.

use policylens_classify::{Classifier, TokenizedClause};
use policylens_core::{doc_id_of, Clause, Document, Format, Segmented, Status};
use policylens_kind::{Kind, KindModel, Verdict};
use policylens_read::{decode_text, read_source_within, Source, DEFAULT_MAX_FILE_BYTES};
use std::path::Path;
use std::sync::OnceLock;

/// A document made ready for inference, or marked with why it is not.
pub struct Prepared {
    pub document: Document,
    pub format_name: Option<String>,
    pub segmented: Segmented,
    pub tokens: Vec<TokenizedClause>,
    /// Ids given by a clause table's `id` column, by position.
    pub clause_ids: Vec<Option<String>>,
    /// The language of its text ([`language_of`](crate::language_of)).
    pub lang: Option<String>,
    /// What kind of page it is; `None` for a clause table (clauses, not a
    /// page) and for a file that yielded no text.
    pub kind: Option<Verdict>,
}

/// A file read, decoded and cut into clauses: everything before the model.
pub struct SegmentedFile {
    pub id: String,
    pub sha256: String,
    pub bytes: u64,
    pub format: Format,
    pub segmented: Segmented,
    /// Ids given by a clause table's `id` column, by position.
    pub clause_ids: Vec<Option<String>>,
    /// What reading had to repair (replaced bytes), for the row's `error`.
    pub warning: Option<String>,
}

/// Why a file yields no clauses: its status and a message naming it.
#[derive(Debug, Clone)]
pub struct FileFailure {
    pub id: String,
    /// `None` when the bytes could not be read.
    pub sha256: Option<String>,
    pub bytes: u64,
    pub format: Option<Format>,
    pub status: Status,
    pub error: String,
}

impl FileFailure {
    fn new(source: &Source, format: Option<Format>, status: Status, error: String) -> Self {
        Self {
            id: source.id.clone(),
            sha256: Some(source.sha256.clone()),
            bytes: source.bytes.len() as u64,
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
                sha256: f.sha256,
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
            lang: None,
            kind: None,
        }
    }
}

/// Read, decode and segment one file of at most the default size
/// ([`segment_file_within`]).
pub fn segment_file(path: &Path) -> Result<SegmentedFile, FileFailure> {
    segment_file_within(path, DEFAULT_MAX_FILE_BYTES)
}

/// Read, decode and segment one file of at most `max_bytes` (a clause
/// table's rows are its clauses). A file with no clauses is a failure with
/// status `empty`.
pub fn segment_file_within(path: &Path, max_bytes: u64) -> Result<SegmentedFile, FileFailure> {
    let source = read_source_within(path, max_bytes).map_err(|e| FileFailure {
        id: doc_id_of(path, &[]),
        sha256: None,
        bytes: 0,
        format: None,
        status: e.status(),
        error: e.to_string(),
    })?;
    let format = source
        .format_or_error()
        .map_err(|e| FileFailure::new(&source, None, e.status(), e.to_string()))?;
    let fail =
        |status: Status, error: String| FileFailure::new(&source, Some(format), status, error);
    let mut warning = None;
    let (segmented, clause_ids) = if format.is_clause_table() {
        let rows = policylens_store::clause_table_of(&source).map_err(|e| match &e {
            policylens_store::StoreError::Read(read) => fail(read.status(), e.to_string()),
            _ => fail(Status::Malformed, e.to_string()),
        })?;
        assemble_table(rows.into_iter().map(|r| (r.id, r.heading, r.text)))
    } else {
        let decoded = decode_text(&source).map_err(|e| fail(e.status(), e.to_string()))?;
        warning = decoded.warning(&source);
        (
            policylens_segment::segment(format, &decoded.text),
            Vec::new(),
        )
    };
    if segmented.clauses.is_empty() {
        return Err(fail(
            Status::Empty,
            format!("{}: no policy text found", path.display()),
        ));
    }
    Ok(SegmentedFile {
        id: source.id,
        sha256: source.sha256,
        bytes: source.bytes.len() as u64,
        format,
        segmented,
        clause_ids,
        warning,
    })
}

/// Read (at most `max_bytes`), decode, segment, tell the kind of and
/// tokenize one file. A page whose kind is not in `kinds` (when not empty)
/// is not tokenized: its status is `other_kind` and it has no clauses.
/// Never fails: problems become the document's status and error message.
pub fn prepare(path: &Path, classifier: &Classifier, max_bytes: u64, kinds: &[Kind]) -> Prepared {
    let _span = tracing::debug_span!("prepare", path = %path.display()).entered();
    let file = match segment_isolated(path, max_bytes) {
        Ok(file) => file,
        Err(f) => return Prepared::failed(path, f),
    };
    let kind = (!file.format.is_clause_table()).then(|| kind_model().classify(&file.segmented));
    let mut prepared = match kind {
        Some(v) if !kinds.is_empty() && !kinds.contains(&v.kind) => other_kind(path, file),
        _ => tokenize(path, file, classifier),
    };
    prepared.kind = kind;
    prepared
}

/// The bundled document-kind model, loaded once.
fn kind_model() -> &'static KindModel {
    static MODEL: OnceLock<KindModel> = OnceLock::new();
    MODEL.get_or_init(KindModel::bundled)
}

/// A page the run was not asked to label: listed with its text, no clauses.
fn other_kind(path: &Path, file: SegmentedFile) -> Prepared {
    let format = file.format;
    Prepared {
        document: Document {
            id: file.id,
            sha256: Some(file.sha256),
            path: path.to_path_buf(),
            format,
            bytes: file.bytes,
            title: file.segmented.title.clone(),
            status: Status::OtherKind,
            error: file.warning,
        },
        format_name: Some(format.as_str().to_string()),
        lang: crate::language_of(&file.segmented.text),
        segmented: Segmented {
            clauses: Vec::new(),
            ..file.segmented
        },
        tokens: Vec::new(),
        clause_ids: Vec::new(),
        kind: None,
    }
}

/// [`segment_file_within`], with a panic (a bug in a parser) caught and
/// recorded as this document's failure, so one file cannot end the run.
fn segment_isolated(path: &Path, max_bytes: u64) -> Result<SegmentedFile, FileFailure> {
    let run = std::panic::AssertUnwindSafe(|| segment_file_within(path, max_bytes));
    std::panic::catch_unwind(run).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(FileFailure {
            id: doc_id_of(path, &[]),
            sha256: None,
            bytes: 0,
            format: None,
            status: Status::Malformed,
            error: format!(
                "{}: PolicyLens failed on this file (a bug; please report it with the file): {what}",
                path.display()
            ),
        })
    })
}

fn tokenize(path: &Path, file: SegmentedFile, classifier: &Classifier) -> Prepared {
    let SegmentedFile {
        id,
        sha256,
        bytes,
        format,
        segmented,
        clause_ids,
        warning,
    } = file;
    let mut tokens = Vec::with_capacity(segmented.clauses.len());
    for c in &segmented.clauses {
        match classifier.tokenize(&c.text) {
            Ok(t) => tokens.push(t),
            Err(e) => {
                let f = FileFailure {
                    id,
                    sha256: Some(sha256),
                    bytes,
                    format: Some(format),
                    status: Status::Malformed,
                    error: format!("{}: clause {}: {e}", path.display(), c.position),
                };
                return Prepared::failed(path, f);
            }
        }
    }
    Prepared {
        document: Document {
            id,
            sha256: Some(sha256),
            path: path.to_path_buf(),
            format,
            bytes,
            title: segmented.title.clone(),
            status: Status::Ok,
            error: warning,
        },
        format_name: Some(format.as_str().to_string()),
        lang: crate::language_of(&segmented.text),
        segmented,
        tokens,
        clause_ids,
        kind: None,
    }
}

/// Clauses of a table laid end to end as the document's text, with offsets,
/// and each kept clause's id from the table (blank rows are skipped, so the
/// ids are those of the rows kept, by the position of their clause).
fn assemble_table(
    rows: impl Iterator<Item = (Option<String>, Option<String>, String)>,
) -> (Segmented, Vec<Option<String>>) {
    let mut seg = Segmented::default();
    let mut ids = Vec::new();
    let mut offset = 0usize;
    for (id, heading, text) in rows {
        let text = text.trim().to_string();
        if text.is_empty() {
            continue;
        }
        ids.push(id);
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
    (seg, ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_rows_become_clauses_with_true_offsets() {
        let (seg, _) = assemble_table(
            [
                (None, None, "First clause.".to_string()),
                (None, Some("A > B".into()), " Zweite Klausel – ü ".into()),
                (None, None, "  ".into()),
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

    #[test]
    fn table_ids_follow_the_rows_kept_past_a_blank_row() {
        let row = |id: &str, text: &str| (Some(id.to_string()), None, text.to_string());
        let (seg, ids) =
            assemble_table([row("a", "First."), row("b", " "), row("c", "Third.")].into_iter());
        let texts: Vec<_> = seg.clauses.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["First.", "Third."]);
        assert_eq!(ids, [Some("a".to_string()), Some("c".to_string())]);
    }
}
