//! Tokenize, window, encode and score privacy-policy clauses.
//!
//! The flow is [`tokenize`] (WordPiece ids, overlapping windows for long
//! clauses) → the encoder → one sigmoid per label → max-pool over windows,
//! wrapped up in a [`Classifier`]. A model directory is either a fine-tuned
//! `BertForSequenceClassification` (the default; `[CLS]` pooler and linear
//! classifier) or a [`head`] on a frozen base encoder ([`encoder`], mean
//! pooling; [`model`] config, base found by [`source`]: local folder or
//! hf-hub). [`train`] fits heads, [`calibrate`] chooses per-label thresholds
//! on validation, and [`metrics`] scores predictions against gold labels.
//!
//! Reading files is `policylens-read`'s job and writing tables
//! `policylens-store`'s; this crate sees only text.
//!
//! [`bert`] is the encoder every model runs on, written out op by op: a
//! differentiable forward for fine-tuning the whole model ([`finetune`];
//! candle-nn's fused layer norm and softmax have no backward pass) and a
//! fast one for inference, which on the CPU uses our own [`kernels`]
//! (fused attention, in-place GELU) and, with [`Precision::Int8`], the
//! int8 dense layers of [`quant`]. Fine-tuned models are Hugging Face
//! directories ([`hf`]); [`extend`] adds labels to one without retraining;
//! [`pretrain`] adapts an encoder to policy text (masked-LM) before that.

pub mod bert;
pub mod calibrate;
pub mod classifier;
pub mod device;
pub mod encoder;
pub mod error;
pub mod extend;
pub mod finetune;
pub mod head;
pub mod hf;
pub mod kernels;
pub mod metrics;
pub mod model;
pub mod pretrain;
pub mod quant;
pub mod source;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod tokenize;
pub mod train;

pub use classifier::{score_windows, Classifier, Embedder, LoadOptions};
pub use device::parse_device;
pub use error::{ClassifyError, Result};
pub use metrics::{evaluate, EvalReport};
pub use model::{BaseEncoder, ModelConfig, Windowing};
pub use quant::Precision;
pub use tokenize::TokenizedClause;
