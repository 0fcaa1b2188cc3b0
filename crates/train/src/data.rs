//! The clauses a job learns from: annotated files named as `FILE` or
//! `FILE@split`, and unlabeled policies read and segmented as `policylens
//! label` reads them.

use crate::error::{Result, TrainError};
use crate::observe::Observer;
use policylens_core::LabelSet;
use policylens_store::{read_annotated, Annotated};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
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

/// Read and concatenate annotated files (`FILE` or `FILE@split`).
pub fn load_annotated(
    specs: &[String],
    labels: &LabelSet,
    observer: &dyn Observer,
) -> Result<Annotated> {
    Ok(load_annotated_by_source(specs, labels, observer)?.0)
}

/// [`load_annotated`], with the index in `specs` of the file each row came from.
pub fn load_annotated_by_source(
    specs: &[String],
    labels: &LabelSet,
    observer: &dyn Observer,
) -> Result<(Annotated, Vec<usize>)> {
    let mut all = Annotated::default();
    let mut source = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let (path, split) = parse_spec(spec);
        let a = read_annotated(&path, split.as_deref(), labels)
            .map_err(|e| TrainError::from(e).context(format!("reading {spec}")))?;
        observer.note(&format!(
            "{spec}: {} clauses ({} spreadsheet artefacts or empty rows skipped)",
            a.texts.len(),
            a.skipped
        ));
        source.extend(std::iter::repeat_n(i, a.texts.len()));
        all.texts.extend(a.texts);
        all.headings.extend(a.headings);
        all.gold.extend(a.gold);
        all.skipped += a.skipped;
    }
    Ok((all, source))
}

/// The distinct clause texts of the policies under `paths`, read and
/// segmented as `label` does, at most `limit` of them drawn with `seed`.
/// Files that yield no clauses are reported (prefixed by `what`) and skipped.
/// No paths, no clauses and no report.
pub fn policy_clauses(
    paths: &[PathBuf],
    limit: Option<usize>,
    seed: u64,
    what: &str,
    observer: &dyn Observer,
) -> Result<Vec<String>> {
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let files = policylens_read::discover(paths)?;
    let mut seen = std::collections::HashSet::new();
    let mut texts = Vec::new();
    let mut failed = 0usize;
    for file in &files {
        match policylens_pipeline::segment_file(file) {
            Ok(f) => {
                for c in f.segmented.clauses {
                    if seen.insert(c.text.clone()) {
                        texts.push(c.text);
                    }
                }
            }
            Err(f) => {
                failed += 1;
                // Most messages already name the file.
                let path = file.display().to_string();
                observer.note(&match f.error.contains(&path) {
                    true => format!("{what}: skipped {}", f.error),
                    false => format!("{what}: skipped {path}: {}", f.error),
                });
            }
        }
    }
    let found = texts.len();
    if let Some(n) = limit.filter(|&n| n < texts.len()) {
        texts.shuffle(&mut StdRng::seed_from_u64(seed));
        texts.truncate(n);
    }
    observer.note(&format!(
        "{what}: {} of {found} distinct clauses from {} files ({failed} skipped)",
        texts.len(),
        files.len()
    ));
    Ok(texts)
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
