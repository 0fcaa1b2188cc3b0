"""PolicyLens from Python: label the data practices in privacy policies.

The work is done by the Rust crates of the PolicyLens workspace (the
``policylens._native`` extension); this package only gives it Python
shapes. Tables come back as polars DataFrames through the Arrow C stream
interface, with the exact columns ``policylens label`` writes to Parquet.

    >>> import policylens
    >>> labeler = policylens.Labeler()                  # the bundled default model
    >>> run = labeler.label_files(["datasets/examples"])
    >>> run.clauses.filter(pl.col("biometrics") > 0.5)

``policylens.ray`` runs the same job over a Ray cluster.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence, Union

import polars as pl

from policylens import _native
from policylens._native import PolicyLensError, __version__

__all__ = ["Labeler", "Run", "PolicyLensError", "segment", "LABELS", "__version__"]

PathLike = Union[str, "os.PathLike[str]"]

#: The 13 practice labels of the default label set, in column order.
LABELS: list[str] = _native.default_labels()


@dataclass(frozen=True)
class Run:
    """What one labeling call returns: one row per input document (with its
    status) and one row per clause (text, heading path, one score column per
    label, predicted labels)."""

    documents: pl.DataFrame
    clauses: pl.DataFrame


def _paths(paths: Union[PathLike, Iterable[PathLike]]) -> list[str]:
    if isinstance(paths, (str, os.PathLike)):
        return [os.fspath(paths)]
    return [os.fspath(p) for p in paths]


def _frame(table: _native.Table) -> pl.DataFrame:
    return pl.DataFrame(table)


class Labeler:
    """A PolicyLens model loaded once.

    Args:
        model: a model directory; ``None`` takes ``$POLICYLENS_MODEL``, else
            ``models/policylens-minilm-opp115`` (working directory, then the
            checkout the package was built from).
        precision: ``"auto"`` (int8 on a CPU with a fast integer kernel, f32
            elsewhere), ``"f32"``, ``"int8"`` (CPU) or ``"bf16"`` (for GPUs);
            ``model_id`` says which ran.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"metal"`` or ``"auto"``.
        batch_size: token windows per encoder call.
        threads: worker threads. The encoder's and rayon's pools are sized
            once per process, so give it to the first ``Labeler`` (a Ray actor
            does); ``None`` uses every core.
    """

    def __init__(
        self,
        model: PathLike | None = None,
        precision: str = "auto",
        device: str = "cpu",
        batch_size: int = 32,
        threads: int | None = None,
    ) -> None:
        model = os.fspath(model) if model is not None else None
        self._native = _native.Labeler(model, precision, device, batch_size, threads)

    @property
    def model_id(self) -> str:
        """The id written in the ``model`` column (``+int8``, ``+bf16`` when quantized)."""
        return self._native.model_id

    @property
    def labels(self) -> list[str]:
        """Label names, in the order of the score columns."""
        return self._native.labels

    @property
    def model_dir(self) -> Path:
        return Path(self._native.model_dir)

    def label_files(
        self,
        paths: Union[PathLike, Iterable[PathLike]],
        *,
        kinds: Sequence[str] | None = None,
        max_file_bytes: int | None = None,
    ) -> Run:
        """Label files and folders (``.html``, ``.md``, ``.txt``, clause tables)
        as ``policylens label`` does, and return the tables.

        A file that cannot be read or parsed is a row with its status, never an
        exception; a path that does not exist raises ``FileNotFoundError``.
        ``kinds`` labels only documents of those kinds (``privacy_policy``,
        ``cookie_policy``, ``terms``, ``other``); the rest get ``other_kind``.
        """
        extra = {} if max_file_bytes is None else {"max_file_bytes": max_file_bytes}
        docs, clauses = self._native.label_files(_paths(paths), kinds=list(kinds or []), **extra)
        return Run(_frame(docs), _frame(clauses))

    def label_texts(self, texts: Sequence[str], headings: Sequence[str | None] | None = None) -> Run:
        """Label clause texts, each one clause (not segmented further), with
        its heading path (``"Your rights > Access"``) when given. Clause ids are
        the texts' positions; the one document row stands for the texts."""
        if isinstance(texts, str):
            raise TypeError("label_texts takes a list of clause texts, not one string")
        docs, clauses = self._native.label_texts(list(texts), None if headings is None else list(headings))
        return Run(_frame(docs), _frame(clauses))

    def label_to(
        self,
        paths: Union[PathLike, Iterable[PathLike]],
        out_dir: PathLike,
        *,
        kinds: Sequence[str] | None = None,
        overwrite: bool = False,
        progress: bool = False,
        chunk: int = 32,
        max_file_bytes: int | None = None,
    ) -> dict:
        """Label into the folder ``out_dir``: the same ``documents.parquet`` and
        ``clauses.parquet`` as ``policylens label``, committed as it goes, so an
        interrupted call resumes when called again. Returns the summary
        (documents, clauses, by_status, by_kind, failures, seconds, …)."""
        extra = {} if max_file_bytes is None else {"max_file_bytes": max_file_bytes}
        return self._native.label_to(
            _paths(paths),
            os.fspath(out_dir),
            kinds=list(kinds or []),
            overwrite=overwrite,
            progress=progress,
            chunk=chunk,
            **extra,
        )

    def __repr__(self) -> str:
        return f"Labeler(model_id={self.model_id!r}, model_dir={str(self.model_dir)!r})"


def segment(path: PathLike) -> pl.DataFrame:
    """Read one file and cut it into clauses, without a model: ``doc_id``,
    ``position``, ``heading``, ``text``, ``char_start``, ``char_end``."""
    return _frame(_native.segment(os.fspath(path)))
