#!/usr/bin/env bash
# Scaling benchmark of policylens.ray (see scripts/bench-ray.py), with the
# repository's venv (target/python/venv) and its package on PYTHONPATH.
#
#   scripts/bench-ray.sh [--repeats 3] [--shards 16] [--inputs DIR] ...
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${POLICYLENS_VENV:-target/python/venv}
[ -x "$venv/bin/python" ] || { echo "bench-ray: $venv is missing: see crates/python/requirements.txt" >&2; exit 1; }
[ -x target/release/policylens ] || cargo build --release --quiet -p policylens
export PYTHONPATH="$PWD/crates/python/python${PYTHONPATH:+:$PYTHONPATH}"
exec "$venv/bin/python" scripts/bench-ray.py "$@"
