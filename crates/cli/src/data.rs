//! Annotated clause files named on the command line as `FILE` or `FILE@split`.

use anyhow::{Context, Result};
use policylens_core::LabelSet;
use policylens_store::{read_annotated, Annotated};
use std::path::{Path, PathBuf};

/// Split `FILE@split` into the file and the split, unless FILE itself exists.
pub fn parse_spec(spec: &str) -> (PathBuf, Option<String>) {
    if Path::new(spec).exists() {
        return (PathBuf::from(spec), None);
    }
    match spec.rsplit_once('@') {
        Some((file, split)) if !split.contains('/') => {
            (PathBuf::from(file), Some(split.to_string()))
        }
        _ => (PathBuf::from(spec), None),
    }
}

/// Read and concatenate annotated files.
pub fn load(specs: &[String], labels: &LabelSet) -> Result<Annotated> {
    let mut all = Annotated::default();
    for spec in specs {
        let (path, split) = parse_spec(spec);
        let a = read_annotated(&path, split.as_deref(), labels)
            .with_context(|| format!("reading {spec}"))?;
        eprintln!(
            "{spec}: {} clauses ({} spreadsheet artefacts or empty rows skipped)",
            a.texts.len(),
            a.skipped
        );
        all.texts.extend(a.texts);
        all.headings.extend(a.headings);
        all.gold.extend(a.gold);
        all.skipped += a.skipped;
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_suffix_is_parsed_only_when_the_file_is_not_there() {
        assert_eq!(
            parse_spec("data/x.jsonl@train"),
            (PathBuf::from("data/x.jsonl"), Some("train".into()))
        );
        assert_eq!(parse_spec("x.csv"), (PathBuf::from("x.csv"), None));
    }
}
