//! The jobs behind `policylens train`, `pretrain`, `add-label`, `eval` and
//! `calibrate`, as library calls any front end can make: each takes a job
//! description and an [`Observer`](crate::observe::Observer), reads its
//! data, runs, writes its model, and returns what a caller reports.

pub mod add_label;
pub mod calibrate;
pub mod distill;
pub mod eval;
pub mod fine_tune;
pub mod head;
pub mod pretrain;

use policylens_classify::LoadOptions;
use policylens_core::LabelSet;
use std::path::{Path, PathBuf};

/// What every training job starts from: annotated clauses, a base model,
/// where the result goes and what it is called.
#[derive(Debug, Clone)]
pub struct TrainSpec {
    /// Training clauses, `FILE` or `FILE@split`.
    pub train: Vec<String>,
    /// Validation clauses for model selection and thresholds.
    pub validation: Vec<String>,
    /// Base encoder: hub id or directory (looked for under `models/` first).
    pub base: String,
    /// The model directory to write.
    pub out: PathBuf,
    /// The name written into outputs' model column (default: `out`'s folder name).
    pub name: Option<String>,
    pub labels: LabelSet,
    /// Device and windows per encoder call.
    pub load: LoadOptions,
}

impl TrainSpec {
    /// The model's name: as given, else the output folder's name.
    pub fn model_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| folder_name(&self.out))
    }
}

fn folder_name(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "policylens".into())
}
