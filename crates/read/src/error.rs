//! The one error type of this crate and its document status.

use policylens_core::Status;
use std::path::PathBuf;

/// Why a file could not be turned into text. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{}: no such file or directory", path.display())]
    NotFound { path: PathBuf },
    #[error("{}: cannot read: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {reason}", path.display())]
    Binary { path: PathBuf, reason: String },
    #[error("{}: {reason}", path.display())]
    Unsupported { path: PathBuf, reason: String },
    #[error("{}: the bytes are not valid {encoding} ({detail})", path.display())]
    InvalidEncoding {
        path: PathBuf,
        encoding: &'static str,
        detail: String,
    },
    #[error("{}: the file holds no text", path.display())]
    Empty { path: PathBuf },
    #[error("{}: {bytes} bytes, over the limit of {limit} bytes per file (--max-file-bytes); not read", path.display())]
    TooLarge {
        path: PathBuf,
        bytes: u64,
        limit: u64,
    },
}

impl ReadError {
    /// The document status this error is recorded as.
    pub fn status(&self) -> Status {
        match self {
            ReadError::NotFound { .. } | ReadError::Unreadable { .. } => Status::Unreadable,
            ReadError::Binary { .. } => Status::Binary,
            ReadError::Unsupported { .. } => Status::Unsupported,
            ReadError::InvalidEncoding { .. } => Status::InvalidEncoding,
            ReadError::Empty { .. } => Status::Empty,
            ReadError::TooLarge { .. } => Status::TooLarge,
        }
    }

    /// The file the error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            ReadError::NotFound { path }
            | ReadError::Unreadable { path, .. }
            | ReadError::Binary { path, .. }
            | ReadError::Unsupported { path, .. }
            | ReadError::InvalidEncoding { path, .. }
            | ReadError::Empty { path }
            | ReadError::TooLarge { path, .. } => path,
        }
    }
}
