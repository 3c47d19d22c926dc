// Element-wise kernels of the training step: the counter-based generator, Bernoulli sampling
// and scoring, and the optimizer updates. Written in C so that each is compiled once per
// instruction set (AVX-512, AVX2, baseline) and dispatched at load time; floating-point
// contraction is off, so every clone returns the same bits on every machine.
#ifndef HM_KERNELS_H
#define HM_KERNELS_H
#include <stdint.h>

/// Philox-4x32-10 (Salmon et al. 2011) of one 128-bit counter under a 64-bit key.
void hm_philox4x32(uint64_t key, const uint32_t counter[4], uint32_t out[4]);

/// `n` uniforms in the open interval (0, 1), 2^-23 apart: value i is lane i % 4 of the Philox
/// block with counter (i / 4, c1, c2, c3).
void hm_uniform(uint64_t key, uint32_t c1, uint32_t c2, uint32_t c3, float *out, int64_t n);

/// `n` standard normal draws (Box–Muller over hm_uniform's stream).
void hm_normal(uint64_t key, uint32_t c1, uint32_t c2, uint32_t c3, float *out, int64_t n);

/// Bernoulli sampling, state[r, j] = u(r, j) < sigmoid(logits[r / logitDiv, j]), with u(r, j)
/// the uniform of counter (j / 4, firstSample + r, tag, step) — so a unit's draw depends on
/// its global sample index, never on which rank or in which batch it is made.
void hm_bernoulli_sample(const float *logits, int64_t logitDiv, float *state, int64_t rows,
                         int64_t cols, uint64_t key, uint32_t tag, uint32_t step,
                         uint32_t firstSample);

/// Scores states under Bernoulli logits. With a = logits[r / logitDiv, j] and
/// s = state[r / stateDiv, j]: rowLogProb[r] += sum_j s·a − softplus(a) (if not NULL) and
/// delta[r, j] = s − sigmoid(a) (if not NULL), the gradient of log p with respect to a.
void hm_bernoulli_score(const float *logits, int64_t logitDiv, const float *state,
                        int64_t stateDiv, float *delta, double *rowLogProb, int64_t rows,
                        int64_t cols);
/// hm_bernoulli_score with the lanes `width` wide (8, or 16 with AVX-512): the same bits at
/// either width (tests check it). Returns 0, doing nothing, for a width other than 8 or 16 or
/// one this CPU cannot run.
int hm_bernoulli_score_at(int width, const float *logits, int64_t logitDiv, const float *state,
                          int64_t stateDiv, float *delta, double *rowLogProb, int64_t rows,
                          int64_t cols);

/// out = sigmoid(in), stable for any input.
void hm_sigmoid(const float *in, float *out, int64_t n);

/// out = softplus(in) = log(1 + exp(in)), stable for any input.
void hm_softplus(const float *in, float *out, int64_t n);

/// m[r, :] *= scale[r].
void hm_scale_rows(float *m, const float *scale, int64_t rows, int64_t cols);

/// m[r, :] = row[:] for every r (the bias of an affine map, before a GEMM with beta = 1).
void hm_broadcast_row(float *m, const float *row, int64_t rows, int64_t cols);

/// out[j] += sum_r m[r, j]: the bias gradient of a layer from its per-row deltas.
void hm_add_column_sums(const float *m, int64_t rows, int64_t cols, float *out);

/// out[g, :] = sum_k w[g·K + k] · x[g·K + k, :] for groups of K rows (an importance-weighted
/// average of the K samples drawn for one data point).
void hm_weighted_group_sum(const float *x, const float *w, int64_t groups, int64_t K, int64_t cols,
                           float *out);

/// Adam ascent step: m, v updated in place; p += lr · (m / c1) / (sqrt(v / c2) + eps),
/// with c1 = 1 − beta1^t and c2 = 1 − beta2^t.
void hm_adam(float *p, const float *g, float *m, float *v, int64_t n, float lr, float beta1,
             float beta2, float eps, float c1, float c2);

/// SGD ascent with momentum: v = mu·v + g; p += lr · v.
void hm_momentum(float *p, const float *g, float *v, int64_t n, float lr, float mu);

/// acc[i] += round(g[i] · scale), saturating: exact integer sums make a reduction's result
/// independent of its order (the `--reproducible` mode). Returns the first index whose
/// |g[i] · scale| exceeds `limit` (or is NaN), -1 if none: the caller reports it.
int64_t hm_accumulate_fixed(const float *g, int64_t *acc, int64_t n, double scale, double limit);

/// g[i] = acc[i] / scale.
void hm_from_fixed(const int64_t *acc, float *g, int64_t n, double scale);

/// 1 if any of the n values is NaN or infinite, else 0.
int hm_has_nonfinite(const float *x, int64_t n);

#endif
