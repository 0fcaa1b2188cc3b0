"""One system of the CPU throughput benchmark (run by scripts/bench/run.sh).

    python peers.py SYSTEM CLAUSES.jsonl MODEL_DIR ENCODER_DIR OUT.json

SYSTEM is torch-f32, onnx-f32 or onnx-int8. Every system embeds the same
clauses with all-MiniLM-L6-v2 (masked mean pooling, L2 norm), in batches of 32
sorted by length, on 2 threads, then applies PolicyLens' own head and
thresholds, so accuracy is comparable with `policylens label`. Clauses longer
than 256 tokens are cut into the same 256-token windows with 64-token overlap
and max-pooled, as PolicyLens does. Timing covers tokenization and inference,
not model loading. Writes clauses/s, tokens/s and per-clause scores as JSON.
"""

import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

THREADS = 2
BATCH = 32
WINDOW, OVERLAP = 256, 64


def windows(ids):
    """PolicyLens' plan_windows: cover every token, last window end-aligned."""
    size = WINDOW - 2
    if len(ids) <= size:
        return [ids]
    step = size - OVERLAP
    out, start = [], 0
    while True:
        if start + size >= len(ids):
            out.append(ids[len(ids) - size:])
            return out
        out.append(ids[start:start + size])
        start += step


def tokenize(tokenizer, texts, cls, sep):
    seqs, owner = [], []
    for i, enc in enumerate(tokenizer.encode_batch(texts, add_special_tokens=False)):
        for w in windows(enc.ids):
            seqs.append([cls, *w, sep])
            owner.append(i)
    return seqs, owner


def batches(seqs):
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
    for k in range(0, len(order), BATCH):
        idx = order[k:k + BATCH]
        t = max(len(seqs[i]) for i in idx)
        ids = np.zeros((len(idx), t), dtype=np.int64)
        mask = np.zeros((len(idx), t), dtype=np.int64)
        for r, i in enumerate(idx):
            ids[r, :len(seqs[i])] = seqs[i]
            mask[r, :len(seqs[i])] = 1
        yield idx, ids, mask


def pool(hidden, mask):
    m = mask[..., None].astype(np.float32)
    mean = (hidden * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
    return mean / np.clip(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12, None)


def torch_runner(encoder_dir):
    import torch
    from transformers import AutoModel

    torch.set_num_threads(THREADS)
    model = AutoModel.from_pretrained(encoder_dir).eval()

    def run(ids, mask):
        with torch.inference_mode():
            out = model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask),
                        token_type_ids=torch.zeros_like(torch.from_numpy(ids)))
        return out.last_hidden_state.numpy()

    return run


def export_onnx(encoder_dir, path):
    import torch
    from transformers import AutoModel

    class Encoder(torch.nn.Module):
        """Keyword arguments in, last hidden state out: a stable export signature."""

        def __init__(self):
            super().__init__()
            self.bert = AutoModel.from_pretrained(encoder_dir).eval()

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    ids = torch.ones((2, 16), dtype=torch.int64)
    torch.onnx.export(
        Encoder().eval(), (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(path),
        input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["last_hidden_state"],
        dynamic_axes={n: {0: "batch", 1: "seq"} for n in ["input_ids", "attention_mask", "token_type_ids", "last_hidden_state"]},
        opset_version=17, dynamo=False,
    )


def onnx_runner(encoder_dir, work, quantize):
    import onnxruntime as ort

    f32 = work / "minilm-f32.onnx"
    if not f32.exists():
        export_onnx(encoder_dir, f32)
    path = f32
    if quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        path = work / "minilm-int8.onnx"
        if not path.exists():
            quantize_dynamic(str(f32), str(path), weight_type=QuantType.QInt8)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = THREADS
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

    def run(ids, mask):
        return sess.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]

    return run


def main():
    system, clauses, model_dir, encoder_dir, out = sys.argv[1:6]
    model_dir, encoder_dir, out = Path(model_dir), Path(encoder_dir), Path(out)
    texts = [json.loads(line)["text"] for line in open(clauses)]
    config = json.loads((model_dir / "policylens.json").read_text())
    head = load_file(str(model_dir / "head.safetensors"))
    w, b = head["classifier.weight"], head["classifier.bias"]
    tokenizer = Tokenizer.from_file(str(encoder_dir / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    if system == "torch-f32":
        run = torch_runner(encoder_dir)
    elif system in ("onnx-f32", "onnx-int8"):
        run = onnx_runner(encoder_dir, out.parent, system == "onnx-int8")
    else:
        sys.exit(f"unknown system {system}")
    run(*next(batches([[cls, 1000, sep]]))[1:])  # warm-up

    start = time.perf_counter()
    seqs, owner = tokenize(tokenizer, texts, cls, sep)
    emb = np.zeros((len(seqs), w.shape[1]), dtype=np.float32)
    for idx, ids, mask in batches(seqs):
        emb[idx] = pool(run(ids, mask), mask)
    logits = emb @ w.T + b
    window_probs = 1 / (1 + np.exp(-logits))
    probs = np.zeros((len(texts), w.shape[0]), dtype=np.float32)
    for p, i in zip(window_probs, owner):
        probs[i] = np.maximum(probs[i], p)
    seconds = time.perf_counter() - start
    tokens = sum(len(s) - 2 for s in seqs)
    json.dump({
        "system": system, "seconds": seconds, "clauses": len(texts), "tokens": tokens,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "labels": config["labels"], "scores": probs.tolist(),
    }, open(out, "w"))


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))
    main()
