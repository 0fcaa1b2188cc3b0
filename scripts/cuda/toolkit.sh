#!/usr/bin/env bash
# A CUDA compiler and headers from PyPI (no driver, no GPU needed), for
# compile-only CUDA builds: installs the pinned NVIDIA wheels into a venv
# under target/cuda-toolkit and prints the environment a build needs.
#
#   eval "$(scripts/cuda/toolkit.sh)"    # then: cargo check -p policylens --features cuda
#
# cudarc 0.19 (candle's CUDA bindings) knows CUDA up to 13.4, so the
# compiler is pinned there; CCCL (nv/target, libcu++) ships separately.
# CUDA_TOOLKIT=13.0 CUDA_LINK=1: the toolkit a binary to carry to a GPU
# machine is linked with (scripts/cuda/build-portable.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
# CUDA_TOOLKIT=13.0 pins the oldest CUDA 13 (PTX any R580+ driver loads);
# CUDA_LINK=1 also brings what linking needs (scripts/cuda/build-portable.sh).
case "${CUDA_TOOLKIT:-13.4}" in
    13.4)
        venv=target/cuda-toolkit/venv
        pins="nvidia-cuda-nvcc==13.4.92 nvidia-cuda-runtime==13.4.92 nvidia-cuda-crt==13.4.92
              nvidia-nvvm==13.4.92 nvidia-cuda-cccl==13.3.5.0.6"
        libs="" ;;
    13.0)
        venv=target/cuda-toolkit-13.0/venv
        pins="nvidia-cuda-nvcc==13.0.88 nvidia-cuda-runtime==13.0.96 nvidia-cuda-crt==13.0.88
              nvidia-nvvm==13.0.88 nvidia-cuda-cccl==13.0.85"
        libs="nvidia-cublas==13.0.2.14 nvidia-curand==10.4.0.35 nvidia-cuda-nvrtc==13.0.88" ;;
    *) echo "CUDA_TOOLKIT: 13.4 or 13.0" >&2; exit 2 ;;
esac
if [ "${CUDA_LINK:-0}" != 1 ]; then
    libs=""
elif [ -z "$libs" ]; then
    echo "CUDA_LINK=1 is pinned for CUDA_TOOLKIT=13.0 only" >&2; exit 2
fi
if [ "$("$venv/bin/python" -c 'import sys; print(sys.prefix)' 2>/dev/null)" != "$root/$venv" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
fi
# shellcheck disable=SC2086
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check $pins $libs >&2
cuda=$("$venv/bin/python" -c 'import nvidia, os; print(os.path.join(nvidia.__path__[0], "cu13"))')
"$cuda/bin/nvcc" --version | tail -1 >&2
if [ -n "$libs" ]; then
    # The linker looks for unversioned names, and for libcuda, which only a
    # driver installs: a stub with every driver function cudarc declares
    # (cudarc's build script searches CUDA_ROOT/lib/stubs).
    for l in libcublas.so.13 libcublasLt.so.13 libcurand.so.10 libcudart.so.13 libnvrtc.so.13; do
        ln -sf "$l" "$cuda/lib/${l%%.so.*}.so"
    done
    cargo fetch --quiet >&2
    decls=$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/cudarc-0.19.*/src/driver/sys/mod.rs | tail -1)
    mkdir -p "$cuda/lib/stubs"
    grep -oE '^\s+fn cu[A-Za-z0-9_]+\(' "$decls" | sed -E 's/\s+fn //; s/\(//' | sort -u |
        awk '{print "void " $1 "(void) {}"}' > "$cuda/lib/stubs/libcuda.c"
    cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$cuda/lib/stubs/libcuda.so" "$cuda/lib/stubs/libcuda.c"
fi
# No GPU to ask: build the kernels for Ampere (sm_80) unless told otherwise.
echo "export CUDA_ROOT='$cuda' PATH='$cuda/bin':\"\$PATH\" CUDA_COMPUTE_CAP=${CUDA_COMPUTE_CAP:-80}"
