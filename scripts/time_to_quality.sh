#!/usr/bin/env bash
# Time to quality (issue 18): trains in segments that end at the given wall-clock minutes
# (SIGUSR1 at each mark: the preemption path, so every mark is a committed checkpoint and the
# next segment resumes it exactly), and scores each mark's checkpoint on a fixed subset of the
# test split. Evaluation time is not training time.
#
#   scripts/time_to_quality.sh OUT RANKS "5 10 20" [train flags...]
#
# RANKS 1 runs the binary directly (pinned to CPU 0 when PIN=1); more go through
# launch/local.sh. Environment: HM_DIST (binary; default the release build), EVAL_SUBSET (test
# images per mark, a fixed random subset: eval --subset; default 2000), EVAL_K (importance samples, default 5000), EVAL_THREADS
# (default 2), FULL=1 to score all 10,000 test images at the last mark too.
# Writes OUT/marks.jsonl: one {"minutes", "seconds", "step", "test_ll", "images", "k"} per mark.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out=${1:?usage: time_to_quality.sh OUT RANKS "MINUTES…" [train flags…]}; ranks=${2:?ranks}; marks=${3:?minutes}
shift 3
bin=${HM_DIST:-$here/.build/release/hm-dist}
subset=${EVAL_SUBSET:-2000}; k=${EVAL_K:-5000}; threads=${EVAL_THREADS:-2}
mkdir -p "$out"
run=("$bin")
[ "$ranks" -gt 1 ] && run=(env HM_DIST="$bin" "$here/launch/local.sh" "$ranks")
[ "$ranks" -eq 1 ] && [ "${PIN:-0}" = 1 ] && run=(taskset -c 0 "$bin")
trained=0; previous=0; : > "$out/marks.jsonl"
for m in $marks; do
    budget=$(( (m - previous) * 60 )); previous=$m
    t0=$(date +%s.%N)
    set +e
    timeout -s USR1 -k 60 "$budget" "${run[@]}" train --run-dir "$out/run" --resume auto "$@" >> "$out/train.log" 2>&1
    status=$?
    set -e
    t1=$(date +%s.%N)
    trained=$(python3 -c "print($trained + $t1 - $t0)")
    case $status in 0|75|124) ;; *) echo "train ended with status $status (see $out/train.log)" >&2; exit 1 ;; esac
    "$bin" eval --checkpoint "$out/run" --split test --samples "$k" --subset "$subset" --threads "$threads" --json > "$out/mark-$m.json"
    read -r step ll < <(python3 -c "import json;e=json.load(open('$out/mark-$m.json'));print(e['step'],e['log_likelihood'])")
    echo "{\"minutes\": $m, \"seconds\": $trained, \"step\": $step, \"test_ll\": $ll, \"images\": $subset, \"k\": $k}" | tee -a "$out/marks.jsonl"
    [ "$status" = 0 ] && break    # the run reached its last step before the mark
done
if [ "${FULL:-0}" = 1 ]; then
    "$bin" eval --checkpoint "$out/run" --split test --samples "$k" --threads "$threads" --json > "$out/final-full.json"
    cat "$out/final-full.json"
fi
