#!/usr/bin/env bash
# CI, without a GPU: the `cuda` feature compiles (candle's CUDA kernels to
# PTX with the PyPI compiler, our crates type-checked against candle's CUDA
# backend). Separate target dir, so the test build's artefacts stay as they are.
set -euo pipefail
cd "$(dirname "$0")/../.."
eval "$(scripts/cuda/toolkit.sh)"
start=$(date +%s)
cargo check --quiet -p policylens --features cuda --target-dir target/cuda-check
echo "cuda feature: checked in $(( $(date +%s) - start ))s"
