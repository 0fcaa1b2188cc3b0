//! `policylens calibrate`: choose a fine-tuned model's per-label thresholds
//! on annotated validation clauses and write them into its `config.json`
//! (see `policylens_train::recipe::calibrate`).

use crate::progress::Console;
use crate::ModelArgs;
use anyhow::Result;
use clap::Args;
use policylens_train::recipe::calibrate::{calibrate_model, check, CalibrateJob};
use std::process::ExitCode;

#[derive(Args)]
pub struct CalibrateArgs {
    /// Annotated validation clauses: FILE or FILE@split (.csv/.jsonl/.parquet).
    #[arg(required = true)]
    pub data: Vec<String>,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Pull each label's threshold toward one shared cut by this many
    /// positives' worth of evidence: a label with n validation positives
    /// ends at (n * own cut + k * shared cut) / (n + k). 0 keeps each
    /// label's own F1-maximising cut.
    #[arg(long, default_value_t = 0.0)]
    pub threshold_prior: f64,
    /// Print the new thresholds without writing them.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(args: CalibrateArgs) -> Result<ExitCode> {
    let job = CalibrateJob {
        model: args.model.model.clone(),
        data: args.data,
        threshold_prior: args.threshold_prior,
        dry_run: args.dry_run,
    };
    check(&job)?;
    let classifier = args.model.load()?;
    let c = calibrate_model(&classifier, &job, &Console::default())?;
    println!("{c}");
    println!(
        "on these clauses: macro-F1 {:.4} -> {:.4}, micro-F1 {:.4} -> {:.4} (thresholds tuned on them)",
        c.before.macro_f1, c.after.macro_f1, c.before.micro_f1, c.after.micro_f1
    );
    match job.dry_run {
        true => eprintln!("--dry-run: {} unchanged", job.model.display()),
        false => eprintln!(
            "thresholds written to {}",
            job.model.join("config.json").display()
        ),
    }
    Ok(ExitCode::SUCCESS)
}
