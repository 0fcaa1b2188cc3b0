#!/usr/bin/env bash
# CPU throughput benchmark: policylens label vs PyTorch, ONNX Runtime (f32
# and dynamic int8), OpenVINO (f32, bf16, NNCF int8 with latency and
# throughput hints) and CTranslate2 (int8) on the OPP-115 test clauses, in
# one invocation.
#
#   scripts/bench/run.sh [MODE...]     # policylens modes: default (no flags), f32, int8, int8-avx512, int8-avx2-vnni, int8-avx2, f32-avx2;
#                                      # default: default f32
#
# Installs the peers from PyPI into target/bench/venv, builds policylens in
# release mode, exports the model to ONNX and quantizes it (ONNX Runtime,
# NNCF on 300 OPP-115 training clauses), converts it for CTranslate2, then prints
# a table (system, clauses/s, tokens/s, ratio to the best peer, peak RSS,
# macro-F1). Needs ../shared/data/opp115 and scripts/fetch-model.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=${BENCH_VENV:-target/bench/venv}  # BENCH_VENV: reuse a venv that has the pinned peers
mkdir -p target/bench
[ -f ../shared/data/opp115/splits/test.csv ] || { echo "bench: ../shared/data/opp115 is missing" >&2; exit 1; }
model=${BENCH_MODEL:-models/policylens-minilm-opp115}
# A head model needs its base encoder; a fine-tuned sequence classifier is whole.
[ -f "$model/config.json" ] || [ -f models/all-MiniLM-L6-v2/model.safetensors ] || { echo "bench: run scripts/fetch-model.sh first" >&2; exit 1; }
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check \
    torch==2.15.0 transformers==5.23.0 onnxruntime==1.32.0 onnx==1.23.2 \
    openvino==2026.4.1 nncf==3.4.0 ctranslate2==4.8.5 \
    safetensors tokenizers numpy polars
cargo build --release --quiet -p policylens
RAYON_NUM_THREADS=2 "$venv/bin/python" scripts/bench/bench.py target/release/policylens "$@"
