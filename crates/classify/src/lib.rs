//! Scoring privacy-policy clauses: tokenize, window, encode, score. This
//! crate scores and nothing else; training lives in `policylens-train`,
//! the CPU kernels in `policylens-kernels`, reading files in
//! `policylens-read` and writing tables in `policylens-store`: it sees
//! only text.
//!
//! The flow is [`tokenize`] (WordPiece ids, overlapping windows for long
//! clauses) → the encoder → one sigmoid per label → max-pool over windows,
//! wrapped up in a [`Classifier`]. A model directory ([`source`]: a local
//! folder or hf-hub) is either a fine-tuned Hugging Face
//! `BertForSequenceClassification` ([`hf`], the model file [`seqcls`]:
//! `[CLS]` pooler and linear classifier; the default) or a [`head`] on a
//! frozen base encoder ([`encoder`], mean pooling; [`model`] config).
//!
//! [`bert`] is the encoder every model runs on, written out op by op, as
//! candle's model files are: a differentiable forward (for training) beside
//! a fast one for inference, which on the CPU calls `policylens-kernels`
//! (fused attention, in-place GELU) and, with [`Precision::Int8`], its
//! int8 dense layers. [`device`] parses where to run.

pub mod bert;
pub mod classifier;
pub mod device;
pub mod encoder;
pub mod error;
pub mod head;
pub mod hf;
pub mod model;
pub mod precision;
pub mod seqcls;
pub mod source;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod tokenize;

pub use classifier::{score_windows, Classifier, Embedder, LoadOptions};
pub use device::parse_device;
pub use error::{ClassifyError, Result};
pub use model::{BaseEncoder, ModelConfig, Windowing};
pub use precision::Precision;
pub use tokenize::TokenizedClause;
