//! The label catalogue: PolicyLens' own labels and what each one means.
//!
//! A model may score other labels (users fine-tune with their own); those are
//! plain names in a [`LabelSet`](crate::LabelSet). Code that must decide what
//! a name means goes through [`Label::from_name`] or [`is_practice_name`].
//! `datasets/labels.json` is [`Label::catalogue_json`], committed for readers
//! outside Rust (the notebook); a test keeps the two equal.

use serde::Serialize;

/// One of PolicyLens' own labels: the twelve OPP-115 categories plus
/// biometrics. Serializes as its [`name`](Label::name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    Collection,
    Sharing,
    Choice,
    Access,
    Retention,
    Security,
    PolicyChange,
    DoNotTrack,
    Audiences,
    Biometrics,
    Intro,
    Contact,
    NotCovered,
}

impl Label {
    /// Every label, in the order of the default model's score columns.
    pub const ALL: [Label; 13] = [
        Label::Collection,
        Label::Sharing,
        Label::Choice,
        Label::Access,
        Label::Retention,
        Label::Security,
        Label::PolicyChange,
        Label::DoNotTrack,
        Label::Audiences,
        Label::Biometrics,
        Label::Intro,
        Label::Contact,
        Label::NotCovered,
    ];

    /// The name in score columns, `labels` lists and model configs.
    pub const fn name(self) -> &'static str {
        match self {
            Label::Collection => "collection",
            Label::Sharing => "sharing",
            Label::Choice => "choice",
            Label::Access => "access",
            Label::Retention => "retention",
            Label::Security => "security",
            Label::PolicyChange => "policy_change",
            Label::DoNotTrack => "do_not_track",
            Label::Audiences => "audiences",
            Label::Biometrics => "biometrics",
            Label::Intro => "intro",
            Label::Contact => "contact",
            Label::NotCovered => "not_covered",
        }
    }

    /// The OPP-115 category, as spelled in the corpus and its PrivacyGLUE
    /// splits; `None` for biometrics, which OPP-115 does not annotate.
    pub const fn opp115_category(self) -> Option<&'static str> {
        Some(match self {
            Label::Collection => "First Party Collection/Use",
            Label::Sharing => "Third Party Sharing/Collection",
            Label::Choice => "User Choice/Control",
            Label::Access => "User Access, Edit and Deletion",
            Label::Retention => "Data Retention",
            Label::Security => "Data Security",
            Label::PolicyChange => "Policy Change",
            Label::DoNotTrack => "Do Not Track",
            Label::Audiences => "International and Specific Audiences",
            Label::Biometrics => return None,
            Label::Intro => "Introductory/Generic",
            Label::Contact => "Privacy contact information",
            Label::NotCovered => "Practice not covered",
        })
    }

    /// Whether the label names a data practice: all but introductory text
    /// and OPP-115's "practice not covered". Only practices make diff's
    /// practice-level rows.
    pub const fn is_practice(self) -> bool {
        !matches!(self, Label::Intro | Label::NotCovered)
    }

    /// Whether a policy is expected to disclose this practice; the report
    /// flags a policy that never mentions one.
    pub const fn is_core_practice(self) -> bool {
        matches!(
            self,
            Label::Collection
                | Label::Sharing
                | Label::Choice
                | Label::Access
                | Label::Retention
                | Label::Security
                | Label::Contact
        )
    }

    /// What a clause with this label says, in one line.
    pub const fn description(self) -> &'static str {
        match self {
            Label::Collection => "What personal data the service collects and how it uses it.",
            Label::Sharing => "Which third parties receive or collect personal data, and why.",
            Label::Choice => "Choices users have over their data: consent, opt-in, opt-out.",
            Label::Access => "How users can see, edit, export or delete their data.",
            Label::Retention => "How long personal data is kept.",
            Label::Security => "How personal data is protected.",
            Label::PolicyChange => "Whether and how users are told when the policy changes.",
            Label::DoNotTrack => "How the service responds to Do Not Track signals.",
            Label::Audiences => "Practices for specific audiences: children, or users in a region.",
            Label::Biometrics => "Collection or use of biometric data: face, fingerprint, voice.",
            Label::Intro => "Introductory or generic text that states no practice.",
            Label::Contact => "How to contact the company about privacy.",
            Label::NotCovered => "Text outside the OPP-115 categories.",
        }
    }

    /// The label with this exact name.
    pub fn from_name(name: &str) -> Option<Label> {
        Label::ALL.into_iter().find(|l| l.name() == name)
    }

    /// The label of an OPP-115 category name, compared case-insensitively
    /// (untrimmed).
    pub fn from_opp115(category: &str) -> Option<Label> {
        let lower = category.to_lowercase();
        Label::ALL.into_iter().find(|l| {
            l.opp115_category()
                .is_some_and(|c| c.to_lowercase() == lower)
        })
    }

    /// The catalogue as committed in `datasets/labels.json`: one object per
    /// label, in [`Label::ALL`] order, pretty-printed, newline-terminated.
    pub fn catalogue_json() -> String {
        let entries = Label::ALL.map(Entry::of);
        let json = serde_json::to_string_pretty(&entries).expect("the catalogue serializes");
        json + "\n"
    }
}

/// Whether a label name, ours or a user's, names a data practice. A custom
/// label is taken to be a practice (users add labels to find practices); it
/// is never a core one, as only [`Label`]s are.
pub fn is_practice_name(name: &str) -> bool {
    Label::from_name(name).is_none_or(Label::is_practice)
}

/// One row of `datasets/labels.json`.
#[derive(Serialize)]
struct Entry {
    name: Label,
    opp115_category: Option<&'static str>,
    practice: bool,
    core_practice: bool,
    description: &'static str,
}

impl Entry {
    fn of(l: Label) -> Self {
        Self {
            name: l,
            opp115_category: l.opp115_category(),
            practice: l.is_practice(),
            core_practice: l.is_core_practice(),
            description: l.description(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn names_and_categories_round_trip() {
        for l in Label::ALL {
            assert_eq!(Label::from_name(l.name()), Some(l));
            if let Some(c) = l.opp115_category() {
                assert_eq!(Label::from_opp115(c), Some(l));
                assert_eq!(Label::from_opp115(&c.to_uppercase()), Some(l));
            }
        }
        assert_eq!(Label::from_opp115("biometrics"), None);
        assert_eq!(Label::from_name("Collection"), None);
    }

    #[test]
    fn serializes_as_its_name() {
        for l in Label::ALL {
            assert_eq!(serde_json::to_value(l).unwrap(), l.name());
        }
    }

    #[test]
    fn custom_names_are_practices() {
        assert!(is_practice_name("cookies"));
        assert!(is_practice_name("biometrics"));
        assert!(!is_practice_name("intro"));
        assert!(!is_practice_name("not_covered"));
    }

    /// `datasets/labels.json` is what the catalogue serializes to; with
    /// `POLICYLENS_BLESS=1` this test rewrites it instead.
    #[test]
    fn committed_labels_json_matches_the_catalogue() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/labels.json");
        let want = Label::catalogue_json();
        if std::env::var_os("POLICYLENS_BLESS").is_some_and(|v| v == "1") {
            std::fs::write(&path, &want).unwrap();
        }
        let got = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            got == want,
            "datasets/labels.json differs from the label catalogue (crates/core/src/catalogue.rs); \
             regenerate it with `POLICYLENS_BLESS=1 cargo test -p policylens-core labels_json`"
        );
    }
}
