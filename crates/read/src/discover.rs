//! Turning the paths a user named into the list of input files.

use crate::ReadError;
use std::path::{Path, PathBuf};

/// The input files under `inputs`, in a deterministic order.
///
/// Files are taken as given (even hidden ones: the user named them).
/// Directories are walked recursively and their files listed in path order
/// (so `a/z.txt` comes before `b.txt`), skipping
/// hidden files and directories (names starting with `.`). Every other
/// regular file is returned, whatever its kind: unsupported files are reported
/// later with a status rather than dropped here. Symlinks are followed, but
/// a directory already walked (a link back up the tree, two links to one
/// folder) is walked once. A directory below an input that cannot be listed
/// is returned as an input itself, so that reading it reports it with status
/// `unreadable` and the run goes on. A file reached more than once (named
/// twice, named and inside a named folder, or through a link) is listed
/// once, where it was first reached. Fails only when a named input does not
/// exist or cannot be listed.
pub fn discover(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, ReadError> {
    let _span = tracing::debug_span!("discover", inputs = inputs.len()).entered();
    let mut files = list(inputs)?;
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())));
    Ok(files)
}

fn list(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, ReadError> {
    let mut files = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => ReadError::NotFound {
                path: input.clone(),
            },
            _ => ReadError::Unreadable {
                path: input.clone(),
                source,
            },
        })?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(input, &mut found)?;
            found.sort();
            files.extend(found);
        } else {
            files.push(input.clone());
        }
    }
    Ok(files)
}

/// Depth-first with an explicit stack so a deep tree cannot overflow the call stack.
fn walk(root: &Path, files: &mut Vec<PathBuf>) -> Result<(), ReadError> {
    let mut walked = std::collections::HashSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        // Canonical paths name each directory once, however it was reached.
        if let Ok(canonical) = std::fs::canonicalize(&dir) {
            if !walked.insert(canonical) {
                tracing::debug!(dir = %dir.display(), "already walked (symlink); skipped");
                continue;
            }
        }
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(source) if dir.as_path() == root => {
                return Err(ReadError::Unreadable { path: dir, source })
            }
            Err(_) => {
                // Reading it fails too, and that failure becomes its row.
                files.push(dir);
                continue;
            }
        };
        let mut children: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| !is_hidden(path))
            .collect();
        children.sort();
        let mut subdirs = Vec::new();
        for child in children {
            // A broken symlink still counts as an input: reading it reports why it failed.
            if std::fs::metadata(&child)
                .map(|m| m.is_dir())
                .unwrap_or(false)
            {
                subdirs.push(child);
            } else {
                files.push(child);
            }
        }
        // Popped in reverse, so subdirectories are walked in path order.
        subdirs.reverse();
        stack.extend(subdirs);
    }
    Ok(())
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .map(|name| name.to_string_lossy().starts_with('.'))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn walks_sorted_and_skips_hidden() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("b/nested")).unwrap();
        fs::create_dir_all(root.join(".git")).unwrap();
        for file in [
            "z.txt",
            "a.html",
            "b/nested/c.md",
            "b/x.pdf",
            ".hidden.txt",
            ".git/config",
        ] {
            fs::write(root.join(file), "x").unwrap();
        }
        let found = discover(&[root.to_path_buf()]).unwrap();
        let rel: Vec<_> = found
            .iter()
            .map(|p| {
                p.strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/")
            })
            .collect();
        assert_eq!(rel, ["a.html", "b/nested/c.md", "b/x.pdf", "z.txt"]);
    }

    #[test]
    fn named_files_are_kept_in_the_given_order() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        let hidden = dir.path().join(".b.txt");
        fs::write(&a, "x").unwrap();
        fs::write(&hidden, "x").unwrap();
        let found = discover(&[hidden.clone(), a.clone()]).unwrap();
        assert_eq!(found, [hidden, a]);
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_are_walked_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("a")).unwrap();
        fs::write(root.join("a/p.txt"), "x").unwrap();
        std::os::unix::fs::symlink(".", root.join("a/self")).unwrap();
        std::os::unix::fs::symlink("../a", root.join("a/up")).unwrap();
        let found = discover(&[root.to_path_buf()]).unwrap();
        assert_eq!(found, [root.join("a/p.txt")]);
    }

    #[test]
    fn a_file_reached_twice_is_listed_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("a.md"), "x").unwrap();
        fs::write(root.join("b.md"), "y").unwrap();
        let found = discover(&[
            root.to_path_buf(),
            root.join("b.md"),
            root.join("./a.md"),
            root.to_path_buf(),
        ])
        .unwrap();
        assert_eq!(found, [root.join("a.md"), root.join("b.md")]);
    }

    #[test]
    fn missing_input_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.html");
        let err = discover(std::slice::from_ref(&missing)).unwrap_err();
        assert!(matches!(err, ReadError::NotFound { .. }));
        assert!(err.to_string().contains("nope.html"), "{err}");
        assert_eq!(err.status(), policylens_core::Status::Unreadable);
    }
}
