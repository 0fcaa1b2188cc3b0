//! The bundled kind model on documents it was not fitted on: the three
//! example policies of `datasets/examples` and one written page of each
//! other kind (`tests/fixtures`, about a fictional service).

use policylens_kind::{Kind, KindModel};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Read, decode and segment a file as `policylens label` does.
fn segment(path: &Path) -> policylens_core::Segmented {
    let source = policylens_read::read_source(path).unwrap();
    let format = source.format_or_error().unwrap();
    let text = policylens_read::decode_text(&source).unwrap().text;
    policylens_segment::segment(format, &text)
}

#[test]
fn the_bundled_model_tells_each_kind_of_page() {
    let model = KindModel::bundled();
    assert_eq!(model.id, "policylens-kind-v1");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let cases = [
        (
            repo().join("datasets/examples/acme-fitness.html"),
            Kind::PrivacyPolicy,
        ),
        (
            repo().join("datasets/examples/lumen-photos.md"),
            Kind::PrivacyPolicy,
        ),
        (
            repo().join("datasets/examples/corner-bookshop.txt"),
            Kind::PrivacyPolicy,
        ),
        (fixtures.join("cookie-policy.md"), Kind::CookiePolicy),
        (fixtures.join("terms-of-service.md"), Kind::Terms),
        (fixtures.join("news-article.html"), Kind::Other),
        (fixtures.join("help-delete-account.txt"), Kind::Other),
    ];
    for (path, kind) in cases {
        let v = model.classify(&segment(&path));
        assert_eq!(v.kind, kind, "{}: {v:?}", path.display());
        assert!(v.score > 0.5, "{}: {v:?}", path.display());
        let sum: f32 = v.probabilities.iter().sum();
        assert!((sum - 1.0).abs() < 1e-4);
    }
}

#[test]
fn a_page_without_words_is_told_without_panicking() {
    let v = KindModel::bundled().classify(&policylens_core::Segmented::default());
    assert!(v.score > 0.0 && v.score <= 1.0);
}
