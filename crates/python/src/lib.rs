//! PolicyLens from Python: the `policylens._native` extension module.
//!
//! It owns the boundary only; the work is the workspace crates'. [`labeler`]
//! holds a loaded model and runs `policylens_pipeline::run` off the GIL,
//! interruptible; [`table`] hands the resulting tables to Python through
//! the Arrow C stream interface; [`errors`] turns Rust errors into Python
//! exceptions. The Python package around it is `python/policylens/`
//! (`Labeler`, `Run`, `segment`, and the Ray runner `policylens.ray`).

mod errors;
mod labeler;
mod table;

use polars::prelude::{DataFrame, IntoColumn, NamedFrom, Series};
use policylens_core::LabelSet;
use pyo3::prelude::*;
use std::path::PathBuf;

/// Read one file and cut it into clauses, without a model: its clauses as
/// a table (position, heading, text, char_start, char_end).
#[pyfunction]
fn segment(py: Python<'_>, path: PathBuf) -> PyResult<table::Table> {
    if !path.exists() {
        return Err(errors::input_missing(&path));
    }
    let file = py
        .detach(|| policylens_pipeline::segment_file(&path))
        .map_err(|f| errors::PolicyLensError::new_err(f.error))?;
    let clauses = &file.segmented.clauses;
    let column = |name: &str, s: Series| s.with_name(name.into()).into_column();
    let frame = DataFrame::new(
        clauses.len(),
        vec![
            column(
                "doc_id",
                Series::new("".into(), vec![file.id.as_str(); clauses.len()]),
            ),
            column(
                "position",
                Series::new(
                    "".into(),
                    clauses.iter().map(|c| c.position).collect::<Vec<u32>>(),
                ),
            ),
            column(
                "heading",
                Series::new(
                    "".into(),
                    clauses
                        .iter()
                        .map(|c| (!c.heading.is_empty()).then(|| c.heading_path()))
                        .collect::<Vec<_>>(),
                ),
            ),
            column(
                "text",
                Series::new(
                    "".into(),
                    clauses.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(),
                ),
            ),
            column(
                "char_start",
                Series::new(
                    "".into(),
                    clauses
                        .iter()
                        .map(|c| c.char_start as u32)
                        .collect::<Vec<u32>>(),
                ),
            ),
            column(
                "char_end",
                Series::new(
                    "".into(),
                    clauses
                        .iter()
                        .map(|c| c.char_end as u32)
                        .collect::<Vec<u32>>(),
                ),
            ),
        ],
    )
    .map_err(|e| errors::PolicyLensError::new_err(format!("{}: {e}", path.display())))?;
    Ok(table::Table::new(frame))
}

/// The 13 practice labels of the default label set, in column order.
#[pyfunction]
fn default_labels() -> Vec<String> {
    LabelSet::policylens().names().to_vec()
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<labeler::Labeler>()?;
    m.add_class::<table::Table>()?;
    m.add_function(wrap_pyfunction!(segment, m)?)?;
    m.add_function(wrap_pyfunction!(default_labels, m)?)?;
    m.add(
        "PolicyLensError",
        m.py().get_type::<errors::PolicyLensError>(),
    )?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
