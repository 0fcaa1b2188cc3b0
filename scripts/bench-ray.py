#!/usr/bin/env python3
"""Scaling benchmark of `policylens.ray`: 1 actor vs 2 actors vs the CLI.

Starts a two-node Ray cluster on loopback (head 127.0.0.2, worker
127.0.0.3, one CPU each; start time excluded), then, `--repeats` times and
interleaved so that drift on a shared machine hits every system alike:

- `policylens label INPUTS --precision P` with 2 threads (the CLI, one process),
- `python -m policylens.ray label … --actors 1 --threads-per-actor 1`,
- `python -m policylens.ray label … --actors 2 --threads-per-actor 1`
  (one actor per node: each node has one CPU).

Each run writes into a fresh folder and is timed from process start to exit
(Ray runs include the driver's plan, actor start-up and model loads).
Prints a Markdown table (median wall time, clauses/s, speedup and
efficiency of 2 actors over 1, per-shard time spread, overhead against the
CLI) and writes every figure to `--json`.

On one 2-core machine this measures Ray's scheduling and per-shard
overhead, not network scale-out: both "nodes" share the cores and the disk.

    target/python/venv/bin/python scripts/bench-ray.py            # OTA's 250 policies, median of 3
    scripts/bench-ray.sh                                          # the same, with the repo's venv and PYTHONPATH
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
HEAD_IP, WORKER_IP = "127.0.0.2", "127.0.0.3"


# --- the loopback cluster -------------------------------------------------------


def free_port(ip: str) -> int:
    with socket.socket() as s:
        s.bind((ip, 0))
        return s.getsockname()[1]


def start_cluster(temp_dir: str, env: dict[str, str]) -> str:
    ray = str(Path(sys.executable).parent / "ray")
    port = free_port(HEAD_IP)
    common = ["--num-cpus=1", "--disable-usage-stats", "--object-store-memory=100000000"]
    head = [ray, "start", "--head", f"--node-ip-address={HEAD_IP}", f"--port={port}",
            "--include-dashboard=false", f"--temp-dir={temp_dir}", *common]
    worker = [ray, "start", f"--address={HEAD_IP}:{port}", f"--node-ip-address={WORKER_IP}", *common]
    for command in (head, worker):
        subprocess.run(command, env=env, check=True, capture_output=True, timeout=180)
    return f"{HEAD_IP}:{port}"


def stop_cluster(temp_dir: str) -> None:
    """SIGKILL the processes naming `temp_dir` and their descendants (this cluster only)."""
    parents, roots = {}, set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            parents[int(entry)] = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if temp_dir.encode() in cmdline:
            roots.add(int(entry))
    found = set(roots)
    while more := {p for p, parent in parents.items() if parent in found and p not in found}:
        found |= more
    for pid in found:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# --- one run of each system -------------------------------------------------------


def run_cli(cli: str, inputs: str, out: Path, precision: str, threads: int) -> dict[str, Any]:
    env = {**os.environ, "RAYON_NUM_THREADS": str(threads), "CANDLE_NUM_THREADS": str(threads)}
    start = time.perf_counter()
    done = subprocess.run([cli, "label", inputs, "-o", str(out), "--quiet", "--precision", precision],
                          env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode > 100:
        raise RuntimeError(f"{cli} label failed:\n{done.stderr}")
    import pyarrow.parquet as pq

    clauses = pq.read_metadata(out / "clauses.parquet").num_rows
    return {"seconds": seconds, "clauses": clauses}


def run_ray(address: str, inputs: str, out: Path, precision: str, shards: int, actors: int,
            env: dict[str, str], model: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "policylens.ray", "label", inputs, "-o", str(out), "--shards", str(shards),
               "--actors", str(actors), "--threads-per-actor", "1", "--precision", precision, "--model", model,
               "--address", address, "--quiet", "--json"]
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"policylens.ray failed ({done.returncode}):\n{done.stderr[-4000:]}")
    summary = json.loads(next(l for l in reversed(done.stdout.splitlines()) if l.startswith("{")))
    markers = [json.loads(p.read_text()) for p in sorted((out / "_commits").glob("*.json"))]
    shard_seconds = [m["seconds"] for m in markers if m["documents"]]
    busy: dict[str, float] = {}
    for m in markers:
        busy[m["node_ip"]] = busy.get(m["node_ip"], 0.0) + m["seconds"]
    # Wall time no actor spent labeling: process start, plan, connect, actor start-up, scheduling, finalize.
    overhead = seconds - max(busy.values(), default=0.0)
    return {"seconds": seconds, "clauses": summary["clauses"], "shard_seconds": shard_seconds,
            "busy_by_node": busy, "overhead": overhead}


# --- report ---------------------------------------------------------------------


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


def spread(run: dict[str, Any]) -> str:
    s = run.get("shard_seconds")
    if not s:
        return "–"
    return f"{min(s):.1f} / {statistics.median(s):.1f} / {max(s):.1f}"


def table(results: dict[str, list[dict[str, Any]]], cli_threads: int) -> str:
    """The Markdown table; a system without runs (a stopped benchmark) is left out."""
    medians = {key: median_run(runs) for key, runs in results.items() if runs}
    speedup = medians["ray-1"]["seconds"] / medians["ray-2"]["seconds"] if {"ray-1", "ray-2"} <= medians.keys() else None
    names = {
        "cli": f"`policylens label`, {cli_threads} threads",
        "ray-1": "`policylens.ray`, 1 actor × 1 thread",
        "ray-2": "`policylens.ray`, 2 actors × 1 thread (one per node)",
    }
    lines = [
        "| system | runs (s) | median (s) | clauses/s | speedup over 1 actor | efficiency "
        "| shard time min / median / max (s) | not labeling (s) | time vs CLI |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key, run in medians.items():
        sp = {"ray-1": "1.00", "ray-2": f"{speedup:.2f}" if speedup else "–"}.get(key, "–")
        eff = {"ray-1": "1.00", "ray-2": f"{speedup / 2:.2f}" if speedup else "–"}.get(key, "–")
        overhead = f"{run['overhead']:.1f}" if "overhead" in run else "–"
        vs_cli = f"{run['seconds'] / medians['cli']['seconds']:.2f}" if "cli" in medians else "–"
        runs = ", ".join(f"{r['seconds']:.1f}" for r in results[key])
        lines.append(
            f"| {names[key]} | {runs} | {run['seconds']:.1f} | {run['clauses'] / run['seconds']:.1f} | {sp} | {eff} "
            f"| {spread(run)} | {overhead} | {vs_cli} |"
        )
    return "\n".join(lines)


def save(path: str, record: dict[str, Any]) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(record, indent=2))


def machine() -> str:
    cpu = "unknown CPU"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores {cpu}, {mem:.0f} GiB, {platform.system()} {platform.release()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", default=str(REPO.parent / "shared/data/ota/privacy-policies"))
    parser.add_argument("--cli", default=str(REPO / "target/release/policylens"))
    parser.add_argument("--model", default=str(REPO / "models/policylens-minilm-opp115"))
    parser.add_argument("--precision", default="int8")
    parser.add_argument("--shards", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cli-threads", type=int, default=2)
    parser.add_argument("--json", default=str(REPO / "target/bench/ray.json"))
    parser.add_argument("--report", metavar="JSON", help="print the table of a saved (maybe stopped) benchmark and exit")
    args = parser.parse_args()
    if args.report:
        record = json.loads(Path(args.report).read_text())
        print(table(record["results"], args.cli_threads))
        return 0
    inputs = str(Path(args.inputs).absolute())
    if not Path(inputs).is_dir():
        sys.exit(f"bench-ray: {inputs} is missing (see ../shared/README.md)")
    if not Path(args.cli).exists():
        sys.exit(f"bench-ray: {args.cli} is missing: cargo build --release -p policylens")
    started = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    temp_dir = tempfile.mkdtemp(prefix="plbench-", dir="/tmp")
    work = Path(tempfile.mkdtemp(prefix="plbench-out-"))
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_TMPDIR": temp_dir}
    env.pop("RAY_ADDRESS", None)
    results: dict[str, list[dict[str, Any]]] = {"cli": [], "ray-1": [], "ray-2": []}
    record = {
        "date": started, "machine": machine(), "load_before": os.getloadavg(),
        "command": " ".join([Path(sys.executable).name, *sys.argv]), "inputs": inputs, "files": len(os.listdir(inputs)),
        "precision": args.precision, "shards": args.shards, "repeats": args.repeats,
    }
    try:
        address = start_cluster(temp_dir, env)
        for repeat in range(args.repeats):
            for key in results:
                out = work / f"{key}-{repeat}"
                if key == "cli":
                    run = run_cli(args.cli, inputs, out, args.precision, args.cli_threads)
                else:
                    actors = int(key.split("-")[1])
                    run = run_ray(address, inputs, out, args.precision, args.shards, actors, env, args.model)
                results[key].append(run)
                print(f"{key} run {repeat + 1}: {run['seconds']:.1f}s, {run['clauses']} clauses", file=sys.stderr, flush=True)
                save(args.json, {**record, "results": results, "load_after": os.getloadavg()})  # a stopped run keeps its figures
                shutil.rmtree(out, ignore_errors=True)
    finally:
        stop_cluster(temp_dir)
        shutil.rmtree(temp_dir, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    report = table(results, args.cli_threads)
    print(report)
    save(args.json, {**record, "results": results, "load_after": os.getloadavg(), "table": report})
    print(f"figures -> {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
