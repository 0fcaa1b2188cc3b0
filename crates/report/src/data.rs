//! What the report shows, computed once: per-policy label coverage, and the
//! compact JSON blob that `assets/report.js` renders from.
//!
//! The blob is arrays, not objects, per policy and per clause, so that 1,000
//! policies of ~40 clauses stay a file a browser opens at once:
//!
//! ```text
//! { "v": 1, "title", "model", "page": rows per matrix page,
//!   "labels": [name...], "hues": [0..360 per label], "core": [label index...],
//!   "docs": [[doc_id, title, path, format, [clauses per label...],
//!             [heading...],
//!             [[heading index or -1, text, [predicted label index...],
//!               [score per label, per mille, or null]]...]]...] }
//! ```
//!
//! Only readable (`status == "ok"`) policies are in `docs`; the others are
//! listed by the static part of the page.

use crate::ReportOptions;
use policylens_store::{ClauseRow, LabeledRun};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The kind of page (`kind` in documents.parquet) a report counts by default.
const PRIVACY_POLICY: &str = "privacy_policy";
/// The status of a page `label --kind` left out.
pub(crate) const OTHER_KIND: &str = "other_kind";

/// Bumped when the blob's layout changes.
pub const DATA_VERSION: u32 = 1;

/// Which practices each readable policy discloses.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    pub labels: Vec<String>,
    /// Indices into `labels` of the practices flagged when missing.
    pub core: Vec<usize>,
    /// Indices into `run.documents` of the readable (`ok`) policies: of
    /// kind `privacy_policy` unless the report counts every kind (runs
    /// written before `kind` existed count every document).
    pub ok: Vec<usize>,
    /// For each readable policy, clauses predicted with each label.
    pub counts: Vec<Vec<u32>>,
    /// For each label, readable policies with at least one clause predicted with it.
    pub disclosed: Vec<usize>,
    /// Documents per status, every status.
    pub by_status: BTreeMap<String, usize>,
    /// Documents not counted because they are not privacy policies (and
    /// were labeled, or left out by `label --kind`), by kind.
    pub other_kinds: BTreeMap<String, usize>,
    /// Readable documents whose `lang` names a language other than English
    /// (the model reads English only; runs without the column count none).
    pub not_english: usize,
    /// Clauses of readable policies.
    pub clauses: usize,
    /// Readable policies missing at least one core practice.
    pub missing_core: usize,
}

impl Coverage {
    pub fn of(run: &LabeledRun, opts: &ReportOptions) -> Self {
        let labels = run.labels.names().to_vec();
        let index: HashMap<&str, usize> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.as_str(), i))
            .collect();
        let mut core: Vec<usize> = opts
            .core
            .iter()
            .filter_map(|c| index.get(c.as_str()).copied())
            .collect();
        if core.is_empty() {
            core = (0..labels.len()).collect();
        }
        core.sort_unstable();
        core.dedup();
        let mut by_status = BTreeMap::new();
        for d in &run.documents {
            *by_status.entry(d.status.clone()).or_insert(0) += 1;
        }
        let mut other_kinds = BTreeMap::new();
        let mut ok = Vec::new();
        for (i, d) in run.documents.iter().enumerate() {
            let kind = d.kind.as_deref().unwrap_or("unknown");
            if d.status == OTHER_KIND {
                *other_kinds.entry(kind.to_string()).or_insert(0) += 1;
                continue;
            }
            if d.status != "ok" {
                continue;
            }
            match d.kind.as_deref() {
                Some(k) if k != PRIVACY_POLICY && !opts.all_kinds => {
                    *other_kinds.entry(k.to_string()).or_insert(0) += 1
                }
                _ => ok.push(i),
            }
        }
        let not_english = ok
            .iter()
            .filter(|&&i| policylens_core::is_other_language(run.documents[i].lang.as_deref()))
            .count();
        let row: HashMap<&str, usize> = ok
            .iter()
            .enumerate()
            .map(|(r, &i)| (run.documents[i].doc_id.as_str(), r))
            .collect();
        let mut counts = vec![vec![0u32; labels.len()]; ok.len()];
        let mut clauses = 0;
        for c in &run.clauses {
            let Some(&r) = row.get(c.doc_id.as_str()) else {
                continue;
            };
            clauses += 1;
            for l in &c.labels {
                if let Some(&j) = index.get(l.as_str()) {
                    counts[r][j] += 1;
                }
            }
        }
        let disclosed = (0..labels.len())
            .map(|j| counts.iter().filter(|c| c[j] > 0).count())
            .collect();
        let missing_core = counts
            .iter()
            .filter(|c| core.iter().any(|&j| c[j] == 0))
            .count();
        Self {
            labels,
            core,
            ok,
            counts,
            disclosed,
            by_status,
            other_kinds,
            not_english,
            clauses,
            missing_core,
        }
    }

    /// Share of readable policies that disclose label `j` (0 with none).
    pub fn share(&self, j: usize) -> f64 {
        if self.ok.is_empty() {
            0.0
        } else {
            self.disclosed[j] as f64 / self.ok.len() as f64
        }
    }
}

/// A colour hue per label, spread by the golden angle so that neighbours differ.
pub(crate) fn hues(n: usize) -> Vec<u16> {
    (0..n)
        .map(|i| ((205.0 + i as f64 * 137.508) % 360.0).round() as u16)
        .collect()
}

/// A policy's display title: its own, else its file name.
pub(crate) fn title_of(title: Option<&str>, path: &str) -> String {
    match title.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => t.to_string(),
        None => path.rsplit(['/', '\\']).next().unwrap_or(path).to_string(),
    }
}

#[derive(Serialize)]
struct Blob<'a> {
    v: u32,
    title: &'a str,
    model: Option<&'a str>,
    page: usize,
    labels: &'a [String],
    hues: Vec<u16>,
    core: &'a [usize],
    docs: Vec<Doc<'a>>,
}

/// doc_id, title, path, format, counts, headings, clauses.
#[derive(Serialize)]
struct Doc<'a>(
    &'a str,
    String,
    &'a str,
    &'a str,
    &'a [u32],
    Vec<&'a str>,
    Vec<Clause<'a>>,
);

/// heading index (-1: none), text, predicted label indices, scores per mille.
#[derive(Serialize)]
struct Clause<'a>(i32, &'a str, Vec<u16>, Vec<Option<u16>>);

/// The blob as JSON that is safe inside `<script type="application/json">`.
pub(crate) fn blob(run: &LabeledRun, opts: &ReportOptions, cov: &Coverage, title: &str) -> String {
    let index: HashMap<&str, u16> = cov
        .labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i as u16))
        .collect();
    let row: HashMap<&str, usize> = cov
        .ok
        .iter()
        .enumerate()
        .map(|(r, &i)| (run.documents[i].doc_id.as_str(), r))
        .collect();
    let mut per_doc: Vec<Vec<&ClauseRow>> = vec![Vec::new(); cov.ok.len()];
    for c in &run.clauses {
        if let Some(&r) = row.get(c.doc_id.as_str()) {
            per_doc[r].push(c);
        }
    }
    let docs = cov
        .ok
        .iter()
        .zip(per_doc)
        .zip(&cov.counts)
        .map(|((&i, clauses), counts)| {
            let d = &run.documents[i];
            let mut headings: Vec<&str> = Vec::new();
            let mut heading_ix: HashMap<&str, i32> = HashMap::new();
            let clauses = clauses
                .into_iter()
                .map(|c| {
                    let h = match c.heading.as_deref().filter(|h| !h.is_empty()) {
                        None => -1,
                        Some(h) => *heading_ix.entry(h).or_insert_with(|| {
                            headings.push(h);
                            headings.len() as i32 - 1
                        }),
                    };
                    let predicted = c
                        .labels
                        .iter()
                        .filter_map(|l| index.get(l.as_str()).copied())
                        .collect();
                    let scores = c
                        .scores
                        .0
                        .iter()
                        .map(|s| {
                            s.is_finite()
                                .then(|| (s.clamp(0.0, 1.0) * 1000.0).round() as u16)
                        })
                        .collect();
                    Clause(h, &c.text, predicted, scores)
                })
                .collect();
            Doc(
                &d.doc_id,
                title_of(d.title.as_deref(), &d.path),
                &d.path,
                d.format.as_deref().unwrap_or(""),
                counts,
                headings,
                clauses,
            )
        })
        .collect();
    let blob = Blob {
        v: DATA_VERSION,
        title,
        model: run.model.as_deref(),
        page: opts.page_size.max(1),
        labels: &cov.labels,
        hues: hues(cov.labels.len()),
        core: &cov.core,
        docs,
    };
    let json = serde_json::to_string(&blob).expect("the blob is plain data");
    script_safe(&json)
}

/// Make JSON inert inside a `<script>` element: no `<` at all (so neither
/// `</script>` nor `<!--` can appear) and no raw U+2028/U+2029. `<` occurs in
/// JSON only inside strings, where `\u003c` means the same.
pub(crate) fn script_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + 64);
    for ch in json.chars() {
        match ch {
            '<' => out.push_str("\\u003c"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_safe_json_means_the_same() {
        let s = "a</script><!--\u{2028}b\u{2029}";
        let json = serde_json::to_string(&s).unwrap();
        let safe = script_safe(&json);
        assert!(!safe.contains('<') && !safe.contains('\u{2028}') && !safe.contains('\u{2029}'));
        assert_eq!(serde_json::from_str::<String>(&safe).unwrap(), s);
    }

    #[test]
    fn hues_differ_between_neighbours() {
        let h = hues(13);
        for w in h.windows(2) {
            let d = (w[0] as i32 - w[1] as i32).rem_euclid(360);
            assert!(d.min(360 - d) > 30, "{h:?}");
        }
    }

    #[test]
    fn a_title_falls_back_to_the_file_name() {
        assert_eq!(title_of(None, "a/b/c.html"), "c.html");
        assert_eq!(title_of(Some("  "), "c.md"), "c.md");
        assert_eq!(title_of(Some("Acme"), "c.md"), "Acme");
    }
}
