//! The two sides of a version comparison: a side is either a finished
//! labeling run (an output folder of `policylens label`) or policies to
//! label first, into a folder of their own.

use crate::{run, PipelineError, RunOptions, Summary};
use policylens_classify::Classifier;
use policylens_store::{LabeledRun, RunFolder, CLAUSES_FILE};
use std::path::{Path, PathBuf};

/// A side of a comparison, ready to compare.
pub struct Opened {
    pub run: LabeledRun,
    /// What labeling it did, when it was not a finished run already.
    pub labeled: Option<Summary>,
}

/// Whether `path` is an output folder of `policylens label`.
pub fn is_labeled_run(path: &Path) -> bool {
    path.join(CLAUSES_FILE).is_file()
}

/// `input` as a finished run: read as it is when it is one, else labeled
/// into `dir` with `classifier` and read back (an error without one).
pub fn open_or_label(
    input: &Path,
    dir: &Path,
    classifier: Option<&Classifier>,
) -> Result<Opened, PipelineError> {
    let within = |action, source| PipelineError::Input {
        action,
        input: PathBuf::from(input),
        source: Box::new(source),
    };
    if is_labeled_run(input) {
        let run =
            LabeledRun::open(input).map_err(|e| within("reading labeled output", e.into()))?;
        return Ok(Opened { run, labeled: None });
    }
    let Some(classifier) = classifier else {
        return Err(PipelineError::NoModel(input.to_path_buf()));
    };
    // The folder is this comparison's own: another job's run there is replaced.
    let opts = RunOptions {
        progress: false,
        overwrite: true,
        ..Default::default()
    };
    let summary = RunFolder::claim(dir)
        .map_err(PipelineError::from)
        .and_then(|folder| run(&[input.to_path_buf()], folder, classifier, &opts))
        .map_err(|e| within("labeling", e))?;
    Ok(Opened {
        run: LabeledRun::open(dir)?,
        labeled: Some(summary),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_to_compare_without_a_model_are_an_error_that_names_them() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("p.md"), "We collect your email.\n").unwrap();
        assert!(!is_labeled_run(tmp.path()));
        let err = open_or_label(tmp.path(), &tmp.path().join("old"), None)
            .err()
            .expect("no model, no run");
        assert!(matches!(err, PipelineError::NoModel(ref p) if p == tmp.path()));
        assert!(err.to_string().contains("no model"), "{err}");
    }
}
