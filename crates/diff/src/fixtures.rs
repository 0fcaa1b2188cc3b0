//! Hand-made rows for the unit tests.

use policylens_core::Scores;
use policylens_store::{ClauseRow, DocumentRow};

pub fn doc(id: &str, path: &str) -> DocumentRow {
    DocumentRow {
        doc_id: id.into(),
        path: path.into(),
        format: None,
        lang: Some(policylens_core::ENGLISH.into()),
        kind: None,
        kind_score: None,
        title: None,
        bytes: 0,
        sha256: None,
        n_clauses: 0,
        status: "ok".into(),
        error: None,
        text: None,
    }
}

pub fn clause(doc_id: &str, position: u32, text: &str, labels: &[&str]) -> ClauseRow {
    ClauseRow {
        doc_id: doc_id.into(),
        clause_id: format!("{doc_id}-{position}"),
        position,
        heading: None,
        text: text.into(),
        char_start: 0,
        char_end: 0,
        n_tokens: 0,
        n_windows: 0,
        scores: Scores(vec![]),
        labels: labels.iter().map(|s| s.to_string()).collect(),
    }
}
