#!/usr/bin/env bash
# The ddc comparison of RESULTS.md: ddc against ws, rws and nrws on one experiment, each run
# checkpointed along the way and every checkpoint scored afterwards. One JSON object per
# line on stdout (experiment, algorithm, step, seconds of training so far, the scores);
# figures by scripts/ddc_curves.py.
#   scripts/ddc_experiments.sh synthetic DIR          # DIR made by scripts/ddc_synthetic.py
#   scripts/ddc_experiments.sh patches FILE           # natural 8x8 patches, float IDX
#   scripts/ddc_experiments.sh mnist DIR              # binarized MNIST directory
# STEPS, EVERY (checkpoint interval), ALGOS (default "ddc ws rws nrws"), DREAMS (1000), SEED (1)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product hm-dist >/dev/null
bin=.build/release/hm-dist
exp=$1 data=$2
algos=${ALGOS:-ddc ws rws nrws}
dreams=${DREAMS:-1000}
seed=${SEED:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
case $exp in
  synthetic) layers=8:gaussian,4,3:categorical; steps=${STEPS:-10000}; every=${EVERY:-1000}; extra=(--lr 0.003)
             score=(--exact --split test); k1=(--split test); fit=2000 ;;
  patches)   layers=64:gaussian,100,50; steps=${STEPS:-5000}; every=${EVERY:-1000}; extra=(--standardize --lr 0.001)
             score=(--split valid --limit 1000 --samples 100); k1=(--split valid --limit 1000); fit=2000 ;;
  mnist)     layers=784,200,200,10; steps=${STEPS:-3000}; every=${EVERY:-500}; extra=(--lr 0.001)
             score=(--split test --limit 1000 --samples 100); k1=(--split test --limit 1000); fit=2000 ;;
  *) echo "expected synthetic, patches or mnist, found $exp" >&2; exit 2 ;;
esac
for algo in $algos; do
  run=$work/$algo
  "$bin" train --data "$data" --layers "$layers" --algorithm "$algo" --batch 100 --dreams "$dreams" --steps "$steps" \
    --seed "$seed" "${extra[@]}" --log-every "$every" --checkpoint-every "$every" --keep 1000 --eval-every 0 \
    --run-dir "$run" >/dev/null
  for ckpt in "$run"/checkpoints/step-*; do
    step=$((10#${ckpt##*step-}))
    seconds=$(python3 -c "import json,sys
for l in open('$run/metrics.jsonl'):
    r=json.loads(l)
    if r.get('step')==$step and 'points_per_second' in r: print(r['time'])" | tail -1)
    # ddc trains no q: its importance-sampled figures use a q fitted afterwards (a lower bound).
    q=(); [ "$algo" = ddc ] && q=(--fit-recognition "$fit" --fit-lr 0.003)
    qll=("${q[@]}"); [ "$exp" = synthetic ] && qll=()
    ll=$("$bin" eval --checkpoint "$ckpt" "${score[@]}" "${qll[@]}" --mmd 1000 --json)
    elbo=$("$bin" eval --checkpoint "$ckpt" "${k1[@]}" --samples 1 "${q[@]}" --json)
    echo "{\"experiment\": \"$exp\", \"algorithm\": \"$algo\", \"step\": $step, \"seconds\": ${seconds:-null}, \"eval\": $ll, \"bound_k1\": $elbo}"
  done
done
