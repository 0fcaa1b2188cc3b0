"""Assemble datasets/modern from its two independent annotation passes and
the adjudication of their disagreements, and measure agreement.

    python scripts/modern/annotations.py disagreements WORK   # WORK/disputes/*.jsonl for the third read
    python scripts/modern/annotations.py assemble WORK datasets/modern

WORK holds sample.jsonl (scripts/modern/sample.py), ann/A/*.jsonl and
ann/B/*.jsonl (one {"id", "labels"} per clause, a file per batch) and, for
`assemble`, ann/C/*.jsonl: the adjudicated label set of every clause the two
passes disagree on.

`assemble` writes clauses.jsonl (the dataset), annotations/pass_a.jsonl,
pass_b.jsonl and adjudication.jsonl (the raw records), and agreement.json
(Cohen's kappa per label before adjudication, and how often each pass agreed
with the adjudicated label).

    python scripts/modern/annotations.py revise WORK datasets/modern NAME

A guideline revision re-reads some clauses in full: WORK/sample.jsonl holds
those clauses, WORK/ann/A, B and C the new passes and their adjudication, as
above. `revise` replaces those clauses' labels in clauses.jsonl, keeps the
records under annotations/NAME/, and adds NAME's agreement (kappa over the
re-read clauses) and the label counts it changed to agreement.json.
"""

import json
import sys
from pathlib import Path

LABELS = ["collection", "sharing", "choice", "access", "retention", "security",
          "policy_change", "do_not_track", "audiences", "biometrics", "intro",
          "contact", "not_covered"]


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def read_pass(folder: Path):
    out = {}
    for path in sorted(folder.glob("*.jsonl")):
        for row in read_jsonl(path):
            unknown = set(row["labels"]) - set(LABELS)
            if unknown:
                raise SystemExit(f"{path}: {row['id']}: unknown labels {sorted(unknown)}")
            if row["id"] in out:
                raise SystemExit(f"{path}: {row['id']} annotated twice")
            out[row["id"]] = sorted(set(row["labels"]), key=LABELS.index)
    return out


def cohen_kappa(a, b):
    """Kappa of two binary raters over the same items."""
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b)) / n
    pa, pb = sum(a) / n, sum(b) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def load(work: Path):
    sample = {r["id"]: r for r in read_jsonl(work / "sample.jsonl")}
    a, b = read_pass(work / "ann/A"), read_pass(work / "ann/B")
    for name, p in (("A", a), ("B", b)):
        missing = sorted(set(sample) - set(p))
        if missing:
            raise SystemExit(f"pass {name} lacks {len(missing)} clauses, e.g. {missing[:5]}")
    return sample, a, b


def disagreements(work: Path):
    sample, a, b = load(work)
    ids = [i for i in sample if a[i] != b[i]]
    out = work / "disputes"
    out.mkdir(exist_ok=True)
    per_file = 100
    for k in range(0, len(ids), per_file):
        with open(out / f"disputes-{k // per_file + 1:02d}.jsonl", "w") as f:
            for i in ids[k:k + per_file]:
                r = sample[i]
                f.write(json.dumps({"id": i, "heading": r["heading"], "text": r["text"],
                                    "reader_1": a[i], "reader_2": b[i]}, ensure_ascii=False) + "\n")
    print(f"{len(ids)} of {len(sample)} clauses disagree; written to {out}")


def adjudicated(work: Path):
    """The re-read clauses, both passes and the final label set of each."""
    sample, a, b = load(work)
    c = read_pass(work / "ann/C") if (work / "ann/C").is_dir() else {}
    disputed = [i for i in sample if a[i] != b[i]]
    missing = [i for i in disputed if i not in c]
    if missing:
        raise SystemExit(f"adjudication lacks {len(missing)} disputed clauses, e.g. {missing[:5]}")
    return sample, a, b, {i: c[i] for i in disputed}


def assemble(work: Path, dest: Path):
    sample, a, b, c = adjudicated(work)
    disputed = list(c)
    final = {i: c.get(i, a[i]) for i in sample}

    (dest / "annotations").mkdir(parents=True, exist_ok=True)
    with open(dest / "clauses.jsonl", "w") as f:
        for i, r in sample.items():
            f.write(json.dumps({"id": i, "text": r["text"], "labels": final[i], "split": r["split"],
                                "heading": r["heading"], "source": r["source"],
                                "service": r["service"]}, ensure_ascii=False) + "\n")
    for name, p in (("pass_a", a), ("pass_b", b), ("adjudication", c)):
        with open(dest / "annotations" / f"{name}.jsonl", "w") as f:
            for i in sample:
                if i in p:
                    f.write(json.dumps({"id": i, "labels": p[i]}) + "\n")

    ids = list(sample)
    report = {"clauses": len(ids), "policies": len({r["service"] for r in sample.values()}),
              "exact_set_agreement": sum(a[i] == b[i] for i in ids) / len(ids),
              "disputed": len(disputed), "per_label": {}}
    for label in LABELS:
        va = [label in a[i] for i in ids]
        vb = [label in b[i] for i in ids]
        vf = [label in final[i] for i in ids]
        report["per_label"][label] = {
            "kappa": round(cohen_kappa(va, vb), 3),
            "pass_a": sum(va), "pass_b": sum(vb), "final": sum(vf),
            "final_by_split": {s: sum(vf[k] for k, i in enumerate(ids) if sample[i]["split"] == s)
                               for s in ("train", "validation", "test")},
        }
    report["clauses_by_split"] = {s: sum(r["split"] == s for r in sample.values())
                                  for s in ("train", "validation", "test")}
    report["policies_by_split"] = {s: len({r["service"] for r in sample.values() if r["split"] == s})
                                   for s in ("train", "validation", "test")}
    report["no_label"] = sum(not final[i] for i in ids)
    with open(dest / "agreement.json", "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(report, indent=1))


def revise(work: Path, dest: Path, name: str):
    sample, a, b, c = adjudicated(work)
    rows = read_jsonl(dest / "clauses.jsonl")
    unknown = set(sample) - {r["id"] for r in rows}
    if unknown:
        raise SystemExit(f"{len(unknown)} re-read clauses are not in the dataset, e.g. {sorted(unknown)[:5]}")
    before = {r["id"]: r["labels"] for r in rows}
    for r in rows:
        if r["id"] in sample:
            r["labels"] = c.get(r["id"], a[r["id"]])
    with open(dest / "clauses.jsonl", "w") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    folder = dest / "annotations" / name
    folder.mkdir(parents=True, exist_ok=True)
    for file, p in (("pass_a", a), ("pass_b", b), ("adjudication", c)):
        with open(folder / f"{file}.jsonl", "w") as f:
            for i in sample:
                if i in p:
                    f.write(json.dumps({"id": i, "labels": p[i]}) + "\n")

    ids = list(sample)
    after = {r["id"]: r["labels"] for r in rows}
    report = json.loads((dest / "agreement.json").read_text())
    revision = {"clauses": len(ids), "disputed": len(c),
                "exact_set_agreement": round(sum(a[i] == b[i] for i in ids) / len(ids), 4),
                "changed": sum(before[i] != after[i] for i in ids), "per_label": {}}
    for label in LABELS:
        va = [label in a[i] for i in ids]
        vb = [label in b[i] for i in ids]
        revision["per_label"][label] = {
            "kappa": round(cohen_kappa(va, vb), 3) if any(va) or any(vb) else None,
            "before": sum(label in before[i] for i in ids),
            "after": sum(label in after[i] for i in ids),
        }
        report["per_label"][label]["final"] = sum(label in after[i] for i in after)
        report["per_label"][label]["final_by_split"] = {
            s: sum(label in r["labels"] for r in rows if r["split"] == s)
            for s in ("train", "validation", "test")}
    report["no_label"] = sum(not v for v in after.values())
    report.setdefault("revisions", {})[name] = revision
    with open(dest / "agreement.json", "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(revision, indent=1))


if __name__ == "__main__":
    cmd, work = sys.argv[1], Path(sys.argv[2])
    if cmd == "disagreements":
        disagreements(work)
    elif cmd == "assemble":
        assemble(work, Path(sys.argv[3]))
    elif cmd == "revise":
        revise(work, Path(sys.argv[3]), sys.argv[4])
    else:
        raise SystemExit(__doc__)
