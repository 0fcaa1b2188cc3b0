//! What long jobs tell the person waiting for them. A front end implements
//! [`Observer`] (the CLI draws progress bars on stderr; a notebook could
//! show its own); every method has a silent default, so [`Silent`] is an
//! empty impl.

/// Where a training run stands after one optimiser step.
#[derive(Debug, Clone)]
pub struct StepReport {
    /// The epoch, from 0.
    pub epoch: usize,
    /// The step within the epoch, from 1.
    pub step: usize,
    pub total_steps: usize,
    /// The mean training loss of the epoch so far.
    pub loss: f64,
    pub tokens_per_second: f64,
}

/// Receives what a job reports while it runs.
pub trait Observer {
    /// A line worth reading in the log ("transfer: 2000 of 5120 distinct clauses …").
    fn note(&self, _line: &str) {}
    /// Counted work begins: `total` clauses to score or embed, `what` says which.
    fn start(&self, _what: &str, _total: usize) {}
    /// `n` more of the counted clauses are done.
    fn advance(&self, _n: usize) {}
    /// The counted work is over.
    fn finish(&self) {}
    /// A training step ended; `false` stops the run as an interruption
    /// would (the last finished epoch's checkpoint stays).
    fn step(&self, _report: &StepReport) -> bool {
        true
    }
    /// The training run is over (its epochs are reported after this).
    fn steps_done(&self) {}
}

/// An observer that shows nothing.
pub struct Silent;

impl Observer for Silent {}
