"""Type stubs of the Rust extension behind ``policylens`` (crates/python/src)."""

from os import PathLike
from typing import Sequence

__version__: str

class PolicyLensError(Exception):
    """An error from PolicyLens: a model that does not load, an output folder
    held by another job, a run that stopped. The message names the file."""

class Table:
    """A table as Arrow record batches (``__arrow_c_stream__``)."""

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...
    def __len__(self) -> int: ...
    @property
    def columns(self) -> list[str]: ...

class Labeler:
    def __init__(
        self,
        model: str | None = None,
        precision: str = "auto",
        device: str = "cpu",
        batch_size: int = 32,
        threads: int | None = None,
    ) -> None: ...
    @property
    def model_id(self) -> str: ...
    @property
    def labels(self) -> list[str]: ...
    @property
    def model_dir(self) -> str: ...
    def label_to(
        self,
        paths: Sequence[str],
        out_dir: str,
        *,
        kinds: Sequence[str] | None = None,
        overwrite: bool = False,
        progress: bool = False,
        chunk: int = 32,
        max_file_bytes: int = ...,
    ) -> dict: ...
    def label_files(
        self, paths: Sequence[str], *, kinds: Sequence[str] | None = None, max_file_bytes: int = ...
    ) -> tuple[Table, Table]: ...
    def label_texts(
        self, texts: Sequence[str], headings: Sequence[str | None] | None = None
    ) -> tuple[Table, Table]: ...

def segment(path: str | PathLike[str]) -> Table: ...
def default_labels() -> list[str]: ...
