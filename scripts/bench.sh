#!/usr/bin/env bash
# Every figure of BENCHMARKS.md, in one run (release build; best of the rounds each):
# B1 and B3 on 1 and 2 MPI ranks (one BLAS thread per rank) with a checkpoint save and
# resume each, B2 (nrws) on 1 and 2 ranks, B1 with ws, B1 with rws and ddc interleaved on 1
# and 2 ranks. Prints one JSON object per line.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release >/dev/null
bin=.build/release/hm-dist
steps=${STEPS:-100}
rounds=${ROUNDS:-5}
ckpt=$(mktemp -d)
trap 'rm -rf "$ckpt"' EXIT
for w in b1 b3; do
  for n in 1 2; do
    launch/local.sh "$n" bench --workload "$w" --steps "$steps" --rounds "$rounds" --checkpoint "$ckpt/$w-$n" --json
  done
done
for n in 1 2; do
  launch/local.sh "$n" bench --workload b2 --steps 50 --rounds 3 --json
done
"$bin" bench --workload b1 --algorithm ws --steps "$steps" --rounds "$rounds" --json
for n in 1 2; do
  for a in rws ddc; do
    launch/local.sh "$n" bench --workload b1 --algorithm "$a" --steps 50 --rounds "$rounds" --json
  done
done
