"""Shortcut checks for a PolicyLens model: look-alike false positives and name-swap invariance.

    target/python/venv/bin/python scripts/shortcuts/check.py [--model DIR] [--precision P]
        [--bin PATH] [--json FILE] [--worst N] [--cap N]

(a) Look-alikes: labels `datasets/shortcuts/lookalikes.jsonl` (real Open Terms
Archive clauses that name Facebook, Hugging Face, an interface, a surface, "you
face"... and have no biometric meaning) and reports the share labeled
`biometrics`, with the worst clauses.

(b) Name invariance: takes every look-alike clause plus the OTA clauses of
`datasets/shortcuts/swap_clauses.jsonl` (at most --cap in all, in file order,
look-alikes first), swaps the names of `datasets/shortcuts/name_swaps.json`
(Hugging Face <-> Acme, Meta <-> Initech, ... both ways at once, whole-word,
case kept), labels the originals and the swapped copies and reports the share
of clauses whose label set is unchanged, flips per label and the mean absolute
score change. Clauses the swap leaves unchanged (no name in them) are counted
apart and left out of the shares.

Markdown on stdout; --json FILE writes the figures. Exit code 0 whatever the
figures (it is a report); non-zero only if a run fails. Stdlib and polars only.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "datasets" / "shortcuts"
LABEL = "biometrics"


def load_swaps(path: Path = DATA / "name_swaps.json") -> list[tuple[str, str]]:
    """(from, to) for every case form of every pair, both directions."""
    spec = json.loads(path.read_text())
    out: dict[str, str] = {}
    for pair in spec["pairs"]:
        for a, b in ((pair["a"], pair["b"]), (pair["b"], pair["a"])):
            out.setdefault(a, b)
            out.setdefault(a.upper(), b.upper())
            if pair.get("lowercase"):
                out.setdefault(a.lower(), b.lower())
    return sorted(out.items(), key=lambda kv: -len(kv[0]))


def swapper(swaps: list[tuple[str, str]]):
    """A function text -> (swapped text, number of names swapped)."""
    table = dict(swaps)
    # Whole words; the longest alternative first, so "Hugging Face" wins over
    # nothing shorter; case-sensitive: each case form is its own entry.
    pattern = re.compile(
        r"(?<![\w])(" + "|".join(re.escape(k) for k, _ in swaps) + r")(?![\w])"
    )

    def swap(text: str) -> tuple[str, int]:
        return pattern.subn(lambda m: table[m.group(1)], text)

    return swap


def names_in(text: str, swaps) -> bool:
    return swapper(swaps)(text)[1] > 0


def run_label(binary: Path, model: Path, precision: str, rows: list[dict], work: Path, tag: str) -> pl.DataFrame:
    """Label `rows` (dicts with id and text) as a clause table; scores in row order."""
    src = work / f"{tag}.jsonl"
    with src.open("w") as f:
        for r in rows:
            f.write(json.dumps({"id": r["id"], "text": r["text"]}, ensure_ascii=False) + "\n")
    out = work / f"{tag}-out"
    cmd = [str(binary), "label", str(src), "-o", str(out), "--model", str(model),
           "--precision", precision, "--quiet", "--overwrite"]
    run = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if run.returncode != 0:
        sys.stderr.write(run.stderr)
        raise SystemExit(f"policylens label failed ({run.returncode}): {' '.join(cmd)}")
    df = pl.read_parquet(out / "clauses.parquet").sort("position")
    if df.height != len(rows) or df["text"].to_list() != [r["text"].strip() for r in rows]:
        raise SystemExit(f"{tag}: the labeled clauses are not the rows given ({df.height} vs {len(rows)})")
    return df


def label_names(df: pl.DataFrame) -> list[str]:
    skip = {"doc_id", "clause_id", "position", "heading", "text", "char_start", "char_end",
            "n_tokens", "n_windows", "labels", "model"}
    return [c for c in df.columns if c not in skip and df[c].dtype in (pl.Float32, pl.Float64)]


def short(text: str, n: int = 160) -> str:
    t = " ".join(text.split())
    return t if len(t) <= n else t[: n - 1] + "…"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=REPO / "models/policylens-minilm-opp115")
    ap.add_argument("--precision", default="auto", help="auto (default), f32 or int8")
    ap.add_argument("--bin", type=Path, default=REPO / "target/debug/policylens",
                    help="policylens binary (built with `cargo build -p policylens` if missing)")
    ap.add_argument("--lookalikes", type=Path, default=DATA / "lookalikes.jsonl")
    ap.add_argument("--swap-clauses", type=Path, default=DATA / "swap_clauses.jsonl")
    ap.add_argument("--swaps", type=Path, default=DATA / "name_swaps.json")
    ap.add_argument("--cap", type=int, default=1000, help="clauses in the invariance check at most")
    ap.add_argument("--worst", type=int, default=10)
    ap.add_argument("--json", type=Path, help="write the figures here")
    a = ap.parse_args()

    binary = a.bin if a.bin.is_absolute() else REPO / a.bin
    if not binary.exists():
        subprocess.run(["cargo", "build", "-q", "-p", "policylens"], cwd=REPO, check=True)
    model = a.model if a.model.is_absolute() else REPO / a.model

    look = [json.loads(l) for l in a.lookalikes.read_text().splitlines() if l.strip()]
    extra = [json.loads(l) for l in a.swap_clauses.read_text().splitlines() if l.strip()]
    swaps = load_swaps(a.swaps)
    swap = swapper(swaps)
    pool = (look + extra)[: a.cap]
    swapped = []
    for r in pool:
        text, n = swap(r["text"])
        swapped.append({"id": r["id"], "text": text, "n_swaps": n})

    with tempfile.TemporaryDirectory(prefix="policylens-shortcuts-") as tmp:
        work = Path(tmp)
        orig = run_label(binary, model, a.precision, pool, work, "original")
        changed_rows = [s for s in swapped if s["n_swaps"] > 0]
        swp = run_label(binary, model, a.precision, changed_rows, work, "swapped") if changed_rows else None

    model_id = orig["model"][0]
    labels = label_names(orig)
    n_look = min(len(look), len(pool))
    lk = orig.head(n_look)
    look = look[:n_look]  # --cap below the look-alike count checks fewer
    is_fp = [LABEL in ls for ls in lk["labels"].to_list()]
    fp = sum(is_fp)
    worst = sorted(
        ({"id": r["id"], "lookalike": r.get("lookalike"), "source": r.get("source"),
          "score": float(s), "labeled": f, "text": r["text"]}
         for r, s, f in zip(look, lk[LABEL].to_list(), is_fp)),
        key=lambda x: -x["score"])[: a.worst]
    per_word: dict[str, list[int]] = {}
    for r, f in zip(look, is_fp):
        c = per_word.setdefault(r.get("lookalike", "?"), [0, 0])
        c[0] += f
        c[1] += 1

    # Invariance over the clauses the swap changed.
    idx = [i for i, s in enumerate(swapped) if s["n_swaps"] > 0]
    o = orig[idx]
    inv = {"clauses": len(pool), "changed_by_swap": len(idx), "unchanged_by_swap": len(pool) - len(idx)}
    if idx:
        same = [set(x) == set(y) for x, y in zip(o["labels"].to_list(), swp["labels"].to_list())]
        flips = {}
        for lab in labels:
            before = [lab in x for x in o["labels"].to_list()]
            after = [lab in y for y in swp["labels"].to_list()]
            on = sum(1 for b, c in zip(before, after) if not b and c)
            off = sum(1 for b, c in zip(before, after) if b and not c)
            if on or off:
                flips[lab] = {"gained": on, "lost": off}
        diffs = {lab: (o[lab] - swp[lab]).abs() for lab in labels}
        mean_all = sum(float(d.sum()) for d in diffs.values()) / (len(idx) * len(labels))
        mean_bio = float(diffs[LABEL].mean())
        max_bio = float(diffs[LABEL].max())
        moved = sorted(
            ({"id": pool[i]["id"], "before": float(b), "after": float(c),
              "labels_before": sorted(x), "labels_after": sorted(y),
              "text": pool[i]["text"], "swapped": swapped[i]["text"]}
             for i, b, c, x, y in zip(idx, o[LABEL].to_list(), swp[LABEL].to_list(),
                                      o["labels"].to_list(), swp["labels"].to_list())),
            key=lambda m: -abs(m["before"] - m["after"]))[: a.worst]
        changed_sets = [
            {"id": pool[i]["id"], "labels_before": sorted(x), "labels_after": sorted(y),
             "text": pool[i]["text"], "swapped": swapped[i]["text"]}
            for i, s, x, y in zip(idx, same, o["labels"].to_list(), swp["labels"].to_list()) if not s]
        inv.update(unchanged_label_set=sum(same), share_unchanged=sum(same) / len(idx),
                   flips_per_label=flips, mean_abs_change_all_labels=mean_all,
                   mean_abs_change_biometrics=mean_bio, max_abs_change_biometrics=max_bio,
                   largest_biometrics_moves=moved, label_set_changes=changed_sets)

    report = {
        "model": model_id, "model_dir": str(a.model), "precision": a.precision,
        "lookalikes": {"clauses": len(look), "labeled_biometrics": fp,
                       "fp_rate": fp / len(look) if look else None,
                       "mean_biometrics_score": float(lk[LABEL].mean()) if n_look else None,
                       "per_word": {k: {"fp": v[0], "n": v[1]} for k, v in sorted(per_word.items())},
                       "worst": worst, "target_fp_rate": 0.005,
                       "false_positives": [{"id": r["id"], "lookalike": r.get("lookalike"), "score": float(sc)}
                                           for r, sc, f in zip(look, lk[LABEL].to_list(), is_fp) if f]},
        "invariance": dict(inv, target_share_unchanged=0.99),
    }

    L = report["lookalikes"]
    print(f"# Shortcut checks: `{model_id}` (--precision {a.precision})\n")
    print("## Look-alike biometrics false positives\n")
    print(f"{L['labeled_biometrics']} of {L['clauses']} look-alike clauses labeled `biometrics`: "
          f"**{100 * L['fp_rate']:.1f}%** (target ≤ 0.5%); mean biometrics score {L['mean_biometrics_score']:.3f}.\n")
    print("| look-alike | labeled biometrics | clauses |\n|---|---|---|")
    for k, v in L["per_word"].items():
        print(f"| {k} | {v['fp']} | {v['n']} |")
    print("\nHighest biometrics scores:\n\n| id | word | score | labeled | clause |\n|---|---|---|---|---|")
    for w in worst:
        print(f"| {w['id']} | {w['lookalike']} | {w['score']:.3f} | {'yes' if w['labeled'] else 'no'} | {short(w['text']).replace('|', '/')} |")
    print("\n## Name-swap invariance\n")
    print(f"{inv['clauses']} clauses; the swap changes {inv['changed_by_swap']} "
          f"({inv['unchanged_by_swap']} name none of the swap names and are left out).\n")
    if idx:
        print(f"Label set unchanged on {inv['unchanged_label_set']} of {inv['changed_by_swap']}: "
              f"**{100 * inv['share_unchanged']:.1f}%** (target ≥ 99%). Mean absolute score change: "
              f"{inv['mean_abs_change_all_labels']:.4f} over all {len(labels)} labels, "
              f"{inv['mean_abs_change_biometrics']:.4f} for biometrics (max {inv['max_abs_change_biometrics']:.3f}).\n")
        if flips:
            print("| label | gained | lost |\n|---|---|---|")
            for lab, f in flips.items():
                print(f"| {lab} | {f['gained']} | {f['lost']} |")
        print("\nLargest biometrics moves:\n\n| id | before | after | clause |\n|---|---|---|---|")
        for m in moved:
            print(f"| {m['id']} | {m['before']:.3f} | {m['after']:.3f} | {short(m['text']).replace('|', '/')} |")
    if a.json:
        a.json.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
