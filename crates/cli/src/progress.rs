//! Progress on stderr for long library jobs: the CLI's [`Observer`] draws
//! a bar per counted task (scoring, embedding) and one per training epoch,
//! and prints notes as lines.

use indicatif::{ProgressBar, ProgressStyle};
use policylens_train::{Observer, StepReport};
use std::cell::RefCell;

/// The terminal's view of a running job.
#[derive(Default)]
pub struct Console {
    task: RefCell<Option<ProgressBar>>,
    epoch: RefCell<Option<ProgressBar>>,
}

impl Observer for Console {
    fn note(&self, line: &str) {
        eprintln!("{line}");
    }

    fn start(&self, what: &str, total: usize) {
        let b = ProgressBar::new(total as u64);
        b.set_style(
            ProgressStyle::with_template(&format!(
                "{what} {{bar:30}} {{pos}}/{{len}} clauses {{per_sec}} eta {{eta}}"
            ))
            .expect("static template"),
        );
        *self.task.borrow_mut() = Some(b);
    }

    fn advance(&self, n: usize) {
        if let Some(b) = &*self.task.borrow() {
            b.inc(n as u64);
        }
    }

    fn finish(&self) {
        if let Some(b) = self.task.borrow_mut().take() {
            b.finish_and_clear();
        }
    }

    /// Show the step of its epoch, with the running loss and throughput.
    fn step(&self, s: &StepReport) -> bool {
        let mut slot = self.epoch.borrow_mut();
        let b = slot.get_or_insert_with(epoch_bar);
        if b.length() != Some(s.total_steps as u64) || s.step == 1 {
            b.set_length(s.total_steps as u64);
            b.set_prefix(format!("{}", s.epoch + 1));
        }
        b.set_position(s.step as u64);
        b.set_message(format!("{:.4}  {:.0} tok/s", s.loss, s.tokens_per_second));
        true
    }

    fn steps_done(&self) {
        if let Some(b) = self.epoch.borrow_mut().take() {
            b.finish_and_clear();
        }
    }
}

fn epoch_bar() -> ProgressBar {
    let b = ProgressBar::new(0);
    b.set_style(
        ProgressStyle::with_template(
            "epoch {prefix} {bar:30} {pos}/{len} steps  loss {msg}  eta {eta}",
        )
        .expect("static template"),
    );
    b
}
