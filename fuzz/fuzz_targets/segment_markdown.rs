//! Markdown segmentation: no panic, and every clause is the slice of the
//! extracted text its offsets name.
#![no_main]
use libfuzzer_sys::fuzz_target;
use policylens_core::Format;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let seg = policylens_segment::segment(Format::Markdown, &text);
    for clause in &seg.clauses {
        assert_eq!(seg.text_of(clause), clause.text);
    }
});
