//! Comparing two labeled versions of privacy policies: which clauses were
//! added, removed, reworded or moved, how their labels changed, and which
//! practices a policy newly discloses or no longer discloses.
//!
//! This crate owns the comparison, not the labeling: it takes two finished
//! runs ([`LabeledRun`]), pairs their documents by name ([`Diff::between`]),
//! aligns each pair's clauses ([`align`]), turns the alignment into change
//! rows ([`changes`]), and writes them as `changes.parquet` (schema in
//! `policylens_store::changes_schema`) and a readable Markdown summary
//! ([`summary`]). Labeling the inputs first is the caller's business
//! (`policylens diff` runs the pipeline on files it is given).

pub mod align;
pub mod changes;
#[cfg(test)]
mod fixtures;
pub mod summary;
mod table;

pub use align::{align, similarity, Step, CHANGED_THRESHOLD, MIN_COMMON_WORDS};
pub use changes::{Change, ChangeKind, ClauseSide, PolicyDiff, PolicyVersion};

use policylens_store::{ClauseRow, DocumentRow, LabeledRun, StoreError, TableWriter};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

pub const CHANGES_FILE: &str = policylens_store::CHANGES_FILE;
pub const SUMMARY_FILE: &str = "summary.md";

/// The changes between two labeled runs, policy by policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Diff {
    pub old_dir: PathBuf,
    pub new_dir: PathBuf,
    pub old_model: Option<String>,
    pub new_model: Option<String>,
    /// Sorted by name.
    pub policies: Vec<PolicyDiff>,
}

impl Diff {
    /// Pair the runs' documents by name and compare each pair.
    ///
    /// Two runs of one document each are paired whatever their names (two
    /// files given on the command line). Otherwise a document is named by its
    /// path relative to the directory all of its run's paths share, and
    /// paired with the document of the same name in the other run, failing
    /// that with the only unpaired document of the same file stem; the rest
    /// are policies added or removed.
    pub fn between(old: &LabeledRun, new: &LabeledRun) -> Self {
        let mut policies: Vec<PolicyDiff> = pair_documents(&old.documents, &new.documents)
            .into_iter()
            .map(|(name, o, n)| match (o, n) {
                (Some(o), Some(n)) => {
                    PolicyDiff::compare(&name, (o, &clauses_of(old, o)), (n, &clauses_of(new, n)))
                }
                (Some(o), None) => PolicyDiff::one_sided(&name, o, &clauses_of(old, o), false),
                (None, Some(n)) => PolicyDiff::one_sided(&name, n, &clauses_of(new, n), true),
                (None, None) => unreachable!("a pair has at least one side"),
            })
            .collect();
        policies.sort_by(|a, b| a.name.cmp(&b.name));
        Self {
            old_dir: old.dir.clone(),
            new_dir: new.dir.clone(),
            old_model: old.model.clone(),
            new_model: new.model.clone(),
            policies,
        }
    }

    /// Rows of every policy, unchanged clauses only when asked for.
    pub fn rows(&self, include_unchanged: bool) -> impl Iterator<Item = (&PolicyDiff, &Change)> {
        self.policies.iter().flat_map(move |p| {
            p.changes
                .iter()
                .filter(move |c| include_unchanged || c.kind != ChangeKind::Unchanged)
                .map(move |c| (p, c))
        })
    }

    /// Rows of each kind over all policies.
    pub fn totals(&self) -> BTreeMap<ChangeKind, usize> {
        let mut t = BTreeMap::new();
        for (_, c) in self.rows(true) {
            *t.entry(c.kind).or_default() += 1;
        }
        t
    }

    /// Write `changes.parquet` (and `summary.md`) into `dir`; returns the
    /// number of rows written. Errors name the file.
    pub fn write(&self, dir: &Path, include_unchanged: bool) -> Result<usize, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(CHANGES_FILE);
        let rows: Vec<_> = self.rows(include_unchanged).collect();
        let df = table::changes_frame(&rows).map_err(|source| StoreError::Polars {
            path: path.clone(),
            source,
        })?;
        let mut w = TableWriter::create(&path, &policylens_store::changes_schema())?;
        w.write(&df)?;
        let n = w.finish()?;
        let summary = dir.join(SUMMARY_FILE);
        std::fs::write(&summary, self.to_string()).map_err(|source| StoreError::Io {
            path: summary,
            source,
        })?;
        Ok(n)
    }
}

/// A document's clauses in order. Runs written before document ids took in
/// the path gave copies of one file under other names a single id; such a
/// file contributes its clauses once.
fn clauses_of<'a>(run: &'a LabeledRun, doc: &'a DocumentRow) -> Vec<&'a ClauseRow> {
    let mut seen = std::collections::HashSet::new();
    run.clauses_of(&doc.doc_id)
        .filter(|c| seen.insert(c.position))
        .collect()
}

type Pair<'a> = (String, Option<&'a DocumentRow>, Option<&'a DocumentRow>);

fn pair_documents<'a>(old: &'a [DocumentRow], new: &'a [DocumentRow]) -> Vec<Pair<'a>> {
    if let ([o], [n]) = (old, new) {
        let (a, b) = (file_name(&o.path), file_name(&n.path));
        let name = if a == b { b } else { format!("{a} → {b}") };
        return vec![(name, Some(o), Some(n))];
    }
    let old_names = relative_names(old);
    let new_names = relative_names(new);
    let mut new_left: Vec<Option<usize>> = (0..new.len()).map(Some).collect();
    let by_name: HashMap<&str, usize> = new_names
        .iter()
        .enumerate()
        .map(|(j, n)| (n.as_str(), j))
        .collect();
    let mut paired: Vec<Option<usize>> = old_names
        .iter()
        .map(|n| by_name.get(n.as_str()).copied())
        .collect();
    for j in paired.iter().flatten() {
        new_left[*j] = None;
    }
    // Fall back to the file stem where it is unambiguous on both sides.
    let stem = |names: &[String], i: usize| file_stem(&names[i]);
    for i in 0..old.len() {
        if paired[i].is_some() {
            continue;
        }
        let s = stem(&old_names, i);
        let olds = (0..old.len()).filter(|&k| paired[k].is_none() && stem(&old_names, k) == s);
        let news: Vec<usize> = new_left
            .iter()
            .flatten()
            .copied()
            .filter(|&j| stem(&new_names, j) == s)
            .collect();
        if olds.count() == 1 && news.len() == 1 {
            paired[i] = Some(news[0]);
            new_left[news[0]] = None;
        }
    }
    let mut pairs: Vec<Pair<'a>> = paired
        .iter()
        .enumerate()
        .map(|(i, p)| match p {
            Some(j) if old_names[i] == new_names[*j] => {
                (new_names[*j].clone(), Some(&old[i]), Some(&new[*j]))
            }
            Some(j) => (
                format!("{} → {}", old_names[i], new_names[*j]),
                Some(&old[i]),
                Some(&new[*j]),
            ),
            None => (old_names[i].clone(), Some(&old[i]), None),
        })
        .collect();
    pairs.extend(
        new_left
            .iter()
            .flatten()
            .map(|&j| (new_names[j].clone(), None, Some(&new[j]))),
    );
    pairs
}

/// Each document's path relative to the deepest directory all paths share.
fn relative_names(docs: &[DocumentRow]) -> Vec<String> {
    let parts: Vec<Vec<String>> = docs
        .iter()
        .map(|d| {
            Path::new(&d.path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect()
        })
        .collect();
    // Directories only: never strip a file's own name.
    let mut common = parts
        .iter()
        .map(|p| p.len().saturating_sub(1))
        .min()
        .unwrap_or(0);
    if let Some(first) = parts.first() {
        for p in &parts[1..] {
            common = common.min(first.iter().zip(p).take_while(|(a, b)| a == b).count());
        }
    }
    parts.iter().map(|p| p[common..].join("/")).collect()
}

fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

fn file_stem(name: &str) -> String {
    Path::new(name)
        .file_stem()
        .map_or_else(|| name.to_string(), |n| n.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(path: &str) -> DocumentRow {
        crate::fixtures::doc(path, path)
    }

    fn names(pairs: &[Pair]) -> Vec<(String, Option<String>, Option<String>)> {
        pairs
            .iter()
            .map(|(n, o, w)| {
                (
                    n.clone(),
                    o.map(|d| d.path.clone()),
                    w.map(|d| d.path.clone()),
                )
            })
            .collect()
    }

    #[test]
    fn documents_pair_by_relative_path_then_by_stem() {
        let old = [
            doc("v1/a.md"),
            doc("v1/sub/b.html"),
            doc("v1/gone.txt"),
            doc("v1/c.md"),
        ];
        let new = [
            doc("x/v2/a.md"),
            doc("x/v2/sub/b.html"),
            doc("x/v2/c.html"),
            doc("x/v2/new.md"),
        ];
        let got = names(&pair_documents(&old, &new));
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            got,
            vec![
                ("a.md".into(), s("v1/a.md"), s("x/v2/a.md")),
                (
                    "sub/b.html".into(),
                    s("v1/sub/b.html"),
                    s("x/v2/sub/b.html")
                ),
                ("gone.txt".into(), s("v1/gone.txt"), None),
                ("c.md → c.html".into(), s("v1/c.md"), s("x/v2/c.html")),
                ("new.md".into(), None, s("x/v2/new.md")),
            ]
        );
    }

    #[test]
    fn two_single_documents_pair_whatever_their_names() {
        let got = names(&pair_documents(&[doc("a/p.md")], &[doc("b/p-v2.md")]));
        assert_eq!(got[0].0, "p.md → p-v2.md");
        assert!(got[0].1.is_some() && got[0].2.is_some());
    }

    #[test]
    fn relative_names_keep_the_file_name() {
        assert_eq!(relative_names(&[doc("d/a.md")]), vec!["a.md"]);
        assert_eq!(
            relative_names(&[doc("d/a.md"), doc("d/e/b.md")]),
            vec!["a.md", "e/b.md"]
        );
        assert_eq!(
            relative_names(&[doc("a.md"), doc("b.md")]),
            vec!["a.md", "b.md"]
        );
    }
}

#[cfg(test)]
mod write_tests {
    use super::*;
    use crate::fixtures;
    use polars::prelude::*;
    use policylens_core::LabelSet;

    fn run(dir: &str, texts: &[(&str, &[&str])]) -> LabeledRun {
        let doc = fixtures::doc(&format!("{dir}-doc"), &format!("{dir}/policy.md"));
        let clauses = texts
            .iter()
            .enumerate()
            .map(|(i, (t, l))| fixtures::clause(&doc.doc_id, i as u32, t, l))
            .collect();
        LabeledRun {
            dir: dir.into(),
            labels: LabelSet::policylens(),
            model: Some("m".into()),
            documents: vec![doc],
            clauses,
        }
    }

    #[test]
    fn a_version_not_in_english_is_flagged_in_the_summary() {
        let old = run("a", &[("We collect e-mail.", &["collection"])]);
        let mut new = run("b", &[("Nous collectons votre e-mail.", &["collection"])]);
        new.documents[0].lang = Some("fra".into());
        let summary = Diff::between(&old, &new).to_string();
        assert!(
            summary.contains("1 of 1 policies have a version not in English"),
            "{summary}"
        );
        assert!(summary.contains("the new version is not in English (its language is `fra`)"));
        assert!(!summary.contains("the old version is not"));
        let english = Diff::between(&old, &old).to_string();
        assert!(!english.contains("not in English"), "{english}");
    }

    #[test]
    fn changes_parquet_matches_the_schema_and_skips_unchanged_unless_asked() {
        let old = run(
            "a",
            &[
                ("We collect e-mail.", &["collection"]),
                ("Kept for a year.", &["retention"]),
            ],
        );
        let new = run("b", &[("We collect e-mail.", &["collection"])]);
        let diff = Diff::between(&old, &new);
        let tmp = tempfile::tempdir().unwrap();
        let read = |p: &Path| {
            ParquetReader::new(std::fs::File::open(p).unwrap())
                .finish()
                .unwrap()
        };

        assert_eq!(diff.write(tmp.path(), false).unwrap(), 2);
        let df = read(&tmp.path().join(CHANGES_FILE));
        assert_eq!(df.schema().as_ref(), &policylens_store::changes_schema());
        let kinds: Vec<_> = df
            .column("kind")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .flatten()
            .map(String::from)
            .collect();
        assert_eq!(kinds, vec!["no_longer_disclosed", "removed"]);
        let old_text: Vec<_> = df
            .column("old_text")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(old_text, vec![None, Some("Kept for a year.")]);
        assert_eq!(
            df.column("new_position")
                .unwrap()
                .u32()
                .unwrap()
                .iter()
                .collect::<Vec<_>>(),
            vec![None, None]
        );
        let summary = std::fs::read_to_string(tmp.path().join(SUMMARY_FILE)).unwrap();
        assert!(summary.contains("retention clause removed"), "{summary}");
        assert!(summary.contains("1 unchanged"), "{summary}");
        assert!(!tmp.path().join("changes.parquet.partial").exists());

        assert_eq!(diff.write(tmp.path(), true).unwrap(), 3);
        let df = read(&tmp.path().join(CHANGES_FILE));
        assert_eq!(df.schema().as_ref(), &policylens_store::changes_schema());
        assert_eq!(
            df.column("similarity")
                .unwrap()
                .f32()
                .unwrap()
                .iter()
                .collect::<Vec<_>>(),
            vec![None, Some(1.0), None]
        );
    }
}
