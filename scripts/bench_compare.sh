#!/usr/bin/env bash
# Two builds side by side in one run (issue 18): each configuration is run with the previous
# build and this one in turn, ROUNDS_OUTER times, so both see the same machine. Prints one
# line per run: build, configuration and the bench figures, then a table of the best of each.
#
#   scripts/bench_compare.sh PREVIOUS_BINARY [THIS_BINARY] > compare.jsonl
#
# Configurations: B1 and B3 on 1 rank (1 thread), 1 rank with 2 threads, 2 ranks unbound and
# 2 ranks bound to a core each; B1 with ws on 1 rank. STEPS (100), ROUNDS (5), ROUNDS_OUTER (2);
# CONFIGS="b1 1 1 core;b3 2 1 core" (workload ranks threads bind, ';' between) for fewer.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
before=${1:?usage: bench_compare.sh PREVIOUS_BINARY [THIS_BINARY]}
after=${2:-$here/.build/release/hm-dist}
steps=${STEPS:-100}; rounds=${ROUNDS:-5}; outer=${ROUNDS_OUTER:-2}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
configs=("b1 1 1 core" "b1 1 2 core" "b1 2 1 none" "b1 2 1 core" "b3 1 1 core" "b3 1 2 core" "b3 2 1 none" "b3 2 1 core" "b1-ws 1 1 core")
[ -n "${CONFIGS:-}" ] && IFS=';' read -r -a configs <<< "$CONFIGS"
for round in $(seq "$outer"); do
    for c in "${configs[@]}"; do
        read -r w n t bind <<< "$c"
        [ -n "$bind" ] || { echo "bench_compare.sh: configuration '$c': expected WORKLOAD RANKS THREADS BIND" >&2; exit 2; }
        extra=(); workload=$w
        [ "$w" = b1-ws ] && { workload=b1; extra=(--algorithm ws); }
        for build in before after; do
            bin=$before; [ $build = after ] && bin=$after
            json=$(HM_DIST=$bin HM_DIST_BIND=$bind "$here/launch/local.sh" "$n" bench --workload "$workload" "${extra[@]}" \
                --threads "$t" --steps "$steps" --rounds "$rounds" --json | tail -n 1)
            echo "{\"build\": \"$build\", \"config\": \"$w ranks=$n threads=$t bind=$bind\", \"bench\": $json}" | tee -a "$out"
        done
    done
done
python3 - "$out" <<'PY'
import json, sys
best = {}
for line in open(sys.argv[1]):
    r = json.loads(line); b = r["bench"]; key = (r["config"], r["build"])
    if key not in best or b["points_per_second"] > best[key]["points_per_second"]: best[key] = b
configs = list(dict.fromkeys(k[0] for k in best))
print("| configuration | previous build, points/s | this build, points/s | change | fraction of the fp32 GEMM bound (this build) | waiting (this build) |")
print("|---|---|---|---|---|---|")
for c in configs:
    a, b = best.get((c, "before")), best.get((c, "after"))
    if not a or not b: continue
    print(f"| {c} | {a['points_per_second']:,.0f} | {b['points_per_second']:,.0f} | {b['points_per_second'] / a['points_per_second']:.3f}× "
          f"| {b['fraction_of_gemm_bound']:.3f} | {100 * b.get('comm_wait_fraction', 0):.1f} % |")
PY
