#!/usr/bin/env bash
# Execute notebooks/analysis.ipynb headless and check the Parquet column types
# from Python. Fails if any notebook cell raises.
#
#   scripts/ci-notebook.sh            # venv in target/python/venv
#
# The notebook labels through the `policylens` package (crates/python,
# built here with `maturin develop` into the venv scripts/python-tests.sh
# uses); the Parquet type checks read a run of the debug binary (or of
# POLICYLENS_BIN). Both use the fetched default model. The executed notebook and its figures are written
# to target/notebook/ as artefacts.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
nb_dir=target/notebook
venv=target/python/venv
mkdir -p "$nb_dir"

if [ ! -f models/policylens-minilm-opp115/model.safetensors ]; then
    echo "ci-notebook: the default model's weights are missing (models/policylens-minilm-opp115)" >&2
    exit 1
fi
# A venv is not relocatable: make a new one if this one was moved or broken.
if [ "$("$venv/bin/python" -c 'import sys; print(sys.prefix)' 2>/dev/null)" != "$root/$venv" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r notebooks/requirements.txt -r crates/python/requirements.txt
# crates/python is a workspace of its own; building it into the main target
# folder reuses every dependency compiled there with the same features.
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
CARGO_TARGET_DIR=$target VIRTUAL_ENV=$root/$venv "$venv/bin/maturin" develop --quiet -m crates/python/Cargo.toml
# POLICYLENS_BIN: a policylens binary to use instead of building one.
bin=${POLICYLENS_BIN:-}
if [ -z "$bin" ]; then
    # Same feature resolution as `cargo test --workspace`: nothing is rebuilt after it.
    cargo build --quiet --workspace --bins --examples
    bin=$target/debug/policylens
fi

echo "== Parquet types, read by pyarrow and DuckDB (bundled examples)"
"$bin" label datasets/examples -o "$nb_dir/examples" --quiet
POLICYLENS_RUN="$nb_dir/examples" "$venv/bin/python" tests/python/test_parquet_types.py

echo "== notebooks/analysis.ipynb"
start=$(date +%s)
POLICYLENS_BIN="$bin" "$venv/bin/python" - <<'PY'
import sys
import nbformat
from nbclient import NotebookClient

nb = nbformat.read("notebooks/analysis.ipynb", as_version=4)
client = NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": "notebooks"}})
try:
    client.execute()
finally:
    nbformat.write(nb, "target/notebook/analysis.executed.ipynb")
errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
if errors:
    sys.exit(f"notebook cells raised: {[e['ename'] for e in errors]}")
print(f"executed {sum(c.cell_type == 'code' for c in nb.cells)} code cells -> target/notebook/analysis.executed.ipynb")
PY
echo "notebook run time: $(( $(date +%s) - start ))s (figures in $nb_dir/figures)"
