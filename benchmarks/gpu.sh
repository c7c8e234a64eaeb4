#!/usr/bin/env bash
# The GPU run (benchmarks/gpu.py) on one GPU, in at most 8 minutes: states/s and the fraction
# of HBM bandwidth per qubit count, the Gram matrix at N = 10^4 against the measured GEMM peak,
# compile times and agreement with the CPU, in one JSON (argument 1, default
# gpu-results/gpu.json under the current directory; further arguments go to gpu.py).
# Needs qinspired's dependencies with JAX's CUDA plugin (pip install ".[gpu]"); the checkout
# itself is put on PYTHONPATH, so qinspired need not be installed.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-gpu-results/gpu.json}"
export PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}"
timeout 480 python "$repo/benchmarks/gpu.py" --out "$out" "${@:2}"
