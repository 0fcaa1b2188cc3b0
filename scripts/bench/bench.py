"""CPU throughput of `policylens label` against PyTorch, ONNX Runtime,
OpenVINO and CTranslate2 on the same clauses, in one invocation (see
scripts/bench/run.sh).

Clauses: the unique texts of the OPP-115 test split (Mousavi et al. 2020
split, ../shared/data/opp115/splits/test.csv), with their gold labels, so every
system's macro-F1 over the 12 OPP labels is reported beside its speed.
"""

import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "target" / "bench"
SPLIT = ROOT.parent / "shared" / "data" / "opp115" / "splits" / "test.csv"
MODEL = Path(os.environ.get("BENCH_MODEL", ROOT / "models" / "policylens-minilm-opp115")).resolve()
ENCODER = ROOT / "models" / "all-MiniLM-L6-v2"
PEERS = ["torch-f32", "onnx-f32", "onnx-int8", "openvino-f32", "openvino-bf16", "openvino-int8-latency",
         "openvino-int8-throughput", "ct2-int8"]  # systems of peers.py
OPP = {
    "First Party Collection/Use": "collection",
    "Third Party Sharing/Collection": "sharing",
    "User Choice/Control": "choice",
    "User Access, Edit and Deletion": "access",
    "Data Retention": "retention",
    "Data Security": "security",
    "Policy Change": "policy_change",
    "Do Not Track": "do_not_track",
    "International and Specific Audiences": "audiences",
    "Introductory/Generic": "intro",
    "Privacy contact information": "contact",
    "Practice not covered": "not_covered",
}


def clauses():
    gold = {}
    with open(SPLIT, newline="") as f:
        for row in csv.reader(f):
            if len(row) < 2 or row[1] not in OPP or not row[0].strip() or row[0].startswith("#NAME"):
                continue
            gold.setdefault(row[0], set()).add(OPP[row[1]])
    texts = list(gold)
    path = WORK / "clauses.jsonl"
    with open(path, "w") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"id": f"c{i}", "text": t}) + "\n")
    return path, texts, [gold[t] for t in texts]


def macro_f1(labels, scores, thresholds, gold):
    f1s = []
    for j, name in enumerate(labels):
        if name not in OPP.values():
            continue
        pred = scores[:, j] >= thresholds[j]
        true = np.array([name in g for g in gold])
        tp, fp, fn = (pred & true).sum(), (pred & ~true).sum(), (~pred & true).sum()
        f1s.append(2 * tp / max(2 * tp + fp + fn, 1))
    return float(np.mean(f1s))


# Modes of `policylens label`: its flags and environment.
MODES = {
    "default": ([], {}),  # no flags: --precision auto
    "f32": (["--precision", "f32"], {}),
    "int8": (["--precision", "int8"], {}),
    # Every kernel capped (POLICYLENS_CPU, scripts/bench and tests): AVX-512 without AMX (VNNI products,
    # vdpbf16ps attention), as on a CPU without AMX; AVX2 and FMA only, as on one without AVX-512.
    "int8-avx512": (["--precision", "int8"], {"POLICYLENS_CPU": "avx512"}),
    "int8-avx2-vnni": (["--precision", "int8"], {"POLICYLENS_CPU": "avx2-vnni"}),
    "int8-avx2": (["--precision", "int8"], {"POLICYLENS_CPU": "avx2"}),
    "f32-avx2": (["--precision", "f32"], {"POLICYLENS_CPU": "avx2"}),
}


def run_policylens(binary, path, mode, name):
    out = WORK / name
    extra, env = MODES[mode]
    shutil.rmtree(out, ignore_errors=True)  # a finished run in place would be resumed: nothing to label
    start = time.perf_counter()
    child = subprocess.Popen([str(binary), "label", str(path), "-o", str(out), "--quiet", "--model", str(MODEL), *extra],
                             cwd=ROOT, stderr=subprocess.DEVNULL, env={**os.environ, **env})
    _, status, usage = os.wait4(child.pid, 0)  # this child's own peak RSS
    seconds = time.perf_counter() - start
    if status != 0:
        sys.exit(f"policylens label failed ({status})")
    df = pl.read_parquet(out / "clauses.parquet").sort(pl.col("clause_id").str.slice(1).cast(pl.Int64))
    labels = [c for c, t in df.schema.items() if t == pl.Float32]
    return {"system": name, "seconds": seconds, "clauses": df.height, "tokens": int(df["n_tokens"].sum()),
            "peak_rss_mb": usage.ru_maxrss / 1024,
            "labels": labels, "scores": df.select(labels).to_numpy()}


def median_run(run, repeat):
    """Run `repeat` times; keep the run of median time (its scores and RSS)."""
    runs = sorted((run() for _ in range(repeat)), key=lambda r: r["seconds"])
    r = runs[len(runs) // 2]
    r["all_seconds"] = [round(x["seconds"], 2) for x in runs]
    return r


def run_peer(system, path):
    out = WORK / f"{system}.json"
    subprocess.run([sys.executable, str(Path(__file__).with_name("peers.py")), system, str(path), str(MODEL),
                    str(ENCODER), str(out)], check=True)
    r = json.load(open(out))
    r["scores"] = np.array(r["scores"], dtype=np.float32)
    return r


def main():
    binary = Path(sys.argv[1])
    modes = sys.argv[2:] or ["default", "f32"]
    if unknown := [m for m in modes if m not in MODES]:
        sys.exit(f"unknown mode(s) {unknown}: expected some of {list(MODES)}")
    WORK.mkdir(parents=True, exist_ok=True)
    path, texts, gold = clauses()
    if (MODEL / "policylens.json").exists():
        thresholds = json.loads((MODEL / "policylens.json").read_text())["thresholds"]
    else:  # a sequence classifier: thresholds by label name under "policylens"
        config = json.loads((MODEL / "config.json").read_text())
        names = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
        thresholds = [config["policylens"]["thresholds"][n] for n in names]
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    results = []
    for mode in modes:
        results.append(median_run(lambda: run_policylens(binary, path, mode, f"policylens-{mode}"), repeat))
    results += [median_run(lambda: run_peer(s, path), repeat) for s in PEERS]
    best_peer = max(r["clauses"] / r["seconds"] for r in results if not r["system"].startswith("policylens"))
    print(f"\n{len(texts)} unique clauses of the OPP-115 test split; {platform.machine()}, {os.cpu_count()} cores; "
          f"batches of 32 by length, 2 threads; median of {repeat} runs\n")
    print(f"| system | clauses/s | tokens/s | ratio to best peer | peak RSS (MB) | macro-F1 (12 OPP labels) |")
    print("|---|---|---|---|---|---|")
    for r in results:
        cps = r["clauses"] / r["seconds"]
        f1 = macro_f1(r["labels"], np.asarray(r["scores"]), thresholds, gold)
        print(f"| {r['system']} | {cps:.1f} | {r['tokens'] / r['seconds']:.0f} | {cps / best_peer:.2f} | "
              f"{r['peak_rss_mb']:.0f} | {f1:.4f} |")
    print("\npeers time tokenization + inference after loading (one-off conversions are cached in target/bench); "
          "policylens is the whole `label` process (load, read, tokenize, infer, write Parquet)")
    for r in results:
        if "version" in r:
            settings = "".join(f", {k}={v}" for k, v in r.get("settings", {}).items())
            print(f"  {r['system']}: {r['library']} {r['version']}{settings}")
    for r in results:
        print(f"  {r['system']}: seconds of each run {r['all_seconds']}")


if __name__ == "__main__":
    main()
