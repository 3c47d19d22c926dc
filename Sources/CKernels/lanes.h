// Eight float lanes as one value (a clang/GCC vector type): one AVX2 register, half an AVX-512
// one, two SSE2 ones, as each clone is compiled. Every function here does in each lane exactly
// the scalar operations of its namesake in kernels.c, in the same order (contraction is off),
// so a lane holds the bits the scalar code would give. Why not leave it to the vectorizer: in
// the scorer it kept the lanes' sums in memory and stored deltas through masks, three times
// slower. Values pass by pointer or macro: a 32-byte vector argument would change the calling
// convention of the baseline clone.
#ifndef HM_LANES_H
#define HM_LANES_H
#include <stdint.h>
#include <string.h>

typedef float f8 __attribute__((vector_size(32)));
typedef int32_t i8 __attribute__((vector_size(32)));

#define F8_SPLAT(x) ((f8){0} + (float)(x))
/// m ? a : b in each lane, for a comparison's mask m (all ones or all zeros a lane).
#define F8_SELECT(m, a, b) ((f8)(((i8)(m) & (i8)(a)) | (~(i8)(m) & (i8)(b))))
/// −|x|: the sign bit set, as -fabsf.
#define F8_NEGABS(x) ((f8)((i8)(x) | (int32_t)0x80000000u))
#define F8_LOAD(v, p) memcpy(&(v), (p), sizeof(f8))
#define F8_STORE(p, v) memcpy((p), &(v), sizeof(f8))
#define LANES8 __attribute__((always_inline)) static inline

/// exp_nonpositive of each lane.
LANES8 void f8_exp_nonpositive(f8 *out, const f8 *in) {
    f8 x = *in;
    x = F8_SELECT(x < -87.0f, F8_SPLAT(-87.0f), x);
    f8 t = x * 1.44269504088896341f + 12582912.0f;
    f8 n = t - 12582912.0f;
    f8 r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    f8 p = F8_SPLAT(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    i8 bits = (__builtin_convertvector(n, i8) + 127) << 23;
    *out = p * (f8)bits;
}

/// log_reduced of each lane: log(m · 2^k) from x = m − 1 and k.
LANES8 void f8_log_reduced(f8 *out, const f8 *xp, const f8 *kp) {
    f8 x = *xp, k = *kp;
    f8 z = x * x;
    f8 p = F8_SPLAT(7.0376836292e-2f);
    p = p * x - 1.1514610310e-1f;
    p = p * x + 1.1676998740e-1f;
    p = p * x - 1.2420140846e-1f;
    p = p * x + 1.4249322787e-1f;
    p = p * x - 1.6668057665e-1f;
    p = p * x + 2.0000714765e-1f;
    p = p * x - 2.4999993993e-1f;
    p = p * x + 3.3333331174e-1f;
    p = p * x * z;
    p = p + k * -2.12194440e-4f;
    p = p - 0.5f * z;
    *out = x + p + k * 0.693359375f;
}

/// log_atleast1 of each lane (each a normal float ≥ 1).
LANES8 void f8_log_atleast1(f8 *out, const f8 *yp) {
    i8 bits = (i8)*yp;
    f8 k = __builtin_convertvector((bits >> 23) - 127, f8);
    bits = (bits & 0x007fffff) | 0x3f800000;
    f8 m = (f8)bits;
    i8 big = m > 1.41421356f;
    f8 x = F8_SELECT(big, m * 0.5f - 1.0f, m - 1.0f);
    k = F8_SELECT(big, k + 1.0f, k);
    f8_log_reduced(out, &x, &k);
}
#endif
