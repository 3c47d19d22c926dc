#include "hm_linalg.h"

#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

CLONES
void hm_cholesky_packed_solve(const double *r, int64_t n, double *x) {
    // Rᵀy = x: y_i = x_i / R_ii, then x_k −= R_ik y_i for k > i (row i of R, contiguous).
    const double *row = r;
    for (int64_t i = 0; i < n; i++) {
        const double yi = x[i] / row[0];
        x[i] = yi;
        double *rest = x + i + 1;
        const double *ri = row + 1;
        const int64_t len = n - i - 1;
        for (int64_t k = 0; k < len; k++) rest[k] -= ri[k] * yi;
        row += n - i;
    }
    // Rz = y: z_j = (y_j − Σ_{k>j} R_jk z_k) / R_jj, from the last row up.
    for (int64_t j = n - 1; j >= 0; j--) {
        const double *rj = r + j * n - j * (j - 1) / 2;
        const double *z = x + j + 1;
        const int64_t len = n - j - 1;
        double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t k = 0;
        for (; k + 8 <= len; k += 8)
            for (int l = 0; l < 8; l++) acc[l] += rj[1 + k + l] * z[k + l];
        for (int l = 0; k + l < len; l++) acc[l] += rj[1 + k + l] * z[k + l];
        const double s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
        x[j] = (x[j] - s) / rj[0];
    }
}
