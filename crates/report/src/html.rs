//! The static part of the page: the template filled with the assets, the
//! totals, the prevalence chart (SVG), the failed documents and the blob.

use crate::data::{blob, hues, title_of, Coverage, OTHER_KIND};
use crate::ReportOptions;
use policylens_store::LabeledRun;
use std::fmt::Write;

const TEMPLATE: &str = include_str!("../assets/template.html");
const CSS: &str = include_str!("../assets/report.css");
const JS: &str = include_str!("../assets/report.js");

pub(crate) fn page(run: &LabeledRun, opts: &ReportOptions, cov: &Coverage) -> String {
    let title = opts.title.clone().unwrap_or_else(|| {
        let name = run
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| run.dir.display().to_string());
        format!("PolicyLens report: {name}")
    });
    let data = blob(run, opts, cov, &title);
    fill(
        TEMPLATE,
        &[
            ("title", &escape(&title)),
            ("meta", &meta(run)),
            ("css", CSS),
            ("totals", &totals(cov)),
            ("chart", &chart(cov)),
            ("ok", &cov.ok.len().to_string()),
            ("failed", &failed(run)),
            ("data", &data),
            ("js", JS),
        ],
    )
}

/// Replace each `{{name}}` of the template, in one pass over the template
/// only, so inserted text is never scanned for placeholders.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let extra: usize = values.iter().map(|(_, v)| v.len()).sum();
    let mut out = String::with_capacity(template.len() + extra);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}").map(|end| (&after[..end], end)) {
            Some((name, end)) if values.iter().any(|(k, _)| *k == name) => {
                let (_, v) = values.iter().find(|(k, _)| *k == name).unwrap();
                out.push_str(v);
                rest = &after[end + 2..];
            }
            _ => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Escape text for HTML element content and quoted attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn meta(run: &LabeledRun) -> String {
    let model = run.model.as_deref().unwrap_or("unknown model");
    format!(
        "Run <code>{}</code> · model <code>{}</code>",
        escape(&run.dir.display().to_string()),
        escape(model)
    )
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn totals(cov: &Coverage) -> String {
    let docs: usize = cov.by_status.values().sum();
    let failed: Vec<String> = cov
        .by_status
        .iter()
        .filter(|(s, _)| *s != "ok" && *s != OTHER_KIND)
        .map(|(s, n)| format!("{} {}", escape(s), thousands(*n)))
        .collect();
    let core: Vec<&str> = cov.core.iter().map(|&j| cov.labels[j].as_str()).collect();
    let card = |id: &str, value: String, label: &str, note: String| {
        format!(
            "<div class=\"card\" id=\"total-{id}\"><div class=\"value\">{value}</div><div class=\"label\">{label}</div><div class=\"note\">{note}</div></div>"
        )
    };
    [
        card("policies", thousands(docs), "policies", String::new()),
        card(
            "ok",
            thousands(cov.ok.len()),
            "readable",
            {
                let mut note = if failed.is_empty() {
                    "none failed".to_string()
                } else {
                    format!("failed: {}", failed.join(", "))
                };
                if !cov.other_kinds.is_empty() {
                    let kinds: Vec<String> = cov
                        .other_kinds
                        .iter()
                        .map(|(k, n)| format!("{} {}", escape(k), thousands(*n)))
                        .collect();
                    note.push_str(&format!(
                        "; not counted, as not privacy policies: {} (<code>--all-kinds</code> counts them)",
                        kinds.join(", ")
                    ));
                }
                if cov.not_english > 0 {
                    note.push_str(&format!(
                        "; {} not in English (the model reads English only: their labels are unreliable)",
                        thousands(cov.not_english)
                    ));
                }
                note
            },
        ),
        card("clauses", thousands(cov.clauses), "clauses", {
            let per = cov.clauses as f64 / cov.ok.len().max(1) as f64;
            format!("{per:.1} per readable policy")
        }),
        card(
            "missing",
            thousands(cov.missing_core),
            "miss a core practice",
            format!("core: {}", escape(&core.join(", "))),
        ),
    ]
    .concat()
}

/// Horizontal bars, one per label: share of readable policies disclosing it.
fn chart(cov: &Coverage) -> String {
    let (row, top, left, bar_w, right) = (26, 24, 150, 420, 110);
    let width = left + bar_w + right;
    let height = top + row * cov.labels.len() + 8;
    let hue = hues(cov.labels.len());
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg id=\"prevalence\" role=\"img\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" aria-labelledby=\"prevalence-title\"><title id=\"prevalence-title\">Share of the {} readable policies with at least one clause predicted with each label</title>",
        cov.ok.len()
    );
    for pct in [0, 25, 50, 75, 100] {
        let x = left + bar_w * pct / 100;
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{x}\" x2=\"{x}\" y1=\"{}\" y2=\"{}\"/><text class=\"tick\" x=\"{x}\" y=\"14\">{pct}%</text>",
            top - 6,
            height - 4
        );
    }
    for (j, label) in cov.labels.iter().enumerate() {
        let share = cov.share(j);
        let y = top + row * j;
        let w = (share * bar_w as f64).round() as usize;
        let is_core = cov.core.contains(&j);
        let name = escape(label);
        let _ = write!(
            svg,
            "<g class=\"bar{}\" data-label=\"{name}\" data-share=\"{share:.4}\" data-count=\"{}\" tabindex=\"0\" style=\"--h:{}\"><title>{name}: {} of {} readable policies ({:.1}%){}</title><rect class=\"hit\" x=\"0\" y=\"{y}\" width=\"{width}\" height=\"{row}\"/><text class=\"name\" x=\"{}\" y=\"{}\">{name}</text><rect class=\"fill\" x=\"{left}\" y=\"{}\" width=\"{w}\" height=\"{}\" rx=\"3\"/><text class=\"value\" x=\"{}\" y=\"{}\">{:.0}% ({})</text></g>",
            if is_core { " core" } else { "" },
            cov.disclosed[j],
            hue[j],
            cov.disclosed[j],
            cov.ok.len(),
            share * 100.0,
            if is_core { "; a core practice" } else { "" },
            left - 10,
            y + row / 2 + 5,
            y + 4,
            row - 8,
            left + w + 6,
            y + row / 2 + 5,
            share * 100.0,
            thousands(cov.disclosed[j]),
        );
    }
    svg.push_str("</svg>");
    svg
}

fn failed(run: &LabeledRun) -> String {
    let bad: Vec<_> = run
        .documents
        .iter()
        .filter(|d| d.status != "ok" && d.status != OTHER_KIND)
        .collect();
    if bad.is_empty() {
        return String::new();
    }
    let mut rows = String::new();
    for d in &bad {
        let _ = write!(
            rows,
            "<tr><td title=\"{}\">{}</td><td><span class=\"status\">{}</span></td><td>{}</td></tr>",
            escape(&d.path),
            escape(&title_of(None, &d.path)),
            escape(&d.status),
            escape(d.error.as_deref().unwrap_or(""))
        );
    }
    format!(
        "<section class=\"panel\" id=\"failed\"><details{}><summary><h2>Documents that could not be read ({})</h2></summary><table><thead><tr><th>file</th><th>status</th><th>error</th></tr></thead><tbody>{rows}</tbody></table></details></section>",
        if bad.len() <= 20 { " open" } else { "" },
        thousands(bad.len())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_does_not_rescan_inserted_text() {
        let out = fill("<{{a}}|{{b}}|{{c}}>", &[("a", "{{b}}"), ("b", "x")]);
        assert_eq!(out, "<{{b}}|x|{{c}}>");
    }

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape("<a href='x'>&\""),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"
        );
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn the_assets_cannot_end_their_own_elements() {
        assert!(!JS.to_ascii_lowercase().contains("</script"));
        assert!(!CSS.to_ascii_lowercase().contains("</style"));
    }
}
