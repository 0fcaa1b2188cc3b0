"""A tiny all-zero copy of a BERT model directory (same tokenizer, labels and
thresholds), so that `policylens label` cuts clauses exactly as it does with
the real model, in seconds rather than hours. Its scores mean nothing: use it
only to read the `text`/`heading` columns of a run.

    python scripts/shortcuts/tiny_model.py OUT_DIR [--like models/policylens-minilm-opp115]
"""
import argparse
import hashlib
import json
import shutil
import struct
from pathlib import Path

HIDDEN, INTER = 16, 32


def write(out: Path, like: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    config = json.loads((like / "config.json").read_text())
    config.update(hidden_size=HIDDEN, intermediate_size=INTER, num_hidden_layers=1,
                  num_attention_heads=2)
    (out / "config.json").write_text(json.dumps(config, indent=1))
    shutil.copy(like / "tokenizer.json", out / "tokenizer.json")
    n_labels = len(config["id2label"])
    H, I = HIDDEN, INTER
    shapes = {
        "bert.embeddings.word_embeddings.weight": [config["vocab_size"], H],
        "bert.embeddings.position_embeddings.weight": [config["max_position_embeddings"], H],
        "bert.embeddings.token_type_embeddings.weight": [config["type_vocab_size"], H],
        "bert.embeddings.LayerNorm.weight": [H],
        "bert.embeddings.LayerNorm.bias": [H],
        "bert.pooler.dense.weight": [H, H],
        "bert.pooler.dense.bias": [H],
        "classifier.weight": [n_labels, H],
        "classifier.bias": [n_labels],
    }
    p = "bert.encoder.layer.0."
    for name in ["attention.self.query", "attention.self.key", "attention.self.value",
                 "attention.output.dense"]:
        shapes[p + name + ".weight"] = [H, H]
        shapes[p + name + ".bias"] = [H]
    shapes[p + "intermediate.dense.weight"] = [I, H]
    shapes[p + "intermediate.dense.bias"] = [I]
    shapes[p + "output.dense.weight"] = [H, I]
    shapes[p + "output.dense.bias"] = [H]
    for ln in ["attention.output.LayerNorm", "output.LayerNorm"]:
        shapes[p + ln + ".weight"] = [H]
        shapes[p + ln + ".bias"] = [H]
    header, blobs, offset = {}, [], 0
    for name in sorted(shapes):
        n = 1
        for d in shapes[name]:
            n *= d
        value = 1.0 if name.endswith("LayerNorm.weight") else 0.0
        blob = struct.pack("<f", value) * n
        header[name] = {"dtype": "F32", "shape": shapes[name],
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    with open(out / "model.safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for blob in blobs:
            f.write(blob)
    # The config records the weights' sha256 (checked when the model loads).
    config.setdefault("policylens", {})["weights_sha256"] = hashlib.sha256(
        (out / "model.safetensors").read_bytes()).hexdigest()
    (out / "config.json").write_text(json.dumps(config, indent=1))
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--like", type=Path, default=Path("models/policylens-minilm-opp115"))
    a = ap.parse_args()
    print(write(a.out, a.like))
