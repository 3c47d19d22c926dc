#!/usr/bin/env bash
# Goal-seeded generation (Li 2025; RESULTS.md): goal-conditioned rws without cycles and with
# 1, 2, 4 cycles against plain rws of the same size, on labelled binary images. For each
# model: the test log-likelihood (K = 5000, the goal summed out), the accuracy of q(g | x) on
# the test split, and with CLASSIFIER the goal-recovery rate: the fraction of `sample --goal k`
# outputs (thresholded means) that the classifier assigns to k. One JSON object per line.
#   DATA (required), WIDTH (784: the data's pixels), HIDDEN (200), GOALS (10), EPOCHS (20), ARMS ("plain goal-0 goal-1 goal-2 goal-4"),
#   SEED (1), RUNS (keeps the runs; default temporary), EVAL_LIMIT (test points of the K = 5000
#   estimate; default all), CLASSIFIER (a classifier file), PER_GOAL (100), EXTRA (train flags)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release >/dev/null
bin=.build/release/hm-dist
: "${DATA:?DATA=SPEC is required}"
hidden=${HIDDEN:-200}
goals=${GOALS:-10}
epochs=${EPOCHS:-20}
arms=${ARMS:-plain goal-0 goal-1 goal-2 goal-4}
seed=${SEED:-1}
per=${PER_GOAL:-100}
read -r -a extra <<< "${EXTRA:-}"
if [[ -n "${RUNS:-}" ]]; then runs=$RUNS; mkdir -p "$runs"; else runs=$(mktemp -d); trap 'rm -rf "$runs"' EXIT; fi
limit=()
[[ -n "${EVAL_LIMIT:-}" ]] && limit=(--limit "$EVAL_LIMIT")
width=${WIDTH:-784}
for arm in $arms; do
  case $arm in
    plain) layers="$width,$hidden,$goals"; flags=() ;;
    goal-*) layers="$width,$hidden,$goals:categorical"; flags=(--goal-cycles "${arm#goal-}") ;;
    *) echo "unknown arm $arm" >&2; exit 2 ;;
  esac
  dir=$runs/$arm-$seed
  if [[ ! -f $dir/train.json ]]; then
    rm -rf "$dir"
    start=$(date +%s.%N)
    "$bin" train --data "$DATA" --layers "$layers" --algorithm rws --epochs "$epochs" --seed "$seed" --log-every 1000 \
      "${flags[@]}" "${extra[@]}" --run-dir "$dir" >/dev/null
    echo "{\"train_seconds\": $(echo "$(date +%s.%N) - $start" | bc)}" > "$dir/train.json"
  fi
  goalflags=()
  [[ $arm == goal-* ]] && goalflags=(--goal-accuracy)
  ll=$("$bin" eval --checkpoint "$dir" --split test --samples 5000 "${limit[@]}" --seed 7 "${goalflags[@]}" --json)
  recovery=null
  if [[ -n "${CLASSIFIER:-}" && $arm == goal-* ]]; then
    rates=()
    for k in $(seq 0 $((goals - 1))); do
      "$bin" sample --checkpoint "$dir" --goal "$k" --count "$per" --visible threshold --format idx --out "$dir/goal-$k.idx" --seed 3 >/dev/null
      q=$("$bin" quality --samples-file "$dir/goal-$k.idx" --data "$DATA" --classifier "$CLASSIFIER" --json)
      rates+=("$(python3 -c "import json,sys; q=json.loads(sys.argv[1]); print(q['label_histogram'][$k] / q['count'])" "$q")")
    done
    recovery="[$(IFS=,; echo "${rates[*]}")]"
  fi
  echo "{\"arm\": \"$arm\", \"layers\": \"$layers\", \"seed\": $seed, \"train\": $(cat "$dir/train.json"), \"eval\": $ll, \"goal_recovery\": $recovery}"
done
