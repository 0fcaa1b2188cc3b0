"""Load a PolicyLens fine-tuned model in Python `transformers`, unchanged, and
compare its outputs with `policylens label` on the same clauses.

    python scripts/experiments/check_hf_model.py MODEL_DIR [CLAUSES.jsonl|csv|parquet]

MODEL_DIR is what `policylens train --fine-tune -o MODEL_DIR` wrote (a
`BertForSequenceClassification` directory, or `MPNetForSequenceClassification`
for an MPNet base), or any such directory saved by `transformers`. Needs torch
and transformers (not installed by CI): `pip install torch transformers
polars`. POLICYLENS_BIN picks the binary (default: target/debug/policylens).

Clauses default to the bundled examples' clauses of a fresh `policylens label`
run. Prints the largest absolute difference of the per-label probabilities
(sigmoid of the logits) between the two implementations, over clauses that fit
in one window (longer clauses are max-pooled over windows by PolicyLens).
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

ROOT = Path(__file__).resolve().parents[2]


def policylens_scores(model_dir: Path, inputs: Path, out: Path) -> pl.DataFrame:
    binary = Path(os.environ.get("POLICYLENS_BIN", ROOT / "target" / "debug" / "policylens"))
    cmd = [str(binary), "label", str(inputs), "-o", str(out), "--model", str(model_dir), "--quiet"]
    subprocess.run(cmd, check=True, cwd=ROOT)
    return pl.read_parquet(out / "clauses.parquet")


def main() -> None:
    model_dir = Path(sys.argv[1]).resolve()
    inputs = Path(sys.argv[2]).resolve() if len(sys.argv) > 2 else ROOT / "datasets" / "examples"
    config = json.loads((model_dir / "config.json").read_text())
    labels = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]

    # f32 compute, as PolicyLens does, whatever the stored type (transformers
    # would otherwise keep f16-stored weights in f16).
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    print(f"transformers loaded {type(model).__name__} with {model.num_labels} labels, "
          f"problem_type={model.config.problem_type}")

    with tempfile.TemporaryDirectory() as tmp:
        clauses = policylens_scores(model_dir, inputs, Path(tmp) / "run")
    single = clauses.filter(pl.col("n_windows") == 1)
    texts = single["text"].to_list()
    with torch.no_grad():
        enc = tokenizer(texts, padding=True, return_tensors="pt")
        probs = torch.sigmoid(model(**enc).logits).numpy()
    ours = single.select(labels).to_numpy()
    diff = abs(probs - ours)
    print(f"{len(texts)} clauses x {len(labels)} labels: max |p_transformers - p_policylens| = {diff.max():.2e}, "
          f"mean {diff.mean():.2e}")
    agree = ((probs >= 0.5) == (ours >= 0.5)).mean()
    print(f"decisions at 0.5 agree on {agree:.2%} of (clause, label) pairs")
    if diff.max() > 1e-3:
        sys.exit("the two implementations disagree")


if __name__ == "__main__":
    main()
