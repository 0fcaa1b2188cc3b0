"""One system of the CPU throughput benchmark (run by scripts/bench/run.sh).

    python peers.py SYSTEM CLAUSES.jsonl MODEL_DIR ENCODER_DIR OUT.json

SYSTEM is torch-f32, onnx-f32 or onnx-int8. Every system runs the same model
as `policylens label` on the same clauses, in batches of 32 sorted by length,
on 2 threads: a fine-tuned BertForSequenceClassification directory (loaded by
transformers as it is; sigmoid of the logits), or for a PolicyLens head model
its base encoder (masked mean pooling, L2 norm) followed by the head. The
model's own thresholds are used, so accuracy is comparable. Clauses longer
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


class Model:
    """What the bench runs: a sequence classifier, or a base encoder plus a head."""

    def __init__(self, model_dir, encoder_dir):
        config = json.loads((model_dir / "config.json").read_text()) if (model_dir / "config.json").exists() else {}
        self.seqcls = "BertForSequenceClassification" in config.get("architectures", [])
        if self.seqcls:
            self.path = model_dir
            self.labels = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
        else:
            head = load_file(str(model_dir / "head.safetensors"))
            self.w, self.b = head["classifier.weight"], head["classifier.bias"]
            self.path = encoder_dir
            self.labels = json.loads((model_dir / "policylens.json").read_text())["labels"]

    def torch_module(self):
        """A module taking (input_ids, attention_mask, token_type_ids), returning per-window logits."""
        import torch
        from transformers import AutoModel, AutoModelForSequenceClassification

        outer = self

        class Logits(torch.nn.Module):
            def __init__(self):
                super().__init__()
                loader = AutoModelForSequenceClassification if outer.seqcls else AutoModel
                # f32 compute whatever the stored type (the shipped model is stored f16).
                self.net = loader.from_pretrained(outer.path, dtype=torch.float32).eval()
                if not outer.seqcls:
                    self.register_buffer("w", torch.from_numpy(outer.w))
                    self.register_buffer("b", torch.from_numpy(outer.b))

            def forward(self, input_ids, attention_mask, token_type_ids):
                out = self.net(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
                if outer.seqcls:
                    return out.logits
                m = attention_mask.unsqueeze(-1).to(out.last_hidden_state.dtype)
                mean = (out.last_hidden_state * m).sum(1) / m.sum(1).clamp(min=1e-9)
                mean = mean / mean.norm(dim=1, keepdim=True).clamp(min=1e-12)
                return mean @ self.w.T + self.b

        return Logits().eval()


def torch_runner(model):
    import torch

    torch.set_num_threads(THREADS)
    module = model.torch_module()

    def run(ids, mask):
        with torch.inference_mode():
            ids = torch.from_numpy(ids)
            return module(ids, torch.from_numpy(mask), torch.zeros_like(ids)).numpy()

    return run


def export_onnx(model, path):
    import torch

    ids = torch.ones((2, 16), dtype=torch.int64)
    torch.onnx.export(
        model.torch_module(), (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(path),
        input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logits"],
        dynamic_axes={**{n: {0: "batch", 1: "seq"} for n in ["input_ids", "attention_mask", "token_type_ids"]},
                      "logits": {0: "batch"}},
        opset_version=17, dynamo=False,
    )


def onnx_runner(model, work, quantize):
    import hashlib
    import onnxruntime as ort

    # One export per model: named by a hash of its weights' path and size.
    key = hashlib.sha256(f"{model.path.resolve()}:{(model.path / 'model.safetensors').stat().st_size}".encode()).hexdigest()[:10]
    f32 = work / f"model-{key}-f32.onnx"
    if not f32.exists():
        export_onnx(model, f32)
    path = f32
    if quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        path = work / f"model-{key}-int8.onnx"
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
    model = Model(model_dir, encoder_dir)
    tokenizer = Tokenizer.from_file(str(model.path / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    if system == "torch-f32":
        run = torch_runner(model)
    elif system in ("onnx-f32", "onnx-int8"):
        run = onnx_runner(model, out.parent, system == "onnx-int8")
    else:
        sys.exit(f"unknown system {system}")
    run(*next(batches([[cls, 1000, sep]]))[1:])  # warm-up

    start = time.perf_counter()
    seqs, owner = tokenize(tokenizer, texts, cls, sep)
    logits = np.zeros((len(seqs), len(model.labels)), dtype=np.float32)
    for idx, ids, mask in batches(seqs):
        logits[idx] = run(ids, mask)
    window_probs = 1 / (1 + np.exp(-logits))
    probs = np.zeros((len(texts), len(model.labels)), dtype=np.float32)
    for p, i in zip(window_probs, owner):
        probs[i] = np.maximum(probs[i], p)
    seconds = time.perf_counter() - start
    tokens = sum(len(s) - 2 for s in seqs)
    json.dump({
        "system": system, "seconds": seconds, "clauses": len(texts), "tokens": tokens,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "labels": model.labels, "scores": probs.tolist(),
    }, open(out, "w"))


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))
    main()
