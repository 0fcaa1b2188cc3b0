//! Training, calibrating and evaluating PolicyLens classifiers. Scoring is
//! `policylens-classify`'s (this crate builds on it; it never builds on
//! this one); reading annotated tables is `policylens-store`'s.
//!
//! The [`recipe`]s are the jobs behind `policylens train`, `pretrain`,
//! `add-label`, `eval` and `calibrate`, as library calls any front end can
//! make: [`recipe::fine_tune`] (whole-encoder fine-tuning, with
//! [`recipe::distill`]ation from teachers and transfer clauses),
//! [`recipe::head`] (a head on a frozen encoder, with [`weak`] biometrics
//! negatives), [`recipe::add_label`], [`recipe::pretrain`],
//! [`recipe::eval`] and [`recipe::calibrate`]. They report progress to an
//! [`Observer`].
//!
//! Beneath them, the training loops read top to bottom: [`finetune`] and
//! [`pretrain`] (masked-LM) over [`batch`]es of clause windows, with the
//! [`loss`], the [`optim`]iser and its schedule, epoch [`checkpoint`]s to
//! resume from, and [`init`] (where the weights start); [`head`] fits
//! logistic heads on frozen features, [`extend`] splices new label rows
//! into a fine-tuned model, [`calibrate`] chooses thresholds on
//! validation, [`metrics`] scores predictions against gold labels, and
//! [`data`] reads the clauses all of them learn from.

pub mod batch;
pub mod calibrate;
pub mod checkpoint;
pub mod data;
pub mod error;
pub mod extend;
pub mod finetune;
pub mod head;
pub mod init;
pub mod loss;
pub mod metrics;
pub mod observe;
pub mod optim;
pub mod pretrain;
pub mod recipe;
pub mod score;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod weak;

pub use error::{Result, TrainError};
pub use metrics::{evaluate, EvalReport};
pub use observe::{Observer, Silent, StepReport};
