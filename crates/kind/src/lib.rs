//! What kind of page a document is: a privacy policy, a cookie policy,
//! terms, or something else (an article or analysis *about* a policy, a
//! help page, a product page).
//!
//! A crawl brings all of these, and corpus statistics over privacy
//! practices mean something only over privacy policies. This crate owns the
//! document-kind classifier: the [`Kind`]s, the words it reads
//! ([`features`]: the title, the headings and the body that segmentation
//! already produced), the model file ([`KindModel`], a multinomial
//! logistic regression stored as JSON with its vocabulary) and its fitting
//! ([`fit`]).
//!
//! It reads words, not the encoder's clause vectors, on purpose: it runs
//! before any clause is scored, so `policylens label --kind privacy_policy`
//! spends no inference on the other pages of a crawl, and it does not move
//! when a user fine-tunes the clause model. The bundled model
//! ([`KindModel::bundled`]) is fitted by `scripts/train-kind.sh` on Open
//! Terms Archive documents and written non-policy pages; its card is
//! `models/policylens-kind/README.md`.

mod features;
pub mod fit;
mod model;

pub use features::{features, Words};
pub use model::{KindError, KindModel, Verdict};

use std::fmt;
use std::str::FromStr;

/// The kinds of document the classifier tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A privacy policy or privacy notice (including cookie sections in it).
    PrivacyPolicy,
    /// A policy about cookies and trackers alone.
    CookiePolicy,
    /// Terms of service, acceptable-use rules, community guidelines,
    /// developer or commercial terms, data-processing agreements.
    Terms,
    /// Anything else: an article or analysis about a policy, a help page,
    /// a product or company page.
    Other,
}

impl Kind {
    /// Every kind, in the order of the model's classes.
    pub const ALL: [Kind; 4] = [
        Kind::PrivacyPolicy,
        Kind::CookiePolicy,
        Kind::Terms,
        Kind::Other,
    ];

    /// The name in `documents.parquet` and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::PrivacyPolicy => "privacy_policy",
            Kind::CookiePolicy => "cookie_policy",
            Kind::Terms => "terms",
            Kind::Other => "other",
        }
    }

    /// Position among the model's classes.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                format!("unknown document kind `{s}`; one of {}", names.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>().unwrap(), k);
            assert_eq!(Kind::ALL[k.index()], k);
        }
        let err = "privacy".parse::<Kind>().unwrap_err();
        assert!(err.contains("privacy_policy"), "{err}");
    }
}
