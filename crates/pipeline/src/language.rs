//! The language a document is written in, so that a run can say which
//! documents the English-only model cannot read well.

/// Characters looked at: plenty for a confident guess, cheap for a long page.
const SAMPLE_CHARS: usize = 20_000;

/// The ISO 639-3 code of `text`'s language (`eng`, `fra`, `ara`, `cmn`, ...),
/// or `None` when it holds no language to tell (numbers, emoji, symbols).
///
/// whatlang alone misreads short or repetitive English ("We collect your
/// email address to send you our newsletter." comes out Portuguese, "We
/// collect your data." repeated, French): text of which at least a quarter
/// of the words are English function words is English (running English has
/// about two in five; German, Dutch or Italian policy text about one in ten).
pub fn language_of(text: &str) -> Option<String> {
    let end = text
        .char_indices()
        .nth(SAMPLE_CHARS)
        .map_or(text.len(), |(at, _)| at);
    let sample = &text[..end];
    let info = whatlang::detect(sample)?;
    if policylens_core::english_share(sample) >= 0.25 {
        return Some(policylens_core::ENGLISH.to_string());
    }
    Some(info.lang().code().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_told_apart_and_non_language_is_none() {
        let of = |t: &str| language_of(t);
        assert_eq!(
            of("We collect your email address to send you our newsletter, and we never sell it.")
                .as_deref(),
            Some("eng")
        );
        assert_eq!(of("Nous recueillons votre adresse électronique pour vous envoyer notre lettre d'information.").as_deref(), Some("fra"));
        assert_eq!(
            of("نحن نجمع بياناتك الشخصية لتقديم خدماتنا وتحسينها").as_deref(),
            Some("ara")
        );
        assert_eq!(
            of("我们收集您的个人信息以提供和改进我们的服务。").as_deref(),
            Some("cmn")
        );
        assert_eq!(of("1 2 3 4 5 6 7 8 9 10 11 12"), None);
        // Short English that whatlang alone takes for Portuguese or French.
        for short in [
            "We collect your email address to send you our newsletter. ",
            "We collect your data. ",
            "We never sell it.",
        ] {
            assert_eq!(of(short).as_deref(), Some("eng"), "{short}");
        }
        assert_eq!(
            of(&"We collect your data. ".repeat(2000)).as_deref(),
            Some("eng")
        );
        assert_eq!(of("Nous vendons vos données.").as_deref(), Some("fra"));
        assert_eq!(
            of("Wij verzamelen uw e-mailadres om u onze nieuwsbrief te sturen. Als u een account aanmaakt, is het mogelijk dat we uw gegevens in de Verenigde Staten opslaan.").as_deref(),
            Some("nld")
        );
        assert_eq!(
            of("Wir erheben Ihre personenbezogenen Daten, wenn Sie sich registrieren. Die Daten werden in der Europäischen Union gespeichert.").as_deref(),
            Some("deu")
        );
        assert_eq!(
            of("Recolhemos o seu endereço de e-mail.").as_deref(),
            Some("por")
        );
        assert_eq!(of("🔒🍪📧 🔒🍪📧"), None);
        let english = |t: &str| policylens_core::is_english(of(t).as_deref());
        assert!(english(
            "We will never sell your personal information to anyone."
        ));
        assert!(
            !english("Nous ne vendrons jamais vos données personnelles.") && !english("42 17 99")
        );
    }
}
