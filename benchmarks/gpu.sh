#!/usr/bin/env bash
# The `full` benchmark suite on a GPU machine: install with the CUDA plugin and the plotting
# extra, print the environment, run (or resume) the suite into bench-results/full.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python -m pip install --progress-bar off ".[gpu,bench]"
qinspired info
qinspired bench --suite full --out "${1:-bench-results/full}"
