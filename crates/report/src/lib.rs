//! `policylens report`: one self-contained static HTML file for a labeled run.
//!
//! This crate owns the report and nothing else. It takes a run read back by
//! `policylens-store` ([`LabeledRun`]) and renders:
//!
//! - a corpus overview, rendered here as static HTML: totals, the label
//!   prevalence chart (inline SVG, share of readable policies with at least one
//!   clause predicted with each label) and the list of documents that failed;
//! - a per-policy coverage matrix (which practices each policy discloses,
//!   missing core practices flagged), paginated, searchable and sortable, and
//!   a per-policy clause view with coloured label chips and a label filter,
//!   both rendered in the browser by `assets/report.js`, lazily, from one
//!   compact JSON blob ([`data`]).
//!
//! The page fetches nothing: CSS, JavaScript, SVG and data are inline, and a
//! Content-Security-Policy (`default-src 'none'`) makes the browser refuse any
//! load that slipped in. The assets are plain files under `assets/`, included
//! with `include_str!`. [`synthetic`] writes made-up runs of any size, for
//! tests and for checking the report at corpus scale.

mod data;
mod html;
pub mod synthetic;

pub use data::{Coverage, DATA_VERSION};

use policylens_core::Label;
use policylens_store::LabeledRun;
use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// Page title; default: "PolicyLens report: <run folder name>".
    pub title: Option<String>,
    /// Coverage matrix rows per page.
    pub page_size: usize,
    /// Labels flagged when missing; default: the catalogue's core practices
    /// ([`Label::is_core_practice`]). Those not in the run's label set are
    /// ignored; if none is, every label counts as core.
    pub core: Vec<String>,
    /// Count pages of every kind (`kind` in documents.parquet), not only
    /// privacy policies.
    pub all_kinds: bool,
}

impl Default for ReportOptions {
    fn default() -> Self {
        Self {
            title: None,
            page_size: 50,
            core: core_practices(),
            all_kinds: false,
        }
    }
}

/// The catalogue's core practice names, in catalogue order.
fn core_practices() -> Vec<String> {
    Label::ALL
        .into_iter()
        .filter(|l| l.is_core_practice())
        .map(|l| l.name().to_string())
        .collect()
}

#[derive(Debug, Error)]
pub enum ReportError {
    #[error("writing {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The whole report as one HTML document.
pub fn render(run: &LabeledRun, opts: &ReportOptions) -> String {
    let coverage = Coverage::of(run, opts);
    html::page(run, opts, &coverage)
}

/// Render into `path`; returns the number of bytes written.
pub fn write_report(
    run: &LabeledRun,
    opts: &ReportOptions,
    path: &Path,
) -> Result<u64, ReportError> {
    let io = |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let page = render(run, opts);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
    f.write_all(page.as_bytes()).map_err(io)?;
    f.flush().map_err(io)?;
    Ok(page.len() as u64)
}
