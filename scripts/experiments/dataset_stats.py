#!/usr/bin/env python3
"""Validate and summarise a PolicyLens clause dataset (JSONL).

Usage:
    python3 scripts/experiments/dataset_stats.py datasets/biometrics/clauses.jsonl [--shingle N] [--top K]

Checks that every line parses, ids are unique, labels come from the 13
PolicyLens labels, every clause has at least one label, and split/kind values
are valid. Prints Markdown tables of counts per split x kind and per label,
and the highest word-shingle Jaccard similarity between clauses in different
splits (and within a split) so near-duplicates can be spotted.

Standard library only. Exits with status 1 if validation fails.
"""
import argparse
import collections
import itertools
import json
import re
import sys

LABELS = [
    "collection", "sharing", "choice", "access", "retention", "security",
    "policy_change", "do_not_track", "audiences", "biometrics", "intro",
    "contact", "not_covered",
]
SPLITS = ["train", "validation", "test"]
KINDS = ["positive", "hard_negative", "negative"]
FIELDS = {"id", "text", "labels", "split", "kind", "note"}


def load(path):
    rows, errors = [], []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                errors.append(f"line {n}: empty line")
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append(f"line {n}: invalid JSON ({exc})")
                continue
            if not isinstance(obj, dict):
                errors.append(f"line {n}: not a JSON object")
                continue
            rows.append((n, obj))
    return rows, errors


def validate(rows):
    errors = []
    seen = {}
    for n, r in rows:
        missing = FIELDS - r.keys()
        extra = r.keys() - FIELDS
        if missing:
            errors.append(f"line {n}: missing fields {sorted(missing)}")
        if extra:
            errors.append(f"line {n}: unexpected fields {sorted(extra)}")
        rid = r.get("id")
        if rid in seen:
            errors.append(f"line {n}: duplicate id {rid!r} (first on line {seen[rid]})")
        seen[rid] = n
        if not isinstance(r.get("text"), str) or not r.get("text", "").strip():
            errors.append(f"line {n}: empty text")
        labels = r.get("labels")
        if not isinstance(labels, list) or not labels:
            errors.append(f"line {n}: labels must be a non-empty list")
        else:
            bad = [x for x in labels if x not in LABELS]
            if bad:
                errors.append(f"line {n}: unknown labels {bad}")
            if len(set(labels)) != len(labels):
                errors.append(f"line {n}: repeated labels")
        if r.get("split") not in SPLITS:
            errors.append(f"line {n}: bad split {r.get('split')!r}")
        kind = r.get("kind")
        if kind not in KINDS:
            errors.append(f"line {n}: bad kind {kind!r}")
        elif isinstance(labels, list):
            if (kind == "positive") != ("biometrics" in labels):
                errors.append(f"line {n}: kind {kind!r} inconsistent with biometrics label")
    return errors


def shingles(text, n):
    words = re.findall(r"[a-z0-9]+", text.lower())
    if len(words) < n:
        return {tuple(words)}
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def jaccard(a, b):
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path")
    ap.add_argument("--shingle", type=int, default=3, help="word shingle size (default 3)")
    ap.add_argument("--top", type=int, default=5, help="most similar pairs to list (default 5)")
    args = ap.parse_args()

    rows, errors = load(args.path)
    errors += validate(rows)
    recs = [r for _, r in rows]
    print(f"# Stats for {args.path}\n")
    print(f"Clauses: {len(recs)}  |  validation errors: {len(errors)}\n")
    for e in errors:
        print(f"ERROR {e}")

    # split x kind
    ct = collections.Counter((r.get("split"), r.get("kind")) for r in recs)
    body = []
    for s in SPLITS:
        tot = sum(ct[(s, k)] for k in KINDS)
        share = f"{100 * tot / len(recs):.1f}%" if recs else "-"
        body.append([s] + [ct[(s, k)] for k in KINDS] + [tot, share])
    body.append(["**total**"] + [sum(ct[(s, k)] for s in SPLITS) for k in KINDS]
                + [len(recs), "100%"])
    print("## Clauses per split x kind\n")
    print(table(["split"] + KINDS + ["total", "share"], body))

    # per label
    lc = collections.Counter((lab, r.get("split")) for r in recs for lab in r.get("labels", []))
    body = []
    for lab in LABELS:
        body.append([lab] + [lc[(lab, s)] for s in SPLITS] + [sum(lc[(lab, s)] for s in SPLITS)])
    print("\n## Clauses per label (multi-label, so columns sum to more than the clause count)\n")
    print(table(["label"] + SPLITS + ["total"], body))

    # label cardinality and lengths
    nl = collections.Counter(len(r.get("labels", [])) for r in recs)
    print("\n## Labels per clause\n")
    print(table(["#labels", "clauses"], sorted(nl.items())))
    lens = sorted(len(re.findall(r"\S+", r.get("text", ""))) for r in recs)
    if lens:
        print(f"\nWords per clause: min {lens[0]}, median {lens[len(lens) // 2]}, max {lens[-1]}")

    # similarity
    sh = [shingles(r.get("text", ""), args.shingle) for r in recs]
    cross, within = [], []
    for i, j in itertools.combinations(range(len(recs)), 2):
        sim = jaccard(sh[i], sh[j])
        (within if recs[i].get("split") == recs[j].get("split") else cross).append(
            (sim, recs[i].get("id"), recs[j].get("id")))
    cross.sort(reverse=True)
    within.sort(reverse=True)
    print(f"\n## Near-duplicate check ({args.shingle}-word shingle Jaccard)\n")
    if cross:
        print(f"Max cross-split similarity: {cross[0][0]:.3f} ({cross[0][1]} vs {cross[0][2]})")
    if within:
        print(f"Max within-split similarity: {within[0][0]:.3f} ({within[0][1]} vs {within[0][2]})")
    if cross:
        print(f"\nTop {args.top} cross-split pairs:\n")
        print(table(["jaccard", "id a", "id b"],
                    [[f"{s:.3f}", a, b] for s, a, b in cross[:args.top]]))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
