"""Rebuild datasets/shortcuts/{lookalikes,swap_clauses}.jsonl from Open Terms Archive text.

    target/python/venv/bin/python scripts/shortcuts/build_dataset.py [--ota DIR] [--run DIR]

Clauses are cut by PolicyLens itself: `policylens label` on every OTA file with
a tiny all-zero copy of the shipped model (scripts/shortcuts/tiny_model.py;
same segmentation, scores meaningless), or an existing run given with --run.
Then:

* look-alikes: English clauses of at most 1,000 characters that contain a
  Face-like word or name and, once the known non-biometric uses are masked
  (Hugging Face, face-to-face, "you/we/may... face", "on the face of", "public
  face"), match none of the biometric patterns in BIO; identical texts once.
  The selection was then read clause by clause (datasets/shortcuts/README.md):
  any clause dropped by hand goes in MANUAL_DROPS (by text prefix).
* swap clauses: English clauses of at most 1,000 characters, not look-alikes,
  that name one of the names of name_swaps.json; identical texts once; ordered
  by the SHA-1 of the text (deterministic, spread over the corpus) and cut so
  that look-alikes + swap clauses = CAP.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check import DATA, REPO, load_swaps, swapper  # noqa: E402
from tiny_model import write as write_tiny_model  # noqa: E402

MAX_CHARS = 1000
CAP = 1000

# Uses of "face" known to carry no biometric meaning, masked before BIO runs.
SAFE = re.compile(
    r"hugging ?face|face-to-face|\b(you|we|they|i|may|might|could|will|would|not|also|figures"
    r"|violators|caught cheating will|creator could) face\b|\bon (its|the) face\b|\bpublic face\b",
    re.I)
# Conservative: any of these anywhere in the clause excludes it.
BIO = re.compile(
    r"biometric|facial|face ?(recognition|print|geometry|scan|id\b|data|template|detection|match"
    r"|unlock|verification|authentication)|faceprint|finger ?print|voice ?print"
    r"|voice (recognition|identification)|speaker (recognition|identification)|\biris\b|retina"
    r"|\bpalms?\b|hand geometry|\bgait\b|selfie|liveness|physical characteristics|\bfaces?\b",
    re.I)
# The look-alike a clause is filed under: the first that matches, rarest first.
LOOKALIKES = [
    ("hugging face", r"hugging ?face"), ("facetime", r"facetime"), ("face++", r"face\+\+"),
    ("face-to-face", r"face-to-face"), ("typeface", r"typefaces?"), ("preface", r"preface"),
    ("deface", r"defac\w*"), ("surface", r"\w*surfac\w*"),
    ("face (verb or idiom)", r"\bfac(e|es|ed)\b"), ("interface", r"\w*interfac\w*"),
    ("facebook", r"\w*facebook\w*"),
]
# Dropped after reading (text prefixes); none so far: the regexes above had
# already removed every clause with a biometric or body sense of "face".
MANUAL_DROPS: list[str] = []


def cut_clauses(ota: Path, run: Path | None) -> pl.DataFrame:
    if run is None:
        tmp = Path(tempfile.mkdtemp(prefix="policylens-ota-"))
        model = write_tiny_model(tmp / "tiny", REPO / "models/policylens-minilm-opp115")
        run = tmp / "run"
        cmd = [str(REPO / "target/debug/policylens"), "label", str(ota / "privacy-policies"),
               str(ota / "other-documents"), "-o", str(run), "--model", str(model),
               "--precision", "f32", "--quiet", "--overwrite"]
        # Exit status = number of documents that failed (empty pages): not fatal.
        subprocess.run(cmd, cwd=REPO, capture_output=True)
    docs = pl.read_parquet(run / "documents.parquet").select("doc_id", "path", "lang")
    clauses = pl.read_parquet(run / "clauses.parquet",
                              columns=["doc_id", "position", "heading", "text"])
    return (clauses.join(docs, on="doc_id").filter(pl.col("lang") == "eng")
            .sort("path", "position"))


def source_of(path: str, ota: Path) -> tuple[str, str]:
    rel = Path(path).resolve().relative_to(ota.resolve())
    return str(rel), rel.stem.replace("_", " ")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ota", type=Path, default=Path("/work/shared/data/ota"))
    ap.add_argument("--run", type=Path, help="an existing `policylens label` run of the OTA files")
    a = ap.parse_args()
    clauses = cut_clauses(a.ota, a.run)

    look, seen = [], set()
    for r in clauses.filter(pl.col("text").str.contains("(?i)face")).iter_rows(named=True):
        t = r["text"]
        if t in seen or len(t) > MAX_CHARS or BIO.search(SAFE.sub(" ", t)):
            continue
        if any(t.startswith(p) for p in MANUAL_DROPS):
            continue
        word = next((w for w, p in LOOKALIKES if re.search(p, t, re.I)), None)
        if word is None:
            continue
        seen.add(t)
        src, service = source_of(r["path"], a.ota)
        look.append({"id": f"la-{len(look) + 1:04d}", "text": t, "heading": r["heading"],
                     "source": src, "service": service, "lookalike": word})

    swaps = load_swaps()
    swap = swapper(swaps)
    extra = {}
    for r in clauses.iter_rows(named=True):
        t = r["text"]
        if t in seen or t in extra or len(t) > MAX_CHARS or swap(t)[1] == 0:
            continue
        src, service = source_of(r["path"], a.ota)
        extra[t] = {"text": t, "heading": r["heading"], "source": src, "service": service}
    chosen = sorted(extra.values(), key=lambda r: hashlib.sha1(r["text"].encode()).hexdigest())
    chosen = chosen[: max(0, CAP - len(look))]
    chosen.sort(key=lambda r: (r["source"], clauses_position(clauses, r)))
    swap_rows = [{"id": f"sw-{i + 1:04d}", **r} for i, r in enumerate(chosen)]

    for name, rows in (("lookalikes.jsonl", look), ("swap_clauses.jsonl", swap_rows)):
        with (DATA / name).open("w") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    counts: dict[str, int] = {}
    for r in look:
        counts[r["lookalike"]] = counts.get(r["lookalike"], 0) + 1
    print(f"{len(look)} look-alikes {counts}; {len(swap_rows)} swap clauses of {len(extra)} candidates")
    return 0


_positions: dict[str, int] = {}


def clauses_position(clauses: pl.DataFrame, r: dict) -> int:
    """The clause's first position in the run (for a stable, readable order)."""
    if not _positions:
        for t, p in zip(clauses["text"].to_list(), clauses["position"].to_list()):
            _positions.setdefault(t, p)
    return _positions[r["text"]]


if __name__ == "__main__":
    sys.exit(main())
