//! `policylens add-label`: teach a fine-tuned model new labels without
//! retraining it or moving the labels it has
//! (`policylens_train::recipe::add_label`).

use crate::progress::Console;
use anyhow::Result;
use clap::Args;
use policylens_classify::{parse_device, LoadOptions};
use policylens_core::LabelSet;
use policylens_train::recipe::add_label::{add_labels, AddLabelJob};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct AddLabelArgs {
    /// A fine-tuned model directory (BertForSequenceClassification layout).
    pub model: PathBuf,
    /// Labels to add (comma-separated or repeated).
    #[arg(long = "label", required = true, value_delimiter = ',')]
    pub labels: Vec<String>,
    /// Training clauses: FILE or FILE@split; repeatable.
    #[arg(long = "train", required = true)]
    pub train: Vec<String>,
    /// Validation clauses for the grid choice and thresholds; repeatable.
    #[arg(long = "validation", required = true)]
    pub validation: Vec<String>,
    /// Output model directory (not the input's).
    #[arg(short, long)]
    pub out: PathBuf,
    /// Name written into outputs' model column (default: the input's).
    #[arg(long)]
    pub name: Option<String>,
    /// Storage type of the written weights: f32, or f16 for half-size files.
    #[arg(long, default_value = "f32", value_parser = ["f32", "f16"])]
    pub dtype: String,
    #[arg(long, default_value = "cpu")]
    pub device: String,
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
}

pub fn run(args: AddLabelArgs) -> Result<ExitCode> {
    let job = AddLabelJob {
        model: args.model,
        labels: LabelSet::new(args.labels)?,
        train: args.train,
        validation: args.validation,
        out: args.out,
        name: args.name,
        dtype: crate::dtype(&args.dtype),
        load: LoadOptions {
            device: parse_device(&args.device)?,
            batch_size: args.batch_size,
            ..Default::default()
        },
    };
    let added = add_labels(&job, &Console::default())?;
    println!(
        "chosen {:?}\nvalidation, all labels (new thresholds tuned on it):\n{}",
        added.params, added.validation
    );
    eprintln!(
        "model written to {} in {:.0}s",
        job.out.display(),
        added.seconds
    );
    Ok(ExitCode::SUCCESS)
}
