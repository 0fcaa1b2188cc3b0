"""Shared by face_names.py and org_names.py: copies of training clauses with a rewrite, labels unchanged."""

import json
import sys


def write_copies(src: str, out: str, rewrite, suffix: str) -> int:
    """For every train clause of `src` (datasets/modern JSONL) not labeled
    biometrics, `rewrite(record)` gives the copy's text or None (no copy);
    copies go to `out` with id `<id>-<suffix>`, same labels, split train."""
    written = 0
    with open(src) as f, open(out, "w") as w:
        for line in f:
            r = json.loads(line)
            if r["split"] != "train" or "biometrics" in r["labels"]:
                continue
            text = rewrite(r)
            if text is None:
                continue
            w.write(json.dumps({"id": f"{r['id']}-{suffix}", "text": text, "labels": r["labels"],
                                "split": "train"}, ensure_ascii=False) + "\n")
            written += 1
    print(f"{written} counterfactual clauses written to {out}", file=sys.stderr)
    return written
