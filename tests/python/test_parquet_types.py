"""The output tables read with the documented types in pyarrow and DuckDB.

Run on a finished `policylens label` run:

    POLICYLENS_RUN=out/ python tests/python/test_parquet_types.py

The expected types are the README's "Output schema" tables; the label columns
come from the model that wrote the run (`--model`, default the shipped one).
"""

import json
import os
import unittest
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[2]
RUN = Path(os.environ.get("POLICYLENS_RUN", ROOT / "out"))
MODEL = Path(os.environ.get("POLICYLENS_MODEL", ROOT / "models" / "policylens-minilm-opp115"))

STRING, U32, U64, F32, LIST_STRING = "string", "uint32", "uint64", "float32", "list<string>"

DOCUMENTS = {
    "doc_id": STRING,
    "path": STRING,
    "format": STRING,
    "lang": STRING,
    "kind": STRING,
    "kind_score": F32,
    "title": STRING,
    "bytes": U64,
    "sha256": STRING,
    "n_clauses": U32,
    "status": STRING,
    "error": STRING,
    "text": STRING,
}

DUCKDB = {STRING: "VARCHAR", U32: "UINTEGER", U64: "UBIGINT", F32: "FLOAT", LIST_STRING: "VARCHAR[]"}


def model_labels():
    """Label columns in model order: a head model's policylens.json, or a
    sequence classifier's config.json id2label."""
    if (MODEL / "policylens.json").exists():
        return json.loads((MODEL / "policylens.json").read_text())["labels"]
    id2label = json.loads((MODEL / "config.json").read_text())["id2label"]
    return [id2label[str(i)] for i in range(len(id2label))]


def clauses_schema():
    cols = {
        "doc_id": STRING,
        "clause_id": STRING,
        "position": U32,
        "heading": STRING,
        "text": STRING,
        "char_start": U32,
        "char_end": U32,
        "n_tokens": U32,
        "n_windows": U32,
    }
    cols.update({label: F32 for label in model_labels()})
    cols["labels"] = LIST_STRING
    cols["model"] = STRING
    return cols


def kind(t: pa.DataType) -> str:
    """The documented type a pyarrow type stands for (any string encoding is a string)."""
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return STRING
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_list_view(t):
        return LIST_STRING if kind(t.value_type) == STRING else f"list<{t.value_type}>"
    if pa.types.is_float32(t):
        return F32
    return {pa.uint32(): U32, pa.uint64(): U64}.get(t, str(t))


class OutputTypes(unittest.TestCase):
    def check(self, file: str, expected: dict):
        path = RUN / file
        schema = pq.read_schema(path)
        self.assertEqual(schema.names, list(expected), f"{path}: column order")
        for name, want in expected.items():
            self.assertEqual(kind(schema.field(name).type), want, f"{path}: {name} is {schema.field(name).type}")
        # The rows load too, not just the footer.
        table = pq.read_table(path)
        self.assertGreater(table.num_rows, 0, f"{path} has no rows")
        # DuckDB, what notebooks query with, sees the same types.
        described = duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
        self.assertEqual({row[0]: row[1] for row in described}, {n: DUCKDB[t] for n, t in expected.items()})
        return table

    def test_documents(self):
        table = self.check("documents.parquet", DOCUMENTS)
        statuses = set(table.column("status").to_pylist())
        allowed = {"ok", "empty", "binary", "invalid_encoding", "unreadable", "malformed", "unsupported", "too_large"}
        self.assertLessEqual(statuses, allowed)

    def test_clauses(self):
        table = self.check("clauses.parquet", clauses_schema())
        labels = set(model_labels())
        for row_labels in table.column("labels").to_pylist():
            self.assertLessEqual(set(row_labels), labels)
        for label in labels:
            scores = table.column(label).to_pylist()
            self.assertTrue(all(0.0 <= s <= 1.0 for s in scores), f"{label} scores outside [0, 1]")


if __name__ == "__main__":
    if not (RUN / "clauses.parquet").exists():
        raise SystemExit(f"no run at {RUN}: run `policylens label ... -o {RUN}` first or set POLICYLENS_RUN")
    unittest.main(verbosity=2)
