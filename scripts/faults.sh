#!/usr/bin/env bash
# Fault campaign: kills, damaged checkpoints, a full disk and NaNs against hm-dist, every
# trial checked bit for bit against an uninterrupted run. Not part of scripts/test.sh.
#
#   scripts/faults.sh [--bin HM_DIST] [--trials N] [--seed S] [--work DIR] [--keep] [KIND[=N] ...]
#
# KIND (default: all): kill1, kill2 (kill = both), corrupt, disk, fsize, fsize-ignored, nan;
# KIND=N runs N trials of that kind instead of --trials (default 10). The binary is --bin,
# else $HM_DIST, else .build/release/hm-dist. Prints per kind: trials, passed, failed, then
# every failure with what failed; the exit status is 1 if any trial failed. Failed trials'
# directories are kept under the work directory (a fresh temporary one unless --work).
# `disk` needs `mount -t tmpfs` (root); it is skipped, and said so, when mounting fails.
# What each kind does and checks is written down in RELIABILITY.md.
set -uo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
helper="$here/scripts/faults_helper.py"
bin=${HM_DIST:-$here/.build/release/hm-dist}
trials=10 seed=1 work="" keep=0 kinds=()
while [ $# -gt 0 ]; do
    case "$1" in
        --bin) bin=$2; shift 2 ;;
        --trials) trials=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "faults.sh: unknown option $1" >&2; exit 2 ;;
        *) kinds+=("$1"); shift ;;
    esac
done
[ ${#kinds[@]} -eq 0 ] && kinds=(kill1 kill2 corrupt disk fsize fsize-ignored nan)
[ -x "$bin" ] || { echo "faults.sh: $bin is not an executable (--bin or HM_DIST)" >&2; exit 2; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
if [ -z "$work" ]; then work=$(mktemp -d); else mkdir -p "$work"; fi
work=$(cd "$work" && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=1
unset HM_DIST_FAULT

# Small runs: the 8x8 digits, 64-20-10, batch 20, a tiny held-out estimate at the end.
COMMON=(--data digits --layers 64,20,10 --batch 20 --keep 3 --log-every 1000 --eval-samples 5)

declare -A total passed notes secs
order=()
failures="$work/failures.txt"
: > "$failures"

rnd() { echo $(( (RANDOM * 32768 + RANDOM) % $1 )); }         # 0 <= n < $1
pick() { local a=("$@"); echo "${a[$(rnd ${#a[@]})]}"; }
note() { notes[$1]="${notes[$1]:-} $2"; }                     # counters per kind: note kind key

# train RANKS ARGS...: one rank directly, two under mpirun (launch/local.sh).
train() {
    local ranks=$1; shift
    if [ "$ranks" -eq 1 ]; then "$bin" train "$@"; else HM_DIST="$bin" "$here/launch/local.sh" "$ranks" train "$@"; fi
}

# digest RUN_OR_STEP: digest of every tensor (parameters and training state) of that step.
digest() {
    local out="$work/export.$$.safetensors"
    "$bin" export --checkpoint "$1" --out "$out" --all --force >/dev/null 2>&1 || { echo "export-failed"; return; }
    python3 "$helper" digest "$out"; rm -f "$out"
}

# reference KEY RANKS ARGS...: digest (and seconds) of an uninterrupted run, computed once.
reference() {
    local key=$1 ranks=$2; shift 2
    local dir="$work/ref/$key"
    if [ ! -f "$dir.digest" ]; then
        rm -rf "$dir"; mkdir -p "$work/ref"
        local t0=$(date +%s%N)
        train "$ranks" "$@" --run-dir "$dir" > "$dir.log" 2>&1 || { echo "reference run $key failed: see $dir.log" >&2; exit 2; }
        echo $(( ($(date +%s%N) - t0) / 1000000 )) > "$dir.ms"
        digest "$dir" > "$dir.digest"
    fi
    cat "$dir.digest"
}
reference_ms() { cat "$work/ref/$1.ms"; }

# committed RUN: the committed steps (step-NNNNNNNN/ holding manifest.json), oldest first.
committed() {
    local d
    for d in "$1"/checkpoints/step-*; do
        [[ ${d##*/} =~ ^step-[0-9]{8,}$ ]] && [ -f "$d/manifest.json" ] && echo "${d##*/step-}"
    done | sort -n
}
newest() { committed "$1" | tail -1 | sed 's/^0*\([0-9]\)/\1/'; }
stepdir() { printf '%s/checkpoints/step-%08d' "$1" "$2"; }

# verify_all RUN: every committed step verifies on its own (leftovers of a save may exist).
verify_all() {
    local s bad=""
    for s in $(committed "$1"); do
        "$bin" inspect --checkpoint "$1/checkpoints/step-$s" --verify >/dev/null 2>&1 || bad+=" step-$s"
    done
    [ -z "$bad" ] || echo "committed step(s) fail inspect --verify:$bad"
}

# resume RANKS LOG ARGS...: train --resume auto until it finishes (at most 3 tries); prints
# a problem if it does not.
resume() {
    local ranks=$1 log=$2 try rc; shift 2
    for try in 1 2 3; do
        train "$ranks" "$@" --resume auto >> "$log" 2>&1; rc=$?
        [ $rc -eq 0 ] && return 0
    done
    echo "resume did not finish in 3 tries (last status $rc: $(grep -m1 'error' "$log" | cut -c1-200))"
}

# expect_resumed_from RUN STEP: the first resume loaded STEP (or started fresh if STEP is empty).
expect_resumed_from() {
    local first; first=$(grep -m1 '^resumed from ' "$1.resume.log" 2>/dev/null)
    if [ -z "$2" ]; then
        [ -z "$first" ] || echo "resumed ($first) although nothing was committed"
    else
        case "$first" in "resumed from $(stepdir "$1" "$2") "*) ;; *) echo "expected a resume from step $2, got: ${first:-none}" ;; esac
    fi
}

# finish_check RANKS RUN REF ARGS...: resume to the end, the run directory verifies clean (with
# only_final=1: its final step; a damaged older step stays damaged), the final state is
# bit-identical to the reference.
only_final=0
finish_check() {
    local ranks=$1 run=$2 ref=$3; shift 3
    resume "$ranks" "$run.resume.log" "$@" --run-dir "$run" || return
    local what=$run; [ $only_final -eq 1 ] && what=$(stepdir "$run" "$(newest "$run")")
    "$bin" inspect --checkpoint "$what" --verify >/dev/null 2>&1 || echo "inspect --verify of the finished run fails"
    local got; got=$(digest "$run")
    [ "$got" = "$ref" ] || echo "final state differs from the uninterrupted run ($got vs $ref)"
}

# record KIND TRIAL DIR WHY: count a trial; keep the directory of a failed one.
record() {
    local kind=$1 i=$2 dir=$3 why=$4
    total[$kind]=$(( ${total[$kind]:-0} + 1 ))
    if [ -z "$why" ]; then
        passed[$kind]=$(( ${passed[$kind]:-0} + 1 ))
        [ $keep -eq 1 ] || rm -rf "$dir" "$dir".*
    else
        echo "$kind #$i: $(echo "$why" | paste -sd';' -) [$dir]" >> "$failures"
    fi
}

# --- kill: kill -9 at a random moment (or crash-in-save), then resume until finished ----------
kill_trial() {
    local ranks=$1 i=$2 kind=kill$1
    local algo steps dir=$work/$kind-$i why="" pre post mode target fault=""
    algo=$(pick rws nrws)
    steps=$([ "$ranks" -eq 1 ] && echo 200 || echo 60)
    local args=("${COMMON[@]}" --algorithm "$algo" --steps "$steps" --checkpoint-every 2)
    local ref; ref=$(reference "$kind-$algo" "$ranks" "${args[@]}")
    local rank=$(rnd "$ranks") expected=""
    if [ $(rnd 5) -eq 0 ]; then
        mode=crash-in-save
        local s=$(( 2 * (1 + $(rnd $((steps / 2)))) ))
        fault="rank=$rank,step=$s,kind=crash-in-save"
        expected=$(( s - 2 )); [ $expected -eq 0 ] && expected=""
    else
        mode=kill
    fi
    # Started directly (not through a function) so that $! is hm-dist's or mpirun's own pid.
    if [ "$ranks" -eq 1 ]; then
        HM_DIST_FAULT=$fault "$bin" train "${args[@]}" --run-dir "$dir" > "$dir.log" 2>&1 &
    else
        HM_DIST_FAULT=$fault HM_DIST=$bin "$here/launch/local.sh" "$ranks" train "${args[@]}" --run-dir "$dir" > "$dir.log" 2>&1 &
    fi
    local pid=$!
    if [ $mode = kill ]; then
        # a moment of the first three quarters of an uninterrupted run's wall time
        local ms; ms=$(rnd $(( $(reference_ms "$kind-$algo") * 3 / 4 )))
        sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
        target=$pid
        if [ "$ranks" -gt 1 ]; then   # the rank's own process, once mpirun has started it
            target=""
            for _ in $(seq 500); do
                for c in $(pgrep -P "$pid"); do
                    grep -qzx "OMPI_COMM_WORLD_RANK=$rank" "/proc/$c/environ" 2>/dev/null && target=$c
                done
                [ -n "$target" ] || ! kill -0 "$pid" 2>/dev/null && break
                sleep 0.01
            done
        fi
        pre=$(newest "$dir")
        [ -n "$target" ] && kill -9 "$target" 2>/dev/null
    fi
    { wait "$pid"; } 2>/dev/null; local rc=$?
    if [ $rc -eq 0 ]; then note "$kind" finished-first; else note "$kind" "$mode"; fi
    compgen -G "$dir/checkpoints/*.tmp" >/dev/null && note "$kind" mid-save
    post=$(newest "$dir")
    if [ $mode = kill ]; then
        [ -z "$pre" ] || [ -n "$post" ] && [ "${post:-0}" -ge "${pre:-0}" ] || why+="step $pre was committed before the kill, newest after it is ${post:-none}"$'\n'
    else
        [ $rc -ne 0 ] || why+="crash-in-save $fault did not stop the run"$'\n'
        [ "$post" = "$expected" ] || why+="after $fault the newest committed step is ${post:-none}, expected ${expected:-none}"$'\n'
    fi
    why+=$(verify_all "$dir")
    # LATEST after the kill: a kill between a step's commit (the rename) and the replacement
    # of LATEST leaves it naming the previous step, which resume then loads, as documented
    # (docs/checkpoint-format.md); the newer step stays committed and is not saved again.
    local latest from=$post; latest=$(sed -n 's/^step-0*\([0-9]\)/\1/p' "$dir/checkpoints/LATEST" 2>/dev/null | head -1)
    if [ -n "$post" ] && [ -n "$latest" ] && [ "$latest" -lt "$post" ] && [ -f "$(stepdir "$dir" "$latest")/manifest.json" ]; then
        note "$kind" latest-behind
        from=$latest
    fi
    why+=$(finish_check "$ranks" "$dir" "$ref" "${args[@]}")
    why+=$(expect_resumed_from "$dir" "$from")
    record "$kind" "$i" "$dir" "$why"
}

# --- corrupt: one damaged file of a committed step (or LATEST) -------------------------------
corrupt_trial() {
    local i=$1 kind=corrupt algo dir=$work/corrupt-$i why="" run_ref
    algo=$(pick rws nrws)
    local args=("${COMMON[@]}" --algorithm "$algo" --steps 40 --checkpoint-every 10 --ranks 2)
    local ref; ref=$(reference "corrupt-$algo" 1 "${args[@]}")
    rm -rf "$dir"; cp -a "$work/ref/corrupt-$algo" "$dir"
    local step=40; [ $(rnd 10) -lt 3 ] && step=$(pick 20 30)
    local sd; sd=$(stepdir "$dir" $step)
    local file; file=$(pick manifest.json manifest.sha256 shard-00000-of-00002.safetensors.zst shard-00001-of-00002.safetensors.zst LATEST)
    local path=$sd/$file
    [ "$file" = LATEST ] && path=$dir/checkpoints/LATEST
    local what; what=$(python3 "$helper" damage "$path" $((seed * 100003 + i)))
    local label="$file of step $step: $what"
    [ "$file" = LATEST ] && label="LATEST: $what"
    note corrupt "${file%%-of-*}"
    if [ "$file" != LATEST ]; then
        "$bin" inspect --checkpoint "$sd" --verify --json > "$dir.verify.json" 2>/dev/null
        local rc=$? named
        [ $rc -ne 0 ] || why+="inspect --verify of the step exits 0"$'\n'
        named=$(python3 "$helper" names "$dir.verify.json" "$path" | tr -d '\000') || why+="inspect --verify: $named"$'\n'
        "$bin" inspect --checkpoint "$dir" --verify >/dev/null 2>&1 && why+="inspect --verify of the run directory exits 0"$'\n'
        if "$bin" eval --checkpoint "$sd" --samples 2 --limit 5 > "$dir.eval.log" 2>&1; then
            why+="eval --checkpoint loads the damaged step"$'\n'
        fi
    else
        "$bin" inspect --checkpoint "$dir" --verify >/dev/null 2>&1 && note corrupt latest-harmless
        if "$bin" eval --checkpoint "$dir" --samples 2 --limit 5 --json > "$dir.eval.json" 2>/dev/null; then
            local loaded; loaded=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["checkpoint"])' "$dir.eval.json")
            case "$loaded" in
                "$(stepdir "$dir" 40)") ;;
                "$(stepdir "$dir" 30)"|"$(stepdir "$dir" 20)") note corrupt latest-older ;;
                *) why+="eval through the damaged LATEST loaded $loaded"$'\n' ;;
            esac
        else
            note corrupt latest-refused
        fi
    fi
    # Resume on a quarter of the trials (every LATEST trial): it must skip the damaged step
    # (or not need it) and end bit-identical.
    local uncommitted=0    # deleting manifest.json leaves a step-N/ that is not committed
    [ "$file" = manifest.json ] && [ ! -f "$path" ] && uncommitted=1
    if [ "$file" = LATEST ] || [ $(rnd 4) -eq 0 ]; then
        note corrupt resumed
        why+=$(only_final=1 finish_check 1 "$dir" "$ref" "${args[@]}")
        if [ "$file" != LATEST ] && [ $step -eq 40 ]; then
            if [ $uncommitted -eq 0 ]; then
                grep -q "^resume: skipped $sd" "$dir.resume.log" || why+="resume did not report skipping $sd"$'\n'
            fi
            grep -q "^resumed from $(stepdir "$dir" 30) " "$dir.resume.log" || why+="resume did not fall back to step 30: $(grep -m1 '^resumed from' "$dir.resume.log")"$'\n'
        fi
    fi
    record corrupt "$i" "$dir" "${why:+$label: }$why"
}

# --- disk full: ENOSPC on a small tmpfs, or EFBIG with ulimit -f, during a save -------------
disk_mount=""
disk_setup() {
    disk_mount=$work/tmpfs
    mkdir -p "$disk_mount"
    mountpoint -q "$disk_mount" || mount -t tmpfs -o size=4m tmpfs "$disk_mount" 2>/dev/null || { disk_mount=""; return 1; }
}
disk_teardown() { [ -n "$disk_mount" ] && umount "$disk_mount" 2>/dev/null; disk_mount=""; }

disk_trial() {
    local kind=$1 i=$2 ranks=1 why="" rc
    [ "$kind" = disk ] && ranks=$(pick 1 2)
    local args=("${COMMON[@]}" --algorithm rws --checkpoint-every 10)
    local ref; ref=$(reference "disk-$ranks" "$ranks" "${args[@]}" --steps 40)
    local root=$work; [ "$kind" = disk ] && root=$disk_mount
    local dir=$root/$kind-$i log=$work/$kind-$i.log
    rm -rf "$dir"
    train "$ranks" "${args[@]}" --steps 20 --run-dir "$dir" > "$log" 2>&1 || why+="the first 20 steps failed"$'\n'
    local used; used=$(du -sB1 "$(stepdir "$dir" 20)" | cut -f1)
    if [ "$kind" = disk ]; then      # leave less room than one more checkpoint takes
        local avail; avail=$(df --output=avail -B1 "$disk_mount" | tail -1)
        local room=$(( $(rnd $(( used / 4096 ))) * 4096 ))
        fallocate -l $(( avail - room )) "$disk_mount/filler" 2>/dev/null ||
            head -c $(( avail - room )) /dev/zero > "$disk_mount/filler" 2>/dev/null
        note disk "room-$((room / 1024))k"
        train "$ranks" "${args[@]}" --steps 40 --run-dir "$dir" --resume auto > "$log.full" 2>&1; rc=$?
        rm -f "$disk_mount/filler"
    else                             # a file-size limit below one shard's size
        local kb=$(( 1 + $(rnd $(( used / 1024 / 2 ))) ))
        { (
            [ "$kind" = fsize-ignored ] && trap '' XFSZ
            ulimit -f "$kb"
            exec "$bin" train "${args[@]}" --steps 40 --run-dir "$dir" --resume auto
        ) > "$log.full" 2>&1; } 2>/dev/null; rc=$?
        note "$kind" "limit-${kb}k"
    fi
    if [ $rc -eq 0 ]; then
        why+="the run did not fail although the disk was full"$'\n'
    else
        [ $rc -gt 128 ] && why+="killed by signal $((rc - 128)) ($(kill -l $((rc - 128)))), no error message"$'\n'
        local msg; msg=$(grep -m1 -E 'error( on rank [0-9]+)?: ' "$log.full")
        if [ -n "$msg" ]; then
            echo "$msg" | grep -Eq "error( on rank [0-9]+)?: .*$dir/[^ :]+: .*(No space left on device|File too large|enough space)" ||
                why+="the error does not name the file and the reason: $msg"$'\n'
            echo "$kind: $msg" >> "$work/messages.txt"
            note "$kind" "$(echo "$msg" | sed -E 's/.*\/(checkpoints\/[^/]*\/)?([^/: ]+): .*/\2/; s/[0-9]{8}/N/g')"
        else
            [ $rc -gt 128 ] || why+="exit status $rc without an error message"$'\n'
        fi
    fi
    "$bin" inspect --checkpoint "$(stepdir "$dir" 20)" --verify >/dev/null 2>&1 || why+="step 20 does not verify after the failed save"$'\n'
    why+=$(verify_all "$dir")
    # Resume on a roomy disk.
    if [ "$kind" = disk ]; then
        cp -a "$dir" "$work/$kind-$i.run"; rm -rf "$dir"; dir=$work/$kind-$i.run
    fi
    why+=$(finish_check "$ranks" "$dir" "$ref" "${args[@]}" --steps 40)
    record "$kind" "$i" "$dir" "$why"
    [ $keep -eq 1 ] || rm -rf "$work/$kind-$i" "$log" "$log.full"
}

# --- nan: a NaN in one rank's gradient at a random step -------------------------------------
nan_trial() {
    local i=$1 ranks steps dir=$work/nan-$i why="" algo
    ranks=$(pick 1 2); algo=$(pick rws nrws)
    steps=$([ "$ranks" -eq 1 ] && echo 60 || echo 30)
    local args=("${COMMON[@]}" --algorithm "$algo" --steps "$steps" --checkpoint-every 3)
    local ref; ref=$(reference "nan-$ranks-$algo" "$ranks" "${args[@]}")
    local rank=$(rnd "$ranks") s=$(rnd "$steps")
    note nan "$ranks-rank-$algo"
    HM_DIST_FAULT="rank=$rank,step=$s,kind=nan" train "$ranks" "${args[@]}" --run-dir "$dir" > "$dir.log" 2>&1
    local rc=$?
    [ $rc -ne 0 ] && [ $rc -ne 75 ] || why+="status $rc after a NaN at step $s on rank $rank"$'\n'
    grep -Eq "error( on rank [0-9]+)?: step $s: .*not finite" "$dir.log" || why+="no clear message: $(grep -m1 'error on\|error:' "$dir.log")"$'\n'
    local expected=$(( s / 3 * 3 )); [ $expected -eq 0 ] && expected=""
    local post; post=$(newest "$dir")
    [ "$post" = "$expected" ] || why+="NaN at step $s: newest committed step is ${post:-none}, expected ${expected:-none}"$'\n'
    why+=$(verify_all "$dir")
    why+=$(finish_check "$ranks" "$dir" "$ref" "${args[@]}")
    why+=$(expect_resumed_from "$dir" "$post")
    record nan "$i" "$dir" "$why"
}

# --- the campaign ----------------------------------------------------------------------------
started=$(date +%s)
echo "hm-dist fault campaign: $bin ($("$bin" --version 2>/dev/null | head -1)), seed $seed, work $work"
for spec in "${kinds[@]}"; do
    k=${spec%%=*}; n=$trials; [ "$spec" != "$k" ] && n=${spec#*=}
    case "$k" in kill) set -- kill1 kill2 ;; *) set -- "$k" ;; esac
    for kind in "$@"; do
        order+=("$kind")
        RANDOM=$(( seed ^ $(echo "$kind" | cksum | cut -d' ' -f1) ))   # a kind's draws do not depend on the others
        t0=$(date +%s)
        case "$kind" in
            kill1|kill2) for i in $(seq "$n"); do kill_trial "${kind#kill}" "$i"; done ;;
            corrupt) for i in $(seq "$n"); do corrupt_trial "$i"; done ;;
            disk) if disk_setup; then for i in $(seq "$n"); do disk_trial disk "$i"; done; disk_teardown
                  else notes[disk]=" tmpfs-not-mountable"; total[disk]=0; fi ;;
            fsize|fsize-ignored) for i in $(seq "$n"); do disk_trial "$kind" "$i"; done ;;
            nan) for i in $(seq "$n"); do nan_trial "$i"; done ;;
            *) echo "faults.sh: unknown kind $kind" >&2; exit 2 ;;
        esac
        secs[$kind]=$(( $(date +%s) - t0 ))
        printf '  %-14s %5d trials %5d passed  (%ds)\n' "$kind" "${total[$kind]:-0}" "${passed[$kind]:-0}" "${secs[$kind]}" >&2
    done
done

echo
printf '%-14s %7s %7s %7s  %s\n' kind trials passed failed notes
for kind in "${order[@]}"; do
    t=${total[$kind]:-0} p=${passed[$kind]:-0}
    summary=$(echo "${notes[$kind]:-}" | tr ' ' '\n' | grep . | sort | uniq -c | awk '{printf "%s%s %s", sep, $2, $1; sep=", "}')
    printf '%-14s %7d %7d %7d  %s\n' "$kind" "$t" "$p" $((t - p)) "$summary"
done
echo "wall time: $(( $(date +%s) - started )) s"
if [ -s "$work/messages.txt" ]; then   # what a full disk looked like, one example per file
    echo; echo "disk-full errors (one per kind and file):"
    sed -E 's/[0-9]{8}/N/g' "$work/messages.txt" | awk '{k=$1; f=$0; sub(/.*\//, "", f); sub(/:.*/, "", f); if (!seen[k f]++) print "  " $0}'
fi
if [ -s "$failures" ]; then
    echo; echo "failures:"; cat "$failures"
    exit 1
fi
[ $keep -eq 1 ] || rm -rf "$work/ref"
exit 0
