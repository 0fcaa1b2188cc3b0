//! What kind of file an input is: by extension, checked against its content.

use crate::ReadError;
use policylens_core::Format;
use std::path::Path;

/// How many leading bytes content sniffing looks at.
pub(crate) const SNIFF_LEN: usize = 8 * 1024;

/// What sniffing concluded, including the kinds PolicyLens does not read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Readable(Format),
    Pdf,
    Image(&'static str),
    Archive(&'static str),
    Binary(&'static str),
    UnknownExtension(String),
}

/// The format of a file, or `None` for kinds PolicyLens does not read (PDF,
/// images, archives, binary data, unknown extensions that are not HTML).
///
/// The extension decides among readable formats, but content wins where the
/// two disagree: magic numbers (PDF, PNG, JPEG, GIF, zip, gzip) and binary
/// bytes make any file unsupported, and a `.txt`, extensionless or
/// unknown-extension file (`.php`, `.aspx`, …) that is really an HTML page is
/// [`Format::Html`].
pub fn sniff_format(path: &Path, bytes: &[u8]) -> Option<Format> {
    match sniff(path, bytes) {
        Kind::Readable(format) => Some(format),
        _ => None,
    }
}

/// The error for a file [`sniff_format`] returned `None` for.
pub(crate) fn unsupported_error(path: &Path, bytes: &[u8]) -> ReadError {
    let unsupported = |reason: String| ReadError::Unsupported {
        path: path.to_path_buf(),
        reason,
    };
    match sniff(path, bytes) {
        Kind::Pdf => unsupported("PDF is not supported; convert it to text or HTML first".into()),
        Kind::Image(name) => unsupported(format!(
            "{name} image is not supported; PolicyLens reads HTML, Markdown and text"
        )),
        Kind::Archive(name) => unsupported(format!(
            "{name} archive is not supported; extract the policy from it first"
        )),
        Kind::Binary(why) => ReadError::Binary {
            path: path.to_path_buf(),
            reason: format!("looks like binary data ({why}), not a policy"),
        },
        Kind::UnknownExtension(ext) => unsupported(format!(
            "unknown kind of file ({ext}); PolicyLens reads .html, .htm, .xhtml, .md, .markdown, \
             .txt, .text, .jsonl, .ndjson, .csv and .parquet"
        )),
        // Callers only ask for files without a format; say so rather than panic.
        Kind::Readable(format) => unsupported(format!("{format} file reported as unsupported")),
    }
}

fn sniff(path: &Path, bytes: &[u8]) -> Kind {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    if let Some(kind) = magic(bytes) {
        return kind;
    }
    if ext.as_deref() == Some("parquet") {
        return Kind::Readable(Format::Parquet);
    }
    let head = &bytes[..bytes.len().min(SNIFF_LEN)];
    // UTF-16 text is full of NUL bytes; its BOM, or its NULs falling on
    // every other byte, say it is text.
    let wide_bom = head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]);
    if !wide_bom && utf16_without_bom(head).is_none() {
        if let Some(why) = binary_reason(head) {
            return Kind::Binary(why);
        }
    }
    match ext.as_deref() {
        Some("html" | "htm" | "xhtml") => Kind::Readable(Format::Html),
        Some("md" | "markdown") => Kind::Readable(Format::Markdown),
        Some("jsonl" | "ndjson") => Kind::Readable(Format::Jsonl),
        Some("csv") => Kind::Readable(Format::Csv),
        Some("txt" | "text") | None if looks_like_html(head) => Kind::Readable(Format::Html),
        Some("txt" | "text") | None => Kind::Readable(Format::Text),
        Some(_) if looks_like_html(head) => Kind::Readable(Format::Html),
        Some(other) => Kind::UnknownExtension(format!(".{other}")),
    }
}

fn magic(bytes: &[u8]) -> Option<Kind> {
    let trimmed = trim_ascii_start(bytes);
    if trimmed.starts_with(b"%PDF") {
        return Some(Kind::Pdf);
    }
    let kind = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Kind::Image("PNG")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Kind::Image("JPEG")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Kind::Image("GIF")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Kind::Image("WebP")
    } else if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        Kind::Archive("zip (or Office document)")
    } else if bytes.starts_with(&[0x1F, 0x8B]) {
        Kind::Archive("gzip")
    } else {
        return None;
    };
    Some(kind)
}

/// UTF-16 without a byte-order mark, told by where its NUL bytes fall: in
/// text of Latin script every other byte is NUL (the high byte, odd offsets
/// in little-endian, even in big-endian) and the others almost never are.
/// Text in other scripts has no such pattern and stays undetected.
pub(crate) fn utf16_without_bom(head: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    const MIN_UNITS: usize = 8;
    let units = head.len() / 2;
    if units < MIN_UNITS {
        return None;
    }
    let nuls = |parity: usize| {
        head.chunks_exact(2)
            .filter(|unit| unit[parity] == 0)
            .count()
    };
    let (even, odd) = (nuls(0), nuls(1));
    let mostly = |n: usize| n * 10 >= units * 9;
    let rarely = |n: usize| n * 20 <= units;
    if mostly(odd) && rarely(even) {
        Some(encoding_rs::UTF_16LE)
    } else if mostly(even) && rarely(odd) {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    }
}

/// Why `head` looks like binary data, if it does: any NUL byte, or more than
/// 5% control characters other than whitespace and form feed.
fn binary_reason(head: &[u8]) -> Option<&'static str> {
    if head.contains(&0) {
        return Some("NUL bytes");
    }
    let controls = head
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1B)) || b == 0x7F)
        .count();
    (controls * 20 > head.len()).then_some("control characters")
}

/// Whether text starts like an HTML page, or is dense with HTML block tags.
fn looks_like_html(head: &[u8]) -> bool {
    let lower = head.to_ascii_lowercase();
    let mut rest = lower.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&lower);
    loop {
        rest = trim_ascii_start(rest);
        if let Some(after) = rest.strip_prefix(b"<!--") {
            rest = skip_past(after, b"-->");
        } else if let Some(after) = rest.strip_prefix(b"<?") {
            rest = skip_past(after, b"?>");
        } else {
            break;
        }
    }
    if rest.starts_with(b"<!doctype html") || rest.starts_with(b"<html") {
        return true;
    }
    let text = String::from_utf8_lossy(&lower);
    if text.contains("<body") {
        return true;
    }
    let tags = [
        "<p>", "<p ", "</p>", "<br", "<div", "</div>", "<li>", "</li>", "<h1", "<h2", "<h3",
    ]
    .iter()
    .map(|tag| text.matches(tag).count())
    .sum::<usize>();
    // One block tag per 200 bytes is markup, not prose that mentions a tag.
    tags >= 4 && tags * 200 >= text.len()
}

fn trim_ascii_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

fn skip_past<'a>(bytes: &'a [u8], end: &[u8]) -> &'a [u8] {
    match bytes.windows(end.len()).position(|w| w == end) {
        Some(at) => &bytes[at + end.len()..],
        None => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use policylens_core::Status;

    fn sniffed(name: &str, bytes: &[u8]) -> Option<Format> {
        sniff_format(Path::new(name), bytes)
    }

    #[test]
    fn extensions_decide_readable_formats() {
        assert_eq!(sniffed("a.HTML", b"hi"), Some(Format::Html));
        assert_eq!(sniffed("a.htm", b"hi"), Some(Format::Html));
        assert_eq!(sniffed("a.xhtml", b"hi"), Some(Format::Html));
        assert_eq!(sniffed("a.md", b"# hi"), Some(Format::Markdown));
        assert_eq!(sniffed("a.markdown", b"hi"), Some(Format::Markdown));
        assert_eq!(sniffed("a.txt", b"hi"), Some(Format::Text));
        assert_eq!(sniffed("a.text", b"hi"), Some(Format::Text));
        assert_eq!(sniffed("a.jsonl", b"{}"), Some(Format::Jsonl));
        assert_eq!(sniffed("a.ndjson", b"{}"), Some(Format::Jsonl));
        assert_eq!(sniffed("a.csv", b"text\nx"), Some(Format::Csv));
        assert_eq!(sniffed("a.parquet", b"PAR1\0\0PAR1"), Some(Format::Parquet));
        assert_eq!(sniffed("README", b"plain words"), Some(Format::Text));
    }

    #[test]
    fn html_hiding_in_text_files_is_html() {
        let page =
            b"\xEF\xBB\xBF  <!-- saved from url -->\n<!DOCTYPE html><html><body>x</body></html>";
        assert_eq!(sniffed("policy.txt", page), Some(Format::Html));
        assert_eq!(
            sniffed("policy", b"<html><p>x</p></html>"),
            Some(Format::Html)
        );
        assert_eq!(
            sniffed("privacy.php", b"<?xml version=\"1.0\"?><html>"),
            Some(Format::Html)
        );
        let fragment = b"<p>We collect data.</p><p>We share it.</p><br><p>Rarely.</p>";
        assert_eq!(sniffed("fragment.txt", fragment), Some(Format::Html));
        let prose = "Use the <p> tag for paragraphs. ".repeat(3) + &"Long prose here. ".repeat(80);
        assert_eq!(sniffed("notes.txt", prose.as_bytes()), Some(Format::Text));
    }

    #[test]
    fn unsupported_kinds_have_no_format_and_say_why() {
        let cases: [(&str, &[u8], Status, &str); 7] = [
            (
                "policy.pdf",
                b"%PDF-1.7\n...",
                Status::Unsupported,
                "PDF is not supported",
            ),
            ("policy.html", b"%PDF-1.4", Status::Unsupported, "PDF"),
            (
                "logo.png",
                b"\x89PNG\r\n\x1a\n\0\0",
                Status::Unsupported,
                "PNG image",
            ),
            (
                "scan.jpg",
                b"\xFF\xD8\xFF\xE0",
                Status::Unsupported,
                "JPEG image",
            ),
            ("policy.docx", b"PK\x03\x04rest", Status::Unsupported, "zip"),
            ("blob.txt", b"abc\0def", Status::Binary, "binary data"),
            (
                "policy.rtf",
                b"{\\rtf1 hello}",
                Status::Unsupported,
                "unknown kind of file (.rtf)",
            ),
        ];
        for (name, bytes, status, message) in cases {
            assert_eq!(sniffed(name, bytes), None, "{name}");
            let err = unsupported_error(Path::new(name), bytes);
            assert_eq!(err.status(), status, "{name}");
            let shown = err.to_string();
            assert!(shown.starts_with(&format!("{name}: ")), "{shown}");
            assert!(shown.contains(message), "{shown}");
        }
        assert_eq!(
            unsupported_error(Path::new("policy.pdf"), b"%PDF-1.7").to_string(),
            "policy.pdf: PDF is not supported; convert it to text or HTML first"
        );
    }

    #[test]
    fn control_characters_mean_binary() {
        let mut bytes = b"some text ".repeat(10);
        bytes.extend([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08]);
        assert_eq!(sniffed("x.txt", &bytes), None);
        let utf16 = [0xFF, 0xFE, b'h', 0, b'i', 0];
        assert_eq!(sniffed("x.txt", &utf16), Some(Format::Text));
        let text = "We collect your email address. ";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(sniffed("le.txt", &le), Some(Format::Text));
        assert_eq!(sniffed("be.md", &be), Some(Format::Markdown));
        assert_eq!(utf16_without_bom(&le), Some(encoding_rs::UTF_16LE));
        assert_eq!(utf16_without_bom(&be), Some(encoding_rs::UTF_16BE));
        // NULs that fall anywhere are binary, not text.
        let blob: Vec<u8> = (0..64u8)
            .map(|i| if i % 3 == 0 { 0 } else { b'a' + i % 26 })
            .collect();
        assert_eq!(sniffed("blob.txt", &blob), None);
    }
}
