use std::path::PathBuf;
use thiserror::Error;

/// Why a training, calibration or evaluation job stopped.
#[derive(Debug, Error)]
pub enum TrainError {
    /// The options or the data cannot make a run; the message says which
    /// and what to change.
    #[error("{0}")]
    Invalid(String),
    /// `source` behind a line that says what was being done.
    #[error("{context}")]
    Data {
        context: String,
        #[source]
        source: Box<TrainError>,
    },
    /// `action` is what was being done to `path`: "reading", "writing", …
    #[error("{action} {path}: {error}")]
    Io {
        action: &'static str,
        path: PathBuf,
        error: std::io::Error,
    },
    /// The observer stopped the run; the last finished epoch's checkpoint
    /// stays, and the same job started again resumes from it.
    #[error("stopped before the last epoch; the checkpoint in {0} resumes it")]
    Interrupted(PathBuf),
    #[error(transparent)]
    Classify(#[from] policylens_classify::ClassifyError),
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    #[error(transparent)]
    Store(#[from] policylens_store::StoreError),
    #[error(transparent)]
    Read(#[from] policylens_read::ReadError),
    #[error(transparent)]
    Label(#[from] policylens_core::LabelError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

pub type Result<T, E = TrainError> = std::result::Result<T, E>;

/// Stop with a message that says what is wrong and what to change.
macro_rules! invalid {
    ($($arg:tt)*) => {
        return Err($crate::error::TrainError::Invalid(format!($($arg)*)))
    };
}
pub(crate) use invalid;

impl TrainError {
    /// This error, behind a line that says what was being done.
    pub fn context(self, context: impl Into<String>) -> Self {
        Self::Data {
            context: context.into(),
            source: Box::new(self),
        }
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        error: std::io::Error,
    ) -> Self {
        Self::Io {
            action,
            path: path.into(),
            error,
        }
    }
}
