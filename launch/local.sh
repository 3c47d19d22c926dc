#!/usr/bin/env bash
# Runs hm-dist on this machine with N MPI ranks: launch/local.sh N train [flags...]
# Adds mpirun's root and oversubscribe flags only when they are needed, and one BLAS thread
# per rank unless OPENBLAS_NUM_THREADS is set.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
n=${1:?usage: launch/local.sh N train [flags...]}
shift
bin=${HM_DIST:-$here/.build/release/hm-dist}
[ -x "$bin" ] || { echo "error: $bin not built (swift build -c release)" >&2; exit 1; }
flags=()
[ "$(id -u)" -eq 0 ] && flags+=(--allow-run-as-root)
cores=$(nproc)
[ "$n" -gt "$cores" ] && flags+=(--oversubscribe)
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
exec mpirun -n "$n" "${flags[@]}" -x OPENBLAS_NUM_THREADS "$bin" "$@"
