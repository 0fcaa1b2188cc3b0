//! Finding policy files, sniffing their [`Format`] and decoding their bytes.
//!
//! This is the first stage of the PolicyLens pipeline: [`discover`] turns the
//! paths a user named into a sorted list of files, [`read_source`] loads one
//! file and sniffs what it is, and [`decode`] turns its bytes into text for
//! `policylens-segment` (HTML, Markdown, text) or the clause-table readers in
//! `policylens-store` (JSONL, CSV). Every failure is a [`ReadError`] that names
//! the file and maps onto the document [`Status`] written to
//! `documents.parquet`; nothing here prints or drops an input silently.
//!
//! [`Format`]: policylens_core::Format
//! [`Status`]: policylens_core::Status

mod decode;
mod discover;
mod error;
mod sniff;

pub use decode::decode;
pub use discover::discover;
pub use error::ReadError;
pub use sniff::sniff_format;

use policylens_core::{content_sha256, doc_id_of, Format};
use std::path::{Path, PathBuf};

/// One input file's bytes, its document id and its sniffed format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    /// The document id: path and bytes ([`doc_id_of`]).
    pub id: String,
    /// sha256 of `bytes` alone ([`content_sha256`]).
    pub sha256: String,
    /// `None` when the file is of a kind PolicyLens does not read; call
    /// [`Source::format_or_error`] for the reason.
    pub format: Option<Format>,
}

impl Source {
    /// The format, or the error saying why this file cannot be read
    /// (PDF, image, archive, binary data, unknown extension).
    pub fn format_or_error(&self) -> Result<Format, ReadError> {
        match self.format {
            Some(format) => Ok(format),
            None => Err(sniff::unsupported_error(&self.path, &self.bytes)),
        }
    }
}

/// Reads a file and sniffs its format. Only I/O fails here; an unsupported
/// kind of file is a `Source` with `format: None`.
pub fn read_source(path: &Path) -> Result<Source, ReadError> {
    let _span = tracing::debug_span!("read_source", path = %path.display()).entered();
    let bytes = std::fs::read(path).map_err(|source| ReadError::Unreadable {
        path: path.to_path_buf(),
        source: match std::fs::read_dir(path) {
            // `discover` hands on the directories it could not list.
            Err(listing) if path.is_dir() => std::io::Error::new(
                listing.kind(),
                format!("a directory that cannot be listed: {listing}"),
            ),
            _ => source,
        },
    })?;
    let format = sniff_format(path, &bytes);
    Ok(Source {
        path: path.to_path_buf(),
        id: doc_id_of(path, &bytes),
        sha256: content_sha256(&bytes),
        bytes,
        format,
    })
}
