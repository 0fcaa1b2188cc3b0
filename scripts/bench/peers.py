"""One system of the CPU throughput benchmark (run by scripts/bench/run.sh).

    python peers.py SYSTEM CLAUSES.jsonl MODEL_DIR ENCODER_DIR OUT.json

SYSTEM is torch-f32, onnx-f32, onnx-int8 (ONNX Runtime, dynamic quantization),
openvino-f32, openvino-bf16 (OpenVINO's default precision where the CPU has
bf16), openvino-int8-latency, openvino-int8-throughput (NNCF post-training
quantization calibrated on OPP-115 training clauses; the throughput one runs
two batches at once, one thread each) or ct2-int8 (CTranslate2, AVX-512
forced). Every system runs the same model
as `policylens label` on the same clauses, in batches of 32 sorted by length,
on 2 threads: a fine-tuned BertForSequenceClassification directory (loaded by
transformers as it is; sigmoid of the logits), or for a PolicyLens head model
its base encoder (masked mean pooling, L2 norm) followed by the head. The
model's own thresholds are used, so accuracy is comparable. Clauses longer
than 256 tokens are cut into the same 256-token windows with 64-token overlap
and max-pooled, as PolicyLens does. Timing covers tokenization and inference,
not model loading (nor one-off conversions, cached next to OUT.json). Writes
clauses/s, tokens/s, per-clause scores, the library's version and its
settings as JSON.
"""

import csv
import hashlib
import json
import multiprocessing
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
TRAIN = Path(__file__).resolve().parents[3] / "shared" / "data" / "opp115" / "splits" / "train.csv"
CALIBRATION = 300  # training clauses (and windows) for NNCF


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

    def head(self):
        """The classifier on the pooled vector: (weight, bias) in f32."""
        if not self.seqcls:
            return self.w, self.b
        weights = load_file(str(self.path / "model.safetensors"))
        return weights["classifier.weight"].astype(np.float32), weights["classifier.bias"].astype(np.float32)

    def key(self):
        """Names the cached conversions: a hash of the weights' path and size."""
        source = f"{self.path.resolve()}:{(self.path / 'model.safetensors').stat().st_size}"
        return hashlib.sha256(source.encode()).hexdigest()[:10]

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


def serial(run):
    """A runner over all batches, from one that takes one batch at a time."""
    return lambda batches: ((idx, run(ids, mask)) for idx, ids, mask in batches)


def torch_runner(model):
    import torch

    torch.set_num_threads(THREADS)
    module = model.torch_module()

    def run(ids, mask):
        with torch.inference_mode():
            ids = torch.from_numpy(ids)
            return module(ids, torch.from_numpy(mask), torch.zeros_like(ids)).numpy()

    return serial(run), {"library": "torch", "version": torch.__version__}


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


def onnx_f32(model, work):
    """The model's f32 ONNX export, made once per model."""
    path = work / f"model-{model.key()}-f32.onnx"
    if not path.exists():
        export_onnx(model, path)
    return path


def onnx_runner(model, work, quantize):
    import onnxruntime as ort

    f32 = onnx_f32(model, work)
    path = f32
    if quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        path = work / f"model-{model.key()}-int8.onnx"
        if not path.exists():
            quantize_dynamic(str(f32), str(path), weight_type=QuantType.QInt8)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = THREADS
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

    def run(ids, mask):
        return sess.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]

    return serial(run), {"library": "onnxruntime", "version": ort.__version__}


def in_child(fn, *args):
    """Run a one-off conversion in a child process, so its imports and memory
    stay out of this process's peak RSS."""
    child = multiprocessing.get_context("spawn").Process(target=fn, args=args)
    child.start()
    child.join()
    if child.exitcode != 0:
        sys.exit(f"{fn.__name__} failed ({child.exitcode})")


def calibration_items(tokenizer):
    """Up to CALIBRATION windows of as many OPP-115 training clauses (spread
    over the split), one window per item, as the ONNX inputs."""
    texts = {}
    with open(TRAIN, newline="") as f:
        for row in csv.reader(f):
            if len(row) >= 2 and row[0].strip() and not row[0].startswith("#NAME"):
                texts[row[0]] = None
    texts = list(texts)[::max(1, len(texts) // CALIBRATION)][:CALIBRATION]
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    seqs, _ = tokenize(tokenizer, texts, cls, sep)
    for seq in seqs[:CALIBRATION]:
        ids = np.array([seq], dtype=np.int64)
        yield {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}


def quantize_openvino(onnx_path, tokenizer_path, out):
    """NNCF post-training int8 quantization of the f32 export, saved as OpenVINO IR."""
    import nncf
    import openvino as ov

    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    items = list(calibration_items(tokenizer))
    quantized = nncf.quantize(ov.Core().read_model(str(onnx_path)), nncf.Dataset(items),
                              model_type=nncf.ModelType.TRANSFORMER, subset_size=CALIBRATION)
    ov.save_model(quantized, str(out), compress_to_fp16=False)


def openvino_runner(model, work, system):
    """openvino-f32, -bf16 (the CPU's default precision), -int8-latency or
    -int8-throughput (two streams of one thread, two batches in flight)."""
    import openvino as ov

    int8 = system.startswith("openvino-int8")
    path = onnx_f32(model, work)
    if int8:
        f32, path = path, work / f"model-{model.key()}-int8-nncf.xml"
        if not path.exists():
            in_child(quantize_openvino, f32, model.path / "tokenizer.json", path)
    config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": THREADS}
    if system == "openvino-f32":
        config["INFERENCE_PRECISION_HINT"] = "f32"
    if system == "openvino-int8-throughput":
        config.update(PERFORMANCE_HINT="THROUGHPUT", NUM_STREAMS=2)
    compiled = ov.Core().compile_model(str(path), "CPU", config)
    settings = {n: str(compiled.get_property(n)) for n in ["PERFORMANCE_HINT", "NUM_STREAMS", "INFERENCE_NUM_THREADS"]}
    settings["INFERENCE_PRECISION_HINT"] = compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name()
    if int8:
        from importlib.metadata import version

        settings["nncf"] = version("nncf")
    info = {"library": "openvino", "version": ov.__version__, "settings": settings}

    def inputs(ids, mask):
        return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}

    if system != "openvino-int8-throughput":
        request = compiled.create_infer_request()

        def run(ids, mask):
            return request.infer(inputs(ids, mask))[0]

        return serial(run), info

    queue = ov.AsyncInferQueue(compiled, 2)

    def run_async(batches):
        done = []
        queue.set_callback(lambda request, idx: done.append((idx, request.get_output_tensor(0).data.copy())))
        for idx, ids, mask in batches:
            queue.start_async(inputs(ids, mask), idx)
        queue.wait_all()
        return done

    return run_async, info


def convert_ct2(model_path, out, quantization):
    """The Transformers BERT encoder (with its pooler) as a CTranslate2 model."""
    import ctranslate2

    ctranslate2.converters.TransformersConverter(str(model_path)).convert(str(out), quantization=quantization)


def ct2_runner(model, work, compute_type):
    """CTranslate2's BERT encoder (AVX-512 forced), then our classifier: on its
    pooler output for a sequence classifier, on the mean pooling for a head."""
    os.environ["CT2_FORCE_CPU_ISA"] = "AVX512"
    import ctranslate2

    path = work / f"model-{model.key()}-ct2-{compute_type}"
    if not (path / "model.bin").exists():
        in_child(convert_ct2, model.path, path, compute_type)
    encoder = ctranslate2.Encoder(str(path), device="cpu", compute_type=compute_type, intra_threads=THREADS)
    w, b = model.head()

    def run(ids, mask):
        out = encoder.forward_batch([row[:n].tolist() for row, n in zip(ids, mask.sum(1))])
        pooled = np.asarray(out.pooler_output) if model.seqcls else pool(np.asarray(out.last_hidden_state), mask)
        return pooled @ w.T + b

    return serial(run), {"library": "ctranslate2", "version": ctranslate2.__version__,
                         "settings": {"compute_type": encoder.compute_type, "CT2_FORCE_CPU_ISA": "AVX512"}}


def runner(system, model, work):
    """(run: batches -> (indices, logits) pairs, info for the JSON)."""
    if system == "torch-f32":
        return torch_runner(model)
    if system in ("onnx-f32", "onnx-int8"):
        return onnx_runner(model, work, system == "onnx-int8")
    if system in ("openvino-f32", "openvino-bf16", "openvino-int8-latency", "openvino-int8-throughput"):
        return openvino_runner(model, work, system)
    if system == "ct2-int8":
        return ct2_runner(model, work, "int8")
    sys.exit(f"unknown system {system}")


def main():
    system, clauses, model_dir, encoder_dir, out = sys.argv[1:6]
    model_dir, encoder_dir, out = Path(model_dir), Path(encoder_dir), Path(out)
    texts = [json.loads(line)["text"] for line in open(clauses)]
    model = Model(model_dir, encoder_dir)
    tokenizer = Tokenizer.from_file(str(model.path / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    run, info = runner(system, model, out.parent)
    list(run(batches([[cls, 1000, sep]])))  # warm-up

    start = time.perf_counter()
    seqs, owner = tokenize(tokenizer, texts, cls, sep)
    logits = np.zeros((len(seqs), len(model.labels)), dtype=np.float32)
    for idx, batch_logits in run(batches(seqs)):
        logits[idx] = batch_logits
    window_probs = 1 / (1 + np.exp(-logits))
    probs = np.zeros((len(texts), len(model.labels)), dtype=np.float32)
    for p, i in zip(window_probs, owner):
        probs[i] = np.maximum(probs[i], p)
    seconds = time.perf_counter() - start
    tokens = sum(len(s) - 2 for s in seqs)
    json.dump({
        "system": system, "seconds": seconds, "clauses": len(texts), "tokens": tokens,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "labels": model.labels, "scores": probs.tolist(), **info,
    }, open(out, "w"))


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))
    main()
