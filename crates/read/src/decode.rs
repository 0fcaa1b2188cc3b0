//! Bytes to text: BOM, then the page's own declaration, then a guess.

use crate::{ReadError, Source};
use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use policylens_core::Format;

/// How far into an HTML page a `<meta charset>` counts (as in the WHATWG prescan).
const PRESCAN_LEN: usize = 1024;

/// A source's text and what decoding had to repair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    /// Invalid UTF-8 sequences replaced by U+FFFD (see [`decode_text`]).
    pub replaced: usize,
}

impl Decoded {
    /// A warning for the document's row when something was replaced.
    pub fn warning(&self, source: &Source) -> Option<String> {
        (self.replaced > 0).then(|| {
            format!(
                "{}: decoded as UTF-8 with {} invalid byte sequence{} replaced by U+FFFD",
                source.path.display(),
                self.replaced,
                if self.replaced == 1 { "" } else { "s" }
            )
        })
    }
}

/// Decodes a source's bytes to text, without a BOM: [`decode_text`]'s text.
pub fn decode(source: &Source) -> Result<String, ReadError> {
    decode_text(source).map(|d| d.text)
}

/// Decodes a source's bytes to text, without a BOM.
///
/// The encoding is chosen in this order, and decoding must be clean (no
/// replacement characters) or the result is [`ReadError::InvalidEncoding`]:
///
/// 1. a byte-order mark, which is authoritative, or UTF-16 that has none
///    but shows by its NUL bytes (see `sniff`);
/// 2. UTF-8 when the bytes are valid UTF-8, whatever the page declares
///    (text that is valid UTF-8 and holds non-ASCII characters is almost
///    never anything else, and declarations are often wrong);
/// 3. UTF-8 with replacement characters, counted in [`Decoded::replaced`],
///    when the bytes are UTF-8 but for a few stray invalid sequences (at
///    most 1 in 1,000 bytes, and fewer than the valid multi-byte
///    characters): one bad byte must not send a whole file through
///    windows-1252;
/// 4. for HTML, a `<meta charset>` or `http-equiv` content type in the first
///    1024 bytes; pages often declare the wrong one, so if the declared
///    encoding does not decode cleanly the guess below is tried;
/// 5. chardetng's guess (legacy single-byte and CJK encodings).
///
/// Text that is empty or only whitespace is [`ReadError::Empty`]. Sources
/// without a format get their unsupported/binary error; Parquet is binary
/// and read by the clause-table reader, not decoded here.
pub fn decode_text(source: &Source) -> Result<Decoded, ReadError> {
    let _span = tracing::debug_span!("decode", path = %source.path.display()).entered();
    let format = source.format_or_error()?;
    if format == Format::Parquet {
        return Err(ReadError::Unsupported {
            path: source.path.clone(),
            reason: "Parquet is read as a clause table, not decoded as text".into(),
        });
    }
    let bytes = source.bytes.as_slice();
    let mut replaced = 0;
    let text = if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        decode_clean(source, encoding, &bytes[bom_len..])?
    } else if let Some(encoding) =
        crate::sniff::utf16_without_bom(&bytes[..bytes.len().min(crate::sniff::SNIFF_LEN)])
    {
        decode_clean(source, encoding, bytes)?
    } else if let Ok(text) = std::str::from_utf8(bytes) {
        text.to_string()
    } else if let Some(n) = mostly_utf8(bytes) {
        replaced = n;
        String::from_utf8_lossy(bytes).into_owned()
    } else {
        let declared = (format == Format::Html)
            .then(|| declared_charset(bytes))
            .flatten();
        match declared.map(|encoding| encoding.decode_without_bom_handling(bytes)) {
            Some((text, false)) => text.into_owned(),
            _ => decode_clean(source, guess(bytes), bytes)?,
        }
    };
    if text.trim().is_empty() {
        return Err(ReadError::Empty {
            path: source.path.clone(),
        });
    }
    Ok(Decoded { text, replaced })
}

/// The number of invalid sequences when `bytes` are UTF-8 with a few
/// stray errors: at most one per 1,000 bytes, and fewer than the valid
/// multi-byte characters that show the file is UTF-8 at all.
fn mostly_utf8(bytes: &[u8]) -> Option<usize> {
    let (mut invalid, mut multibyte) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        multibyte += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        if !chunk.invalid().is_empty() {
            invalid += 1;
        }
    }
    let rare = invalid * 1000 <= bytes.len().max(1000);
    (invalid > 0 && rare && multibyte > invalid).then_some(invalid)
}

fn decode_clean(
    source: &Source,
    encoding: &'static Encoding,
    bytes: &[u8],
) -> Result<String, ReadError> {
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    if had_errors {
        let detail = first_bad_byte(encoding, bytes)
            .map(|at| format!("first bad byte at offset {at}"))
            .unwrap_or_else(|| "malformed sequence".into());
        return Err(ReadError::InvalidEncoding {
            path: source.path.clone(),
            encoding: encoding.name(),
            detail,
        });
    }
    Ok(text.into_owned())
}

fn first_bad_byte(encoding: &'static Encoding, bytes: &[u8]) -> Option<usize> {
    if encoding == UTF_8 {
        return std::str::from_utf8(bytes).err().map(|e| e.valid_up_to());
    }
    None
}

/// chardetng's guess over the whole file (bytes that are not UTF-8).
fn guess(bytes: &[u8]) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    detector.guess(None, chardetng::Utf8Detection::Allow)
}

/// The encoding a page declares in a `<meta>` tag near its start.
///
/// A simplified WHATWG prescan: `<meta charset=…>` or
/// `<meta http-equiv="content-type" content="…; charset=…">`. As in browsers,
/// a declared UTF-16 means UTF-8 (the bytes were ASCII-compatible enough to
/// read the tag) and `x-user-defined` means windows-1252.
fn declared_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = bytes[..bytes.len().min(PRESCAN_LEN)].to_ascii_lowercase();
    let head = String::from_utf8_lossy(&head);
    let mut rest: &str = &head;
    while let Some(at) = rest.find("<meta") {
        let tag_start = &rest[at + 5..];
        let tag = &tag_start[..tag_start.find('>').unwrap_or(tag_start.len())];
        if let Some(label) = charset_in(tag) {
            if let Some(encoding) = Encoding::for_label(label.as_bytes()) {
                return Some(match encoding.name() {
                    "UTF-16LE" | "UTF-16BE" => UTF_8,
                    "x-user-defined" => WINDOWS_1252,
                    _ => encoding,
                });
            }
        }
        rest = tag_start;
    }
    None
}

/// The value after `charset=` in a meta tag's attributes (either form).
fn charset_in(tag: &str) -> Option<String> {
    let at = tag.find("charset")?;
    let after = tag[at + "charset".len()..].trim_start().strip_prefix('=')?;
    let after = after.trim_start().trim_start_matches(['"', '\'']);
    let label: String = after
        .chars()
        .take_while(|c| !matches!(c, '"' | '\'' | ';' | '/' | '>') && !c.is_whitespace())
        .collect();
    (!label.is_empty()).then_some(label)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read_source;
    use policylens_core::Status;
    use std::path::Path;

    fn source_of(dir: &Path, name: &str, bytes: &[u8]) -> Source {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        read_source(&path).unwrap()
    }

    #[test]
    fn windows_1252_declared_by_meta() {
        let dir = tempfile::tempdir().unwrap();
        let mut page = b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\"></head><body><p>We \x93respect\x94 your privacy \x96 caf\xE9.</p></body></html>".to_vec();
        let source = source_of(dir.path(), "p.html", &page);
        let text = decode(&source).unwrap();
        assert!(
            text.contains("We \u{201c}respect\u{201d} your privacy \u{2013} caf\u{e9}."),
            "{text}"
        );

        page = b"<meta charset='iso-8859-1'><p>Caf\xE9</p>".to_vec();
        let text = decode(&source_of(dir.path(), "q.html", &page)).unwrap();
        assert!(text.contains("Caf\u{e9}"));
    }

    #[test]
    fn valid_utf8_wins_over_a_contrary_declaration() {
        let dir = tempfile::tempdir().unwrap();
        let page = "<meta charset=\"windows-1252\"><p>Politique de confidentialité — données</p>";
        let text = decode(&source_of(dir.path(), "p.html", page.as_bytes())).unwrap();
        assert!(text.contains("confidentialité — données"), "{text}");
    }

    #[test]
    fn a_stray_byte_in_utf8_is_replaced_and_counted_not_guessed_around() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = "Politique de confidentialité. Vos données sont protégées. "
            .repeat(30)
            .into_bytes();
        bytes.extend_from_slice(b"Fin \xff.");
        let source = source_of(dir.path(), "p.txt", &bytes);
        let decoded = decode_text(&source).unwrap();
        assert!(
            decoded.text.contains("confidentialité"),
            "{}",
            &decoded.text[..40]
        );
        assert!(decoded.text.ends_with("Fin \u{fffd}."));
        assert_eq!(decoded.replaced, 1);
        let warning = decoded.warning(&source).unwrap();
        assert!(
            warning.contains("p.txt") && warning.contains("1 invalid byte sequence "),
            "{warning}"
        );
        // Many bad bytes are not UTF-8 with a few errors: the guess decides.
        let legacy = source_of(dir.path(), "l.txt", b"Caf\xe9, cr\xe8me, na\xefve, s\xfbr.");
        let decoded = decode_text(&legacy).unwrap();
        assert_eq!(
            (decoded.text.as_str(), decoded.replaced),
            ("Café, crème, naïve, sûr.", 0)
        );
    }

    #[test]
    fn wrong_declaration_falls_back_to_the_guess() {
        let dir = tempfile::tempdir().unwrap();
        let page = b"<meta charset=\"utf-8\"><p>Caf\xE9 cr\xE8me br\xFBl\xE9e for everyone</p>";
        let text = decode(&source_of(dir.path(), "p.html", page)).unwrap();
        assert!(text.contains("Caf\u{e9} cr\u{e8}me"), "{text}");
    }

    #[test]
    fn bom_is_stripped_and_authoritative() {
        let dir = tempfile::tempdir().unwrap();
        let text = decode(&source_of(dir.path(), "a.txt", "\u{feff}Hello".as_bytes())).unwrap();
        assert_eq!(text, "Hello");
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("Hi".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(
            decode(&source_of(dir.path(), "w.txt", &utf16)).unwrap(),
            "Hi"
        );
        // A UTF-8 BOM followed by bytes that are not UTF-8 is not guessed around.
        let err = decode(&source_of(
            dir.path(),
            "bad.txt",
            b"\xEF\xBB\xBFcaf\xE9 \xFF",
        ))
        .unwrap_err();
        assert_eq!(err.status(), Status::InvalidEncoding);
        assert!(err
            .to_string()
            .starts_with(&format!("{}: ", dir.path().join("bad.txt").display())));
        assert!(err.to_string().contains("UTF-8"), "{err}");
    }

    #[test]
    fn utf16_without_a_bom_is_decoded_as_utf16() {
        let dir = tempfile::tempdir().unwrap();
        let text = "We collect your email address. Nous collectons votre adresse.";
        for (name, bytes) in [
            (
                "le.txt",
                text.encode_utf16()
                    .flat_map(u16::to_le_bytes)
                    .collect::<Vec<u8>>(),
            ),
            (
                "be.txt",
                text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
            ),
        ] {
            assert_eq!(decode(&source_of(dir.path(), name, &bytes)).unwrap(), text);
        }
    }

    #[test]
    fn invalid_utf8_text_is_decoded_by_the_guess() {
        // Deterministic: bytes that are not UTF-8 get chardetng's guess, here windows-1252.
        let dir = tempfile::tempdir().unwrap();
        let text = decode(&source_of(
            dir.path(),
            "t.txt",
            b"We don\x92t sell your data. Caf\xE9.",
        ))
        .unwrap();
        assert_eq!(text, "We don\u{2019}t sell your data. Caf\u{e9}.");
    }

    #[test]
    fn utf8_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let text = decode(&source_of(
            dir.path(),
            "t.md",
            "# Política\n\nDatos — sí".as_bytes(),
        ))
        .unwrap();
        assert_eq!(text, "# Política\n\nDatos — sí");
    }

    #[test]
    fn empty_and_whitespace_only_are_empty() {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in [
            ("e.txt", &b""[..]),
            ("w.md", b" \n\t \r\n"),
            ("b.txt", b"\xEF\xBB\xBF  "),
        ] {
            let err = decode(&source_of(dir.path(), name, bytes)).unwrap_err();
            assert_eq!(err.status(), Status::Empty, "{name}");
            assert!(err.to_string().contains(name));
        }
    }

    #[test]
    fn a_directory_handed_on_as_an_input_is_unreadable_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("private");
        std::fs::create_dir(&sub).unwrap();
        let err = read_source(&sub).unwrap_err();
        assert_eq!(err.status(), Status::Unreadable);
        assert!(err.to_string().contains("private"), "{err}");
    }

    #[test]
    fn unsupported_sources_report_their_reason() {
        let dir = tempfile::tempdir().unwrap();
        let pdf = source_of(dir.path(), "policy.pdf", b"%PDF-1.5 ...");
        assert_eq!(pdf.format, None);
        assert_eq!(pdf.sha256, policylens_core::content_sha256(b"%PDF-1.5 ..."));
        assert_eq!(
            pdf.id,
            policylens_core::doc_id_of(&dir.path().join("policy.pdf"), b"%PDF-1.5 ...")
        );
        let err = decode(&pdf).unwrap_err();
        assert_eq!(err.status(), Status::Unsupported);
        assert!(err
            .to_string()
            .ends_with("policy.pdf: PDF is not supported; convert it to text or HTML first"));
        let bin = source_of(dir.path(), "x.txt", b"\0\x01\x02binary");
        assert_eq!(decode(&bin).unwrap_err().status(), Status::Binary);
    }

    #[test]
    fn unreadable_file_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_source(&dir.path().join("gone.txt")).unwrap_err();
        assert_eq!(err.status(), Status::Unreadable);
        assert!(err.to_string().contains("gone.txt"));
    }
}
