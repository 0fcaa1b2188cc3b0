//! Clause text to token ids, and the overlapping windows that cover them.
//!
//! A clause longer than the encoder's window is never truncated: its tokens
//! are cut into windows of at most `max_tokens` (with `[CLS]`/`[SEP]`) that
//! overlap by `overlap` tokens, each window is scored, and the scores are
//! max-pooled back into one clause score. A very long clause is tokenized
//! piece by piece (cut after whitespace, where no token can span the cut),
//! so the tokenizer's memory follows the piece, not the clause.

use crate::error::{ClassifyError, Result};
use std::ops::Range;
use std::path::Path;
use tokenizers::Tokenizer;

/// A clause's tokens and the windows that cover them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenizedClause {
    /// Content token ids, without special tokens.
    pub ids: Vec<u32>,
    /// Ranges into `ids`; together they cover every token.
    pub windows: Vec<Range<usize>>,
}

impl TokenizedClause {
    pub fn n_tokens(&self) -> usize {
        self.ids.len()
    }

    pub fn n_windows(&self) -> usize {
        self.windows.len()
    }
}

/// Text longer than this is tokenized in pieces of at most this many bytes.
/// The tokenizer keeps per-byte alignments, about 100 bytes of memory per
/// byte of text; 64 KiB (some 10,000 words, far beyond any real clause)
/// keeps that near 6 MB whatever the clause.
pub const PIECE_BYTES: usize = 1 << 16;

/// `text` cut into pieces of at most `max` bytes, each ending just after a
/// whitespace character where the piece has one (else at a character
/// boundary: a "word" that long is not language).
pub fn pieces(text: &str, max: usize) -> impl Iterator<Item = &str> {
    let max = max.max(4);
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        if rest.len() <= max {
            return Some(std::mem::take(&mut rest));
        }
        let mut cut = max;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        if let Some((at, c)) = rest[..cut]
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace())
        {
            cut = at + c.len_utf8();
        }
        let (piece, tail) = rest.split_at(cut);
        rest = tail;
        Some(piece)
    })
}

/// Cut `n` tokens into windows of at most `size` that overlap by `overlap`.
/// The last window is aligned to the end so no window is needlessly short.
/// An empty clause gets one empty window, so that every clause is scored.
pub fn plan_windows(n: usize, size: usize, overlap: usize) -> Vec<Range<usize>> {
    let size = size.max(1);
    if n <= size {
        return std::iter::once(0..n).collect();
    }
    let stride = size.saturating_sub(overlap).max(1);
    let mut out = Vec::new();
    let mut start = 0;
    loop {
        if start + size >= n {
            out.push(n - size..n);
            break;
        }
        out.push(start..start + size);
        start += stride;
    }
    out
}

/// A BERT WordPiece tokenizer that windows instead of truncating.
pub struct ClauseTokenizer {
    tokenizer: Tokenizer,
    cls: u32,
    sep: u32,
    pad: u32,
    /// Content tokens per window (the encoder's window less `[CLS]`/`[SEP]`).
    window: usize,
    overlap: usize,
}

impl ClauseTokenizer {
    /// Load `tokenizer.json`; `max_tokens` counts the special tokens.
    pub fn from_file(path: &Path, max_tokens: usize, overlap: usize) -> Result<Self> {
        let tokenizer = Tokenizer::from_file(path).map_err(|e| ClassifyError::Corrupt {
            path: path.to_path_buf(),
            reason: e.to_string(),
            hint: crate::error::FETCH_HINT.into(),
        })?;
        Self::new(tokenizer, max_tokens, overlap)
    }

    pub fn new(mut tokenizer: Tokenizer, max_tokens: usize, overlap: usize) -> Result<Self> {
        let configured_pad = tokenizer.get_padding().map(|p| p.pad_id);
        tokenizer
            .with_truncation(None)
            .map_err(|e| ClassifyError::Tokenizer(e.to_string()))?;
        tokenizer.with_padding(None);
        let id = |t: &str| {
            tokenizer
                .token_to_id(t)
                .ok_or_else(|| ClassifyError::Tokenizer(format!("vocabulary has no {t} token")))
        };
        // The tokens the post-processor puts around a sequence (`[CLS]`/
        // `[SEP]` for BERT, `<s>`/`</s>` for MPNet, whose vocabulary also
        // holds unused `[CLS]`/`[SEP]` entries), else BERT's by name.
        let (cls, sep) = match tokenizer.encode("", true).map(|e| e.get_ids().to_vec()) {
            Ok(ids) if ids.len() == 2 => (ids[0], ids[1]),
            _ => (id("[CLS]")?, id("[SEP]")?),
        };
        let pad = configured_pad
            .or_else(|| id("[PAD]").ok())
            .or_else(|| id("<pad>").ok())
            .unwrap_or(0);
        let window = max_tokens.saturating_sub(2).max(1);
        Ok(Self {
            tokenizer,
            cls,
            sep,
            pad,
            window,
            overlap: overlap.min(window / 2),
        })
    }

    pub fn pad_id(&self) -> u32 {
        self.pad
    }

    /// The id of a vocabulary entry such as `[MASK]`.
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.tokenizer.token_to_id(token)
    }

    pub fn encode(&self, text: &str) -> Result<TokenizedClause> {
        let mut ids = Vec::new();
        for piece in pieces(text, PIECE_BYTES) {
            let enc = self
                .tokenizer
                .encode(piece, false)
                .map_err(|e| ClassifyError::Tokenizer(e.to_string()))?;
            ids.extend_from_slice(enc.get_ids());
        }
        let windows = plan_windows(ids.len(), self.window, self.overlap);
        Ok(TokenizedClause { ids, windows })
    }

    /// Encode many clauses in parallel (rayon), in order.
    pub fn encode_all<S: AsRef<str> + Sync>(&self, texts: &[S]) -> Result<Vec<TokenizedClause>> {
        use rayon::prelude::*;
        texts.par_iter().map(|t| self.encode(t.as_ref())).collect()
    }

    /// The model input for one window: `[CLS] tokens [SEP]`.
    pub fn window_input(&self, clause: &TokenizedClause, window: usize) -> Vec<u32> {
        let r = clause.windows[window].clone();
        let mut v = Vec::with_capacity(r.len() + 2);
        v.push(self.cls);
        v.extend_from_slice(&clause.ids[r]);
        v.push(self.sep);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covered(n: usize, ws: &[Range<usize>]) -> bool {
        (0..n).all(|i| ws.iter().any(|w| w.contains(&i)))
    }

    #[test]
    fn short_clauses_get_one_window() {
        assert_eq!(plan_windows(0, 254, 64), vec![0..0]);
        assert_eq!(plan_windows(254, 254, 64), vec![0..254]);
    }

    #[test]
    fn long_clauses_are_covered_by_overlapping_windows() {
        let ws = plan_windows(1000, 254, 64);
        assert!(covered(1000, &ws));
        assert!(ws.iter().all(|w| w.len() == 254));
        for pair in ws.windows(2) {
            assert!(
                pair[0].end > pair[1].start,
                "windows must overlap: {pair:?}"
            );
        }
        assert_eq!(ws.last().unwrap().end, 1000);
    }

    #[test]
    fn special_tokens_come_from_the_post_processor() {
        let tmp = tempfile::tempdir().unwrap();
        let (bert, mpnet) = (tmp.path().join("bert"), tmp.path().join("mpnet"));
        crate::testing::write_tiny_encoder(&bert, 1).unwrap();
        crate::testing::write_tiny_mpnet(&mpnet, 1).unwrap();
        let input = |dir: &Path| {
            let tok = ClauseTokenizer::from_file(&dir.join("tokenizer.json"), 16, 2).unwrap();
            let ids = tok.window_input(&tok.encode("we collect data").unwrap(), 0);
            (ids, tok.pad_id())
        };
        // BERT: [CLS]=2 … [SEP]=3, [PAD]=0.
        let (ids, pad) = input(&bert);
        assert_eq!((ids[0], *ids.last().unwrap(), ids.len(), pad), (2, 3, 5, 0));
        // MPNet: <s>=0 … </s>=2, <pad>=1, although its vocabulary also
        // holds [CLS] and [SEP].
        let (ids, pad) = input(&mpnet);
        assert_eq!((ids[0], *ids.last().unwrap(), ids.len(), pad), (0, 2, 5, 1));
    }

    #[test]
    fn pieces_cut_after_whitespace_and_lose_nothing() {
        let text = "one two  three\nfour é five";
        let cut: Vec<&str> = pieces(text, 8).collect();
        assert_eq!(cut.concat(), text);
        assert!(cut.iter().all(|p| p.len() <= 8), "{cut:?}");
        assert_eq!(cut[0], "one two ");
        // No whitespace: cut at a character boundary.
        let word = "é".repeat(10);
        let cut: Vec<&str> = pieces(&word, 5).collect();
        assert_eq!(cut.concat(), word);
        assert!(cut.iter().all(|p| p.len() == 4), "{cut:?}");
    }

    #[test]
    fn a_long_clause_tokenized_in_pieces_gives_the_tokens_of_the_whole() {
        let tmp = tempfile::tempdir().unwrap();
        crate::testing::write_tiny_encoder(tmp.path(), 1).unwrap();
        let tok = ClauseTokenizer::from_file(&tmp.path().join("tokenizer.json"), 16, 2).unwrap();
        let text = "We collect data, share it; and you may opt out. ".repeat(3000);
        assert!(text.len() > 2 * PIECE_BYTES);
        let whole = tok.tokenizer.encode(text.as_str(), false).unwrap();
        let clause = tok.encode(&text).unwrap();
        assert_eq!(clause.ids, whole.get_ids());
        assert_eq!(clause.windows, plan_windows(clause.ids.len(), 14, 2));
    }

    #[test]
    fn degenerate_overlap_still_terminates_and_covers() {
        let ws = plan_windows(50, 10, 10);
        assert!(covered(50, &ws));
        assert!(ws.len() <= 50);
    }
}
