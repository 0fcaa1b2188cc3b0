//! Finding policy files, sniffing their [`Format`] and decoding their bytes.
//!
//! This is the first stage of the PolicyLens pipeline: [`discover`] turns the
//! paths a user named into a sorted list of files, [`read_source`] loads one
//! file and sniffs what it is, and [`decode`] turns its bytes into text for
//! `policylens-segment` (HTML, Markdown, text) or the clause-table readers in
//! `policylens-store` (JSONL, CSV). Every failure is a [`ReadError`] that names
//! the file and maps onto the document [`Status`] written to
//! `documents.parquet`; nothing here prints or drops an input silently.
//!
//! [`Format`]: policylens_core::Format
//! [`Status`]: policylens_core::Status

mod decode;
mod discover;
mod error;
mod sniff;

pub use decode::{decode, decode_text, Decoded};
pub use discover::discover;
pub use error::ReadError;
pub use sniff::sniff_format;

use policylens_core::{content_sha256, doc_id_of, Format};
use std::path::{Path, PathBuf};

/// One input file's bytes, its document id and its sniffed format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    /// The document id: path and bytes ([`doc_id_of`]).
    pub id: String,
    /// sha256 of `bytes` alone ([`content_sha256`]).
    pub sha256: String,
    /// `None` when the file is of a kind PolicyLens does not read; call
    /// [`Source::format_or_error`] for the reason.
    pub format: Option<Format>,
}

impl Source {
    /// The source of `bytes` read from `path`: its id, hash and sniffed format.
    pub fn new(path: &Path, bytes: Vec<u8>) -> Self {
        Self {
            path: path.to_path_buf(),
            id: doc_id_of(path, &bytes),
            sha256: content_sha256(&bytes),
            format: sniff_format(path, &bytes),
            bytes,
        }
    }

    /// The format, or the error saying why this file cannot be read
    /// (PDF, image, archive, binary data, unknown extension).
    pub fn format_or_error(&self) -> Result<Format, ReadError> {
        match self.format {
            Some(format) => Ok(format),
            None => Err(sniff::unsupported_error(&self.path, &self.bytes)),
        }
    }
}

/// The default per-file limit: far above any real policy page (the largest
/// in OPP-115 and Open Terms Archive are a few MB), low enough that one
/// file cannot take the run's memory.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 32 << 20;

/// Reads a file of at most [`DEFAULT_MAX_FILE_BYTES`] and sniffs its format.
pub fn read_source(path: &Path) -> Result<Source, ReadError> {
    read_source_within(path, DEFAULT_MAX_FILE_BYTES)
}

/// Reads a file and sniffs its format. Only I/O and the limits fail here;
/// an unsupported kind of file is a `Source` with `format: None`.
///
/// What is not a regular file once links are followed (a FIFO, a device
/// such as `/dev/zero`, a socket) is refused without being opened, so it
/// can neither block the run nor feed it without end; a file over
/// `max_bytes` is refused without being read, and at most `max_bytes + 1`
/// bytes are ever read (a file that grows while it is read).
pub fn read_source_within(path: &Path, max_bytes: u64) -> Result<Source, ReadError> {
    let _span = tracing::debug_span!("read_source", path = %path.display()).entered();
    let unreadable = |source| ReadError::Unreadable {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if meta.is_dir() {
        return Err(unlistable_dir(path));
    }
    if !meta.is_file() {
        return Err(ReadError::Unsupported {
            path: path.to_path_buf(),
            reason: format!("{}, not a regular file; not opened", file_kind(&meta)),
        });
    }
    let too_large = |bytes| ReadError::TooLarge {
        path: path.to_path_buf(),
        bytes,
        limit: max_bytes,
    };
    if meta.len() > max_bytes {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)
        .and_then(|f| {
            std::io::Read::read_to_end(&mut std::io::Read::take(f, max_bytes + 1), &mut bytes)
        })
        .map_err(unreadable)?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(Source::new(path, bytes))
}

/// `discover` hands on the directories it could not list.
fn unlistable_dir(path: &Path) -> ReadError {
    let source = match std::fs::read_dir(path) {
        Err(listing) => std::io::Error::new(
            listing.kind(),
            format!("a directory that cannot be listed: {listing}"),
        ),
        Ok(_) => std::io::Error::other("a directory, not a file"),
    };
    ReadError::Unreadable {
        path: path.to_path_buf(),
        source,
    }
}

/// What a file that is not a regular file is, in words.
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    let _ = meta;
    "a special file"
}

#[cfg(test)]
mod tests {
    use super::*;
    use policylens_core::Status;

    #[cfg(unix)]
    #[test]
    fn special_files_are_refused_without_being_opened() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.txt");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        // Opening a FIFO with no writer would block this test for ever.
        let err = read_source(&fifo).unwrap_err();
        assert_eq!(err.status(), Status::Unsupported);
        assert!(err.to_string().contains("pipe.txt: a FIFO"), "{err}");

        let zero = dir.path().join("zero.html");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let err = read_source(&zero).unwrap_err();
        assert_eq!(err.status(), Status::Unsupported);
        assert!(err.to_string().contains("a character device"), "{err}");
    }

    #[test]
    fn a_file_over_the_limit_is_too_large_and_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.txt");
        std::fs::write(&path, "We collect data. ".repeat(10)).unwrap();
        let err = read_source_within(&path, 100).unwrap_err();
        assert_eq!(err.status(), Status::TooLarge);
        assert_eq!(err.status().as_str(), "too_large");
        assert!(
            err.to_string()
                .contains("big.txt: 170 bytes, over the limit of 100"),
            "{err}"
        );
        assert_eq!(read_source_within(&path, 170).unwrap().bytes.len(), 170);
    }
}
