//! Made-up labeled runs of any size, written with the real
//! [`OutputWriter`](policylens_store::OutputWriter): for tests, and for
//! checking that the report stays usable at corpus scale
//! (`cargo run -p policylens-report --example synthetic_run -- DIR 1000`).
//!
//! Clauses read like policy sentences, scores are random but deterministic
//! (seeded), labels are those scoring at least 0.5, and every 40th document
//! is a failed read so the failure list has something to show.

use policylens_core::{LabelSet, Scores};
use policylens_store::{ClauseRow, DocumentRow, OutputWriter, Result};
use std::path::Path;

#[derive(Debug, Clone)]
pub struct Synthetic {
    pub documents: usize,
    /// Clauses per readable document vary around this mean (±50%).
    pub clauses_per_document: usize,
    pub seed: u64,
    pub labels: LabelSet,
}

impl Default for Synthetic {
    fn default() -> Self {
        Self {
            documents: 20,
            clauses_per_document: 40,
            seed: 7,
            labels: LabelSet::policylens(),
        }
    }
}

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SENTENCES: [&str; 12] = [
    "We collect your name, email address and the identifiers of the devices you use when you create an account.",
    "We share information with service providers who process it on our behalf and under our instructions.",
    "You can opt out of marketing emails at any time by following the unsubscribe link in any message.",
    "You may request access to, correction of, or deletion of the personal information we hold about you.",
    "We keep account data for as long as your account is active and for up to two years after it is closed.",
    "We protect your information with encryption in transit and at rest, and limit access to staff who need it.",
    "If we change this policy we will post the new version here and notify you by email before it takes effect.",
    "Our services do not respond to Do Not Track signals sent by web browsers.",
    "Our services are not directed to children under 13 and we do not knowingly collect their information.",
    "We do not collect fingerprints, face geometry or other biometric identifiers.",
    "This policy explains how Example Co. handles information about the people who use its services.",
    "Questions about this policy can be sent to our privacy team at privacy@example.invalid.",
];

const HEADINGS: [&str; 6] = [
    "Information we collect",
    "How we use information",
    "Sharing and disclosure",
    "Your choices",
    "Data retention and security",
    "Contact us",
];

/// Write a synthetic run into `dir` (documents.parquet and clauses.parquet).
/// Returns (documents, clauses) written.
pub fn write_run(dir: &Path, spec: &Synthetic) -> Result<(usize, usize)> {
    let mut rng = Rng(spec.seed);
    let names = spec.labels.names();
    // Each label has its own prevalence, so the chart has some shape.
    let rate: Vec<f32> = (0..names.len())
        .map(|j| 0.04 + 0.2 * ((j * 7) % 11) as f32 / 10.0)
        .collect();
    let mut w = OutputWriter::create(dir, &spec.labels, "synthetic@0000")?;
    let (mut docs, mut clauses) = (Vec::new(), Vec::new());
    for d in 0..spec.documents {
        if docs.len() >= 64 {
            w.write_documents(&std::mem::take(&mut docs))?;
            w.write_clauses(&std::mem::take(&mut clauses))?;
        }
        let doc_id = format!("{:064x}", (spec.seed as u128) << 64 | d as u128);
        let path = format!("corpus/site-{d:05}/privacy.html");
        if d % 40 == 39 {
            docs.push(DocumentRow {
                doc_id,
                path: path.clone(),
                format: None,
                lang: None,
                kind: None,
                kind_score: None,
                title: None,
                bytes: 0,
                sha256: None,
                n_clauses: 0,
                status: "empty".into(),
                error: Some(format!("{path}: the file is empty")),
                text: None,
            });
            continue;
        }
        let mean = spec.clauses_per_document.max(1);
        let n = mean / 2 + rng.below(mean + 1);
        let mut text = String::new();
        for pos in 0..n {
            let scores: Vec<f32> = rate
                .iter()
                .map(|&r| {
                    let u = rng.unit();
                    if u < r {
                        0.5 + u / r * 0.5
                    } else {
                        rng.unit() * 0.5
                    }
                })
                .collect();
            let labels: Vec<String> = names
                .iter()
                .zip(&scores)
                .filter(|(_, &s)| s >= 0.5)
                .map(|(l, _)| l.clone())
                .collect();
            let mut body = String::new();
            for (j, &s) in scores.iter().enumerate() {
                if s >= 0.5 {
                    body.push_str(SENTENCES[j % SENTENCES.len()]);
                    body.push(' ');
                }
            }
            if body.is_empty() {
                body.push_str(SENTENCES[rng.below(SENTENCES.len())]);
            }
            let body = body.trim_end().to_string();
            let start = text.chars().count() as u32;
            text.push_str(&body);
            text.push('\n');
            clauses.push(ClauseRow {
                doc_id: doc_id.clone(),
                clause_id: format!("{}-{pos:04}", &doc_id[..16]),
                position: pos as u32,
                heading: Some(format!(
                    "Privacy Policy > {}",
                    HEADINGS[pos * HEADINGS.len() / n]
                )),
                char_start: start,
                char_end: start + body.chars().count() as u32,
                n_tokens: (body.len() / 5) as u32,
                n_windows: 1,
                text: body,
                scores: Scores(scores),
                labels,
            });
        }
        docs.push(DocumentRow {
            doc_id,
            path,
            format: Some("html".into()),
            lang: None,
            kind: None,
            kind_score: None,
            title: Some(format!("Example Site {d} Privacy Policy")),
            bytes: text.len() as u64 * 3,
            sha256: None,
            n_clauses: n as u32,
            status: "ok".into(),
            error: None,
            text: Some(text),
        });
    }
    w.write_documents(&docs)?;
    w.write_clauses(&clauses)?;
    w.finish()
}
