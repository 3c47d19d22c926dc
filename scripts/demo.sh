#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, builds release, trains a
# Helmholtz machine with reweighted wake-sleep on the built-in 8×8 digits with two MPI ranks
# (`mpirun -n 2 hm-dist train`, about a minute), prints the held-out log-likelihood and
# writes a PNG of samples.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release
bin=.build/release/hm-dist
run=${1:-runs/demo}
rm -rf "$run"
launch/local.sh 2 train --config cluster-configs/digits-demo.yaml --run-dir "$run"
"$bin" eval --checkpoint "$run" --split test --samples 1000
"$bin" sample --checkpoint "$run" --count 100 --out "$run/samples.png"
