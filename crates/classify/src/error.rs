use std::path::PathBuf;
use thiserror::Error;

/// What can go wrong loading or running a classifier. Every variant that
/// concerns a file names it, and says how to fix it where we know.
#[derive(Debug, Error)]
pub enum ClassifyError {
    #[error("{path}: missing model file. {hint}")]
    MissingFile { path: PathBuf, hint: String },
    #[error("{path}: unreadable or corrupt model file: {reason}. {hint}")]
    Corrupt {
        path: PathBuf,
        reason: String,
        hint: String,
    },
    #[error("{path}: sha256 is {actual}, expected {expected}. {hint}")]
    HashMismatch {
        path: PathBuf,
        expected: String,
        actual: String,
        hint: String,
    },
    #[error("model {spec:?} is neither a local directory nor available from the Hugging Face hub: {reason}. {hint}")]
    Unresolved {
        spec: String,
        reason: String,
        hint: String,
    },
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("unknown device {0:?}: use cpu, cuda, cuda:N, metal or auto")]
    Device(String),
    #[error("{0}")]
    Labels(#[from] policylens_core::LabelError),
    #[error("training: {0}")]
    Training(String),
    #[error("{0}")]
    Unsupported(String),
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    /// A file operation that failed, said as it was attempted
    /// ("copying A to B").
    #[error("{action}: {error}")]
    File {
        action: String,
        error: std::io::Error,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub type Result<T, E = ClassifyError> = std::result::Result<T, E>;

/// The fix we suggest whenever the base encoder is missing.
pub const FETCH_HINT: &str = "Run scripts/fetch-model.sh to fetch the base encoder into models/";
