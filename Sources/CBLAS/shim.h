// OpenBLAS's CBLAS, plus the Fortran LAPACK symbols that libopenblas carries (the Debian
// build is NO_LAPACKE, so there is no C LAPACK interface to include).
#ifndef HM_CBLAS_SHIM_H
#define HM_CBLAS_SHIM_H
#include <cblas.h>

void spotrf_(const char *uplo, const int *n, float *a, const int *lda, int *info);
void spotrs_(const char *uplo, const int *n, const int *nrhs, const float *a, const int *lda,
             float *b, const int *ldb, int *info);
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda,
             double *b, const int *ldb, int *info);
#endif
