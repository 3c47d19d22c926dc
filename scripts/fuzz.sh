#!/usr/bin/env bash
# Fuzzes every reader of outside bytes with libFuzzer (Fuzz/, a package of its own; not part
# of scripts/test.sh):
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET…]      default 60 s, every target
#
# Targets: FuzzIDX FuzzGzip FuzzConfig FuzzManifest FuzzSafetensors FuzzZstd. Builds them in
# release with AddressSanitizer and libFuzzer, runs each for SECONDS_PER_TARGET
# (-max_total_time) from its seeds (Fuzz/Corpus/<target>) and prints, per target, the inputs
# run (libFuzzer's stat::number_of_executed_units) and whether a crash was found. Exit status
# 1 when any target crashed; the crashing input is in the artifacts directory named.
#
# Environment: FUZZ_BUILD_DIR, the scratch path of the build, the corpora it grows and the
# artifacts (default .build-fuzz); FUZZ_RUNS, stop a target after that many inputs (libFuzzer
# -runs) if its time is not up first; FUZZ_FLAGS, more libFuzzer flags.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_PER_TARGET=${1:-60}
shift $(( $# > 0 ? 1 : 0 ))
ALL=(FuzzIDX FuzzGzip FuzzConfig FuzzManifest FuzzSafetensors FuzzZstd)
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL[@]}")
BUILD=${FUZZ_BUILD_DIR:-.build-fuzz}
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)

# The fuzz package resolves the root package's dependencies at the versions the root pinned.
[ -f Fuzz/Package.resolved ] || [ ! -f Package.resolved ] || cp Package.resolved Fuzz/Package.resolved

# SwiftPM's --sanitize flags instrument the C targets and link libFuzzer, but reach swiftc as
# two -sanitize flags of which only the last counts (no coverage: libFuzzer would run blind);
# -Xswiftc -sanitize=fuzzer,address comes after them and gives Swift both. -enable-testing
# lets the targets reach internal readers (Gzip, Images) through @testable import.
swift build -c release --package-path Fuzz --scratch-path "$BUILD" \
    --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing \
    2>&1 | grep -v "ld.gold: warning: Cannot export local symbol" >&2

# Crashes are reported by libFuzzer and AddressSanitizer; the Swift backtracer would only get in the way.
export SWIFT_BACKTRACE=enable=no

declare -A DICTIONARY=([FuzzConfig]=yaml [FuzzManifest]=json [FuzzSafetensors]=json)
SUMMARY=()
STATUS=0
for target in "${TARGETS[@]}"; do
    [ -d "Fuzz/Sources/$target" ] || { echo "fuzz.sh: unknown target $target; expected one of ${ALL[*]}" >&2; exit 2; }
    corpus=$BUILD/corpus/$target
    artifacts=$BUILD/artifacts/$target
    log=$BUILD/logs/$target.log
    mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
    flags=(-max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 -timeout=10
           -rss_limit_mb=2048 -malloc_limit_mb=1024 -artifact_prefix="$artifacts/")
    [ -z "${FUZZ_RUNS:-}" ] || flags+=(-runs="$FUZZ_RUNS")
    [ -z "${DICTIONARY[$target]:-}" ] || flags+=(-dict="$ROOT/Fuzz/Dictionaries/${DICTIONARY[$target]}.dict")
    echo "== $target: ${SECONDS_PER_TARGET}s" >&2
    set +e
    # shellcheck disable=SC2086
    "$BUILD/release/$target" "${flags[@]}" ${FUZZ_FLAGS:-} "$corpus" "Fuzz/Corpus/$target" >"$log" 2>&1
    code=$?
    set -e
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    seconds=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
    if [ "$code" -eq 0 ]; then
        crash="no"
    else
        crash="YES ($(grep -m1 -o 'ERROR: libFuzzer: [a-z-]*\|ERROR: AddressSanitizer: [a-z-]*\|Fatal error: .*\|Test unit written to .*' "$log" | head -1); log $log)"
        STATUS=1
    fi
    SUMMARY+=("$(printf '%-16s %8s %12s  %s' "$target" "${seconds:-?}" "${runs:-?}" "$crash")")
done
printf '%-16s %8s %12s  %s\n' target seconds inputs crash
printf '%s\n' "${SUMMARY[@]}"
exit $STATUS
