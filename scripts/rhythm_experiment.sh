#!/usr/bin/env bash
# The free-energy rhythm experiment (Liu 2023; RESULTS.md): for each seed, stage I (ordinary
# wake-sleep in the paper's setting) and stage II (active sampling from it, with the paper's
# lax checker and with the strict rules), then every model scored by both rules with
# stochastic and with thresholded visible units. One JSON object per line on stdout; the
# table by scripts/rhythm_table.py.
#   SEEDS (default 10), SEED_FIRST (1), SAMPLES (5000), STAGE2_STEPS (25000), STAGE2_LR (0.01),
#   STAGE2_RULES ("rhythm10-lax rhythm10"), STAGE2_EXTRA (more train flags for stage II, e.g. "--algorithm rws --samples 20")
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release >/dev/null
bin=.build/release/hm-dist
seeds=${SEEDS:-10}
samples=${SAMPLES:-5000}
steps=${STAGE2_STEPS:-25000}
lr2=${STAGE2_LR:-0.01}
first=${SEED_FIRST:-1}
rules2=${STAGE2_RULES:-rhythm10-lax rhythm10}
read -r -a extra2 <<< "${STAGE2_EXTRA:-}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
paper=(--data rhythm10 --layers 10,8,5,3 --states pm1 --algorithm ws --batch 1 --optimizer sgd --momentum 0
       --log-every 1000000)
for s in $(seq "$first" $((first + seeds - 1))); do
  "$bin" train "${paper[@]}" --lr 0.01 --init zero --epochs 100 --seed "$s" --run-dir "$work/$s-I" >/dev/null
  for rule in $rules2; do
    "$bin" train "${paper[@]}" --init-from "$work/$s-I" --active-sampling "$rule" --steps "$steps" --lr "$lr2" --seed "$s" \
      "${extra2[@]}" --run-dir "$work/$s-II-$rule" >/dev/null
  done
  for stage in I $(for r in $rules2; do echo "II-$r"; done); do
    for visible in sample threshold; do
      for rule in rhythm10-lax rhythm10; do
        r=$("$bin" sample --checkpoint "$work/$s-$stage" --count "$samples" --format text --out /dev/null \
              --visible "$visible" --rule "$rule" --seed "$((1000 + s))" --json)
        echo "{\"seed\": $s, \"stage\": \"$stage\", \"score\": $r}"
      done
    done
  done
done
