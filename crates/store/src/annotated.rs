//! Clause tables: files already cut into clauses, with or without labels.
//!
//! Accepted layouts, in `.csv` (with or without a header), `.jsonl` and
//! `.parquet`:
//! - a `text` column, optional `id`, `heading` and `split` columns;
//! - labels as a `labels` column (list of names, or one string joined by
//!   `;` or `|`), or as a `label` column with one row per (text, label), as
//!   in the OPP-115 PrivacyGLUE splits; rows with the same text are merged;
//! - a header-less CSV is read as `text,label`.
//!
//! Spreadsheet artefacts such as `#NAME?` in place of a text are skipped and
//! counted, never silently.

use crate::{Result, StoreError};
use polars::prelude::*;
use policylens_core::{Label, LabelSet};
use policylens_read::Source;
use std::collections::HashMap;
use std::path::Path;

/// One row of a clause table as written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableClause {
    pub id: Option<String>,
    pub text: String,
    pub heading: Option<String>,
    pub split: Option<String>,
    /// Label names as written; `None` when the table has no label column.
    pub labels: Option<Vec<String>>,
}

/// Labeled clauses ready for training or evaluation.
#[derive(Debug, Clone, Default)]
pub struct Annotated {
    pub texts: Vec<String>,
    pub headings: Vec<Option<String>>,
    /// One row per text, one flag per label of the label set.
    pub gold: Vec<Vec<bool>>,
    /// Rows dropped: spreadsheet artefacts and empty texts.
    pub skipped: usize,
}

fn malformed(path: &Path, message: impl Into<String>) -> StoreError {
    StoreError::Malformed {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// A cell that a spreadsheet mangled (`#NAME?`, `#VALUE!`, …) or left empty.
fn is_artefact(text: &str) -> bool {
    let t = text.trim();
    t.is_empty() || (t.starts_with('#') && (t.ends_with('?') || t.ends_with('!')) && t.len() <= 8)
}

/// Whether the first row of a two-column CSV without a `text` column is
/// data (`text,label`) rather than a header: its first cell reads like
/// prose or is a spreadsheet artefact (`#NAME?`, as the OPP-115 splits
/// hold), or its second cell names a label or an OPP-115 category.
fn reads_like_data(text: &str, label: &str) -> bool {
    let label = label.trim().to_lowercase();
    text.trim().contains(char::is_whitespace)
        || is_artefact(text)
        || Label::from_name(&label).is_some()
        || Label::from_opp115(&label).is_some()
}

fn split_labels(s: &str) -> Vec<String> {
    s.split([';', '|'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(String::from)
        .collect()
}

/// Read every row of a clause table.
pub fn read_clause_table(path: &Path) -> Result<Vec<TableClause>> {
    clause_table_of(&policylens_read::read_source(path)?)
}

/// Every row of a clause table whose bytes are already read (the pipeline
/// has them from sniffing its format).
pub fn clause_table_of(source: &Source) -> Result<Vec<TableClause>> {
    let path = source.path.as_path();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let rows = match ext.as_str() {
        "csv" => read_csv(path, &table_text(source)?)?,
        "jsonl" | "ndjson" => read_jsonl(path, &table_text(source)?)?,
        "parquet" => read_parquet(path, std::io::Cursor::new(source.bytes.as_slice()))?,
        _ => {
            return Err(malformed(
                path,
                "clause tables are .csv, .jsonl or .parquet",
            ))
        }
    };
    Ok(merge_label_rows(rows))
}

/// Rows that repeat a text with one `label` each become one row with all.
fn merge_label_rows(rows: Vec<TableClause>) -> Vec<TableClause> {
    let mut out: Vec<TableClause> = Vec::with_capacity(rows.len());
    let mut seen: HashMap<(String, Option<String>), usize> = HashMap::new();
    for row in rows {
        let key = (row.text.clone(), row.split.clone());
        match (seen.get(&key), &row.labels) {
            (Some(&i), Some(labels)) if row.id.is_none() || row.id == out[i].id => {
                let have = out[i].labels.get_or_insert_with(Vec::new);
                for l in labels {
                    if !have.contains(l) {
                        have.push(l.clone());
                    }
                }
            }
            _ => {
                seen.insert(key, out.len());
                out.push(row);
            }
        }
    }
    out
}

fn read_csv(path: &Path, text: &str) -> Result<Vec<TableClause>> {
    let io = |e: csv::Error| malformed(path, e.to_string());
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = rdr.records();
    let Some(first) = records.next().transpose().map_err(io)? else {
        return Ok(Vec::new());
    };
    let lower: Vec<String> = first
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let (header, data_first): (Vec<String>, bool) = if lower.iter().any(|h| h == "text") {
        (lower, false)
    } else if first.len() == 2 && reads_like_data(&first[0], &first[1]) {
        (vec!["text".into(), "label".into()], true)
    } else {
        return Err(malformed(
            path,
            "no `text` column in the header (a header-less CSV must be text,label)",
        ));
    };
    let col = |name: &str| header.iter().position(|h| h == name);
    let (text, id, heading, split) = (col("text"), col("id"), col("heading"), col("split"));
    let (labels, label) = (col("labels"), col("label"));
    let to_row = |r: &csv::StringRecord| TableClause {
        id: id.and_then(|i| r.get(i)).map(String::from),
        text: text.and_then(|i| r.get(i)).unwrap_or_default().to_string(),
        heading: heading
            .and_then(|i| r.get(i))
            .filter(|s| !s.is_empty())
            .map(String::from),
        split: split.and_then(|i| r.get(i)).map(String::from),
        labels: labels
            .or(label)
            .map(|i| r.get(i).map(split_labels).unwrap_or_default()),
    };
    let mut out = Vec::new();
    if data_first {
        out.push(to_row(&first));
    }
    for r in records {
        out.push(to_row(&r.map_err(io)?));
    }
    Ok(out)
}

/// A CSV or JSONL table's text, decoded as policy files are: a byte-order
/// mark, else UTF-8, else a guess (Windows-1252 from a spreadsheet export,
/// UTF-16 with its mark). An empty file is an empty table.
fn table_text(source: &Source) -> Result<String> {
    match policylens_read::decode(source) {
        Ok(text) => Ok(text),
        Err(policylens_read::ReadError::Empty { .. }) => Ok(String::new()),
        Err(e) => Err(e.into()),
    }
}

fn read_jsonl(path: &Path, text: &str) -> Result<Vec<TableClause>> {
    let mut out = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| malformed(path, format!("line {}: {e}", n + 1)))?;
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(String::from);
        let labels = match (v.get("labels"), v.get("label")) {
            (Some(serde_json::Value::Array(a)), _) => Some(
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect(),
            ),
            (Some(serde_json::Value::String(s)), _)
            | (None, Some(serde_json::Value::String(s))) => Some(split_labels(s)),
            _ => None,
        };
        let text = s("text")
            .ok_or_else(|| malformed(path, format!("line {}: no \"text\" string", n + 1)))?;
        out.push(TableClause {
            id: s("id"),
            text,
            heading: s("heading"),
            split: s("split"),
            labels,
        });
    }
    Ok(out)
}

fn read_parquet(path: &Path, bytes: std::io::Cursor<&[u8]>) -> Result<Vec<TableClause>> {
    let pe = |source| StoreError::Polars {
        path: path.to_path_buf(),
        source,
    };
    let df = ParquetReader::new(bytes).finish().map_err(pe)?;
    let strings = |name: &str| -> Result<Option<Vec<Option<String>>>> {
        match df.column(name) {
            Err(_) => Ok(None),
            Ok(c) => {
                let c = c.cast(&DataType::String).map_err(pe)?;
                Ok(Some(
                    c.str()
                        .map_err(pe)?
                        .iter()
                        .map(|x| x.map(String::from))
                        .collect(),
                ))
            }
        }
    };
    let text = strings("text")?.ok_or_else(|| malformed(path, "no `text` column"))?;
    let (id, heading, split) = (strings("id")?, strings("heading")?, strings("split")?);
    let labels: Option<Vec<Vec<String>>> = match df.column("labels").or_else(|_| df.column("label"))
    {
        Err(_) => None,
        Ok(c) if matches!(c.dtype(), DataType::List(_)) => {
            Some(crate::read::string_lists(c).map_err(pe)?)
        }
        Ok(c) => Some(
            c.str()
                .map_err(pe)?
                .iter()
                .map(|s| s.map(split_labels).unwrap_or_default())
                .collect(),
        ),
    };
    let at = |v: &Option<Vec<Option<String>>>, i: usize| v.as_ref().and_then(|v| v[i].clone());
    Ok((0..df.height())
        .map(|i| TableClause {
            id: at(&id, i),
            text: text[i].clone().unwrap_or_default(),
            heading: at(&heading, i),
            split: at(&split, i),
            labels: labels.as_ref().map(|l| l[i].clone()),
        })
        .collect())
}

/// Read labeled clauses, keeping only rows of `split` when given. Unknown
/// label names are an error naming the file; OPP-115 category names are
/// mapped to PolicyLens labels.
pub fn read_annotated(path: &Path, split: Option<&str>, labels: &LabelSet) -> Result<Annotated> {
    let rows = read_clause_table(path)?;
    if rows.iter().all(|r| r.labels.is_none()) {
        return Err(malformed(
            path,
            "no `labels` or `label` column: cannot train or evaluate on unlabeled clauses",
        ));
    }
    if let Some(split) = split {
        if !rows.iter().any(|r| r.split.as_deref() == Some(split)) {
            return Err(malformed(path, format!("no rows with split {split:?}")));
        }
    }
    let mut out = Annotated::default();
    for row in rows {
        if split.is_some() && row.split.as_deref() != split {
            continue;
        }
        if is_artefact(&row.text) {
            out.skipped += 1;
            continue;
        }
        let mut flags = vec![false; labels.len()];
        for name in row.labels.iter().flatten() {
            if is_artefact(name) {
                continue;
            }
            let j = labels
                .resolve(name)
                .map_err(|e| malformed(path, e.to_string()))?;
            flags[j] = true;
        }
        out.texts.push(row.text);
        out.headings.push(row.heading);
        out.gold.push(flags);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, body: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        p
    }

    #[test]
    fn headerless_csv_with_one_row_per_label_is_merged_and_artefacts_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        let p = write(
            tmp.path(),
            "split.csv",
            "\"We collect your email.\",First Party Collection/Use\n\
             \"We collect your email.\",Third Party Sharing/Collection\n\
             #NAME?,User Choice/Control\n\
             \"Contact us at a@b.c\",Privacy contact information\n",
        );
        let a = read_annotated(&p, None, &LabelSet::policylens()).unwrap();
        assert_eq!(a.texts.len(), 2);
        assert_eq!(a.skipped, 1);
        let l = LabelSet::policylens();
        assert!(
            a.gold[0][l.index("collection").unwrap()] && a.gold[0][l.index("sharing").unwrap()]
        );
        assert!(a.gold[1][l.index("contact").unwrap()]);
    }

    #[test]
    fn headerless_csv_may_open_on_an_artefact_or_a_one_word_clause() {
        let tmp = tempfile::tempdir().unwrap();
        let l = LabelSet::policylens();
        for first in [
            "#NAME?,User Choice/Control",
            "\"Privacy \",Introductory/Generic",
        ] {
            let body = format!("{first}\n\"We keep logs for 30 days.\",Data Retention\n");
            let p = write(tmp.path(), "subset.csv", &body);
            let a = read_annotated(&p, None, &l).unwrap();
            let last = a.texts.len() - 1;
            assert_eq!(a.texts[last], "We keep logs for 30 days.", "{first}");
            assert!(a.gold[last][l.index("retention").unwrap()], "{first}");
        }
        // A two-column header that names no label is still refused.
        let p = write(tmp.path(), "other.csv", "body,category\nWe collect.,x\n");
        let err = read_annotated(&p, None, &l).unwrap_err();
        assert!(err.to_string().contains("no `text` column"), "{err}");
    }

    #[test]
    fn spreadsheet_encodings_are_decoded_not_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let l = LabelSet::policylens();
        // Windows-1252, as Excel saves "CSV" on Windows: curly quotes, é.
        let cp1252 = b"text,label\n\"We \x93never\x94 sell data to caf\xe9s.\",Data Retention\n";
        let p = tmp.path().join("export.csv");
        std::fs::write(&p, cp1252).unwrap();
        let a = read_annotated(&p, None, &l).unwrap();
        assert_eq!(
            a.texts,
            ["We \u{201c}never\u{201d} sell data to caf\u{e9}s."]
        );
        // UTF-16 with its byte-order mark.
        let line = "{\"text\": \"Wir speichern nichts.\", \"labels\": [\"retention\"]}\n";
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(line.encode_utf16().flat_map(u16::to_le_bytes));
        let p = tmp.path().join("export.jsonl");
        std::fs::write(&p, utf16).unwrap();
        let a = read_annotated(&p, None, &l).unwrap();
        assert_eq!(a.texts, ["Wir speichern nichts."]);
        assert!(a.gold[0][l.index("retention").unwrap()]);
    }

    #[test]
    fn jsonl_with_splits_and_label_lists() {
        let tmp = tempfile::tempdir().unwrap();
        let p = write(
            tmp.path(),
            "bio.jsonl",
            r#"{"id":"1","text":"We scan your face.","labels":["biometrics","collection"],"split":"train"}
{"id":"2","text":"We use cookies.","labels":["collection"],"split":"test"}
"#,
        );
        let l = LabelSet::policylens();
        let a = read_annotated(&p, Some("train"), &l).unwrap();
        assert_eq!(a.texts, vec!["We scan your face.".to_string()]);
        assert!(a.gold[0][l.index("biometrics").unwrap()]);
        assert!(read_annotated(&p, Some("nope"), &l).is_err());
    }

    #[test]
    fn unknown_labels_and_missing_text_name_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let p = write(tmp.path(), "bad.csv", "text,labels\nhello,astrology\n");
        let err = read_annotated(&p, None, &LabelSet::policylens())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("bad.csv") && err.contains("astrology"),
            "{err}"
        );
        let p = write(tmp.path(), "bad.jsonl", "{\"body\": 1}\n");
        let err = read_clause_table(&p).unwrap_err().to_string();
        assert!(err.contains("bad.jsonl") && err.contains("line 1"), "{err}");
    }

    #[test]
    fn unlabeled_csv_with_header_is_a_clause_table() {
        let tmp = tempfile::tempdir().unwrap();
        let p = write(
            tmp.path(),
            "c.csv",
            "id,text\na,First clause.\nb,Second clause.\n",
        );
        let rows = read_clause_table(&p).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].id.as_deref(), Some("b"));
        assert!(rows[0].labels.is_none());
    }
}
