//! Checkpoints of a training run: after every epoch the weights, the
//! optimiser's moments and the run state are saved, and a run started
//! again over the same directory resumes from the last finished epoch.

use crate::optim::AdamW;
use candle_core::{Device, Result};
use candle_nn::VarMap;
use serde::Serialize;
use std::path::Path;

pub(crate) const CHECKPOINT_WEIGHTS: &str = "model.safetensors";
pub(crate) const CHECKPOINT_OPTIMIZER: &str = "optimizer.safetensors";
pub(crate) const CHECKPOINT_STATE: &str = "state.json";
pub(crate) const BEST_WEIGHTS: &str = "best.safetensors";

pub(crate) fn io_err(path: &Path, e: impl std::fmt::Display) -> candle_core::Error {
    candle_core::Error::Msg(format!("{}: {e}", path.display()))
}

/// The run state saved in `checkpoint` after its last finished epoch, with
/// the weights and optimiser moments of that moment restored; `None` for a
/// fresh run.
pub(crate) fn resume<S: serde::de::DeserializeOwned>(
    checkpoint: &Path,
    varmap: &VarMap,
    opt: &mut AdamW,
    device: &Device,
) -> Result<Option<S>> {
    let state_path = checkpoint.join(CHECKPOINT_STATE);
    if !state_path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&state_path).map_err(|e| io_err(&state_path, e))?;
    let state = serde_json::from_str(&text).map_err(|e| io_err(&state_path, e))?;
    restore(varmap, &checkpoint.join(CHECKPOINT_WEIGHTS), device)?;
    opt.load(&checkpoint.join(CHECKPOINT_OPTIMIZER), device)?;
    tracing::info!("resuming from {}", checkpoint.display());
    Ok(Some(state))
}

/// Save weights, optimiser moments and `state` at the end of an epoch.
pub(crate) fn save_checkpoint<S: Serialize>(
    checkpoint: &Path,
    varmap: &VarMap,
    opt: &AdamW,
    state: &S,
) -> Result<()> {
    std::fs::create_dir_all(checkpoint).map_err(|e| io_err(checkpoint, e))?;
    let state_path = checkpoint.join(CHECKPOINT_STATE);
    varmap.save(checkpoint.join(CHECKPOINT_WEIGHTS))?;
    opt.save(&checkpoint.join(CHECKPOINT_OPTIMIZER))?;
    let json = serde_json::to_string_pretty(state).map_err(|e| io_err(&state_path, e))?;
    std::fs::write(&state_path, json).map_err(|e| io_err(&state_path, e))
}

/// Set every variable of `varmap` from the tensor of the same name in `path`.
pub(crate) fn restore(varmap: &VarMap, path: &Path, device: &Device) -> Result<()> {
    let saved = candle_core::safetensors::load(path, device)?;
    for (name, var) in varmap.data().lock().expect("varmap lock").iter() {
        let t = saved
            .get(name)
            .ok_or_else(|| io_err(path, format!("no tensor {name}")))?;
        var.set(t)?;
    }
    Ok(())
}
