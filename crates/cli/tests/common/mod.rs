//! Helpers shared by the end-to-end tests in `crates/cli/tests/`.

use polars::prelude::*;
use std::path::{Path, PathBuf};

/// The repository root (tests run the binary from there).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Whether the shipped default model is complete (its weights are committed,
/// so only a checkout without them, e.g. a shallow export, lacks it); says
/// so when not, so a skipped test is visible in the output.
pub fn shipped_model_present() -> bool {
    let present = repo()
        .join("models/policylens-minilm-opp115/model.safetensors")
        .is_file();
    if !present {
        eprintln!("SKIPPED: models/policylens-minilm-opp115/model.safetensors is absent");
    }
    present
}

/// A `list<string>` column of a frame as vectors (null lists are empty).
pub fn string_lists(df: &DataFrame, col: &str) -> Vec<Vec<String>> {
    df.column(col)
        .unwrap()
        .list()
        .unwrap()
        .amortized_iter()
        .map(|v| {
            v.map(|v| {
                v.as_ref()
                    .str()
                    .unwrap()
                    .iter()
                    .flatten()
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
        })
        .collect()
}
