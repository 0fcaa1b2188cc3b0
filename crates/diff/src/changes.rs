//! What changed between two labeled versions of a policy, as rows: clause
//! changes with their label changes, practice-level changes (a label that
//! appears in or disappears from the whole policy), and policies present on
//! one side only.
//!
//! Labels are compared as predicted (the `labels` column, thresholded), not
//! as raw scores: a reworded clause's scores always move a little, its
//! labels only when the classifier's decision does.

use crate::align::{align, Step};
use policylens_core::is_practice_name;
use policylens_store::{ClauseRow, DocumentRow};
use std::collections::BTreeSet;

/// The kind of a [`Change`]; `as_str` is the `kind` column's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChangeKind {
    /// A practice label disclosed by some clause of the new version and by
    /// none of the old.
    NewlyDisclosed,
    /// A practice label disclosed by the old version and by no clause of the new.
    NoLongerDisclosed,
    Added,
    Removed,
    Changed,
    Moved,
    /// Adjacent old clauses that became one new clause: one row per old
    /// clause, each naming the new one.
    Merged,
    /// One old clause that became adjacent new clauses: one row per new
    /// clause, each naming the old one.
    Split,
    Unchanged,
    /// A policy with no counterpart in the old version.
    PolicyAdded,
    /// A policy with no counterpart in the new version.
    PolicyRemoved,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::NewlyDisclosed => "newly_disclosed",
            ChangeKind::NoLongerDisclosed => "no_longer_disclosed",
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Changed => "changed",
            ChangeKind::Moved => "moved",
            ChangeKind::Merged => "merged",
            ChangeKind::Split => "split",
            ChangeKind::Unchanged => "unchanged",
            ChangeKind::PolicyAdded => "policy_added",
            ChangeKind::PolicyRemoved => "policy_removed",
        }
    }

    /// Whether a row of this kind is about one clause.
    pub fn is_clause(self) -> bool {
        matches!(
            self,
            ChangeKind::Added
                | ChangeKind::Removed
                | ChangeKind::Changed
                | ChangeKind::Moved
                | ChangeKind::Merged
                | ChangeKind::Split
                | ChangeKind::Unchanged
        )
    }
}

/// One side of a clause change: the clause as that version has it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClauseSide {
    pub clause_id: String,
    pub position: u32,
    pub heading: Option<String>,
    pub text: String,
    pub labels: Vec<String>,
}

impl From<&ClauseRow> for ClauseSide {
    fn from(c: &ClauseRow) -> Self {
        Self {
            clause_id: c.clause_id.clone(),
            position: c.position,
            heading: c.heading.clone(),
            text: c.text.clone(),
            labels: c.labels.clone(),
        }
    }
}

/// One `changes.parquet` row.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub kind: ChangeKind,
    pub old: Option<ClauseSide>,
    pub new: Option<ClauseSide>,
    /// Word-level similarity of the two clause texts (clause pairs only).
    pub similarity: Option<f64>,
    /// Labels the new side has and the old side has not (for
    /// `newly_disclosed`: the label; for `policy_added`: all its practices).
    pub labels_gained: Vec<String>,
    /// Labels the old side has and the new side has not.
    pub labels_lost: Vec<String>,
    /// One line for people: "retention clause removed", "biometrics newly disclosed".
    pub description: String,
}

/// One policy as it appears in one version.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyVersion {
    pub path: String,
    pub status: String,
    pub error: Option<String>,
    pub n_clauses: usize,
    /// The `lang` column: the language the text is in.
    pub lang: Option<String>,
}

impl PolicyVersion {
    /// A labeled version the model cannot read well: in another language
    /// than English.
    pub fn is_unreliable(&self) -> bool {
        self.status == "ok" && policylens_core::is_other_language(self.lang.as_deref())
    }
}

impl From<&DocumentRow> for PolicyVersion {
    fn from(d: &DocumentRow) -> Self {
        Self {
            path: d.path.clone(),
            status: d.status.clone(),
            error: d.error.clone(),
            n_clauses: d.n_clauses as usize,
            lang: d.lang.clone(),
        }
    }
}

/// The changes of one policy between two versions.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDiff {
    /// The name the two versions were matched by (relative path or file name).
    pub name: String,
    pub old: Option<PolicyVersion>,
    pub new: Option<PolicyVersion>,
    /// Practice rows first, then clauses in reading order of the new version
    /// (removed clauses where they stood), unchanged ones included.
    pub changes: Vec<Change>,
}

impl PolicyDiff {
    /// Compare two versions of one policy, given each version's clauses in order.
    pub fn compare(
        name: &str,
        old: (&DocumentRow, &[&ClauseRow]),
        new: (&DocumentRow, &[&ClauseRow]),
    ) -> Self {
        let (old_doc, old_clauses) = old;
        let (new_doc, new_clauses) = new;
        let old_texts: Vec<&str> = old_clauses.iter().map(|c| c.text.as_str()).collect();
        let new_texts: Vec<&str> = new_clauses.iter().map(|c| c.text.as_str()).collect();

        let before = practices(old_clauses);
        let after = practices(new_clauses);
        let mut changes: Vec<Change> = after
            .difference(&before)
            .map(|l| practice(ChangeKind::NewlyDisclosed, l))
            .chain(
                before
                    .difference(&after)
                    .map(|l| practice(ChangeKind::NoLongerDisclosed, l)),
            )
            .collect();
        for step in align(&old_texts, &new_texts) {
            let pair = |o: usize, n: usize| (Some(old_clauses[o]), Some(new_clauses[n]));
            let (kind, (o, n), similarity) = match step {
                Step::Unchanged { old, new } => (ChangeKind::Unchanged, pair(old, new), Some(1.0)),
                Step::Changed {
                    old,
                    new,
                    similarity,
                } => (ChangeKind::Changed, pair(old, new), Some(similarity)),
                Step::Moved {
                    old,
                    new,
                    similarity,
                } => (ChangeKind::Moved, pair(old, new), Some(similarity)),
                Step::Removed { old } => {
                    (ChangeKind::Removed, (Some(old_clauses[old]), None), None)
                }
                Step::Added { new } => (ChangeKind::Added, (None, Some(new_clauses[new])), None),
                Step::Merged {
                    old_start,
                    old_end,
                    new,
                    similarity,
                } => {
                    let olds = &old_clauses[old_start..old_end];
                    changes.extend(group_changes(olds, &new_clauses[new..=new], similarity));
                    continue;
                }
                Step::Split {
                    old,
                    new_start,
                    new_end,
                    similarity,
                } => {
                    let news = &new_clauses[new_start..new_end];
                    changes.extend(group_changes(&old_clauses[old..=old], news, similarity));
                    continue;
                }
            };
            changes.push(clause_change(kind, o, n, similarity));
        }
        Self {
            name: name.to_string(),
            old: Some(old_doc.into()),
            new: Some(new_doc.into()),
            changes,
        }
    }

    /// A policy present in one version only: one `policy_added` or
    /// `policy_removed` row listing the practices it discloses.
    pub fn one_sided(name: &str, doc: &DocumentRow, clauses: &[&ClauseRow], added: bool) -> Self {
        let disclosed: Vec<String> = practices(clauses).into_iter().collect();
        let (kind, verb) = if added {
            (ChangeKind::PolicyAdded, "added")
        } else {
            (ChangeKind::PolicyRemoved, "removed")
        };
        let mut description = format!("policy {verb} ({} clauses)", clauses.len());
        if !disclosed.is_empty() {
            description.push_str(&format!("; discloses {}", disclosed.join(", ")));
        }
        let (labels_gained, labels_lost) = if added {
            (disclosed, Vec::new())
        } else {
            (Vec::new(), disclosed)
        };
        let version = Some(PolicyVersion::from(doc));
        let (old, new) = if added {
            (None, version)
        } else {
            (version, None)
        };
        Self {
            name: name.to_string(),
            old,
            new,
            changes: vec![Change {
                kind,
                old: None,
                new: None,
                similarity: None,
                labels_gained,
                labels_lost,
                description,
            }],
        }
    }

    /// How many rows of `kind` this policy has.
    pub fn count(&self, kind: ChangeKind) -> usize {
        self.changes.iter().filter(|c| c.kind == kind).count()
    }
}

/// The practice labels some clause carries, sorted; labels that name no
/// practice ([`is_practice_name`]) never make practice-level rows.
fn practices(clauses: &[&ClauseRow]) -> BTreeSet<String> {
    clauses
        .iter()
        .flat_map(|c| c.labels.iter())
        .filter(|l| is_practice_name(l))
        .cloned()
        .collect()
}

fn practice(kind: ChangeKind, label: &str) -> Change {
    let (gained, lost, what) = match kind {
        ChangeKind::NewlyDisclosed => (vec![label.to_string()], vec![], "newly disclosed"),
        _ => (vec![], vec![label.to_string()], "no longer disclosed"),
    };
    Change {
        kind,
        old: None,
        new: None,
        similarity: None,
        labels_gained: gained,
        labels_lost: lost,
        description: format!("{label} {what}"),
    }
}

/// The rows of a merge (several old clauses, one new) or a split (one old,
/// several new): one row per clause of the larger side, each paired with the
/// single clause of the other. Labels are compared between the two sides as
/// wholes, so every row of the group carries the same labels gained and lost.
fn group_changes(olds: &[&ClauseRow], news: &[&ClauseRow], similarity: f64) -> Vec<Change> {
    let union = |side: &[&ClauseRow]| -> BTreeSet<String> {
        side.iter().flat_map(|c| c.labels.iter().cloned()).collect()
    };
    let (before, after) = (union(olds), union(news));
    let labels_gained: Vec<String> = after.difference(&before).cloned().collect();
    let labels_lost: Vec<String> = before.difference(&after).cloned().collect();
    let (kind, verb) = if news.len() == 1 {
        (
            ChangeKind::Merged,
            format!("merged ({} into 1)", olds.len()),
        )
    } else {
        (ChangeKind::Split, format!("split (1 into {})", news.len()))
    };
    let named: Vec<&str> = after.iter().map(String::as_str).collect();
    let mut description = if named.is_empty() {
        format!("clause {verb}")
    } else {
        format!("{} clause {verb}", named.join(", "))
    };
    describe_label_changes(&mut description, &labels_gained, &labels_lost);
    let pairs: Vec<(&ClauseRow, &ClauseRow)> = if news.len() == 1 {
        olds.iter().map(|&o| (o, news[0])).collect()
    } else {
        news.iter().map(|&n| (olds[0], n)).collect()
    };
    pairs
        .into_iter()
        .map(|(o, n)| Change {
            kind,
            old: Some(o.into()),
            new: Some(n.into()),
            similarity: Some(similarity),
            labels_gained: labels_gained.clone(),
            labels_lost: labels_lost.clone(),
            description: description.clone(),
        })
        .collect()
}

/// "; now also labeled …; no longer labeled …" after a clause pair's description.
fn describe_label_changes(description: &mut String, gained: &[String], lost: &[String]) {
    if !gained.is_empty() {
        description.push_str(&format!("; now also labeled {}", gained.join(", ")));
    }
    if !lost.is_empty() {
        description.push_str(&format!("; no longer labeled {}", lost.join(", ")));
    }
}

fn clause_change(
    kind: ChangeKind,
    old: Option<&ClauseRow>,
    new: Option<&ClauseRow>,
    similarity: Option<f64>,
) -> Change {
    let none = Vec::new();
    let old_labels = old.map_or(&none, |c| &c.labels);
    let new_labels = new.map_or(&none, |c| &c.labels);
    let minus = |a: &Vec<String>, b: &Vec<String>| -> Vec<String> {
        a.iter().filter(|l| !b.contains(l)).cloned().collect()
    };
    // An added clause's labels are all gained, a removed clause's all lost.
    let labels_gained = minus(new_labels, old_labels);
    let labels_lost = minus(old_labels, new_labels);
    // Name a clause by the labels it had (removed) or has (otherwise).
    let named_by = if new.is_some() {
        new_labels
    } else {
        old_labels
    };
    let mut description = if named_by.is_empty() {
        "clause".to_string()
    } else {
        format!("{} clause", named_by.join(", "))
    };
    description.push(' ');
    description.push_str(kind.as_str());
    if kind == ChangeKind::Moved && similarity.is_some_and(|s| s < 1.0) {
        description.push_str(" and reworded");
    }
    if old.is_some() && new.is_some() {
        describe_label_changes(&mut description, &labels_gained, &labels_lost);
    }
    Change {
        kind,
        old: old.map(ClauseSide::from),
        new: new.map(ClauseSide::from),
        similarity,
        labels_gained,
        labels_lost,
        description,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    fn doc() -> DocumentRow {
        fixtures::doc("d", "p.md")
    }

    fn clause(position: u32, text: &str, labels: &[&str]) -> ClauseRow {
        fixtures::clause("d", position, text, labels)
    }

    #[test]
    fn a_merge_is_a_row_per_old_clause_with_the_labels_of_the_group() {
        let old = [
            clause(0, "If you live in the United States:", &["audiences"]),
            clause(1, "Data controller: Lumen Photos, Inc.", &[]),
            clause(2, "Write to dpo@lumen.example", &["contact"]),
        ];
        let new = [clause(
            0,
            "If you live in the United States: Data controller: Lumen Photos, Inc. \
             Write to dpo@lumen.example",
            &["contact", "intro"],
        )];
        let (o, n): (Vec<&ClauseRow>, Vec<&ClauseRow>) =
            (old.iter().collect(), new.iter().collect());
        let diff = PolicyDiff::compare("p", (&doc(), &o), (&doc(), &n));
        let merged: Vec<&Change> = diff
            .changes
            .iter()
            .filter(|c| c.kind == ChangeKind::Merged)
            .collect();
        assert_eq!(merged.len(), 3, "{:?}", diff.changes);
        for (i, c) in merged.iter().enumerate() {
            assert_eq!(c.old.as_ref().unwrap().position, i as u32);
            assert_eq!(c.new.as_ref().unwrap().position, 0);
            assert_eq!(c.labels_gained, ["intro"]);
            assert_eq!(c.labels_lost, ["audiences"]);
        }
        assert!(
            merged[0].description.contains("merged (3 into 1)"),
            "{}",
            merged[0].description
        );
        // No clause is reported removed or added as well.
        assert!(!diff
            .changes
            .iter()
            .any(|c| matches!(c.kind, ChangeKind::Removed | ChangeKind::Added)));
        // Back the other way: one old clause split into three.
        let back = PolicyDiff::compare("p", (&doc(), &n), (&doc(), &o));
        assert_eq!(back.count(ChangeKind::Split), 3);
    }

    #[test]
    fn label_changes_become_clause_and_practice_rows() {
        let old = [
            clause(0, "Welcome to our privacy policy.", &["intro"]),
            clause(
                1,
                "We share your address with couriers who deliver orders.",
                &["sharing"],
            ),
            clause(2, "Order records are kept for seven years.", &["retention"]),
        ];
        let new = [
            clause(0, "Welcome to our privacy policy.", &["intro"]),
            clause(
                1,
                "We share your address and phone number with couriers who deliver orders.",
                &["sharing", "collection"],
            ),
            clause(
                2,
                "Our tills scan your fingerprint to confirm payment.",
                &["biometrics"],
            ),
        ];
        fn refs(v: &[ClauseRow]) -> Vec<&ClauseRow> {
            v.iter().collect()
        }
        let d = doc();
        let p = PolicyDiff::compare("p.md", (&d, &refs(&old)), (&d, &refs(&new)));
        let got: Vec<(&str, &str)> = p
            .changes
            .iter()
            .map(|c| (c.kind.as_str(), c.description.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("newly_disclosed", "biometrics newly disclosed"),
                ("newly_disclosed", "collection newly disclosed"),
                ("no_longer_disclosed", "retention no longer disclosed"),
                ("unchanged", "intro clause unchanged"),
                (
                    "changed",
                    "sharing, collection clause changed; now also labeled collection"
                ),
                ("removed", "retention clause removed"),
                ("added", "biometrics clause added"),
            ]
        );
        let removed = &p.changes[5];
        assert_eq!(removed.labels_lost, vec!["retention"]);
        assert_eq!(removed.old.as_ref().map(|s| s.position), Some(2));
        assert!(removed.new.is_none() && removed.similarity.is_none());
        let changed = &p.changes[4];
        assert_eq!(changed.labels_gained, vec!["collection"]);
        assert!(changed.labels_lost.is_empty());
        assert!(changed.similarity.is_some_and(|s| s > 0.5 && s < 1.0));
        assert_eq!(p.count(ChangeKind::Unchanged), 1);
    }

    #[test]
    fn a_one_sided_policy_lists_its_practices() {
        let c = [clause(
            0,
            "We collect your e-mail.",
            &["collection", "intro"],
        )];
        let p = PolicyDiff::one_sided("p.md", &doc(), &c.iter().collect::<Vec<_>>(), false);
        assert_eq!(p.changes.len(), 1);
        assert_eq!(p.changes[0].kind, ChangeKind::PolicyRemoved);
        assert_eq!(p.changes[0].labels_lost, vec!["collection"]);
        assert_eq!(
            p.changes[0].description,
            "policy removed (1 clauses); discloses collection"
        );
        assert!(p.new.is_none() && p.old.is_some());
    }
}
