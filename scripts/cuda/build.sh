#!/usr/bin/env bash
# The release binary with the `cuda` feature, stripped, in
# target/cuda-release/release/policylens (uses the system CUDA compiler when
# there is one, else the PyPI one: scripts/cuda/toolkit.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v nvcc >/dev/null || eval "$(scripts/cuda/toolkit.sh)"
if command -v nvidia-smi >/dev/null && [ -z "${CUDA_COMPUTE_CAP:-}" ]; then
    export CUDA_COMPUTE_CAP=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d .)
fi
cargo build --release -p policylens --features cuda --target-dir target/cuda-release
strip target/cuda-release/release/policylens
ls -la target/cuda-release/release/policylens
