"""The ``policylens`` package against the ``policylens`` CLI: same tables,
same errors, interruptible. Run by scripts/python-tests.sh after
``maturin develop``; needs the default model (scripts/fetch-model.sh)."""

from __future__ import annotations

import _thread
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest

import policylens

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "datasets" / "examples"
MODEL = ROOT / "models" / "policylens-minilm-opp115"

pytestmark = pytest.mark.skipif(
    not (MODEL / "model.safetensors").exists(),
    reason=f"the default model is not fetched ({MODEL}); run scripts/fetch-model.sh",
)


def cli() -> Path:
    binary = os.environ.get("POLICYLENS_BIN") or ROOT / "target" / "debug" / "policylens"
    if not Path(binary).exists():
        pytest.skip(f"no policylens binary at {binary}; build it (cargo build) or set POLICYLENS_BIN")
    return Path(binary)


def cli_label(inputs: list[Path], out: Path, precision: str) -> None:
    subprocess.run(
        [cli(), "label", *map(str, inputs), "-o", str(out), "--precision", precision, "--quiet"],
        check=True,
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def labeler() -> policylens.Labeler:
    return policylens.Labeler(MODEL, precision="f32")


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "run"
    cli_label([EXAMPLES], out, "f32")
    return out


def sorted_frame(df: pl.DataFrame, key: str) -> pl.DataFrame:
    return df.sort(key)


def test_model_id_and_labels(labeler):
    assert labeler.model_id.startswith("policylens-minilm-opp115@")
    assert "+int8" not in labeler.model_id  # precision="f32"
    assert labeler.labels == policylens.LABELS
    assert "biometrics" in labeler.labels and len(labeler.labels) == 13
    assert labeler.model_dir == MODEL


def test_label_files_returns_the_cli_tables_exactly(labeler, cli_run):
    run = labeler.label_files([EXAMPLES])
    assert isinstance(run.documents, pl.DataFrame) and isinstance(run.clauses, pl.DataFrame)
    want_docs = pl.read_parquet(cli_run / "documents.parquet")
    want_clauses = pl.read_parquet(cli_run / "clauses.parquet")
    assert run.documents.schema == want_docs.schema
    assert run.clauses.schema == want_clauses.schema
    assert run.documents.height == 3 and run.clauses.height > 10
    # Every column, scores exactly equal: same model, same precision.
    assert sorted_frame(run.documents, "doc_id").equals(sorted_frame(want_docs, "doc_id"))
    assert sorted_frame(run.clauses, "clause_id").equals(sorted_frame(want_clauses, "clause_id"))


def test_label_to_writes_the_same_parquet_as_the_cli_and_resumes(labeler, cli_run, tmp_path):
    out = tmp_path / "out"
    summary = labeler.label_to([EXAMPLES], out)
    assert summary["documents"] == 3
    assert summary["by_status"] == {"ok": 3}
    assert summary["failed"] == 0 and summary["already_finished"] is False
    for table in ("documents.parquet", "clauses.parquet"):
        got, want = pl.read_parquet(out / table), pl.read_parquet(cli_run / table)
        assert got.equals(want), table
    again = labeler.label_to([EXAMPLES], out)
    assert again["already_finished"] is True and again["clauses"] == summary["clauses"]


def test_a_folder_of_another_job_is_refused_naming_it(labeler, cli_run, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(cli_run, out)
    with pytest.raises(policylens.PolicyLensError, match=str(out)):
        labeler.label_to([EXAMPLES / "lumen-photos.md"], out)


def test_label_texts_labels_each_text_as_one_clause(labeler):
    texts = [
        "We collect your face geometry to verify your identity when you sign in.",
        "We share your email address with advertising partners.",
        "You can contact our Data Protection Officer at dpo@example.com.",
    ]
    run = labeler.label_texts(texts, headings=["Biometrics", None, "Contact us"])
    assert run.documents.height == 1 and run.documents["status"].to_list() == ["ok"]
    clauses = run.clauses.sort("position")
    assert clauses["text"].to_list() == texts
    assert clauses["heading"].to_list() == ["Biometrics", None, "Contact us"]
    assert clauses["clause_id"].to_list() == ["0", "1", "2"]
    assert clauses["biometrics"][0] > 0.5 and clauses["biometrics"][1] < 0.5
    assert clauses["sharing"][1] > 0.5
    assert "contact" in clauses["labels"][2].to_list()


def test_label_texts_refuses_a_heading_count_that_does_not_match(labeler):
    with pytest.raises(ValueError, match="2 headings for 1 texts"):
        labeler.label_texts(["We sell nothing."], headings=["A", "B"])
    with pytest.raises(TypeError):
        labeler.label_texts("one string, not a list")


def test_segment_cuts_clauses_as_the_labeled_run_does(cli_run):
    seg = policylens.segment(EXAMPLES / "lumen-photos.md")
    clauses = pl.read_parquet(cli_run / "clauses.parquet")
    doc = seg["doc_id"][0]
    want = clauses.filter(pl.col("doc_id") == doc).sort("position")
    assert seg.height == want.height > 0
    for column in ("position", "heading", "text", "char_start", "char_end"):
        assert seg[column].to_list() == want[column].to_list(), column


def test_tables_are_arrow_streams_that_pyarrow_reads_too(labeler):
    _, clauses = labeler._native.label_texts(["We keep logs for 30 days."], None)
    table = pa.table(clauses)
    assert table.num_rows == len(clauses) == 1
    assert table.column_names == clauses.columns
    assert "retention" in table.column_names


def test_a_missing_input_raises_file_not_found_naming_it(labeler, tmp_path):
    missing = tmp_path / "no-such-policy.html"
    with pytest.raises(FileNotFoundError, match="no-such-policy.html"):
        labeler.label_files([missing])
    with pytest.raises(FileNotFoundError, match="no-such-policy.html"):
        policylens.segment(missing)


def test_a_bad_file_is_a_row_with_its_status_not_an_exception(labeler, tmp_path):
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 8)
    shutil.copy(EXAMPLES / "corner-bookshop.txt", tmp_path / "good.txt")
    run = labeler.label_files(tmp_path)
    status = dict(zip(run.documents["path"].map_elements(lambda p: Path(p).name, return_dtype=pl.String), run.documents["status"]))
    assert status["good.txt"] == "ok"
    assert status["binary.txt"] != "ok"
    assert run.documents.filter(pl.col("status") != "ok")["error"][0]


def test_a_model_that_does_not_load_is_an_error_naming_it(tmp_path):
    with pytest.raises(policylens.PolicyLensError, match=str(tmp_path)):
        policylens.Labeler(tmp_path)
    with pytest.raises(ValueError, match="precision"):
        policylens.Labeler(MODEL, precision="fp4")


def many_policies(folder: Path, copies: int) -> Path:
    folder.mkdir()
    for i in range(copies):
        for src in EXAMPLES.iterdir():
            (folder / f"{i:03d}-{src.name}").write_text(src.read_text() + f"\n\nVersion {i}.\n")
    return folder


def interrupt_after_first_commit(out: Path) -> threading.Thread:
    """Ctrl-C for the main thread as soon as the run folder holds a committed
    part (`_parts/*.documents.parquet` is written last and renamed into place),
    so the interrupt lands mid-call however fast labeling is."""

    def watch():
        # Generous: on a loaded 2-core machine the first commit (model load
        # included) once came after the 120 s this used to wait.
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if any((out / "_parts").glob("*.documents.parquet")):
                _thread.interrupt_main()
                return
            time.sleep(0.002)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_ctrl_c_stops_a_long_call_and_the_same_call_resumes(labeler, tmp_path):
    # 600 documents in chunks of 4: 150 commits, interrupted after the first.
    inputs = many_policies(tmp_path / "in", 200)
    out = tmp_path / "out"
    started = time.monotonic()
    interrupt_after_first_commit(out)
    with pytest.raises(KeyboardInterrupt):
        labeler.label_to([inputs], out, chunk=4)
    stopped_after = time.monotonic() - started
    assert stopped_after < 30, f"the call took {stopped_after:.1f}s to stop"
    assert not (out / "documents.parquet").exists()
    summary = labeler.label_to([inputs], out, chunk=4)
    assert summary["documents"] == 600
    assert 0 < summary["resumed"] < 600
    assert pl.read_parquet(out / "documents.parquet").height == 600


def test_the_gil_is_released_while_labeling(labeler):
    ticks = 0
    done = threading.Event()

    def tick():
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0.001)

    t = threading.Thread(target=tick)
    t.start()
    try:
        labeler.label_files([EXAMPLES])
    finally:
        done.set()
        t.join()
    assert ticks > 50
