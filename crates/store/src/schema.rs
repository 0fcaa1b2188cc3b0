//! The output tables' schemas, defined once. Writers build frames against
//! these and tests check files against them.

use polars::prelude::*;
use policylens_core::LabelSet;

pub const DOCUMENTS_FILE: &str = "documents.parquet";
pub const CLAUSES_FILE: &str = "clauses.parquet";

/// `documents.parquet`: one row per input file, whatever became of it.
pub fn documents_schema() -> Schema {
    Schema::from_iter([
        Field::new("doc_id".into(), DataType::String),
        Field::new("path".into(), DataType::String),
        Field::new("format".into(), DataType::String),
        Field::new("lang".into(), DataType::String),
        Field::new("kind".into(), DataType::String),
        Field::new("kind_score".into(), DataType::Float32),
        Field::new("title".into(), DataType::String),
        Field::new("bytes".into(), DataType::UInt64),
        Field::new("sha256".into(), DataType::String),
        Field::new("n_clauses".into(), DataType::UInt32),
        Field::new("status".into(), DataType::String),
        Field::new("error".into(), DataType::String),
        Field::new("text".into(), DataType::String),
    ])
}

/// `clauses.parquet`: one row per clause, one Float32 score column per label
/// in the model's order, and the predicted labels as `list<string>`.
pub fn clauses_schema(labels: &LabelSet) -> Schema {
    let mut fields = vec![
        Field::new("doc_id".into(), DataType::String),
        Field::new("clause_id".into(), DataType::String),
        Field::new("position".into(), DataType::UInt32),
        Field::new("heading".into(), DataType::String),
        Field::new("text".into(), DataType::String),
        Field::new("char_start".into(), DataType::UInt32),
        Field::new("char_end".into(), DataType::UInt32),
        Field::new("n_tokens".into(), DataType::UInt32),
        Field::new("n_windows".into(), DataType::UInt32),
    ];
    fields.extend(
        labels
            .names()
            .iter()
            .map(|n| Field::new(n.as_str().into(), DataType::Float32)),
    );
    fields.push(Field::new(
        "labels".into(),
        DataType::List(Box::new(DataType::String)),
    ));
    fields.push(Field::new("model".into(), DataType::String));
    Schema::from_iter(fields)
}

pub const CHANGES_FILE: &str = "changes.parquet";

/// `changes.parquet` (written by `policylens diff`): one row per clause
/// change (`added`, `removed`, `changed`, `moved`, and `unchanged` when
/// asked for), per practice change (`newly_disclosed`, `no_longer_disclosed`)
/// and per policy present in one version only (`policy_added`,
/// `policy_removed`). `old_*` / `new_*` describe the clause on each side
/// (null where that side has none).
pub fn changes_schema() -> Schema {
    let list = || DataType::List(Box::new(DataType::String));
    let mut fields = vec![
        Field::new("policy".into(), DataType::String),
        Field::new("old_path".into(), DataType::String),
        Field::new("new_path".into(), DataType::String),
        Field::new("kind".into(), DataType::String),
        Field::new("description".into(), DataType::String),
    ];
    for side in ["old", "new"] {
        fields.extend([
            Field::new(format!("{side}_clause_id").into(), DataType::String),
            Field::new(format!("{side}_position").into(), DataType::UInt32),
            Field::new(format!("{side}_heading").into(), DataType::String),
            Field::new(format!("{side}_text").into(), DataType::String),
            Field::new(format!("{side}_labels").into(), list()),
        ]);
    }
    fields.extend([
        Field::new("similarity".into(), DataType::Float32),
        Field::new("labels_gained".into(), list()),
        Field::new("labels_lost".into(), list()),
    ]);
    Schema::from_iter(fields)
}
