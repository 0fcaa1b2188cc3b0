#!/usr/bin/env bash
# A CUDA compiler and headers from PyPI (no driver, no GPU needed), for
# compile-only CUDA builds: installs the pinned NVIDIA wheels into a venv
# under target/cuda-toolkit and prints the environment a build needs.
#
#   eval "$(scripts/cuda/toolkit.sh)"    # then: cargo check -p policylens --features cuda
#
# cudarc 0.19 (candle's CUDA bindings) knows CUDA up to 13.4, so the
# compiler is pinned there; CCCL (nv/target, libcu++) ships separately.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
venv=target/cuda-toolkit/venv
if [ "$("$venv/bin/python" -c 'import sys; print(sys.prefix)' 2>/dev/null)" != "$root/$venv" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    nvidia-cuda-nvcc==13.4.92 nvidia-cuda-runtime==13.4.92 nvidia-cuda-crt==13.4.92 \
    nvidia-nvvm==13.4.92 nvidia-cuda-cccl==13.3.5.0.6 >&2
cuda=$("$venv/bin/python" -c 'import nvidia, os; print(os.path.join(nvidia.__path__[0], "cu13"))')
"$cuda/bin/nvcc" --version | tail -1 >&2
# No GPU to ask: build the kernels for Ampere (sm_80) unless told otherwise.
echo "export CUDA_ROOT='$cuda' PATH='$cuda/bin':\"\$PATH\" CUDA_COMPUTE_CAP=${CUDA_COMPUTE_CAP:-80}"
