//! Scoring clauses through the labeling path while a job waits on it:
//! evaluation, calibration, teachers, and a trained model's check on
//! validation.

use crate::error::Result;
use crate::observe::Observer;
use policylens_classify::Classifier;
use policylens_core::Scores;

/// Clauses scored per call, between progress reports.
const CHUNK: usize = 256;

/// Every clause of `texts` scored by `classifier` (windows max-pooled, as
/// `policylens label` scores them), `CHUNK` clauses at a time.
pub fn score_texts(
    classifier: &Classifier,
    texts: &[String],
    observer: &dyn Observer,
) -> Result<Vec<Scores>> {
    let tokens = classifier.tokenize_all(texts)?;
    observer.start("scoring", tokens.len());
    let mut out = Vec::with_capacity(tokens.len());
    for chunk in tokens.chunks(CHUNK) {
        out.extend(classifier.score(chunk)?);
        observer.advance(chunk.len());
    }
    observer.finish();
    Ok(out)
}
