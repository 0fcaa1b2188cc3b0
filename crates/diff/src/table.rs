//! Change rows as a frame in `changes_schema()` order.

use crate::changes::{Change, ClauseSide, PolicyDiff};
use polars::prelude::*;

fn strings(name: &str, v: Vec<Option<&str>>) -> Column {
    Column::new(name.into(), v)
}

fn lists<'a>(name: &str, rows: impl Iterator<Item = Option<&'a [String]>>, n: usize) -> Column {
    let mut b = ListStringChunkedBuilder::new(name.into(), n, n * 2);
    for r in rows {
        match r {
            Some(v) => b.append_values_iter(v.iter().map(String::as_str)),
            None => b.append_null(),
        }
    }
    b.finish().into_series().into_column()
}

pub(crate) fn changes_frame(rows: &[(&PolicyDiff, &Change)]) -> PolarsResult<DataFrame> {
    let n = rows.len();
    let mut cols = vec![
        strings(
            "policy",
            rows.iter().map(|(p, _)| Some(p.name.as_str())).collect(),
        ),
        strings(
            "old_path",
            rows.iter()
                .map(|(p, _)| p.old.as_ref().map(|v| v.path.as_str()))
                .collect(),
        ),
        strings(
            "new_path",
            rows.iter()
                .map(|(p, _)| p.new.as_ref().map(|v| v.path.as_str()))
                .collect(),
        ),
        strings(
            "kind",
            rows.iter().map(|(_, c)| Some(c.kind.as_str())).collect(),
        ),
        strings(
            "description",
            rows.iter()
                .map(|(_, c)| Some(c.description.as_str()))
                .collect(),
        ),
    ];
    type Side = fn(&Change) -> Option<&ClauseSide>;
    let sides: [(&str, Side); 2] = [("old", |c| c.old.as_ref()), ("new", |c| c.new.as_ref())];
    for (side, get) in sides {
        let of = |f: fn(&ClauseSide) -> Option<&str>| -> Vec<Option<&str>> {
            rows.iter().map(|(_, c)| get(c).and_then(f)).collect()
        };
        cols.push(strings(
            &format!("{side}_clause_id"),
            of(|s| Some(&s.clause_id)),
        ));
        cols.push(Column::new(
            format!("{side}_position").into(),
            rows.iter()
                .map(|(_, c)| get(c).map(|s| s.position))
                .collect::<Vec<Option<u32>>>(),
        ));
        cols.push(strings(
            &format!("{side}_heading"),
            of(|s| s.heading.as_deref()),
        ));
        cols.push(strings(&format!("{side}_text"), of(|s| Some(&s.text))));
        cols.push(lists(
            &format!("{side}_labels"),
            rows.iter()
                .map(|(_, c)| get(c).map(|s| s.labels.as_slice())),
            n,
        ));
    }
    cols.push(Column::new(
        "similarity".into(),
        rows.iter()
            .map(|(_, c)| c.similarity.map(|s| s as f32))
            .collect::<Vec<Option<f32>>>(),
    ));
    cols.push(lists(
        "labels_gained",
        rows.iter().map(|(_, c)| Some(c.labels_gained.as_slice())),
        n,
    ));
    cols.push(lists(
        "labels_lost",
        rows.iter().map(|(_, c)| Some(c.labels_lost.as_slice())),
        n,
    ));
    DataFrame::new(n, cols)
}
