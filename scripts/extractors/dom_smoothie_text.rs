//! `dom_smoothie_text OUT PAGE.html...`: writes OUT/PAGE.txt, dom_smoothie's
//! readability text of each page (default `Config`, `TextMode::Formatted`);
//! an empty file where it finds no article. Built by compare.sh in a
//! throwaway cargo project; not part of the workspace.
use dom_smoothie::{Config, Readability, TextMode};
use std::path::{Path, PathBuf};

fn main() {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(
        args.next()
            .expect("usage: dom_smoothie_text OUT PAGE.html..."),
    );
    let (mut pages, mut empty) = (0, 0);
    for page in args.map(PathBuf::from) {
        let text = extract(&page).unwrap_or_else(|err| {
            eprintln!("dom_smoothie: {}: {err}", page.display());
            String::new()
        });
        empty += usize::from(text.trim().is_empty());
        pages += 1;
        let name = page.file_stem().unwrap().to_string_lossy().into_owned();
        std::fs::write(out.join(format!("{name}.txt")), text).expect("write");
    }
    eprintln!("dom_smoothie: {pages} pages, {empty} empty");
}

fn extract(page: &Path) -> Result<String, Box<dyn std::error::Error>> {
    let bytes = std::fs::read(page)?;
    // UTF-8 when it is; otherwise chardetng's guess.
    let html = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            let bytes = e.into_bytes();
            let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
            det.feed(&bytes, true);
            let enc = det.guess(None, chardetng::Utf8Detection::Allow);
            enc.decode(&bytes).0.into_owned()
        }
    };
    let cfg = Config {
        text_mode: TextMode::Formatted,
        ..Default::default()
    };
    Ok(Readability::new(html, None, Some(cfg))?
        .parse()?
        .text_content
        .to_string())
}
