//! The readable summary (`summary.md`, also printed by `policylens diff`):
//! totals, then per policy its practice changes and each changed clause,
//! rewordings shown as an inline word diff (`[-old-]{+new+}`).

use crate::changes::{Change, ChangeKind, ClauseSide, PolicyDiff, PolicyVersion};
use crate::Diff;
use similar::{ChangeTag, TextDiff};
use std::fmt::{self, Display, Formatter, Write};

/// Longest quoted clause text, in characters.
const QUOTE_CHARS: usize = 300;
/// Characters of unchanged text kept on each side of an edit in a word diff.
const CONTEXT_CHARS: usize = 60;
/// Only elide stretches that save at least this many characters.
const ELIDE_MIN_CHARS: usize = 20;

const CLAUSE_KINDS: [(ChangeKind, &str); 7] = [
    (ChangeKind::Added, "added"),
    (ChangeKind::Removed, "removed"),
    (ChangeKind::Changed, "changed"),
    (ChangeKind::Moved, "moved"),
    (ChangeKind::Merged, "merged"),
    (ChangeKind::Split, "split"),
    (ChangeKind::Unchanged, "unchanged"),
];

fn counts(count: impl Fn(ChangeKind) -> usize) -> String {
    CLAUSE_KINDS
        .iter()
        .map(|(k, name)| (count(*k), name, k))
        // Merges and splits are named only where there are some.
        .filter(|(n, _, k)| *n > 0 || !matches!(k, ChangeKind::Merged | ChangeKind::Split))
        .map(|(n, name, _)| format!("{n} {name}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Display for Diff {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(f, "# Policy changes\n")?;
        let model = |m: &Option<String>| m.clone().unwrap_or_else(|| "unknown model".into());
        writeln!(
            f,
            "- old: {} ({})",
            self.old_dir.display(),
            model(&self.old_model)
        )?;
        writeln!(
            f,
            "- new: {} ({})",
            self.new_dir.display(),
            model(&self.new_model)
        )?;
        if self.old_model != self.new_model {
            writeln!(
                f,
                "- warning: the versions were labeled by different models, so label changes mix policy and model changes"
            )?;
        }
        let t = self.totals();
        let total = |k| t.get(&k).copied().unwrap_or(0);
        writeln!(
            f,
            "- {} policies; clauses: {}; practices: {} newly disclosed, {} no longer disclosed; policies: {} added, {} removed",
            self.policies.len(),
            counts(total),
            total(ChangeKind::NewlyDisclosed),
            total(ChangeKind::NoLongerDisclosed),
            total(ChangeKind::PolicyAdded),
            total(ChangeKind::PolicyRemoved),
        )?;
        let unreliable = self
            .policies
            .iter()
            .filter(|p| p.old.iter().chain(&p.new).any(PolicyVersion::is_unreliable))
            .count();
        if unreliable > 0 {
            writeln!(
                f,
                "- warning: {unreliable} of {} policies have a version not in English; the model reads English only, so their labels and label changes are unreliable",
                self.policies.len()
            )?;
        }
        for p in &self.policies {
            write!(f, "\n{p}")?;
        }
        Ok(())
    }
}

impl Display for PolicyDiff {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(f, "## {}\n", self.name)?;
        let side = |v: &Option<PolicyVersion>| match v {
            None => "(absent)".to_string(),
            Some(v) if v.status == "ok" => format!("{} ({} clauses)", v.path, v.n_clauses),
            Some(v) => format!(
                "{} ({}: {})",
                v.path,
                v.status,
                v.error.as_deref().unwrap_or("no clauses")
            ),
        };
        writeln!(f, "{} → {}\n", side(&self.old), side(&self.new))?;
        for (name, v) in [("old", &self.old), ("new", &self.new)] {
            if let Some(v) = v.as_ref().filter(|v| v.is_unreliable()) {
                let lang = v.lang.as_deref().unwrap_or_default();
                writeln!(
                    f,
                    "- **warning: the {name} version is not in English (its language is `{lang}`); the model reads English only, so its labels are unreliable**\n"
                )?;
            }
        }
        if self.old.is_some() && self.new.is_some() {
            writeln!(f, "Clauses: {}.\n", counts(|k| self.count(k)))?;
        }
        let mut any = false;
        for c in self.changes.iter().filter(|c| !c.kind.is_clause()) {
            writeln!(f, "- **{}**", c.description)?;
            any = true;
        }
        if any {
            writeln!(f)?;
        }
        let shown: Vec<&Change> = self
            .changes
            .iter()
            .filter(|c| c.kind.is_clause() && c.kind != ChangeKind::Unchanged)
            .collect();
        let mut i = 0;
        while i < shown.len() {
            // A merge or split is one entry, however many rows it has.
            let n = shown[i..]
                .iter()
                .take_while(|c| same_group(shown[i], c))
                .count()
                .max(1);
            write_clause(f, &joined(&shown[i..i + n]))?;
            i += n;
        }
        Ok(())
    }
}

/// Whether `c` is another row of the merge or split `first` opens: the same
/// new clause (merged) or old clause (split).
fn same_group(first: &Change, c: &Change) -> bool {
    let id = |s: &Option<ClauseSide>| s.as_ref().map(|s| s.clause_id.clone());
    c.kind == first.kind
        && match first.kind {
            ChangeKind::Merged => id(&c.new) == id(&first.new),
            ChangeKind::Split => id(&c.old) == id(&first.old),
            _ => false,
        }
}

/// The rows of one group as one change: the many side's texts joined, its
/// first position standing for the run ("#51–#56").
fn joined(rows: &[&Change]) -> (Change, Option<String>) {
    let mut c = rows[0].clone();
    if rows.len() == 1 {
        return (c, None);
    }
    let side = |r: &&Change| match c.kind {
        ChangeKind::Split => r.new.clone(),
        _ => r.old.clone(),
    };
    let sides: Vec<ClauseSide> = rows.iter().filter_map(side).collect();
    let text = sides
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let (first, last) = (sides[0].position, sides[sides.len() - 1].position);
    let target = if c.kind == ChangeKind::Split {
        &mut c.new
    } else {
        &mut c.old
    };
    if let Some(s) = target.as_mut() {
        s.text = text;
    }
    let span = format!("#{first}–#{last}");
    (c, Some(span))
}

fn write_clause(f: &mut Formatter<'_>, (c, span): &(Change, Option<String>)) -> fmt::Result {
    let mut place = String::new();
    let at = |s: &ClauseSide| format!("#{}", s.position);
    let (old_at, new_at) = match (c.kind, span) {
        (ChangeKind::Split, Some(span)) => (c.old.as_ref().map(at), Some(span.clone())),
        (_, Some(span)) => (Some(span.clone()), c.new.as_ref().map(at)),
        _ => (c.old.as_ref().map(at), c.new.as_ref().map(at)),
    };
    match (old_at, new_at) {
        (Some(o), Some(n)) => write!(place, "{o} → {n}")?,
        (Some(o), None) => write!(place, "old {o}")?,
        (None, Some(n)) => write!(place, "new {n}")?,
        (None, None) => {}
    }
    let heading = c
        .new
        .as_ref()
        .or(c.old.as_ref())
        .and_then(|s| s.heading.as_deref());
    if let Some(h) = heading {
        write!(place, ", {h}")?;
    }
    if let Some(s) = c.similarity.filter(|s| *s < 1.0) {
        write!(place, ", similarity {s:.2}")?;
    }
    writeln!(f, "- **{}** ({place})", c.description)?;
    let quote = match (&c.old, &c.new) {
        (Some(o), Some(n)) if o.text != n.text => word_diff(&o.text, &n.text),
        (_, Some(s)) | (Some(s), None) => truncate(&s.text, QUOTE_CHARS),
        (None, None) => return Ok(()),
    };
    writeln!(
        f,
        "  > {}",
        quote.split_whitespace().collect::<Vec<_>>().join(" ")
    )
}

/// `old` → `new` as one line: deletions `[-…-]`, insertions `{+…+}` (one
/// pair per edited stretch, however many words), long unchanged stretches elided.
pub fn word_diff(old: &str, new: &str) -> String {
    let diff = TextDiff::from_words(old, new);
    // Runs of unchanged text and edits; whitespace between two edits joins them.
    let mut runs: Vec<(String, String, String)> = vec![Default::default()];
    for change in diff.iter_all_changes() {
        let v = change.value();
        let Some((same, del, ins)) = runs.last_mut() else {
            continue;
        };
        let editing = !del.is_empty() || !ins.is_empty();
        match change.tag() {
            ChangeTag::Equal if editing && v.trim().is_empty() => {
                del.push_str(v);
                ins.push_str(v);
            }
            ChangeTag::Equal if editing => runs.push((v.to_string(), String::new(), String::new())),
            ChangeTag::Equal => same.push_str(v),
            ChangeTag::Delete => del.push_str(v),
            ChangeTag::Insert => ins.push_str(v),
        }
    }
    let last = runs.len().saturating_sub(1);
    let mut out = String::new();
    for (i, (same, del, ins)) in runs.iter().enumerate() {
        let edited = !del.is_empty() || !ins.is_empty();
        out.push_str(&elide(same, i == 0, i == last && !edited));
        let (del, ins) = (del.trim(), ins.trim());
        if !del.is_empty() {
            out.push_str(&format!("[-{del}-]"));
        }
        if !ins.is_empty() {
            out.push_str(&format!("{{+{ins}+}}"));
        }
        if edited {
            out.push(' ');
        }
    }
    out.trim_end().to_string()
}

/// Keep the ends of an unchanged stretch that touch an edit.
fn elide(text: &str, first: bool, last: bool) -> String {
    let chars: Vec<char> = text.chars().collect();
    let keep_head = if first { 0 } else { CONTEXT_CHARS };
    let keep_tail = if last { 0 } else { CONTEXT_CHARS };
    if chars.len() < keep_head + keep_tail + ELIDE_MIN_CHARS {
        return text.to_string();
    }
    let head: String = chars[..keep_head].iter().collect();
    let tail: String = chars[chars.len() - keep_tail..].iter().collect();
    format!("{head} … {tail}")
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut} …")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_diff_marks_the_edit_and_keeps_nearby_words() {
        let d = word_diff(
            "Write to us or e-mail hello@shop.example.",
            "Write to us or e-mail privacy@shop.example.",
        );
        assert!(d.contains("[-hello@shop.example.-]"), "{d}");
        assert!(d.contains("{+privacy@shop.example.+}"), "{d}");
        assert!(d.starts_with("Write to us"), "{d}");
    }

    #[test]
    fn a_reworded_stretch_is_one_edit() {
        let d = word_diff(
            "Please take a moment to read our practices.",
            "You can read our practices.",
        );
        assert_eq!(
            d,
            "[-Please take a moment to-]{+You can+} read our practices."
        );
    }

    #[test]
    fn long_unchanged_stretches_are_elided() {
        let common = "word ".repeat(100);
        let d = word_diff(&format!("{common}old"), &format!("{common}new"));
        assert!(d.contains(" … "), "{d}");
        assert!(d.len() < 200, "{d}");
        assert!(d.ends_with("[-old-]{+new+}"), "{d}");
    }
}
