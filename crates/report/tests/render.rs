//! Render runs written with the real Parquet writer and read back with
//! `LabeledRun::open`, then check what the page carries.

use policylens_core::{LabelSet, Scores};
use policylens_report::synthetic::{write_run, Synthetic};
use policylens_report::{render, Coverage, ReportOptions, DATA_VERSION};
use policylens_store::{ClauseRow, DocumentRow, LabeledRun, OutputWriter};
use serde_json::Value;
use std::path::Path;

const NASTY: &str =
    "Hi </script><script>alert(1)</script> <!-- x \u{2028}\u{2029} see https://example.com/a";

fn small_run(dir: &Path) -> LabeledRun {
    let labels = LabelSet::new(["collection", "retention", "contact", "biometrics"]).unwrap();
    let doc = |id: &str, title: Option<&str>, status: &str, n: u32| DocumentRow {
        doc_id: id.into(),
        path: format!("policies/{id}.html"),
        format: Some("html".into()),
        lang: None,
        kind: None,
        kind_score: None,
        title: title.map(String::from),
        bytes: 100,
        sha256: None,
        n_clauses: n,
        status: status.into(),
        error: (status != "ok").then(|| format!("policies/{id}.html: <b>empty</b>")),
        text: None,
    };
    let clause = |d: &str, pos: u32, text: &str, heading: Option<&str>, s: [f32; 4]| {
        let names = ["collection", "retention", "contact", "biometrics"];
        ClauseRow {
            doc_id: d.into(),
            clause_id: format!("{d}-{pos}"),
            position: pos,
            heading: heading.map(String::from),
            text: text.into(),
            char_start: 0,
            char_end: 1,
            n_tokens: 5,
            n_windows: 1,
            scores: Scores(s.to_vec()),
            labels: names
                .iter()
                .zip(s)
                .filter(|(_, v)| *v >= 0.5)
                .map(|(n, _)| n.to_string())
                .collect(),
        }
    };
    let docs = vec![
        doc("aaa", Some("Acme <Policy>"), "ok", 3),
        DocumentRow {
            lang: Some("fra".into()),
            ..doc("bbb", None, "ok", 1)
        },
        doc("ccc", None, "empty", 0),
    ];
    let clauses = vec![
        clause(
            "aaa",
            0,
            "We collect email.",
            Some("Data"),
            [0.91, 0.1, 0.0, 0.0],
        ),
        clause("aaa", 1, NASTY, Some("Data"), [0.6, 0.7, 0.1234, 0.0]),
        clause("aaa", 2, "Write to us.", None, [0.0, 0.0, 0.88, 0.0]),
        clause(
            "bbb",
            0,
            "We keep data 30 days.",
            Some("Keep"),
            [0.2, 0.95, 0.0, 0.0],
        ),
    ];
    let mut w = OutputWriter::create(dir, &labels, "tiny@abc").unwrap();
    w.write_documents(&docs).unwrap();
    w.write_clauses(&clauses).unwrap();
    w.finish().unwrap();
    LabeledRun::open(dir).unwrap()
}

/// The JSON in `<script type="application/json" id="data">`, parsed.
fn blob(html: &str) -> Value {
    let open = r#"<script type="application/json" id="data">"#;
    let start = html.find(open).expect("a data blob") + open.len();
    let end = start + html[start..].find("</script>").expect("the blob ends");
    serde_json::from_str(&html[start..end]).expect("the blob is JSON")
}

#[test]
fn the_blob_carries_every_readable_policy_and_clause() {
    let tmp = tempfile::tempdir().unwrap();
    let run = small_run(tmp.path());
    let html = render(&run, &ReportOptions::default());
    let data = blob(&html);
    assert_eq!(data["v"], DATA_VERSION);
    assert_eq!(data["model"], "tiny@abc");
    assert_eq!(
        data["labels"],
        serde_json::json!(["collection", "retention", "contact", "biometrics"])
    );
    // biometrics is not a core practice; the other three are.
    assert_eq!(data["core"], serde_json::json!([0, 1, 2]));
    let docs = data["docs"].as_array().unwrap();
    assert_eq!(docs.len(), 2, "the failed document is not in the blob");
    let acme = &docs[0];
    assert_eq!(acme[0], "aaa");
    assert_eq!(acme[1], "Acme <Policy>");
    assert_eq!(
        acme[4],
        serde_json::json!([2, 1, 1, 0]),
        "clauses per label"
    );
    assert_eq!(acme[5], serde_json::json!(["Data"]), "headings once each");
    let clauses = acme[6].as_array().unwrap();
    assert_eq!(clauses.len(), 3);
    assert_eq!(clauses[1][0], 0, "heading index");
    assert_eq!(clauses[1][1], NASTY, "text survives escaping unchanged");
    assert_eq!(clauses[1][2], serde_json::json!([0, 1]), "predicted labels");
    assert_eq!(
        clauses[1][3],
        serde_json::json!([600, 700, 123, 0]),
        "per mille"
    );
    assert_eq!(clauses[2][0], -1, "no heading");
    assert_eq!(docs[1][1], "bbb.html", "untitled: the file name");
}

#[test]
fn policy_text_cannot_break_out_of_the_data_element() {
    let tmp = tempfile::tempdir().unwrap();
    let html = render(&small_run(tmp.path()), &ReportOptions::default());
    let lower = html.to_ascii_lowercase();
    assert_eq!(lower.matches("<script").count(), 2, "the data and the code");
    assert_eq!(lower.matches("</script").count(), 2);
    assert!(!html.contains("alert(1)</script>"));
    assert!(!html.contains('\u{2028}') && !html.contains('\u{2029}'));
    // The static part escapes titles and errors.
    assert!(html.contains("policies/ccc.html: &lt;b&gt;empty&lt;/b&gt;"));
    assert!(!html.contains("<b>empty</b>"));
}

#[test]
fn nothing_is_loaded_from_outside_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let html = render(&small_run(tmp.path()), &ReportOptions::default());
    let lower = html.to_ascii_lowercase();
    for load in [
        "src=\"http",
        "src='http",
        "href=\"http",
        "href='http",
        "url(",
        "@import",
        "<link",
        "<iframe",
        "fetch(",
        "xmlhttprequest",
    ] {
        assert!(!lower.contains(load), "the page loads something: {load}");
    }
    // Outside the data (policy text may quote URLs), no URL at all.
    let start = html.find(r#"id="data">"#).unwrap();
    let end = start + html[start..].find("</script>").unwrap();
    let code = format!("{}{}", &html[..start], &html[end..]);
    assert!(!code.contains("http://") && !code.contains("https://"));
    assert!(html.contains("Content-Security-Policy\" content=\"default-src 'none'"));
}

#[test]
fn the_chart_has_a_bar_per_label_with_its_share() {
    let tmp = tempfile::tempdir().unwrap();
    let run = small_run(tmp.path());
    let cov = Coverage::of(&run, &ReportOptions::default());
    assert_eq!(cov.disclosed, vec![1, 2, 1, 0]);
    assert_eq!(
        cov.missing_core, 1,
        "bbb has no collection or contact clause"
    );
    assert_eq!(cov.by_status.get("empty"), Some(&1));
    let html = render(&run, &ReportOptions::default());
    assert!(html.contains(r#"role="img""#));
    assert_eq!(html.matches(r#"<g class="bar"#).count(), 4);
    assert!(html.contains(r#"data-label="retention" data-share="1.0000""#));
    assert!(html.contains(r#"data-label="collection" data-share="0.5000""#));
    assert!(html.contains(r#"data-label="biometrics" data-share="0.0000""#));
    assert!(html.contains("Documents that could not be read (1)"));
}

#[test]
fn a_label_set_without_core_practices_flags_every_label() {
    let tmp = tempfile::tempdir().unwrap();
    let run = small_run(tmp.path());
    let opts = ReportOptions {
        core: vec!["nope".into()],
        title: Some("T & T".into()),
        ..Default::default()
    };
    assert_eq!(Coverage::of(&run, &opts).core, vec![0, 1, 2, 3]);
    let html = render(&run, &opts);
    assert!(html.contains("<title>T &amp; T</title>"));
    assert_eq!(blob(&html)["title"], "T & T");
}

#[test]
fn a_thousand_policies_render_to_a_bounded_file() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = Synthetic {
        documents: 1000,
        clauses_per_document: 40,
        ..Default::default()
    };
    let (docs, clauses) = write_run(tmp.path(), &spec).unwrap();
    assert_eq!(docs, 1000);
    let run = LabeledRun::open(tmp.path()).unwrap();
    let html = render(&run, &ReportOptions::default());
    let data = blob(&html);
    assert_eq!(
        data["docs"].as_array().unwrap().len(),
        975,
        "every 40th fails"
    );
    let text: usize = run.clauses.iter().map(|c| c.text.len()).sum();
    let overhead = html.len() - text;
    eprintln!(
        "1,000 policies, {clauses} clauses: {} bytes ({:.1} MiB; clause text {:.1} MiB, {:.0} bytes per clause besides its text)",
        html.len(),
        html.len() as f64 / (1 << 20) as f64,
        text as f64 / (1 << 20) as f64,
        overhead as f64 / clauses as f64
    );
    // Text once, plus ~100 bytes of labels and scores per clause and a few
    // hundred per policy: a duplicated blob or per-row HTML would break this.
    assert!(
        html.len() < text + 150 * clauses + 1000 * docs + 100_000,
        "{} bytes for {text} bytes of text",
        html.len()
    );
}

#[test]
fn readable_policies_not_in_english_are_flagged() {
    let tmp = tempfile::tempdir().unwrap();
    let run = small_run(tmp.path());
    let html = render(&run, &ReportOptions::default());
    let cov = Coverage::of(&run, &ReportOptions::default());
    assert_eq!(
        cov.not_english, 1,
        "bbb is French; aaa's language is not recorded"
    );
    assert!(
        html.contains("1 not in English (the model reads English only"),
        "the readable card says so"
    );
}

#[test]
fn only_privacy_policies_are_counted_unless_every_kind_is_asked_for() {
    let tmp = tempfile::tempdir().unwrap();
    let labels = LabelSet::new(["collection"]).unwrap();
    let doc = |id: &str, kind: &str, status: &str, n: u32| DocumentRow {
        doc_id: id.into(),
        path: format!("{id}.md"),
        format: Some("markdown".into()),
        lang: Some("eng".into()),
        kind: Some(kind.into()),
        kind_score: Some(0.9),
        title: None,
        bytes: 10,
        sha256: None,
        n_clauses: n,
        status: status.into(),
        error: None,
        text: None,
    };
    let clause = |d: &str| ClauseRow {
        doc_id: d.into(),
        clause_id: format!("{d}-0"),
        position: 0,
        heading: None,
        text: "We collect email.".into(),
        char_start: 0,
        char_end: 17,
        n_tokens: 5,
        n_windows: 1,
        scores: Scores(vec![0.9]),
        labels: vec!["collection".into()],
    };
    let mut w = OutputWriter::create(tmp.path(), &labels, "tiny@abc").unwrap();
    w.write_documents(&[
        doc("pp", "privacy_policy", "ok", 1),
        doc("tos", "terms", "ok", 1),
        doc("news", "other", "other_kind", 0),
    ])
    .unwrap();
    w.write_clauses(&[clause("pp"), clause("tos")]).unwrap();
    w.finish().unwrap();
    let run = LabeledRun::open(tmp.path()).unwrap();

    let by_default = Coverage::of(&run, &ReportOptions::default());
    assert_eq!(by_default.ok, [0], "only the privacy policy is counted");
    assert_eq!(by_default.clauses, 1);
    assert_eq!(by_default.other_kinds.get("terms"), Some(&1));
    assert_eq!(by_default.other_kinds.get("other"), Some(&1));
    let html = render(&run, &ReportOptions::default());
    assert!(html.contains("not counted, as not privacy policies: other 1, terms 1"));
    assert!(
        html.contains("none failed"),
        "a page left out by kind did not fail"
    );
    assert!(!html.contains("id=\"failed\""));

    let every = ReportOptions {
        all_kinds: true,
        ..Default::default()
    };
    let all = Coverage::of(&run, &every);
    assert_eq!(all.ok, [0, 1]);
    assert_eq!(all.clauses, 2);
}
