"""`policylens.ray` on a real two-node Ray cluster on loopback.

The session starts a head node on 127.0.0.2 and a worker node on 127.0.0.3
(one CPU each, one temporary folder), runs `python -m policylens.ray label`
against it as a user would, and stops exactly the processes it started at
the end. Checked: both nodes label shards; the Hive-partitioned output equals
one `Labeler.label_to` of the same files; a worker killed with SIGKILL
mid-shard and a crash between staging and rename both end with every shard
committed once, no staging left and the bytes of a clean run; a stopped run resumes with only the
rest; another shard count or model is refused.

Scores are compared in f32: int8 scores depend slightly on which clauses
share an encoder batch, and sharding changes the batches.

Needs `ray` (ray[data]), the `policylens` package and the default model;
`../shared/data/ota/privacy-policies` adds real policies when present.
Run: `target/python/venv/bin/python -m pytest crates/python/tests/test_ray_cluster.py`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

import pytest

ray = pytest.importorskip("ray", reason="ray[data] is not installed (pip install 'ray[data]==2.60.0')")
pl = pytest.importorskip("polars", reason="polars is not installed")
policylens = pytest.importorskip("policylens", reason="the policylens package is not importable")
plray = pytest.importorskip("policylens.ray", reason="policylens.ray is not importable")

REPO = Path(__file__).resolve().parents[3]
MODEL = REPO / "models" / "policylens-minilm-opp115"
EXAMPLES = REPO / "datasets" / "examples"
OTA = REPO.parent / "shared" / "data" / "ota" / "privacy-policies"
HEAD_IP, WORKER_IP = "127.0.0.2", "127.0.0.3"
RAY_CLI = Path(sys.executable).parent / "ray"
PRECISION = "f32"
RUN_TIMEOUT_S = 300

if not (MODEL / "model.safetensors").exists():
    pytest.skip(f"the default model is absent ({MODEL / 'model.safetensors'})", allow_module_level=True)
if not RAY_CLI.exists():
    pytest.skip(f"the ray command is not beside {sys.executable}", allow_module_level=True)


# --- inputs -------------------------------------------------------------------


def ota_slice(count: int) -> list[str]:
    """The `count` smallest OTA policies of at least 1 KB (real text, quick to label)."""
    if not OTA.is_dir():
        return []
    files = [p for p in OTA.iterdir() if p.is_file() and p.stat().st_size >= 1024]
    files.sort(key=lambda p: (p.stat().st_size, p.name))
    return [str(p.absolute()) for p in files[:count]]


def input_files(inputs: list[str]) -> list[str]:
    return plray.discover_inputs(inputs)


# --- the cluster --------------------------------------------------------------


def free_port(ip: str) -> int:
    with socket.socket() as s:
        s.bind((ip, 0))
        return s.getsockname()[1]


def cluster_env(temp_dir: str) -> dict[str, str]:
    """The test's environment, with the package importable by every Ray worker."""
    package_root = str(Path(policylens.__file__).resolve().parent.parent)
    paths = [package_root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join(dict.fromkeys(paths)),
        RAY_USAGE_STATS_ENABLED="0",
        RAY_TMPDIR=temp_dir,
    )
    env.pop("RAY_ADDRESS", None)
    return env


def ray_start(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run([str(RAY_CLI), "start", *args], env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"ray start {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def wait_for_nodes(address: str, count: int, env: dict[str, str]) -> None:
    script = (
        "import ray, time, sys\n"
        f"ray.init(address={address!r}, logging_level='ERROR')\n"
        "deadline = time.time() + 90\n"
        f"while sum(n['Alive'] for n in ray.nodes()) < {count}:\n"
        "    if time.time() > deadline: sys.exit('nodes did not join')\n"
        "    time.sleep(0.5)\n"
    )
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=120)


def processes_under(temp_dir: str) -> list[int]:
    """Pids of the processes whose command line names `temp_dir`, and all their descendants."""
    parents: dict[int, int] = {}
    roots = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
            parents[int(entry)] = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if temp_dir.encode() in cmdline:
            roots.add(int(entry))
    found = set(roots)
    while True:
        more = {pid for pid, parent in parents.items() if parent in found and pid not in found}
        if not more:
            return sorted(found)
        found |= more


def stop_cluster(temp_dir: str) -> None:
    """SIGKILL the processes of this cluster only (`ray stop` would stop every Ray on the host)."""
    for pid in processes_under(temp_dir):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="session")
def cluster() -> Iterator[dict[str, object]]:
    for ip in (HEAD_IP, WORKER_IP):
        try:
            free_port(ip)
        except OSError as e:
            pytest.skip(f"cannot bind {ip} ({e}): the two-node cluster needs 127.0.0.2 and 127.0.0.3 on loopback")
    temp_dir = tempfile.mkdtemp(prefix="plray-", dir="/tmp")  # short: Ray's socket paths are limited
    env = cluster_env(temp_dir)
    port = free_port(HEAD_IP)
    address = f"{HEAD_IP}:{port}"
    common = ["--num-cpus=1", "--disable-usage-stats", "--object-store-memory=100000000"]
    try:
        ray_start(
            ["--head", f"--node-ip-address={HEAD_IP}", f"--port={port}", "--include-dashboard=false",
             f"--temp-dir={temp_dir}", *common],
            env,
        )
        ray_start([f"--address={address}", f"--node-ip-address={WORKER_IP}", *common], env)
        wait_for_nodes(address, 2, env)
        yield {"address": address, "env": env}
    finally:
        stop_cluster(temp_dir)
        shutil.rmtree(temp_dir, ignore_errors=True)


# --- running the command --------------------------------------------------------


def label_command(cluster: dict, inputs: list[str], out: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "policylens.ray", "label", *inputs, "-o", str(out),
        "--address", str(cluster["address"]), "--model", str(MODEL), "--precision", PRECISION,
        "--actors", "2", "--threads-per-actor", "1", "--quiet", "--json", *extra,
    ]


def run_label(cluster: dict, inputs: list[str], out: Path, *extra: str, env: dict | None = None) -> dict:
    """Run the command; return its summary (the last JSON line of stdout). Fails on a non-zero exit."""
    done = subprocess.run(
        label_command(cluster, inputs, out, *extra),
        env={**cluster["env"], **(env or {})}, capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
    )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return summary_of(done.stdout)


def summary_of(stdout: str) -> dict:
    line = next(line for line in reversed(stdout.splitlines()) if line.startswith("{"))
    return json.loads(line)


def markers(out: Path) -> dict[int, dict]:
    return {m["shard"]: m for m in (json.loads(p.read_text()) for p in sorted((out / "_commits").glob("*.json")))}


def hive_table(out: Path, table: str) -> "pl.DataFrame":
    return pl.scan_parquet(str(out / table / "**" / "*.parquet"), hive_partitioning=True).collect()


def assert_committed_once(out: Path, files: list[str]) -> None:
    """Every shard has a valid marker naming its files, no other table file exists, every input once."""
    job = json.loads((out / "_job.json").read_text())
    named = set()
    for shard in range(job["shards"]):
        marker = plray.verify_commit(out, shard, job["fingerprint"])
        named |= {entry["path"] for entry in marker["files"].values()}
    on_disk = {str(p.relative_to(out)) for t in ("documents", "clauses") for p in (out / t).rglob("*") if p.is_file()}
    assert on_disk == named
    assert not (out / "_staging").exists(), f"left in staging: {list((out / '_staging').rglob('*'))}"
    assert (out / "_SUCCESS").exists()
    documents = hive_table(out, "documents")
    assert documents["doc_id"].n_unique() == documents.height
    assert sorted(documents["path"].to_list()) == sorted(files)


def nonempty_shard(files: list[str], shards: int) -> int:
    return plray.shard_of(files[0], shards)


# --- tests --------------------------------------------------------------------


@pytest.fixture(scope="session")
def full_run(cluster: dict, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The examples and 12 OTA policies in 4 shards on the cluster, and one single-process run of them."""
    inputs = [str(EXAMPLES.absolute()), *ota_slice(12)]
    out = tmp_path_factory.mktemp("full") / "out"
    summary = run_label(cluster, inputs, out, "--shards", "4")
    reference = tmp_path_factory.mktemp("reference")
    policylens.Labeler(model=str(MODEL), precision=PRECISION, threads=2).label_to(inputs, str(reference))
    return {"inputs": inputs, "out": out, "summary": summary, "reference": reference}


def test_both_nodes_label_shards(full_run: dict) -> None:
    nodes = {m["node_ip"] for m in markers(full_run["out"]).values()}
    assert {HEAD_IP, WORKER_IP} <= nodes, f"shards ran on {nodes} only"
    assert full_run["summary"]["complete"]


def test_output_equals_one_single_machine_run(full_run: dict) -> None:
    out, reference = full_run["out"], full_run["reference"]
    assert_committed_once(out, input_files(full_run["inputs"]))
    for table, key in (("documents", "doc_id"), ("clauses", "clause_id")):
        sharded = hive_table(out, table).drop("shard").sort(key)
        single = pl.read_parquet(reference / f"{table}.parquet").sort(key)
        assert sharded.schema == single.schema, table
        assert sharded.height == single.height, table
        floats = [c for c, t in single.schema.items() if t in (pl.Float32, pl.Float64)]
        assert sharded.drop(floats).equals(single.drop(floats)), f"{table}: non-score columns differ"
        for column in floats:
            gap = (sharded[column] - single[column]).abs().max()
            assert gap is None or gap <= 1e-4, f"{table}.{column} differs by {gap}"


def test_duckdb_reads_the_hive_layout(full_run: dict) -> None:
    duckdb = pytest.importorskip("duckdb")
    glob = str(full_run["out"] / "clauses" / "*" / "*.parquet")
    rows = duckdb.sql(f"SELECT count(*) FROM read_parquet('{glob}', hive_partitioning=true)").fetchall()[0][0]
    assert rows == full_run["summary"]["clauses"]


SMALL_SHARDS = 4


def small_inputs() -> list[str]:
    return [str(EXAMPLES.absolute()), *ota_slice(3)]


def file_hashes(out: Path) -> dict[int, dict[str, str]]:
    return {shard: {t: f["sha256"] for t, f in m["files"].items()} for shard, m in markers(out).items()}


def assert_same_bytes_as(out: Path, clean: Path) -> None:
    """Every shard's files hash as in a clean run of the same job (a retry rewrote identical bytes)."""
    assert file_hashes(out) == file_hashes(clean)


def test_worker_killed_mid_shard_commits_every_shard_once(cluster: dict, resumed_run: dict, tmp_path: Path) -> None:
    inputs, out = small_inputs(), tmp_path / "out"
    files = input_files(inputs)
    target = plray.shard_name(nonempty_shard(files, SMALL_SHARDS))
    env = {**cluster["env"], "POLICYLENS_RAY_PAUSE_AFTER_STAGING": target, "POLICYLENS_RAY_PAUSE_SECONDS": "240"}
    log = tmp_path / "driver.log"
    with open(log, "w") as sink:  # a file, not a pipe: an unread pipe could block the driver
        driver = subprocess.Popen(
            label_command(cluster, inputs, out, "--shards", str(SMALL_SHARDS)), env=env, stdout=sink, stderr=sink
        )
    try:
        pid_file = out / "_faults" / f"pid-{target}"
        deadline = time.time() + 180
        while not pid_file.exists():
            assert driver.poll() is None, f"the run ended before {target} paused:\n{log.read_text()[-3000:]}"
            assert time.time() < deadline, f"{pid_file} never appeared"
            time.sleep(0.2)
        victim = json.loads(pid_file.read_text())["pid"]
        assert b"ray::" in Path(f"/proc/{victim}/cmdline").read_bytes(), "the pid is not a Ray worker"
        assert list((out / "_staging" / target).glob("attempt-*/*.parquet")), "nothing staged before the kill"
        os.kill(victim, signal.SIGKILL)
        driver.wait(timeout=RUN_TIMEOUT_S)
    finally:
        if driver.poll() is None:
            driver.kill()
    output = log.read_text()
    assert driver.returncode == 0, output[-4000:]
    assert summary_of(output)["complete"]
    assert_committed_once(out, files)
    # The paused shard was committed by a retry in another process (the
    # victim may have committed shards before it; their markers stay).
    assert markers(out)[int(target.split("=")[1])]["pid"] != victim
    assert_same_bytes_as(out, resumed_run["out"])


def test_crash_between_staging_and_rename_commits_every_shard_once(
    cluster: dict, resumed_run: dict, tmp_path: Path
) -> None:
    inputs, out = small_inputs(), tmp_path / "out"
    files = input_files(inputs)
    target = plray.shard_name(nonempty_shard(files, SMALL_SHARDS))
    crash = {"POLICYLENS_RAY_CRASH_AFTER_STAGING": target}
    summary = run_label(cluster, inputs, out, "--shards", str(SMALL_SHARDS), env=crash)
    assert (out / "_faults" / f"policylens_ray_crash_after_staging-{target}").exists(), "the crash never fired"
    assert summary["complete"]
    assert_committed_once(out, files)
    assert_same_bytes_as(out, resumed_run["out"])


@pytest.fixture(scope="session")
def resumed_run(cluster: dict, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A 4-shard job stopped after 2 shards, then run again to the end."""
    inputs, out = small_inputs(), tmp_path_factory.mktemp("resume") / "out"
    first = run_label(cluster, inputs, out, "--shards", str(SMALL_SHARDS), "--max-shards", "2")
    first_markers = {p.name: p.read_bytes() for p in (out / "_commits").glob("*.json")}
    success_after_first = (out / "_SUCCESS").exists()
    second = run_label(cluster, inputs, out, "--shards", str(SMALL_SHARDS))
    return {"inputs": inputs, "out": out, "first": first, "second": second,
            "first_markers": first_markers, "success_after_first": success_after_first}


def test_stopped_run_resumes_with_only_the_rest(resumed_run: dict) -> None:
    first, second = resumed_run["first"], resumed_run["second"]
    assert not first["complete"] and not resumed_run["success_after_first"]
    assert first["shards_run"] == 2 and len(resumed_run["first_markers"]) == 2
    assert second["complete"] and second["shards_run"] == 2
    for name, content in resumed_run["first_markers"].items():
        assert (resumed_run["out"] / "_commits" / name).read_bytes() == content, f"{name} was rewritten"
    assert_committed_once(resumed_run["out"], input_files(resumed_run["inputs"]))


def refused(cluster: dict, command: list[str]) -> subprocess.CompletedProcess:
    """Run a command expected to be refused before it reaches the cluster."""
    return subprocess.run(command, env=cluster["env"], capture_output=True, text=True, timeout=RUN_TIMEOUT_S)


def test_other_shard_count_is_refused(cluster: dict, resumed_run: dict) -> None:
    done = refused(cluster, label_command(cluster, resumed_run["inputs"], resumed_run["out"], "--shards", str(SMALL_SHARDS + 1)))
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"{SMALL_SHARDS} shards" in done.stderr and f"--shards {SMALL_SHARDS}" in done.stderr


def test_other_model_is_refused(cluster: dict, resumed_run: dict) -> None:
    command = label_command(cluster, resumed_run["inputs"], resumed_run["out"], "--shards", str(SMALL_SHARDS))
    command[command.index("--precision") + 1] = "int8"  # another model id: `+int8`
    done = refused(cluster, command)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "model" in done.stderr and "+int8" in done.stderr
