"""Label a corpus on a Ray cluster, one shard of documents per actor call.

This module owns the distributed runner and nothing else: labeling itself is
`policylens.Labeler`, exactly as `policylens label` runs it. A job goes
through four steps, each a function here:

- **plan** lists the input files (as the CLI does), assigns each to a shard by
  a stable hash of its absolute path, and writes `OUT/_job.json` and one
  manifest per shard (`OUT/_shards/shard=00042.json`). A rerun of another job
  (other shard count, model or inputs) into the same folder is refused.
- **run** sends the shards that have no valid commit to one Ray Data actor
  pool; each actor loads the model once and labels one shard per call.
- **commit** (in the actor) labels a shard into
  `OUT/_staging/shard=00042/attempt-<uuid>/`, renames its two tables into
  fixed Hive paths (`OUT/documents/shard=00042/part-0.parquet`,
  `OUT/clauses/shard=00042/part-0.parquet`) and writes the commit marker
  `OUT/_commits/shard=00042.json` last. Labeling is deterministic, so a
  retried or zombie attempt rewrites identical bytes: execution is
  at-least-once, the output exactly-once.
- **finalize** checks every marker against its files, removes staging and
  orphan files, writes `OUT/_SUCCESS` and returns the summary.

Run it as `python -m policylens.ray label INPUTS... -o OUT --shards N`, or call
`policylens.ray.label(...)`. Read the output with
`pl.scan_parquet("OUT/clauses/**/*.parquet", hive_partitioning=True)`.

Test hooks (environment variables of the driver, forwarded to the actors):
`POLICYLENS_RAY_CRASH_AFTER_STAGING=shard=00003[,shard=…]` makes the actor
exit hard after staging a shard and before renaming it;
`POLICYLENS_RAY_PAUSE_AFTER_STAGING=shard=00001` makes it write its pid to
`OUT/_faults/pid-shard=00001` and sleep (`POLICYLENS_RAY_PAUSE_SECONDS`,
default 120) at the same point, so that a test can `kill -9` it. Each hook
fires once per shard and output folder (a marker in `OUT/_faults`).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import shutil
import socket
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence

JOB_FILE = "_job.json"
SHARDS_DIR = "_shards"
STAGING_DIR = "_staging"
COMMITS_DIR = "_commits"
FAULTS_DIR = "_faults"
SUCCESS_FILE = "_SUCCESS"
TABLES = ("documents", "clauses")
PART_FILE = "part-0.parquet"
JOB_FORMAT = 1
COMMIT_FORMAT = 1

CRASH_AFTER_STAGING = "POLICYLENS_RAY_CRASH_AFTER_STAGING"
PAUSE_AFTER_STAGING = "POLICYLENS_RAY_PAUSE_AFTER_STAGING"
PAUSE_SECONDS = "POLICYLENS_RAY_PAUSE_SECONDS"

ACTOR_START_TIMEOUT_S = 600

EXIT_OK = 0
EXIT_RUN_FAILED = 1
EXIT_REFUSED = 2


class JobError(Exception):
    """The output folder holds another job, or the job cannot be planned."""


class CommitError(Exception):
    """A shard's commit marker does not match the files it names."""


# --- plan ---------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """What `OUT/_job.json` records: everything a rerun must agree with."""

    shards: int
    model: Optional[str]
    model_id: str
    precision: str
    inputs: list[str]
    files: int
    fingerprint: str

    def to_json(self) -> dict[str, Any]:
        return {"policylens_ray_job": JOB_FORMAT, **asdict(self)}


@dataclass(frozen=True)
class Plan:
    """A job and the input files of each of its shards."""

    out: Path
    job: Job
    shard_paths: list[list[str]]


def shard_name(shard: int) -> str:
    """The Hive partition name of a shard: `shard=00042`."""
    return f"shard={shard:05d}"


def shard_of(path: str, shards: int) -> int:
    """The shard of an absolute path: sha256 of its UTF-8 bytes, mod `shards`.

    Stable across processes, machines and Python versions (unlike `hash`).
    """
    digest = hashlib.sha256(path.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % shards


def discover_inputs(inputs: Sequence[str]) -> list[str]:
    """The input files as `policylens label` finds them, as sorted absolute paths.

    Named files are taken as given; directories are walked recursively,
    following symlinks once, skipping hidden files and directories. Every
    other file is an input (unsupported ones get a status row, as in the
    CLI). A file reached twice is listed once.
    """
    found: list[str] = []
    for given in inputs:
        path = os.path.abspath(given)
        if not os.path.exists(path):
            raise JobError(f"input {given!r} does not exist")
        if os.path.isdir(path):
            found.extend(walk_directory(path))
        else:
            found.append(path)
    seen: set[str] = set()
    unique = []
    for path in found:
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            unique.append(path)
    return sorted(unique)


def walk_directory(root: str) -> Iterator[str]:
    walked: set[str] = set()
    unlistable: list[str] = []

    def note_unlistable(error: OSError) -> None:
        if error.filename == root:
            raise JobError(f"input directory {root} cannot be listed: {error.strerror}")
        unlistable.append(error.filename)  # reading it reports it with status `unreadable`

    for directory, subdirs, files in os.walk(root, followlinks=True, onerror=note_unlistable):
        real = os.path.realpath(directory)
        if real in walked:
            subdirs.clear()
            continue
        walked.add(real)
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield os.path.join(directory, name)
    yield from unlistable


def job_fingerprint(shards: int, model_id: str, files: Sequence[str]) -> str:
    """sha256 of what makes two runs the same job: shards, model id, and each
    file's path, size and modification time (as the CLI's `_run.json`), so an
    edited input is not resumed from its old labels."""
    stamped = [(path, *file_stamp(path)) for path in files]
    text = json.dumps({"shards": shards, "model_id": model_id, "files": stamped})
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def file_stamp(path: str) -> tuple[int, int]:
    try:
        stat = os.stat(path)
    except OSError:  # broken link, unlistable folder: labeled as unreadable
        return (-1, -1)
    return (stat.st_size, stat.st_mtime_ns)


def resolve_model(model: Optional[str], precision: str) -> tuple[Optional[str], str]:
    """The model directory the actors load (absolute) and the model id they will
    write (`name@W#T[+int8][+bf16]`), from one load here."""
    from policylens import Labeler

    # threads=None: a thread count would size this process's pools for good.
    labeler = Labeler(model=model, precision=precision, device="cpu", threads=None)
    model_dir = getattr(labeler, "model_dir", None) or model
    if model_dir is not None and os.path.exists(model_dir):
        model_dir = os.path.abspath(model_dir)
    return (None if model_dir is None else str(model_dir)), labeler.model_id


def read_job(out: Path) -> Optional[Job]:
    path = out / JOB_FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
        data.pop("policylens_ray_job")
        return Job(**data)
    except (ValueError, KeyError, TypeError) as e:
        raise JobError(f"{path} is not a policylens.ray job file ({e}); use a new output folder") from e


def plan(
    inputs: Sequence[str],
    out: str | os.PathLike,
    shards: Optional[int],
    model: Optional[str] = None,
    precision: str = "auto",
) -> Plan:
    """List and shard the inputs; write the job and shard manifests under `out`.

    `shards=None` reuses the shard count of the job already in `out`.
    Raises `JobError` when `out` holds a job with another shard count, model
    id or file list.
    """
    out = Path(out).absolute()
    existing = read_job(out)
    shards = refuse_other_shard_count(out, existing, shards)
    model, model_id = resolve_model(model, precision)
    refuse_other_model(out, existing, model_id)
    files = discover_inputs(inputs)
    if not files:
        raise JobError(f"no input files under {', '.join(inputs)}")
    fingerprint = job_fingerprint(shards, model_id, files)
    refuse_other_inputs(out, existing, fingerprint, files)
    shard_paths: list[list[str]] = [[] for _ in range(shards)]
    for path in files:
        shard_paths[shard_of(path, shards)].append(path)
    job = Job(shards, model, model_id, precision, [os.path.abspath(i) for i in inputs], len(files), fingerprint)
    write_plan(out, job, shard_paths)
    return Plan(out, job, shard_paths)


def refuse_other_shard_count(out: Path, existing: Optional[Job], shards: Optional[int]) -> int:
    if existing is None:
        if shards is None or shards < 1:
            raise JobError("--shards N (at least 1) is required for a new job")
        return shards
    if shards is not None and shards != existing.shards:
        raise JobError(
            f"{out / JOB_FILE} holds a job of {existing.shards} shards; this run asks for {shards}. "
            f"Rerun with --shards {existing.shards} to resume it, or label into a new output folder"
        )
    return existing.shards


def refuse_other_model(out: Path, existing: Optional[Job], model_id: str) -> None:
    if existing is not None and existing.model_id != model_id:
        raise JobError(
            f"{out / JOB_FILE} holds a job labeled with model {existing.model_id}; this run resolves to "
            f"{model_id}. Label into a new output folder (or delete {out})"
        )


def refuse_other_inputs(out: Path, existing: Optional[Job], fingerprint: str, files: list[str]) -> None:
    if existing is None or existing.fingerprint == fingerprint:
        return
    planned = set(planned_files(out, existing))
    added = sorted(set(files) - planned)
    removed = sorted(planned - set(files))
    differences = [f"{len(added)} added (first: {added[0]})" if added else "",
                   f"{len(removed)} gone (first: {removed[0]})" if removed else ""]
    raise JobError(
        f"{out / JOB_FILE} holds a job over {existing.files} input files; this run lists {len(files)}: "
        f"{', '.join(d for d in differences if d) or 'the same paths, but sizes or modification times changed'}. "
        f"Label into a new output folder (or delete {out})"
    )


def planned_files(out: Path, job: Job) -> Iterator[str]:
    for shard in range(job.shards):
        try:
            yield from read_shard_paths(out, shard, job.fingerprint)
        except (OSError, ValueError, JobError):
            continue


def write_plan(out: Path, job: Job, shard_paths: list[list[str]]) -> None:
    """Shard manifests first, the job file last: a job file means a whole plan."""
    for shard, paths in enumerate(shard_paths):
        manifest = {"shard": shard, "job": job.fingerprint, "paths": paths}
        write_json_atomically(out / SHARDS_DIR / f"{shard_name(shard)}.json", manifest)
    write_json_atomically(out / JOB_FILE, job.to_json())


def read_shard_paths(out: Path, shard: int, fingerprint: str) -> list[str]:
    path = out / SHARDS_DIR / f"{shard_name(shard)}.json"
    manifest = json.loads(path.read_text())
    if manifest.get("job") != fingerprint:
        raise JobError(f"{path} belongs to another job than {out / JOB_FILE}")
    return list(manifest["paths"])


# --- files --------------------------------------------------------------------


def write_json_atomically(path: Path, data: Any) -> None:
    """Write to a hidden temporary name beside `path`, fsync, then `os.replace`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def table_path(table: str, shard: int) -> str:
    """A table file's path relative to the output folder (Hive layout)."""
    return f"{table}/{shard_name(shard)}/{PART_FILE}"


# --- commit (runs in the actor) -------------------------------------------------


def commit_marker_path(out: Path, shard: int) -> Path:
    return out / COMMITS_DIR / f"{shard_name(shard)}.json"


def verify_commit(out: Path, shard: int, fingerprint: str) -> dict[str, Any]:
    """The shard's commit marker, checked against the files it names.

    Raises `CommitError` naming the file when the marker is missing, belongs
    to another job, or a file is missing or has other bytes.
    """
    path = commit_marker_path(out, shard)
    try:
        marker = json.loads(path.read_text())
    except FileNotFoundError as e:
        raise CommitError(f"{path} is missing: {shard_name(shard)} is not committed") from e
    except ValueError as e:
        raise CommitError(f"{path} is not valid JSON ({e})") from e
    if marker.get("job") != fingerprint or marker.get("shard") != shard:
        raise CommitError(f"{path} belongs to another job or shard")
    for table, entry in marker.get("files", {}).items():
        file = out / entry["path"]
        if not file.exists():
            raise CommitError(f"{file} named by {path} is missing")
        if file.stat().st_size != entry["bytes"] or sha256_file(file) != entry["sha256"]:
            raise CommitError(f"{file} does not match the sha256 in {path}")
    return marker


def read_commit(out: Path, shard: int) -> Optional[dict[str, Any]]:
    """The shard's commit marker as written, unchecked (None when there is none)."""
    try:
        return json.loads(commit_marker_path(out, shard).read_text())
    except (FileNotFoundError, ValueError):
        return None


def valid_commit(out: Path, shard: int, fingerprint: str) -> Optional[dict[str, Any]]:
    try:
        return verify_commit(out, shard, fingerprint)
    except CommitError:
        return None


def publish_staged_tables(out: Path, shard: int, staging: Path, rows: dict[str, int]) -> dict[str, Any]:
    """Rename a staged shard's tables into their Hive paths; return their file entries.

    `os.replace` is atomic on one filesystem (staging is inside `out`), so a
    reader sees the old file or the new one, never a part; a second attempt
    replaces identical bytes.
    """
    files = {}
    for table in TABLES:
        staged = staging / f"{table}.parquet"
        if not staged.exists():
            raise CommitError(f"{staged} was not written by Labeler.label_to")
        files[table] = {
            "path": table_path(table, shard),
            "sha256": sha256_file(staged),
            "bytes": staged.stat().st_size,
            "rows": rows[table],
        }
    fire_fault_hook(out, shard, CRASH_AFTER_STAGING)
    fire_fault_hook(out, shard, PAUSE_AFTER_STAGING)
    for table in TABLES:
        target = out / files[table]["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / f"{table}.parquet", target)
    return files


def fire_fault_hook(out: Path, shard: int, variable: str) -> None:
    """Test-only: crash or pause here once, when `variable` names this shard."""
    wanted = os.environ.get(variable, "")
    if shard_name(shard) not in {s.strip() for s in wanted.split(",")}:
        return
    faults = out / FAULTS_DIR
    faults.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(faults / f"{variable.lower()}-{shard_name(shard)}", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return  # fired on an earlier attempt
    os.close(fd)
    if variable == CRASH_AFTER_STAGING:
        os._exit(1)
    write_json_atomically(faults / f"pid-{shard_name(shard)}", {"pid": os.getpid()})
    time.sleep(float(os.environ.get(PAUSE_SECONDS, "120")))


def node_ip() -> str:
    try:
        import ray

        return ray.util.get_node_ip_address()
    except Exception:  # outside Ray (unit use): the host's name is all there is
        return socket.gethostname()


class ShardLabeler:
    """A Ray Data actor: loads the model once, labels and commits one shard per call.

    Constructor arguments are plain strings and numbers so that Ray ships
    them as they are.
    """

    def __init__(self, out: str, model: str, precision: str, threads: int, batch_size: int) -> None:
        # Before the first labeling call builds a thread pool (runtime_env sets them too).
        os.environ.update(thread_env(threads))
        from policylens import Labeler

        self.out = Path(out)
        self.job = read_job(self.out)
        if self.job is None:
            raise JobError(f"{self.out / JOB_FILE} is missing on node {node_ip()}: is {out} on shared storage?")
        self.labeler = Labeler(
            model=model or None, precision=precision, device="cpu", batch_size=batch_size, threads=threads
        )
        if self.labeler.model_id != self.job.model_id:
            raise JobError(
                f"node {node_ip()} resolves model {model or 'default'} to {self.labeler.model_id}, "
                f"but {self.out / JOB_FILE} was planned with {self.job.model_id} "
                "(another model copy, or precision auto on a CPU of another kind: pass --precision)"
            )

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        markers = [json.dumps(self.label_shard(int(s))) for s in batch["shard"]]
        return {"marker": np.array(markers, dtype=object)}

    def label_shard(self, shard: int) -> dict[str, Any]:
        done = valid_commit(self.out, shard, self.job.fingerprint)
        if done is not None:
            return done  # a retry of a call whose commit had landed
        paths = read_shard_paths(self.out, shard, self.job.fingerprint)
        attempt = uuid.uuid4().hex
        start = time.perf_counter()
        staging = self.out / STAGING_DIR / shard_name(shard) / f"attempt-{attempt}"
        if paths:
            summary = self.labeler.label_to(paths, str(staging), overwrite=False, progress=False)
            rows = {"documents": summary["documents"], "clauses": summary["clauses"]}
            files = publish_staged_tables(self.out, shard, staging, rows)
        else:
            summary = {"documents": 0, "clauses": 0, "by_status": {}}
            files = {}
        marker = {
            "policylens_ray_commit": COMMIT_FORMAT,
            "shard": shard,
            "job": self.job.fingerprint,
            "model_id": self.labeler.model_id,
            "attempt": attempt,
            "node_ip": node_ip(),
            "hostname": socket.gethostname(),
            "pid": os.getpid(),
            "seconds": round(time.perf_counter() - start, 3),
            "committed_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "documents": summary["documents"],
            "clauses": summary["clauses"],
            "by_status": summary["by_status"],
            "files": files,
        }
        write_json_atomically(commit_marker_path(self.out, shard), marker)
        shutil.rmtree(staging, ignore_errors=True)
        return marker


# --- run ----------------------------------------------------------------------


def pending_shards(plan: Plan) -> list[int]:
    """Shards without a valid commit: the only ones sent to Ray."""
    return [s for s in range(plan.job.shards) if valid_commit(plan.out, s, plan.job.fingerprint) is None]


def thread_env(threads: int) -> dict[str, str]:
    """The variables every thread pool of the labeler sizes itself from."""
    return {name: str(threads) for name in ("RAYON_NUM_THREADS", "CANDLE_NUM_THREADS", "OMP_NUM_THREADS")}


def actor_env(threads: int) -> dict[str, str]:
    """Environment of every actor: thread counts, and the driver's POLICYLENS_* variables."""
    env = {k: v for k, v in os.environ.items() if k.startswith("POLICYLENS_")}
    env.update(thread_env(threads))
    return env


def default_actor_count(threads: int) -> int:
    import ray

    cpus = ray.cluster_resources().get("CPU", 1)
    return max(1, int(cpus // threads))


def run(
    plan: Plan,
    shards: Sequence[int],
    actors: Optional[int] = None,
    threads_per_actor: int = 1,
    batch_size: int = 32,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Label `shards` on the connected Ray cluster; return their commit markers as they finish."""
    import ray
    import ray.data

    if not shards:
        return []
    actors = min(actors or default_actor_count(threads_per_actor), len(shards))
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # the driver prints its own
    # Start the whole pool before the first shard is handed out, so shards
    # spread over every actor and a pool the cluster cannot hold fails fast.
    context.wait_for_min_actors_s = ACTOR_START_TIMEOUT_S
    items = ray.data.from_items([{"shard": s} for s in shards], override_num_blocks=len(shards))
    # Ray Data 2.60 gives actor pools max_restarts=-1 and max_task_retries=-1
    # by default (ActorPoolMapOperator._apply_default_remote_args): a killed
    # actor is restarted and its shard retried. Passing them here would go
    # through **ray_remote_args, deprecated in 2.60 and removed in 2.64.
    results = items.map_batches(
        ShardLabeler,
        batch_size=1,
        compute=ray.data.ActorPoolStrategy(size=actors, max_tasks_in_flight_per_actor=1),
        num_cpus=threads_per_actor,
        fn_constructor_args=(str(plan.out), plan.job.model or "", plan.job.precision, threads_per_actor, batch_size),
        runtime_env={"env_vars": actor_env(threads_per_actor)},
        zero_copy_batch=False,
    )
    markers = []
    bar = ProgressLine(len(shards), enabled=progress)
    for row in results.iter_rows():
        marker = json.loads(row["marker"])
        markers.append(marker)
        bar.shard_done(marker)
    bar.close()
    return markers


class ProgressLine:
    """Shards done / total and clauses/s: one rewritten line on a terminal, a line per shard elsewhere."""

    def __init__(self, total: int, enabled: bool = True) -> None:
        self.total = total
        self.done = 0
        self.clauses = 0
        self.start = time.perf_counter()
        self.enabled = enabled
        self.tty = sys.stderr.isatty()

    def shard_done(self, marker: dict[str, Any]) -> None:
        self.done += 1
        self.clauses += marker["clauses"]
        if not self.enabled:
            return
        rate = self.clauses / max(time.perf_counter() - self.start, 1e-9)
        line = (
            f"shards {self.done}/{self.total}  {self.clauses} clauses  {rate:.1f} clauses/s  "
            f"(last: {shard_name(marker['shard'])} on {marker['node_ip']}, {marker['seconds']:.1f} s)"
        )
        if self.tty:
            print(f"\r{line}\x1b[K", end="", file=sys.stderr, flush=True)
        else:
            print(line, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.enabled and self.tty:
            print(file=sys.stderr)


# --- finalize -----------------------------------------------------------------


def finalize(plan: Plan) -> list[dict[str, Any]]:
    """Check every commit, remove staging and orphan files, write `_SUCCESS`; return the markers.

    Raises `CommitError` naming the marker or file when a shard is not
    committed or its files do not match (a rerun relabels that shard).
    """
    out, fingerprint = plan.out, plan.job.fingerprint
    markers = [verify_commit(out, s, fingerprint) for s in range(plan.job.shards)]
    committed = {out / entry["path"] for m in markers for entry in m["files"].values()}
    shutil.rmtree(out / STAGING_DIR, ignore_errors=True)
    remove_orphans(out, committed)
    remove_temporary_files(out)
    write_json_atomically(out / SUCCESS_FILE, job_totals(plan, markers))
    return markers


def job_totals(plan: Plan, markers: list[dict[str, Any]]) -> dict[str, Any]:
    """What `_SUCCESS` records: the job and its row counts."""
    by_status: dict[str, int] = {}
    for m in markers:
        for status, n in m["by_status"].items():
            by_status[status] = by_status.get(status, 0) + n
    return {
        "model_id": plan.job.model_id,
        "shards": plan.job.shards,
        "fingerprint": plan.job.fingerprint,
        "documents": sum(m["documents"] for m in markers),
        "clauses": sum(m["clauses"] for m in markers),
        "by_status": dict(sorted(by_status.items())),
        "finished_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
    }


def remove_temporary_files(out: Path) -> None:
    """Temporary names of JSON writes a crash interrupted (`.NAME.UUID.tmp`)."""
    for folder in (out, out / COMMITS_DIR, out / SHARDS_DIR):
        for path in folder.glob(".*.tmp"):
            path.unlink(missing_ok=True)


def remove_orphans(out: Path, committed: set[Path]) -> None:
    """Delete table files no marker names (and the folders they leave empty)."""
    for table in TABLES:
        root = out / table
        if not root.exists():
            continue
        for directory, _, files in os.walk(root, topdown=False):
            for name in files:
                path = Path(directory) / name
                if path not in committed:
                    path.unlink()
            if directory != str(root) and not os.listdir(directory):
                os.rmdir(directory)


def summarize(plan: Plan, markers: list[dict[str, Any]], ran: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    totals = job_totals(plan, markers)
    clauses_run = sum(m["clauses"] for m in ran)
    slowest = max(ran, key=lambda m: m["seconds"], default=None)
    nodes: dict[str, int] = {}
    for m in ran:
        nodes[m["node_ip"]] = nodes.get(m["node_ip"], 0) + 1
    return {
        "out": str(plan.out),
        "model_id": plan.job.model_id,
        "shards": plan.job.shards,
        "shards_committed": len(markers),
        "shards_run": len(ran),
        "complete": len(markers) == plan.job.shards,
        "documents": totals["documents"],
        "clauses": totals["clauses"],
        "by_status": totals["by_status"],
        "seconds": round(seconds, 3),
        "clauses_run": clauses_run,
        "clauses_per_second": round(clauses_run / seconds, 1) if seconds > 0 else 0.0,
        "slowest_shard": None
        if slowest is None
        else {k: slowest[k] for k in ("shard", "seconds", "node_ip", "documents", "clauses")},
        "nodes": nodes,
    }


def print_summary(summary: dict[str, Any]) -> None:
    statuses = ", ".join(f"{k}: {v}" for k, v in summary["by_status"].items()) or "none"
    print(
        f"labeled {summary['clauses_run']} clauses in {summary['shards_run']} shards on "
        f"{len(summary['nodes'])} nodes in {summary['seconds']:.1f}s ({summary['clauses_per_second']} clauses/s); "
        f"{summary['shards_committed'] - summary['shards_run']} shards were already committed"
    )
    print(f"job: {summary['documents']} documents, {summary['clauses']} clauses in {summary['shards']} shards")
    print(f"documents by status: {statuses}")
    slow = summary["slowest_shard"]
    if slow:
        print(
            f"slowest shard: {shard_name(slow['shard'])}, {slow['seconds']:.1f}s on {slow['node_ip']} "
            f"({slow['documents']} documents, {slow['clauses']} clauses)"
        )
    if summary["complete"]:
        print(f"-> {summary['out']} (_SUCCESS written)")
    else:
        print(
            f"stopped with {summary['shards_committed']} of {summary['shards']} shards committed; "
            f"rerun the same command to label the rest"
        )


# --- the whole job ------------------------------------------------------------


def label(
    inputs: Sequence[str],
    out: str | os.PathLike,
    shards: Optional[int] = None,
    address: Optional[str] = None,
    model: Optional[str] = None,
    precision: str = "auto",
    actors: Optional[int] = None,
    threads_per_actor: int = 1,
    batch_size: int = 32,
    max_shards: Optional[int] = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Plan, run, finalize; return the summary dict.

    `address` is passed to `ray.init` (None: `RAY_ADDRESS` or a local
    cluster; "auto": the running cluster); an already initialized Ray is
    used as it is. `max_shards` labels at most that many pending shards and
    stops without finalizing (a rerun resumes).
    """
    start = time.perf_counter()
    job_plan = plan(inputs, out, shards, model=model, precision=precision)
    pending = pending_shards(job_plan)
    todo = pending if max_shards is None else pending[:max_shards]
    ran: list[dict[str, Any]] = []
    if todo:
        with ray_connection(address):
            ran = run(job_plan, todo, actors, threads_per_actor, batch_size, progress)
    if len(todo) == len(pending):
        committed = finalize(job_plan)
    else:
        committed = [m for s in range(job_plan.job.shards) if (m := read_commit(job_plan.out, s))]
    return summarize(job_plan, committed, ran, time.perf_counter() - start)


class ray_connection:
    """`ray.init` on entry unless Ray is already initialized; `ray.shutdown` on exit if it was ours."""

    def __init__(self, address: Optional[str]) -> None:
        self.address = address
        self.owned = False

    def __enter__(self) -> "ray_connection":
        import ray

        if not ray.is_initialized():
            ray.init(address=self.address, logging_level="WARNING", configure_logging=True)
            self.owned = True
        return self

    def __exit__(self, *exc: object) -> None:
        import ray

        if self.owned:
            ray.shutdown()


# --- command line ---------------------------------------------------------------


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m policylens.ray",
        description="Label privacy policies on a Ray cluster into Hive-partitioned Parquet.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("label", help="label INPUTS into OUT/documents/ and OUT/clauses/, one shard per actor call")
    p.add_argument("inputs", nargs="+", help="files or directories (walked recursively), on storage every node reads")
    p.add_argument("-o", "--out", required=True, help="output folder, on storage every node writes")
    p.add_argument("--shards", type=int, help="number of shards (required for a new job; a rerun must give the same)")
    p.add_argument("--address", help="Ray cluster: auto, HOST:PORT or ray://… (default: RAY_ADDRESS, else local)")
    p.add_argument("--model", help="model directory, the same path on every node (default: the Labeler's)")
    p.add_argument("--precision", default="auto", choices=["auto", "f32", "int8"])
    p.add_argument("--actors", type=int, help="actors in the pool (default: cluster CPUs / threads per actor)")
    p.add_argument("--threads-per-actor", type=int, default=1, help="CPUs each actor reserves and labels with")
    p.add_argument("--batch-size", type=int, default=32, help="token windows per encoder call")
    p.add_argument("--max-shards", type=int, help="label at most this many pending shards, then stop (resume later)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    return parser.parse_args(argv)


def resume_advice(error: Exception, actors: Optional[int]) -> str:
    """What to rerun after a failed run: the same command, unless the actor
    pool could not start (a node is gone), where the same `--actors` would
    wait and time out again."""
    import ray.exceptions

    timed_out = isinstance(error, ray.exceptions.GetTimeoutError) or "starting actors" in str(error)
    if timed_out and actors is not None:
        return (
            f"the cluster could not start {actors} actors within {ACTOR_START_TIMEOUT_S} s: rerun with fewer "
            "--actors, or without --actors to size the pool to the CPUs the cluster has now; committed shards are kept"
        )
    return "rerun the same command to resume"


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        summary = label(
            args.inputs,
            args.out,
            shards=args.shards,
            address=args.address,
            model=args.model,
            precision=args.precision,
            actors=args.actors,
            threads_per_actor=args.threads_per_actor,
            batch_size=args.batch_size,
            max_shards=args.max_shards,
            progress=not args.quiet,
        )
    except JobError as e:
        print(f"policylens.ray: refused: {e}", file=sys.stderr)
        return EXIT_REFUSED
    except CommitError as e:
        print(f"policylens.ray: {e}; rerun the same command to relabel that shard", file=sys.stderr)
        return EXIT_RUN_FAILED
    except Exception as e:
        import ray.exceptions

        if not isinstance(e, ray.exceptions.RayError):
            raise
        print(f"policylens.ray: the run failed on the cluster: {e}\n{resume_advice(e, args.actors)}", file=sys.stderr)
        return EXIT_RUN_FAILED
    if args.json:
        print(json.dumps(summary))
    else:
        print_summary(summary)
    return EXIT_OK


if __name__ == "__main__":
    # Re-import under the package name, so Ray pickles `policylens.ray.ShardLabeler`
    # by reference rather than a copy of `__main__`.
    from policylens.ray import main as package_main

    sys.exit(package_main())
