//! Documents, their formats and the clauses cut from them.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};

/// What kind of file a policy came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Html,
    Markdown,
    Text,
    /// A table of clauses already cut (`.jsonl`, `.csv`, `.parquet` with a `text` column).
    Jsonl,
    Csv,
    Parquet,
}

impl Format {
    /// The name written to `documents.parquet`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Markdown => "markdown",
            Format::Text => "text",
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }

    /// Tabular clause files skip segmentation: each row is already a clause.
    pub fn is_clause_table(self) -> bool {
        matches!(self, Format::Jsonl | Format::Csv | Format::Parquet)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a document fared in the run; every input gets one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    /// The file holds no visible text.
    Empty,
    /// The file looks like binary data, not a policy.
    Binary,
    /// The bytes are not valid in the declared or sniffed character encoding.
    InvalidEncoding,
    /// The file could not be read (permissions, vanished, I/O).
    Unreadable,
    /// The file is of a known kind but could not be parsed (e.g. a broken table).
    Malformed,
    /// A kind of file PolicyLens does not read (PDF, images, archives), or
    /// not a regular file (a FIFO, a device, a socket), which is not opened.
    Unsupported,
    /// Larger than the run's per-file limit (`--max-file-bytes`); not read.
    TooLarge,
    /// Read and segmented, but of a kind of page (`kind`) the run was not
    /// asked to label (`--kind`): its clauses are neither scored nor written.
    OtherKind,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Empty => "empty",
            Status::Binary => "binary",
            Status::InvalidEncoding => "invalid_encoding",
            Status::Unreadable => "unreadable",
            Status::Malformed => "malformed",
            Status::Unsupported => "unsupported",
            Status::TooLarge => "too_large",
            Status::OtherKind => "other_kind",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The sha256 of a file's bytes, lower-case hex: what the file holds,
/// whatever it is called (two copies of one policy share it).
/// The `lang` code (ISO 639-3) of English, the one language the shipped
/// models read.
pub const ENGLISH: &str = "eng";

/// Whether a document's `lang` is English. A document in another language,
/// or with no language to tell (numbers, emoji), is not: its labels are
/// unreliable, and runs, reports and diffs say so.
pub fn is_english(lang: Option<&str>) -> bool {
    lang == Some(ENGLISH)
}

/// Whether a table's `lang` names a language other than English. Readers
/// of finished tables (report, diff) flag these; an empty `lang` is not
/// flagged there, since tables written before the column existed have none.
pub fn is_other_language(lang: Option<&str>) -> bool {
    lang.is_some_and(|l| l != ENGLISH)
}

/// English words common in any English prose and rare as words elsewhere.
const ENGLISH_FUNCTION_WORDS: &[&str] = &[
    "the", "and", "of", "to", "in", "is", "are", "we", "you", "your", "our", "us", "it", "its",
    "that", "this", "for", "with", "from", "by", "on", "or", "as", "be", "may", "will", "can",
    "not", "if", "any", "which", "who", "when", "how", "what", "about", "have", "has", "do",
    "does", "at", "an", "they", "their", "these", "such", "other", "all", "more", "than",
];

/// The share of `text`'s words that are English function words.
pub fn english_share(text: &str) -> f64 {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphabetic() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let english = words
        .iter()
        .filter(|w| ENGLISH_FUNCTION_WORDS.contains(&w.as_str()))
        .count();
    english as f64 / words.len().max(1) as f64
}

pub fn content_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A document's id: the sha256 of its path's bytes, a NUL byte, then its
/// bytes. Unique within a run even when two files hold the same bytes (one
/// policy served under several names) or have names that differ only in
/// bytes that are not UTF-8, and stable across runs over the same files
/// under the same paths.
pub fn doc_id_of(path: &Path, bytes: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(path_bytes(path));
    hasher.update([0u8]);
    hasher.update(bytes);
    hex::encode(hasher.finalize())
}

/// A path as the operating system holds it: its raw bytes on Unix (where a
/// name need not be UTF-8), its UTF-8 form elsewhere. For UTF-8 names this
/// is the text of the `path` column.
pub fn path_bytes(path: &Path) -> std::borrow::Cow<'_, [u8]> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::borrow::Cow::Borrowed(path.as_os_str().as_bytes())
    }
    #[cfg(not(unix))]
    {
        std::borrow::Cow::Owned(path.to_string_lossy().into_owned().into_bytes())
    }
}

/// A clause id that is stable across runs: document hash plus position.
pub fn clause_id(doc_id: &str, position: u32) -> String {
    let short = &doc_id[..doc_id.len().min(16)];
    format!("{short}-{position:05}")
}

/// One input file as the pipeline saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The document id ([`doc_id_of`]: path and bytes).
    pub id: String,
    /// sha256 of the file's bytes ([`content_sha256`]); `None` when they
    /// could not be read.
    pub sha256: Option<String>,
    pub path: PathBuf,
    pub format: Format,
    pub bytes: u64,
    pub title: Option<String>,
    pub status: Status,
    /// Why the status is not `Ok`, naming the file.
    pub error: Option<String>,
}

/// A paragraph of policy text as a careful reader cuts it, with the headings
/// above it. Offsets count Unicode scalar values (Python `str` indices) into
/// the document's extracted text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clause {
    /// Order within the document, from 0.
    pub position: u32,
    /// Heading path from the outermost heading down to the nearest one.
    pub heading: Vec<String>,
    pub text: String,
    pub char_start: usize,
    pub char_end: usize,
}

impl Clause {
    /// The heading path as one string, outermost first (`"A > B"`).
    pub fn heading_path(&self) -> String {
        self.heading.join(" > ")
    }
}

/// What segmentation makes of one document: its visible text and the clauses
/// that cover it. `text.chars().skip(c.char_start).take(c.char_end - c.char_start)`
/// equals `c.text` for every clause.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Segmented {
    pub title: Option<String>,
    pub text: String,
    pub clauses: Vec<Clause>,
}

impl Segmented {
    /// The slice of `text` that a clause's offsets select; equals
    /// `clause.text` whenever segmentation is correct.
    pub fn text_of(&self, clause: &Clause) -> String {
        slice_chars(&self.text, clause.char_start, clause.char_end)
    }
}

/// Characters `start..end` (Unicode scalar offsets) of `text`.
pub fn slice_chars(text: &str, start: usize, end: usize) -> String {
    text.chars()
        .skip(start)
        .take(end.saturating_sub(start))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn names_that_differ_only_in_non_utf8_bytes_get_their_own_ids() {
        use std::os::unix::ffi::OsStrExt;
        let a = Path::new(std::ffi::OsStr::from_bytes(b"policy-\xe9.txt"));
        let b = Path::new(std::ffi::OsStr::from_bytes(b"policy-\xe8.txt"));
        assert_eq!(a.display().to_string(), b.display().to_string());
        assert_ne!(doc_id_of(a, b"same"), doc_id_of(b, b"same"));
        // UTF-8 names hash as their text, as before.
        let mut h = Sha256::new();
        h.update("p\u{e9}.txt".as_bytes());
        h.update([0u8]);
        h.update(b"x");
        assert_eq!(
            doc_id_of(Path::new("p\u{e9}.txt"), b"x"),
            hex::encode(h.finalize())
        );
    }

    #[test]
    fn offsets_are_code_points_not_bytes() {
        let seg = Segmented {
            title: None,
            text: "Zürich\n\nWe collect.".into(),
            clauses: vec![Clause {
                position: 0,
                heading: vec![],
                text: "We collect.".into(),
                char_start: 8,
                char_end: 19,
            }],
        };
        assert_eq!(seg.text_of(&seg.clauses[0]), "We collect.");
    }

    #[test]
    fn content_hash_is_sha256_hex() {
        assert_eq!(
            content_sha256(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn doc_ids_differ_for_the_same_bytes_under_other_names() {
        let (a, b) = (Path::new("bing.md"), Path::new("msn.md"));
        assert_ne!(doc_id_of(a, b"same"), doc_id_of(b, b"same"));
        assert_ne!(doc_id_of(a, b"one"), doc_id_of(a, b"two"));
        assert_eq!(doc_id_of(a, b"same"), doc_id_of(a, b"same"));
        // The NUL between path and bytes keeps the split unambiguous.
        assert_ne!(
            doc_id_of(Path::new("ab"), b"c"),
            doc_id_of(Path::new("a"), b"bc")
        );
        assert_eq!(doc_id_of(a, b"same").len(), 64);
    }

    #[test]
    fn clause_ids_differ_by_position_and_document() {
        let a = doc_id_of(Path::new("a"), b"a");
        let b = doc_id_of(Path::new("b"), b"a");
        assert_ne!(clause_id(&a, 0), clause_id(&a, 1));
        assert_ne!(clause_id(&a, 0), clause_id(&b, 0));
        assert_eq!(clause_id(&a, 7), clause_id(&a, 7));
    }
}
