#include "hm_kernels.h"
#include <math.h>
#include <string.h>
#include "lanes.h"

#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

// ---- Philox-4x32-10 ---------------------------------------------------------------------
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static inline void philox(uint32_t k0, uint32_t k1, uint32_t c0, uint32_t c1, uint32_t c2,
                          uint32_t c3, uint32_t *o0, uint32_t *o1, uint32_t *o2, uint32_t *o3) {
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        uint32_t n1 = (uint32_t)p1;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        uint32_t n3 = (uint32_t)p0;
        c0 = n0; c1 = n1; c2 = n2; c3 = n3;
        k0 += PHILOX_W0; k1 += PHILOX_W1;
    }
    *o0 = c0; *o1 = c1; *o2 = c2; *o3 = c3;
}

void hm_philox4x32(uint64_t key, const uint32_t counter[4], uint32_t out[4]) {
    philox((uint32_t)key, (uint32_t)(key >> 32), counter[0], counter[1], counter[2], counter[3],
           &out[0], &out[1], &out[2], &out[3]);
}

/// Top 23 bits plus one half, scaled: the open interval (0, 1), never 0 or 1.
static inline float to_uniform(uint32_t x) { return ((float)(x >> 9) + 0.5f) * 0x1p-23f; }

CLONES
void hm_uniform(uint64_t key, uint32_t c1, uint32_t c2, uint32_t c3, float *out, int64_t n) {
    uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
    int64_t blocks = n / 4;
    for (int64_t g = 0; g < blocks; g++) {
        uint32_t a, b, c, d;
        philox(k0, k1, (uint32_t)g, c1, c2, c3, &a, &b, &c, &d);
        out[4 * g] = to_uniform(a);
        out[4 * g + 1] = to_uniform(b);
        out[4 * g + 2] = to_uniform(c);
        out[4 * g + 3] = to_uniform(d);
    }
    if (n > 4 * blocks) {
        uint32_t r[4];
        philox(k0, k1, (uint32_t)blocks, c1, c2, c3, &r[0], &r[1], &r[2], &r[3]);
        for (int64_t i = 4 * blocks; i < n; i++) out[i] = to_uniform(r[i - 4 * blocks]);
    }
}

void hm_normal(uint64_t key, uint32_t c1, uint32_t c2, uint32_t c3, float *out, int64_t n) {
    uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
    for (int64_t g = 0; 2 * g < n; g++) {
        uint32_t a, b, c, d;
        philox(k0, k1, (uint32_t)g, c1, c2, c3, &a, &b, &c, &d);
        double u1 = ((double)(a >> 9) + 0.5) * 0x1p-23, u2 = ((double)(b >> 9) + 0.5) * 0x1p-23;
        double radius = sqrt(-2.0 * log(u1)), angle = 6.283185307179586 * u2;
        out[2 * g] = (float)(radius * cos(angle));
        if (2 * g + 1 < n) out[2 * g + 1] = (float)(radius * sin(angle));
    }
}

// ---- exp, log1p, sigmoid, softplus (Cephes polynomials, branch-free) ----------------------

/// exp(x) for x <= 0, clamped below at -87 (where it is below every float of interest).
static inline float exp_nonpositive(float x) {
    x = x < -87.0f ? -87.0f : x;
    float t = x * 1.44269504088896341f + 12582912.0f;  // round to nearest by the 1.5·2^23 trick
    float n = t - 12582912.0f;
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/// log(m · 2^k) for m in [√½, √2), as x = m − 1 and k: the Cephes polynomial.
static inline float log_reduced(float x, float k) {
    float z = x * x;
    float p = 7.0376836292e-2f;
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
    return x + p + k * 0.693359375f;
}

/// log(1 + e) for e in [0, 1], with y = 1 + e and inv = 1 / y given (the caller shares the
/// division with the sigmoid); corrected for the rounding of 1 + e.
static inline float log1p_unit(float e, float y, float inv) {
    float correction = (e - (y - 1.0f)) * inv;
    int big = y > 1.41421356f;
    return log_reduced(big ? y * 0.5f - 1.0f : y - 1.0f, big ? 1.0f : 0.0f) + correction;
}

/// log(y) for a normal y ≥ 1 (a product of factors 1 + e): y = m · 2^k, m in [√½, √2).
static inline float log_atleast1(float y) {
    int32_t bits;
    memcpy(&bits, &y, sizeof bits);
    float k = (float)((bits >> 23) - 127);
    bits = (bits & 0x007fffff) | 0x3f800000;
    float m;
    memcpy(&m, &bits, sizeof m);  // in [1, 2)
    int big = m > 1.41421356f;
    return log_reduced(big ? m * 0.5f - 1.0f : m - 1.0f, big ? k + 1.0f : k);
}

/// With e = exp(−|a|) and inv = 1 / (1 + e): σ(a) = (a ≥ 0 ? 1 : e) · inv and
/// softplus(a) = max(a, 0) + log(1 + e) — one exp and one division for both.
static inline float sigmoid_from(float a, float e, float inv) { return (a >= 0.0f ? 1.0f : e) * inv; }
static inline float softplus_from(float a, float e, float inv) {
    return (a > 0.0f ? a : 0.0f) + log1p_unit(e, 1.0f + e, inv);
}

CLONES
void hm_sigmoid(const float *in, float *out, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        float a = in[i], e = exp_nonpositive(-fabsf(a));
        out[i] = sigmoid_from(a, e, 1.0f / (1.0f + e));
    }
}

CLONES
void hm_softplus(const float *in, float *out, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        float a = in[i], e = exp_nonpositive(-fabsf(a));
        out[i] = softplus_from(a, e, 1.0f / (1.0f + e));
    }
}

// ---- Bernoulli layers ----------------------------------------------------------------------

CLONES
void hm_bernoulli_sample(const float *logits, int64_t logitDiv, float *state, int64_t rows,
                         int64_t cols, uint64_t key, uint32_t tag, uint32_t step,
                         uint32_t firstSample) {
    for (int64_t r = 0; r < rows; r++) {
        const float *a = logits + (r / logitDiv) * cols;
        float *s = state + r * cols;
        hm_uniform(key, firstSample + (uint32_t)r, tag, step, s, cols);
        // u < σ(a) = (a ≥ 0 ? 1 : e) / (1 + e), compared without the division.
        for (int64_t j = 0; j < cols; j++) {
            float e = exp_nonpositive(-fabsf(a[j]));
            s[j] = s[j] * (1.0f + e) < (a[j] >= 0.0f ? 1.0f : e) ? 1.0f : 0.0f;
        }
    }
}

#define LANES 16
/// Factors 1 + e ≤ 2 multiplied into one lane's product before its logarithm is taken (one
/// more from a row's tail): the product stays at most 2^(FACTORS + 1), far from float's 2^128.
#define FACTORS 64

#define V f8
#define VI i8
#define VNAME(name) f8_##name
#include "score_rows.h"
#undef V
#undef VI
#undef VNAME

#define V f16
#define VI i16
#define VNAME(name) f16_##name
#include "score_rows.h"
#undef V
#undef VI
#undef VNAME

__attribute__((target("avx512f")))
static void score_wide(const float *logits, int64_t logitDiv, const float *state, int64_t stateDiv,
                       float *delta, double *rowLogProb, int64_t rows, int64_t cols) {
    f16_score_rows(logits, logitDiv, state, stateDiv, delta, rowLogProb, rows, cols);
}

__attribute__((target_clones("avx2", "default")))
static void score_narrow(const float *logits, int64_t logitDiv, const float *state,
                         int64_t stateDiv, float *delta, double *rowLogProb, int64_t rows,
                         int64_t cols) {
    f8_score_rows(logits, logitDiv, state, stateDiv, delta, rowLogProb, rows, cols);
}

/// Per row: log p(s | a) = Σ_j s_j a_j − max(a_j, 0) − log(1 + e_j), e_j = exp(−|a_j|), and
/// δ_j = s_j − σ(a_j). The logarithms are shared: each of LANES lanes multiplies its factors
/// y_j = 1 + e_j (up to FACTORS of them) and takes one logarithm of the product, so a row of
/// n units costs 16 logarithms per 1,024 units (at least 16) rather than n. The rounding of
/// each y_j is added back as (e_j − (y_j − 1)) / y_j, as in log1p_unit. Unit j goes to lane
/// j mod 16 (a row's tail past its last whole group: lane j − full); every lane does its units
/// in the same order, and the lanes are summed pairwise in a fixed order, so the result is the
/// same bits on every instruction set, and the same as one unit at a time would give.
int hm_bernoulli_score_at(int width, const float *logits, int64_t logitDiv, const float *state,
                          int64_t stateDiv, float *delta, double *rowLogProb, int64_t rows,
                          int64_t cols) {
    if (width == 16 && !__builtin_cpu_supports("avx512f")) return 0;
    if (width != 8 && width != 16) return 0;
    (width == 16 ? score_wide : score_narrow)(logits, logitDiv, state, stateDiv, delta, rowLogProb,
                                              rows, cols);
    return 1;
}

/// With AVX-512, a group's 16 lanes are one register; otherwise two of 8 (score_rows.h).
void hm_bernoulli_score(const float *logits, int64_t logitDiv, const float *state,
                        int64_t stateDiv, float *delta, double *rowLogProb, int64_t rows,
                        int64_t cols) {
    if (!hm_bernoulli_score_at(16, logits, logitDiv, state, stateDiv, delta, rowLogProb, rows, cols))
        hm_bernoulli_score_at(8, logits, logitDiv, state, stateDiv, delta, rowLogProb, rows, cols);
}

CLONES
void hm_scale_rows(float *m, const float *scale, int64_t rows, int64_t cols) {
    for (int64_t r = 0; r < rows; r++) {
        float c = scale[r];
        float *row = m + r * cols;
        for (int64_t j = 0; j < cols; j++) row[j] *= c;
    }
}

void hm_broadcast_row(float *m, const float *row, int64_t rows, int64_t cols) {
    for (int64_t r = 0; r < rows; r++) memcpy(m + r * cols, row, (size_t)cols * sizeof(float));
}

CLONES
void hm_add_column_sums(const float *m, int64_t rows, int64_t cols, float *out) {
    for (int64_t r = 0; r < rows; r++) {
        const float *row = m + r * cols;
        for (int64_t j = 0; j < cols; j++) out[j] += row[j];
    }
}

CLONES
void hm_weighted_group_sum(const float *x, const float *w, int64_t groups, int64_t K, int64_t cols,
                           float *out) {
    for (int64_t g = 0; g < groups; g++) {
        float *o = out + g * cols;
        for (int64_t j = 0; j < cols; j++) o[j] = 0.0f;
        for (int64_t k = 0; k < K; k++) {
            float c = w[g * K + k];
            const float *row = x + (g * K + k) * cols;
            for (int64_t j = 0; j < cols; j++) o[j] += c * row[j];
        }
    }
}

// ---- optimizers ----------------------------------------------------------------------------

CLONES
void hm_adam(float *p, const float *g, float *m, float *v, int64_t n, float lr, float beta1,
             float beta2, float eps, float c1, float c2) {
    for (int64_t i = 0; i < n; i++) {
        float mi = beta1 * m[i] + (1.0f - beta1) * g[i];
        float vi = beta2 * v[i] + (1.0f - beta2) * g[i] * g[i];
        m[i] = mi;
        v[i] = vi;
        p[i] += lr * (mi / c1) / (sqrtf(vi / c2) + eps);
    }
}

CLONES
void hm_momentum(float *p, const float *g, float *v, int64_t n, float lr, float mu) {
    for (int64_t i = 0; i < n; i++) {
        float vi = mu * v[i] + g[i];
        v[i] = vi;
        p[i] += lr * vi;
    }
}

CLONES
int hm_has_nonfinite(const float *x, int64_t n) {
    // An OR of "exponent all ones" over every value: no early exit, so it vectorizes.
    const uint32_t *bits = (const uint32_t *)x;
    uint32_t any = 0;
    for (int64_t i = 0; i < n; i++) any |= ((bits[i] & 0x7F800000u) == 0x7F800000u);
    return (int)any;
}

// ---- fixed point ----------------------------------------------------------------------------

CLONES
int64_t hm_accumulate_fixed(const float *g, int64_t *acc, int64_t n, double scale, double limit) {
    const double clamp = 0x1p62;
    int64_t first_bad = -1;
    for (int64_t i = 0; i < n; i++) {
        double v = (double)g[i] * scale;
        if (first_bad < 0 && !(v <= limit && v >= -limit)) first_bad = i;
        v = v > clamp ? clamp : (v < -clamp ? -clamp : v);
        acc[i] += (int64_t)(v < 0 ? v - 0.5 : v + 0.5);  // round half away from zero
    }
    return first_bad;
}

CLONES
void hm_from_fixed(const int64_t *acc, float *g, int64_t n, double scale) {
    double inv = 1.0 / scale;
    for (int64_t i = 0; i < n; i++) g[i] = (float)((double)acc[i] * inv);
}
