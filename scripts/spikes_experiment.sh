#!/usr/bin/env bash
# Recovery of planted spike patterns (RESULTS.md): grow a machine on spikes-synth data, read
# its units with `hm-dist patterns`, match them to the ground truth (scripts/spikes_match.py);
# with nothing planted too. One JSON object per line on stdout.
#   scripts/spikes_experiment.sh small|realistic [RANKS]
# STEPS: steps per growth stage; SPADE=1: also SPADE (elephant) on the same spikes, SURROGATES (100),
# SPADE_TIMEOUT (seconds, 1800)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product hm-dist >/dev/null
bin=.build/release/hm-dist
ranks=${2:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
case $1 in
  small)     spec="channels=8,patterns=3,size=3,span=1,pattern-rate=2,rate=5,duration=300,seed=1"
             background="channels=8,patterns=0,span=1,rate=5,duration=300,seed=1"
             train=(--window 1 --layers 8,8 --steps ${STEPS:-4000} --lr 0.01 --grow-threshold 0.002) ;;
  realistic) spec="channels=100,patterns=10,size=3,4,4,5,5,6,6,7,7,8,span=1,pattern-rate=0.5,1,1.5,2,2.5,3,0.5,1,1.5,2,rate=5,duration=600,seed=1"
             background="channels=100,patterns=0,span=1,rate=5,duration=600,seed=1"
             train=(--window 1 --layers 100,16 --steps ${STEPS:-3000} --lr 0.01 --grow-threshold 0.002) ;;
  *) echo "expected small or realistic, found $1" >&2; exit 2 ;;
esac
for kind in planted background; do
  s=$spec; [ $kind = background ] && s=$background
  "$bin" spikes-synth "$s" --out "$work/$kind-truth" >/dev/null
  start=$(date +%s.%N)
  if [ "$ranks" = 1 ]; then
    "$bin" train --data "spikes-synth:$s" "${train[@]}" --grow --log-every 100000 --run-dir "$work/$kind" >/dev/null
  else
    launch/local.sh "$ranks" train --data "spikes-synth:$s" "${train[@]}" --grow --log-every 100000 --run-dir "$work/$kind" >/dev/null
  fi
  seconds=$(echo "$(date +%s.%N) - $start" | bc)
  "$bin" patterns --checkpoint "$work/$kind" --json > "$work/$kind-patterns.json"
  match=$(python3 scripts/spikes_match.py "$work/$kind-truth/truth.json" "$work/$kind-patterns.json")
  echo "{\"experiment\": \"$1\", \"method\": \"hm-dist\", \"data\": \"$kind\", \"ranks\": $ranks, \"seconds\": $seconds, \"match\": $match}"
  if [ "${SPADE:-0}" = 1 ]; then
    timing=$(timeout "${SPADE_TIMEOUT:-1800}" python3 scripts/spade_baseline.py "$work/$kind-truth/spikes.csv" "$work/$kind-spade.json" \
               --surrogates "${SURROGATES:-100}" 2>/dev/null | tail -1) || { timing='{"timed_out": true}'; echo '[]' > "$work/$kind-spade.json"; }
    match=$(python3 scripts/spikes_match.py "$work/$kind-truth/truth.json" "$work/$kind-spade.json" --spade)
    echo "{\"experiment\": \"$1\", \"method\": \"spade\", \"data\": \"$kind\", \"spade\": $timing, \"match\": $match}"
  fi
done
