#!/usr/bin/env bash
# Build the Python package (crates/python) into target/python/venv with
# `maturin develop` and run its tests: the Labeler against the CLI, and the
# Ray runner on a two-node loopback cluster (127.0.0.2, 127.0.0.3).
#
#   scripts/python-tests.sh [PYTEST ARGS...]
#
# The extension builds in the dev profile, whose dependencies are optimized,
# into the main target folder: it reuses what `cargo test --workspace`
# compiled, except the proc-macro users that pyo3's `syn` features change.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
venv=target/python/venv
# A venv is not relocatable: make a new one if this one was moved or broken.
if [ "$("$venv/bin/python" -c 'import sys; print(sys.prefix)' 2>/dev/null)" != "$root/$venv" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r crates/python/requirements.txt
# crates/python is a workspace of its own; building it into the main target
# folder reuses every dependency compiled there with the same features.
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
CARGO_TARGET_DIR=$target VIRTUAL_ENV=$root/$venv "$venv/bin/maturin" develop --quiet -m crates/python/Cargo.toml
# The CLI the tests compare with (built by `cargo test --workspace`).
if [ -z "${POLICYLENS_BIN:-}" ]; then
    # Same feature resolution as `cargo test --workspace`: nothing is rebuilt after it.
    cargo build --quiet --workspace --bins
    export POLICYLENS_BIN=$target/debug/policylens
fi
export RAY_USAGE_STATS_ENABLED=0
"$venv/bin/python" -m pytest -q crates/python/tests "$@"
