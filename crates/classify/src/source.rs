//! Where a model's files come from: a local directory in Hugging Face
//! layout, or a hub repository id resolved through hf-hub's cache.

use crate::error::{ClassifyError, Result, FETCH_HINT};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Files an encoder directory must hold.
pub const ENCODER_FILES: [&str; 3] = ["config.json", "tokenizer.json", "model.safetensors"];
/// Files an encoder directory may hold (sentence-transformers metadata).
pub const OPTIONAL_FILES: [&str; 2] = ["sentence_bert_config.json", "modules.json"];

/// Resolve `spec` to a directory holding [`ENCODER_FILES`].
///
/// `spec` is a path, or a hub id such as `sentence-transformers/all-MiniLM-L6-v2`.
/// A hub id is looked for first as `<root>/<name>` under each of `local_roots`
/// (the repository's `models/` folder, say), then in the hf-hub cache, then
/// downloaded unless `HF_HUB_OFFLINE=1`.
pub fn resolve(spec: &str, local_roots: &[PathBuf]) -> Result<PathBuf> {
    let as_path = Path::new(spec);
    if as_path.is_dir() {
        return Ok(as_path.to_path_buf());
    }
    if let Some(name) = spec.rsplit('/').next() {
        for root in local_roots {
            let candidate = root.join(name);
            if candidate.join("config.json").is_file() {
                return Ok(candidate);
            }
        }
    }
    if !spec.contains('/') || as_path.is_absolute() || spec.starts_with('.') {
        return Err(ClassifyError::Unresolved {
            spec: spec.to_string(),
            reason: "no such directory".into(),
            hint: FETCH_HINT.into(),
        });
    }
    from_hub(spec)
}

/// Fetch (or find in the cache) a hub repository's encoder files and return
/// the snapshot directory that holds them.
pub fn from_hub(repo_id: &str) -> Result<PathBuf> {
    let unresolved = |reason: String| ClassifyError::Unresolved {
        spec: repo_id.to_string(),
        reason,
        hint: FETCH_HINT.into(),
    };
    let offline = std::env::var("HF_HUB_OFFLINE").is_ok_and(|v| v == "1" || v == "true");
    let mut dir = None;
    if offline {
        let repo = hf_hub::Cache::from_env().model(repo_id.to_string());
        for f in ENCODER_FILES {
            let p = repo.get(f).ok_or_else(|| {
                unresolved(format!(
                    "HF_HUB_OFFLINE=1 and {f} is not in the hf-hub cache"
                ))
            })?;
            dir = p.parent().map(Path::to_path_buf);
        }
    } else {
        let api = hf_hub::api::sync::ApiBuilder::from_env()
            .with_progress(false)
            .build()
            .map_err(|e| unresolved(e.to_string()))?;
        let repo = api.model(repo_id.to_string());
        for f in ENCODER_FILES {
            let p = repo.get(f).map_err(|e| unresolved(format!("{f}: {e}")))?;
            dir = p.parent().map(Path::to_path_buf);
        }
        for f in OPTIONAL_FILES {
            let _ = repo.get(f);
        }
    }
    dir.ok_or_else(|| unresolved("empty snapshot".into()))
}

/// Fetch a hub repository's encoder files (through the hf-hub cache) and
/// copy them into `out`, which is created.
pub fn fetch_to(repo_id: &str, out: &Path) -> Result<()> {
    let snapshot = from_hub(repo_id)?;
    std::fs::create_dir_all(out).map_err(|error| ClassifyError::File {
        action: format!("creating {}", out.display()),
        error,
    })?;
    for f in ENCODER_FILES.iter().chain(&OPTIONAL_FILES) {
        let src = snapshot.join(f);
        if src.is_file() {
            std::fs::copy(&src, out.join(f)).map_err(|error| ClassifyError::File {
                action: format!("copying {} to {}", src.display(), out.display()),
                error,
            })?;
        }
    }
    Ok(())
}

/// Lower-case hex sha256 of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<String> {
    let io = |source| ClassifyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Check that `dir` holds every encoder file, naming the first missing one.
pub fn check_encoder_dir(dir: &Path) -> Result<()> {
    for f in ENCODER_FILES {
        let path = dir.join(f);
        if !path.is_file() {
            return Err(ClassifyError::MissingFile {
                path,
                hint: FETCH_HINT.into(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_directory_wins_and_missing_files_are_named() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("tiny-bert");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("config.json"), "{}").unwrap();
        let found = resolve("someone/tiny-bert", &[tmp.path().to_path_buf()]).unwrap();
        assert_eq!(found, dir);
        let err = check_encoder_dir(&dir).unwrap_err().to_string();
        assert!(
            err.contains("tokenizer.json") && err.contains("fetch-model.sh"),
            "{err}"
        );
    }

    #[test]
    fn a_bare_missing_name_is_not_sent_to_the_hub() {
        let err = resolve("no-such-model-dir", &[]).unwrap_err().to_string();
        assert!(err.contains("no-such-model-dir"), "{err}");
    }

    #[test]
    fn sha256_of_a_file() {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(tmp.path(), b"abc").unwrap();
        assert_eq!(
            sha256_file(tmp.path()).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
