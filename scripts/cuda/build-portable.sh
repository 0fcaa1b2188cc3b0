#!/usr/bin/env bash
# The `cuda` release binary built on a machine with no GPU and no driver,
# to be carried to one that has them (a cluster's login node builds, its
# GPU nodes run):
#
#   CUDA_COMPUTE_CAP=90 scripts/cuda/build-portable.sh
#   # -> target/cuda-portable/release/policylens (stripped)
#
# CUDA 13.0 from PyPI, so the kernels' PTX loads on any driver from R580 on
# (a newer compiler writes PTX an older driver refuses). The binary is
# linked against PyPI's cuBLAS, cuRAND and CUDA runtime and against a stub
# libcuda.so.1 made here from the driver functions cudarc declares; where it
# runs, the driver's own libcuda.so.1 is loaded, and LD_LIBRARY_PATH must
# find libcublas.so.13, libcublasLt.so.13, libcurand.so.10 and
# libcudart.so.13 (e.g. PyTorch's `nvidia/cu13/lib`). Then
# `scripts/cuda/gpu-check.sh target/cuda-portable/release/policylens`.
# Measured on an H200 (2026-12-04): docs/benchmarks.md, "GPU".
set -euo pipefail
cd "$(dirname "$0")/../.."
eval "$(CUDA_TOOLKIT=13.0 CUDA_LINK=1 scripts/cuda/toolkit.sh)"
cargo build --release -p policylens --features cuda --target-dir target/cuda-portable
bin=target/cuda-portable/release/policylens
strip "$bin"
readelf -d "$bin" | grep NEEDED
ls -la "$bin"
