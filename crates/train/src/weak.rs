//! Weak negatives for the biometrics label from unlabeled modern policies.
//!
//! OPP-115 dates from 2015; the only modern legalese (GDPR, CCPA) a head sees
//! in training would otherwise come from our biometrics positives, and it
//! learns "modern legal language ⇒ biometrics". Clauses of unlabeled
//! policies that name no biometric term are therefore used as examples that
//! supervise the biometrics label only (0), all other labels masked out.

use crate::error::Result;
use std::path::PathBuf;

/// Words whose presence makes a clause possibly about biometrics: such
/// clauses are never used as weak negatives.
pub const BIOMETRIC_TERMS: &[&str] = &[
    "biometric",
    "face",
    "facial",
    "fingerprint",
    "finger print",
    "voiceprint",
    "voice print",
    "iris",
    "retina",
    "palm",
    "hand geometry",
    "gait",
    "keystroke",
    "touch id",
    "selfie",
    "likeness",
    "template",
];

pub fn mentions_biometrics(text: &str) -> bool {
    let lower = text.to_lowercase();
    BIOMETRIC_TERMS.iter().any(|t| lower.contains(t))
}

/// Clauses of the policies under `inputs` that name no biometric term, at
/// most `max` of them, spread evenly over the corpus (deterministic).
pub fn biometrics_negatives(inputs: &[PathBuf], max: usize) -> Result<Vec<String>> {
    let mut clauses = Vec::new();
    for path in policylens_read::discover(inputs)? {
        let Ok(source) = policylens_read::read_source(&path) else {
            continue;
        };
        let Ok(format) = source.format_or_error() else {
            continue;
        };
        if format.is_clause_table() {
            continue;
        }
        let Ok(text) = policylens_read::decode(&source) else {
            continue;
        };
        let seg = policylens_segment::segment(format, &text);
        clauses.extend(
            seg.clauses
                .into_iter()
                .map(|c| c.text)
                .filter(|t| !mentions_biometrics(t)),
        );
    }
    let stride = clauses.len().div_ceil(max.max(1)).max(1);
    Ok(clauses.into_iter().step_by(stride).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_naming_biometric_terms_are_never_negatives() {
        assert!(mentions_biometrics(
            "We use Facial recognition at the door."
        ));
        assert!(mentions_biometrics("Touch ID data stays on your device."));
        assert!(!mentions_biometrics(
            "Under the GDPR you may contact our DPO."
        ));
    }

    #[test]
    fn negatives_are_capped_and_spread() {
        let tmp = tempfile::tempdir().unwrap();
        let body: String = (0..40)
            .map(|i| format!("Clause number {i} about cookies.\n\n"))
            .collect();
        std::fs::write(
            tmp.path().join("p.md"),
            body + "We scan your fingerprint.\n",
        )
        .unwrap();
        let got = biometrics_negatives(&[tmp.path().to_path_buf()], 10).unwrap();
        assert_eq!(got.len(), 10);
        assert!(got.iter().all(|t| !t.contains("fingerprint")));
        assert!(
            got[0].contains("number 0") && got[9].contains("number 36"),
            "{got:?}"
        );
    }
}
