#!/usr/bin/env bash
# Runs hm-dist on this machine with N MPI ranks: launch/local.sh N train [flags...]
# Adds mpirun's root and oversubscribe flags only when they are needed, and one BLAS thread
# per rank unless OPENBLAS_NUM_THREADS is set. Each rank is bound to as many cores of its own
# as it has threads (hm-dist's --threads, else OPENBLAS_NUM_THREADS), so ranks do not migrate
# onto each other's cores; HM_DIST_BIND=none turns that off, and more threads than cores are
# never bound (they must share).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
n=${1:?usage: launch/local.sh N train [flags...]}
shift
bin=${HM_DIST:-$here/.build/release/hm-dist}
[ -x "$bin" ] || { echo "error: $bin not built (swift build -c release)" >&2; exit 1; }
flags=()
[ "$(id -u)" -eq 0 ] && flags+=(--allow-run-as-root)
cores=$(nproc)
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
threads=$OPENBLAS_NUM_THREADS
args=("$@")
for i in "${!args[@]}"; do [ "${args[$i]}" = --threads ] && threads=${args[$((i + 1))]:-1}; done
if [ $(( n * threads )) -gt "$cores" ] || [ "${HM_DIST_BIND:-core}" = none ]; then
    [ $(( n * threads )) -gt "$cores" ] && flags+=(--oversubscribe)
    flags+=(--bind-to none)
else
    flags+=(--map-by "slot:PE=$threads" --bind-to core)
fi
exec mpirun -n "$n" "${flags[@]}" -x OPENBLAS_NUM_THREADS "$bin" "$@"
