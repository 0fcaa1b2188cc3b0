//! `policylens diff` end to end on a hand-edited second version of a bundled
//! example (`datasets/diff/README.md` lists its four edits): the diff must
//! find each edit and nothing else, from files, from labeled output folders
//! and from directories matched by name.
//!
//! A tiny random model labels the clauses, so these tests check alignment;
//! the test with the shipped model (skipped, saying so, if its weights are
//! absent) also checks the label and practice changes.

mod common;

use common::{repo, shipped_model_present, string_lists};
use polars::prelude::*;
use policylens_classify::testing::write_tiny_model;
use policylens_core::LabelSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

const OLD: &str = "datasets/examples/corner-bookshop.txt";
const NEW: &str = "datasets/diff/corner-bookshop-v2.txt";

/// The edits of `NEW`, in reading order: kind, a phrase of the old clause, a
/// phrase of the new one.
const EDITS: [(&str, Option<&str>, Option<&str>); 4] = [
    ("added", None, Some("we scan your fingerprint")),
    (
        "changed",
        Some("our monthly newsletter"),
        Some("our weekly newsletter"),
    ),
    ("removed", Some("kept for seven years"), None),
    (
        "changed",
        Some("hello@cornerbookshop.example"),
        Some("privacy@cornerbookshop.example"),
    ),
];

/// Run the binary from the repository root; insist on success; return stdout.
fn policylens(args: &[&str]) -> String {
    let run = Command::new(env!("CARGO_BIN_EXE_policylens"))
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    String::from_utf8_lossy(&run.stdout).into_owned()
}

struct Row {
    policy: String,
    kind: String,
    description: String,
    old_text: Option<String>,
    new_text: Option<String>,
    old_labels: Vec<String>,
    new_labels: Vec<String>,
    labels_gained: Vec<String>,
}

fn rows(out: &Path) -> Vec<Row> {
    let df = ParquetReader::new(File::open(out.join("changes.parquet")).unwrap())
        .finish()
        .unwrap();
    assert_eq!(df.schema().as_ref(), &policylens_store::changes_schema());
    let s = |c: &str| -> Vec<Option<String>> {
        df.column(c)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.map(String::from))
            .collect()
    };
    let l = |c: &str| string_lists(&df, c);
    let (policy, kind, description) = (s("policy"), s("kind"), s("description"));
    let (old_text, new_text) = (s("old_text"), s("new_text"));
    let (old_labels, new_labels, gained) = (l("old_labels"), l("new_labels"), l("labels_gained"));
    (0..df.height())
        .map(|i| Row {
            policy: policy[i].clone().unwrap_or_default(),
            kind: kind[i].clone().unwrap_or_default(),
            description: description[i].clone().unwrap_or_default(),
            old_text: old_text[i].clone(),
            new_text: new_text[i].clone(),
            old_labels: old_labels[i].clone(),
            new_labels: new_labels[i].clone(),
            labels_gained: gained[i].clone(),
        })
        .collect()
}

/// The clause rows must be exactly [`EDITS`], in order.
fn assert_exactly_the_edits<'a>(clause_rows: impl Iterator<Item = &'a Row>) {
    assert_exactly(clause_rows, &EDITS);
}

type Edit<'a> = (&'a str, Option<&'a str>, Option<&'a str>);

/// The clause rows must be exactly `edits` (kind, old phrase, new phrase), in order.
fn assert_exactly<'a>(clause_rows: impl Iterator<Item = &'a Row>, edits: &[Edit]) {
    let got: Vec<&Row> = clause_rows.collect();
    let show: Vec<String> = got
        .iter()
        .map(|r| format!("{} {:?} -> {:?}", r.kind, r.old_text, r.new_text))
        .collect();
    assert_eq!(got.len(), edits.len(), "{show:#?}");
    for (row, &(kind, old, new)) in got.iter().zip(edits) {
        let has = |text: &Option<String>, phrase: Option<&str>| match (text, phrase) {
            (Some(t), Some(p)) => t.contains(p),
            (None, None) => true,
            _ => false,
        };
        assert!(
            row.kind == kind && has(&row.old_text, old) && has(&row.new_text, new),
            "expected {kind} {old:?} -> {new:?}; got {show:#?}"
        );
    }
}

fn is_clause(r: &Row) -> bool {
    ["added", "removed", "changed", "moved", "unchanged"].contains(&r.kind.as_str())
}

fn tiny_model(tmp: &Path) -> String {
    write_tiny_model(tmp, &LabelSet::policylens(), 64)
        .unwrap()
        .display()
        .to_string()
}

#[test]
fn diff_of_two_files_finds_each_edit_and_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tiny_model(tmp.path());
    let out = tmp.path().join("d");
    let o = out.to_str().unwrap();
    let stdout = policylens(&["diff", OLD, NEW, "-o", o, "--model", &model]);
    assert_exactly_the_edits(rows(&out).iter().filter(|r| is_clause(r)));
    assert!(
        stdout.contains("1 added, 1 removed, 2 changed, 0 moved, 2 unchanged"),
        "{stdout}"
    );
    assert!(stdout.contains("[-monthly-]{+weekly+}"), "{stdout}");
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert_eq!(summary, stdout);
    assert!(out.join("old/clauses.parquet").is_file() && out.join("new/clauses.parquet").is_file());

    // --all adds the two untouched clauses, word for word the same.
    policylens(&["diff", OLD, NEW, "-o", o, "--model", &model, "--all"]);
    let all = rows(&out);
    let unchanged: Vec<&Row> = all.iter().filter(|r| r.kind == "unchanged").collect();
    assert_eq!(unchanged.len(), 2);
    assert!(unchanged.iter().all(|r| r.old_text == r.new_text));
    assert!(unchanged[1]
        .new_text
        .as_deref()
        .is_some_and(|t| t.contains("delivery address")));
    assert_exactly_the_edits(all.iter().filter(|r| is_clause(r) && r.kind != "unchanged"));
}

#[test]
fn diff_of_labeled_output_folders_reads_them_without_a_model() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tiny_model(tmp.path());
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for (input, out) in [(OLD, &a), (NEW, &b)] {
        policylens(&[
            "label",
            input,
            "-o",
            out.to_str().unwrap(),
            "--model",
            &model,
            "--quiet",
        ]);
    }
    let out = tmp.path().join("d");
    // A model path that does not exist: reading labeled folders must not load one.
    policylens(&[
        "diff",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--model",
        "no/such/model",
    ]);
    assert_exactly_the_edits(rows(&out).iter().filter(|r| is_clause(r)));
    assert!(!out.join("old").exists() && !out.join("new").exists());
}

#[test]
fn diff_of_directories_matches_policies_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tiny_model(tmp.path());
    let (v1, v2) = (tmp.path().join("v1"), tmp.path().join("v2/nested"));
    std::fs::create_dir_all(v1.join("shop")).unwrap();
    std::fs::create_dir_all(v2.join("shop")).unwrap();
    let copy = |from: &str, to: PathBuf| std::fs::copy(repo().join(from), to).unwrap();
    copy(OLD, v1.join("shop/corner-bookshop.txt"));
    copy(NEW, v2.join("shop/corner-bookshop.txt"));
    copy(
        "datasets/examples/lumen-photos.md",
        v1.join("lumen-photos.md"),
    );
    copy(
        "datasets/examples/lumen-photos.md",
        v2.join("lumen-photos.md"),
    );
    copy(
        "datasets/examples/acme-fitness.html",
        v1.join("acme-fitness.html"),
    );
    std::fs::write(
        v2.join("tea-house.md"),
        "# Tea House\n\nWe collect your e-mail address to send receipts.\n",
    )
    .unwrap();
    let out = tmp.path().join("d");
    let stdout = policylens(&[
        "diff",
        v1.to_str().unwrap(),
        tmp.path().join("v2").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--model",
        &model,
    ]);
    let rows = rows(&out);
    assert_exactly_the_edits(
        rows.iter()
            .filter(|r| r.policy == "shop/corner-bookshop.txt" && is_clause(r)),
    );
    let one_sided: Vec<(&str, &str)> = rows
        .iter()
        .filter(|r| r.kind.starts_with("policy_"))
        .map(|r| (r.policy.as_str(), r.kind.as_str()))
        .collect();
    assert_eq!(
        one_sided,
        vec![
            ("acme-fitness.html", "policy_removed"),
            ("tea-house.md", "policy_added")
        ]
    );
    assert!(
        !rows.iter().any(|r| r.policy == "lumen-photos.md"),
        "an untouched policy has no change rows"
    );
    assert!(stdout.contains("## lumen-photos.md"), "{stdout}");
    assert!(
        stdout.contains("0 added, 0 removed, 0 changed, 0 moved, 7 unchanged"),
        "{stdout}"
    );
}

/// The shipped model.
#[test]
fn shipped_model_reports_the_practice_changes_of_the_edits() {
    if !shipped_model_present() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("d");
    let stdout = policylens(&["diff", OLD, NEW, "-o", out.to_str().unwrap()]);
    let rows = rows(&out);
    assert_exactly_the_edits(rows.iter().filter(|r| is_clause(r)));
    let describe = |kind: &str| -> Vec<&str> {
        rows.iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.description.as_str())
            .collect()
    };
    assert_eq!(
        describe("newly_disclosed"),
        vec!["biometrics newly disclosed"]
    );
    // The deleted retention clause is reported with its labels. Which
    // practices are "no longer disclosed" depends on the model (does it also
    // read the new fingerprint clause, "store a biometric template", as
    // retention?), but only practices of the removed clause can be lost.
    let removed = rows.iter().find(|r| r.kind == "removed").unwrap();
    assert!(removed.old_labels.contains(&"retention".to_string()));
    assert!(removed.description.ends_with("retention clause removed"));
    for lost in describe("no_longer_disclosed") {
        let practice = lost.strip_suffix(" no longer disclosed").unwrap();
        assert!(
            removed.old_labels.iter().any(|l| l == practice),
            "{lost}, but the removed clause had {:?}",
            removed.old_labels
        );
    }
    let added = rows.iter().find(|r| r.kind == "added").unwrap();
    assert!(added.new_labels.contains(&"biometrics".to_string()));
    assert!(added.labels_gained.contains(&"biometrics".to_string()));
    for line in ["biometrics newly disclosed", "retention clause removed"] {
        assert!(stdout.contains(line), "{stdout}");
    }
}

/// A real policy as users get it (`../shared/samples`, never copied into the
/// repository): a second version is made here by three edits, and the diff
/// must find exactly those, in reading order.
#[test]
fn diff_finds_three_edits_made_to_a_real_sample_policy() {
    let sample = repo().join("../shared/samples/huggingface-privacy-policy.txt");
    let Ok(text) = std::fs::read_to_string(&sample) else {
        eprintln!("SKIPPED: {} is absent", sample.display());
        return;
    };
    let retention = "We retain your Information for as long as necessary to deliver the Services, to comply with any applicable legal requirements, to maintain security and prevent incidents and, in general, to pursue our legitimate interests.\n\n";
    let anchor = "The Company collects the following information, some of which might be Personal Information.\n\n";
    let inserted = "If you turn on Face Match, we create face geometry templates from the photos you upload and keep them until you turn the feature off.\n\n";
    assert!(
        text.contains(retention)
            && text.contains(anchor)
            && text.contains("effective 10 days following")
    );
    let edited = text
        .replacen(retention, "", 1)
        .replacen(anchor, &format!("{anchor}{inserted}"), 1)
        .replacen(
            "effective 10 days following",
            "effective 30 days following",
            1,
        );
    let tmp = tempfile::tempdir().unwrap();
    let (old, new) = (tmp.path().join("v1.txt"), tmp.path().join("v2.txt"));
    std::fs::write(&old, &text).unwrap();
    std::fs::write(&new, &edited).unwrap();
    let model = tiny_model(tmp.path());
    let out = tmp.path().join("d");
    policylens(&[
        "diff",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--model",
        &model,
    ]);
    assert_exactly(
        rows(&out).iter().filter(|r| is_clause(r)),
        &[
            (
                "changed",
                Some("effective 10 days following"),
                Some("effective 30 days following"),
            ),
            ("added", None, Some("face geometry templates")),
            ("removed", Some("We retain your Information"), None),
        ],
    );
}
