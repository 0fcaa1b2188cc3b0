//! Shortcut checks of the shipped model on a handful of real look-alike
//! clauses (Open Terms Archive, ODC-By; from `datasets/shortcuts/lookalikes.jsonl`)
//! and their name-swapped copies (`datasets/shortcuts/name_swaps.json`). The
//! full check is `scripts/shortcuts/check.py`; figures in docs/evaluation.md.
//!
//! What the model does TODAY is asserted, failures included, each named as
//! such: a model that fixes a known shortcut fails the `known_shortcut_` test
//! on purpose, so that the fix is noticed and the test (and the docs) updated.
//! f32, so that the scores do not depend on the machine's int8 kernel.

mod common;

use common::{repo, shipped_model_present, string_lists};
use polars::prelude::*;
use std::fs::File;
use std::path::Path;
use std::process::Command;

/// The look-alike clauses, by id in `datasets/shortcuts/lookalikes.jsonl`.
const HUGGING_FACE: [(&str, &str); 3] = [
    ("la-0303", "- Hugging Face SAS | All of the above | France"),
    (
        "la-0293",
        "Pursuant to applicable data protection laws, and especially the European Union’s General Data Protection Regulation (EU) 2016/679 (the “GDPR”), Hugging Face remains under an obligation to notify the Users about the legal basis on which their Personal Information is processed.",
    ),
    (
        "la-0302",
        "The main establishment in the European Union is Hugging Face, SAS, a French société par actions simplifiée à associé unique registered in the Paris Trade and Companies Register under the number 822 168 043, and whose headquarters are located on 9 rue des Colonnes, 75002 Paris, France. The designation of this main establishment in the European Union gives full authority to the French Data Protection Agency, la Commission Nationale de l'Informatique et des Libertés (CNIL) per the General Data Protection Regulation (GDPR).",
    ),
];

/// Look-alikes the shipped model gets right: "interface", "surface" as a
/// verb, "Facebook", "face" as a verb.
const NOT_BIOMETRIC: [(&str, &str); 4] = [
    (
        "la-0346",
        "Through your Account interface, you can directly access, edit, delete, or export personal data processed by the Company in your use of the Services.",
    ),
    ("la-0210", "- Google Maps: This is used to surface Google maps in-app"),
    (
        "la-0396",
        "Personalized ads delivered by Facebook is based in your user terms with Facebook.",
    ),
    (
        "la-0231",
        "Project maintainers who do not follow or enforce the Code of Conduct in good faith may face temporary or permanent repercussions as determined by other members of the project's leadership.",
    ),
];

/// A "solid surface worktop" clause (IKEA installation terms): a known false
/// positive with no name in it, so no swap can fix it.
const WORKTOP: (&str, &str) = (
    "la-0110",
    "- All surfaces which you require to be templated for a solid surface worktop must be complete, level and flat. If the area is not sufficiently prepared or full access is not possible, the Service may be cancelled and a re-booking fee will apply for the Service to be re-scheduled.",
);

/// The swap of name_swaps.json these clauses need (whole word, both ways).
fn swap(text: &str) -> String {
    text.replace("Hugging Face", "Acme")
        .replace("Facebook", "Hooli")
        .replace("Google", "Globex")
}

/// Label `texts` (one clause table, f32) with the shipped model: per text,
/// its biometrics score and its labels.
fn label(dir: &Path, texts: &[String]) -> Vec<(f32, Vec<String>)> {
    let table = dir.join("clauses.jsonl");
    let lines: Vec<String> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| serde_json::json!({"id": format!("c{i}"), "text": t}).to_string())
        .collect();
    std::fs::write(&table, lines.join("\n") + "\n").unwrap();
    let out = dir.join("out");
    let run = Command::new(env!("CARGO_BIN_EXE_policylens"))
        .args([
            "label",
            table.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .args(["--precision", "f32", "--quiet"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let df = ParquetReader::new(File::open(out.join("clauses.parquet")).unwrap())
        .finish()
        .unwrap()
        .sort(["position"], Default::default())
        .unwrap();
    let got: Vec<String> = df
        .column("text")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|s| s.unwrap().to_string())
        .collect();
    assert_eq!(&got, texts, "one clause per row, in order");
    let scores: Vec<f32> = df
        .column("biometrics")
        .unwrap()
        .f32()
        .unwrap()
        .iter()
        .map(|s| s.unwrap())
        .collect();
    scores
        .into_iter()
        .zip(string_lists(&df, "labels"))
        .collect()
}

/// One run for every test: originals, then swapped copies.
struct Run {
    original: Vec<(f32, Vec<String>)>,
    swapped: Vec<(f32, Vec<String>)>,
}

fn run_all() -> Run {
    let clauses: Vec<(&str, &str)> = HUGGING_FACE
        .iter()
        .chain(NOT_BIOMETRIC.iter())
        .chain(std::iter::once(&WORKTOP))
        .copied()
        .collect();
    let mut texts: Vec<String> = clauses.iter().map(|c| c.1.to_string()).collect();
    texts.extend(clauses.iter().map(|c| swap(c.1)));
    let tmp = tempfile::tempdir().unwrap();
    let mut all = label(tmp.path(), &texts);
    let swapped = all.split_off(clauses.len());
    Run {
        original: all,
        swapped,
    }
}

fn biometrics(labels: &[String]) -> bool {
    labels.iter().any(|l| l == "biometrics")
}

/// KNOWN FAILURE of the shipped model, asserted so that a change is noticed:
/// it labels clauses `biometrics` because they name "Hugging Face" (the word
/// "Face"), and swapping the company name for "Acme" takes the score from
/// ≥ 0.9 to ≤ 0.05. A clause with no name to swap ("solid surface worktop")
/// is a false positive too. A model without the shortcut fails here: update
/// this test and docs/evaluation.md ("Shortcut checks").
#[test]
fn known_shortcut_hugging_face_and_surface_are_labeled_biometrics() {
    if !shipped_model_present() {
        return;
    }
    let run = run_all();
    for (i, (id, _)) in HUGGING_FACE.iter().enumerate() {
        let (before, labels) = &run.original[i];
        let (after, swapped_labels) = &run.swapped[i];
        assert!(
            biometrics(labels) && *before >= 0.9,
            "{id}: the Hugging Face shortcut is gone? biometrics {before:.3}, labels {labels:?}"
        );
        assert!(
            !biometrics(swapped_labels) && *after <= 0.05,
            "{id} with Acme: biometrics {after:.3}, labels {swapped_labels:?}"
        );
        assert!(before - after >= 0.85, "{id}: {before:.3} -> {after:.3}");
    }
    let w = HUGGING_FACE.len() + NOT_BIOMETRIC.len();
    let (score, labels) = &run.original[w];
    assert!(
        biometrics(labels) && *score >= 0.9,
        "{}: the surface-worktop false positive is gone? {score:.3} {labels:?}",
        WORKTOP.0
    );
    assert_eq!(
        run.swapped[w], run.original[w],
        "nothing to swap, same scores"
    );
}

/// Look-alikes the shipped model does not label `biometrics`, before or after
/// the swap (interface, surface as a verb, Facebook, "may face").
#[test]
fn interface_surface_facebook_and_face_as_a_verb_are_not_biometrics() {
    if !shipped_model_present() {
        return;
    }
    let run = run_all();
    for (k, (id, _)) in NOT_BIOMETRIC.iter().enumerate() {
        let i = HUGGING_FACE.len() + k;
        for (which, (score, labels)) in
            [("original", &run.original[i]), ("swapped", &run.swapped[i])]
        {
            assert!(
                !biometrics(labels) && *score < 0.2,
                "{id} ({which}): biometrics {score:.3}, labels {labels:?}"
            );
        }
    }
}
