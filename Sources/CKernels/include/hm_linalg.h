#ifndef HM_LINALG_H
#define HM_LINALG_H
#include <stdint.h>

/// x ← (RᵀR)⁻¹ x for R upper triangular, packed row by row (row j: R[j][j..n-1], at
/// j·n − j(j−1)/2), in float64: the forward solve Rᵀy = x as row updates, the backward
/// solve Rz = y as dot products with 8 independent partial sums. The same bits on every
/// instruction set (no contraction, a fixed order of additions).
void hm_cholesky_packed_solve(const double *r, int64_t n, double *x);

#endif
