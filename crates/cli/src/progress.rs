//! Progress bars of long work: scoring clauses, training epochs.

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use policylens_classify::TokenizedClause;
use policylens_core::Scores;

/// Score tokenized clauses in chunks with a progress bar.
pub fn score_with_progress(
    tokens: &[TokenizedClause],
    mut score: impl FnMut(&[TokenizedClause]) -> Result<Vec<Scores>>,
) -> Result<Vec<Scores>> {
    let bar = bar(tokens.len(), "scoring");
    let mut out = Vec::with_capacity(tokens.len());
    for chunk in tokens.chunks(256) {
        out.extend(score(chunk)?);
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    Ok(out)
}

pub(crate) fn bar(n: usize, what: &str) -> ProgressBar {
    let b = ProgressBar::new(n as u64);
    b.set_style(
        ProgressStyle::with_template(&format!(
            "{what} {{bar:30}} {{pos}}/{{len}} clauses {{per_sec}} eta {{eta}}"
        ))
        .expect("static template"),
    );
    b
}

/// The progress bar of a training run, one epoch at a time.
pub(crate) struct EpochBar(ProgressBar);

impl EpochBar {
    pub fn new() -> Self {
        let b = ProgressBar::new(0);
        b.set_style(
            ProgressStyle::with_template(
                "epoch {prefix} {bar:30} {pos}/{len} steps  loss {msg}  eta {eta}",
            )
            .expect("static template"),
        );
        Self(b)
    }

    /// Show `step` of `total` in `epoch` (0-based), with the running loss
    /// and throughput; always `true` (the run goes on).
    pub fn step(&self, epoch: usize, step: usize, total: usize, loss: f64, tps: f64) -> bool {
        if self.0.length() != Some(total as u64) || step == 1 {
            self.0.set_length(total as u64);
            self.0.set_prefix(format!("{}", epoch + 1));
        }
        self.0.set_position(step as u64);
        self.0.set_message(format!("{loss:.4}  {tps:.0} tok/s"));
        true
    }

    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}
