//! Rust errors as Python exceptions: `PolicyLensError` with the whole
//! chain of causes (which names the file), `FileNotFoundError` for an
//! input that does not exist.

use pyo3::exceptions::{PyException, PyFileNotFoundError};
use pyo3::PyErr;
use std::path::Path;

pyo3::create_exception!(
    _native,
    PolicyLensError,
    PyException,
    "An error from PolicyLens: a model that does not load, an output folder held by another job, a run that stopped."
);

/// `error` met while `doing` something, with each cause once.
pub fn to_py(doing: &str, error: &(dyn std::error::Error + 'static)) -> PyErr {
    let mut message = doing.to_string();
    let mut cause = Some(error);
    while let Some(e) = cause {
        let text = e.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        cause = e.source();
    }
    PolicyLensError::new_err(message)
}

pub fn input_missing(path: &Path) -> PyErr {
    PyFileNotFoundError::new_err(format!("{}: no such file or directory", path.display()))
}
