#!/usr/bin/env bash
# The Bernoulli scoring kernel of two revisions, timed in C on B1's row widths (issue 18):
# compiles Sources/CKernels/kernels.c of REVISION and of the work tree side by side (clang, the
# package's flags), scores 500 rows × {784, 200, 10} units, logits uniform in ±8, state 1/8 on,
# and prints ns a unit for each and both row log-probabilities (they must agree closely).
#
#   scripts/bench/score_kernel.sh REVISION        # e.g. efe35a1, the build before the shared log
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
rev=${1:?usage: score_kernel.sh REVISION}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/old"  # the revision's private headers (those it has) beside its kernels
git -C "$here" show "$rev:Sources/CKernels/kernels.c" | sed 's/\bhm_/old_hm_/g; s/old_hm_kernels\.h/hm_kernels.h/' > "$dir/old/old.c"
for h in lanes.h lanes_maths.h score_rows.h; do
    git -C "$here" show "$rev:Sources/CKernels/$h" > "$dir/old/$h" 2>/dev/null || rm -f "$dir/old/$h"
done
sed 's/\bhm_/new_hm_/g; s/new_hm_kernels\.h/hm_kernels.h/' "$here/Sources/CKernels/kernels.c" > "$dir/new.c"
cat > "$dir/main.c" <<'C'
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <time.h>
typedef void score_fn(const float *, int64_t, const float *, int64_t, float *, double *, int64_t, int64_t);
score_fn old_hm_bernoulli_score, new_hm_bernoulli_score;
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static double timed(score_fn *f, const float *a, const float *s, float *d, double *lp, int rows, int cols, int reps) {
    double t0 = now();
    for (int i = 0; i < reps; i++) f(a, 1, s, 1, d, lp, rows, cols);
    return (now() - t0) / reps / rows / cols * 1e9;
}
int main(void) {
    const int rows = 500, widths[] = {784, 200, 10}, reps = 200;
    for (int w = 0; w < 3; w++) {
        int cols = widths[w];
        float *a = malloc(sizeof(float) * rows * cols), *s = malloc(sizeof(float) * rows * cols), *d = malloc(sizeof(float) * rows * cols);
        double *lpOld = calloc(rows, sizeof(double)), *lpNew = calloc(rows, sizeof(double));
        srand(1);
        for (long i = 0; i < (long)rows * cols; i++) { a[i] = (rand() / (float)RAND_MAX - 0.5f) * 16; s[i] = rand() % 8 == 0; }
        for (int pass = 0; pass < 4; pass++) {  // alternating which goes first
            double o, n;
            if (pass % 2) { n = timed(new_hm_bernoulli_score, a, s, d, lpNew, rows, cols, reps); o = timed(old_hm_bernoulli_score, a, s, d, lpOld, rows, cols, reps); }
            else { o = timed(old_hm_bernoulli_score, a, s, d, lpOld, rows, cols, reps); n = timed(new_hm_bernoulli_score, a, s, d, lpNew, rows, cols, reps); }
            double lo = lpOld[0] / (reps * (pass + 1)), ln = lpNew[0] / (reps * (pass + 1));
            printf("%4d units: %s %.2f ns a unit, this tree %.2f (%.2fx); row 0 log p %.6f vs %.6f\n", cols, REV, o, n, o / n, lo, ln);
            if (fabs(lo - ln) > 1e-5 * fabs(lo)) { fprintf(stderr, "the two kernels disagree on row 0\n"); return 1; }
        }
    }
    return 0;
}
C
flags=(-O3 -ffp-contract=off -fno-math-errno -DREV="\"$rev\"" -I"$here/Sources/CKernels/include")
clang "${flags[@]}" -c "$dir/old/old.c" -o "$dir/old.o"
clang "${flags[@]}" -I"$here/Sources/CKernels" -c "$dir/new.c" -o "$dir/new.o"
clang "${flags[@]}" -c "$dir/main.c" -o "$dir/main.o"
clang "$dir/main.o" "$dir/old.o" "$dir/new.o" -o "$dir/score" -lm
"$dir/score"
