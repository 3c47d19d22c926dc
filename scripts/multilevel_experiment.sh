#!/usr/bin/env bash
# Multilevel cues against plain training (Ramos et al.; RESULTS.md): deep sigmoid belief
# networks trained with and without cues, same steps, several seeds; each model's test
# log-likelihood (K = 5000) and, with CLASSIFIER, the sample-quality measures of `quality`.
# One JSON object per line on stdout; the table by scripts/multilevel_table.py.
#   DATA (required: a data spec), LAYERS (required), ALGORITHM (ws), EPOCHS (20), CUE_EPOCHS (10),
#   SEEDS (3), ARMS ("plain cue-mean cue-max"), RUNS (a directory that keeps the runs; default
#   temporary), EVAL_LIMIT (test points of the K = 5000 estimate; default all), SAMPLES (5000),
#   CLASSIFIER (a classifier file for `quality`), QUALITY_COUNT (1000), EXTRA (more train flags)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release >/dev/null
bin=.build/release/hm-dist
: "${DATA:?DATA=SPEC is required}" "${LAYERS:?LAYERS=784,196,49,16,4 is required}"
algorithm=${ALGORITHM:-ws}
epochs=${EPOCHS:-20}
cue_epochs=${CUE_EPOCHS:-10}
seeds=${SEEDS:-3}
arms=${ARMS:-plain cue-mean cue-max}
samples=${SAMPLES:-5000}
read -r -a extra <<< "${EXTRA:-}"
if [[ -n "${RUNS:-}" ]]; then runs=$RUNS; mkdir -p "$runs"; else runs=$(mktemp -d); trap 'rm -rf "$runs"' EXIT; fi
limit=()
[[ -n "${EVAL_LIMIT:-}" ]] && limit=(--limit "$EVAL_LIMIT")
for s in $(seq 1 "$seeds"); do
  for arm in $arms; do
    case $arm in
      plain) cues=() ;;
      cue-mean) cues=(--multilevel --multilevel-epochs "$cue_epochs" --multilevel-pool mean --multilevel-binarize sample) ;;
      cue-max) cues=(--multilevel --multilevel-epochs "$cue_epochs" --multilevel-pool max --multilevel-binarize threshold) ;;
      *) echo "unknown arm $arm" >&2; exit 2 ;;
    esac
    dir=$runs/$arm-$s
    if [[ ! -f $dir/train.json ]]; then
      rm -rf "$dir"
      start=$(date +%s.%N)
      "$bin" train --data "$DATA" --layers "$LAYERS" --algorithm "$algorithm" --epochs "$epochs" --seed "$s" \
        --log-every 1000 "${cues[@]}" "${extra[@]}" --run-dir "$dir" >/dev/null
      end=$(date +%s.%N)
      echo "{\"train_seconds\": $(echo "$end - $start" | bc)}" > "$dir/train.json"
    fi
    ll=$("$bin" eval --checkpoint "$dir" --split test --samples "$samples" "${limit[@]}" --seed 7 --json)
    quality=null
    if [[ -n "${CLASSIFIER:-}" ]]; then
      quality=$("$bin" quality --checkpoint "$dir" --count "${QUALITY_COUNT:-1000}" --classifier "$CLASSIFIER" --seed 11 --mmd --json)
    fi
    echo "{\"data\": \"$DATA\", \"layers\": \"$LAYERS\", \"arm\": \"$arm\", \"seed\": $s, \"train\": $(cat "$dir/train.json"), \"eval\": $ll, \"quality\": $quality}"
  done
done
