// The Bernoulli scorer's rows, once for each vector width: kernels.c includes this file with
// V, VI and VNAME(name) as for lanes_maths.h; VW is V's width (8 or 16). A group of LANES
// units is VW lanes at a time: two registers of 8 done one after the other (both at once would
// not fit AVX2's sixteen registers), or one of 16. Each lane does its units in the same order
// at either width, so both give the same bits.
#define VW ((int)(sizeof(V) / sizeof(float)))

/// Units j of a row with j − c0 in lanes h ..< h + VW of LANES-wide groups, c0 ≤ j < c1 (whole
/// groups): each lane's sum of s·a − max(a, 0) − (rounding of 1 + e), its product of 1 + e
/// and, if d is given, the deltas. `mask` picks the lanes to update (all, but in a row's tail).
LANES_FN void VNAME(score_lanes)(const float *a, const float *s, float *d, int64_t c0, int64_t c1,
                                 int h, float *acc, float *prod, const VI *mask) {
    V sum, product;
    V_LOAD(sum, acc + h);
    V_LOAD(product, prod + h);
    for (int64_t j = c0 + h; j < c1; j += LANES) {
        V x, state, e, minus;
        V_LOAD(x, a + j);
        V_LOAD(state, s + j);
        minus = V_NEGABS(x);
        VNAME(exp_nonpositive)(&e, &minus);
        V y = 1.0f + e, inv = 1.0f / y;
        V term = state * x - V_SELECT(x > 0.0f, x, V_SPLAT(0.0f)) - (e - (y - 1.0f)) * inv;
        if (mask) {
            sum = V_SELECT(*mask, sum + term, sum);
            product = V_SELECT(*mask, product * y, product);
        } else {
            sum += term;
            product *= y;
        }
        if (d) {
            V delta = state - V_SELECT(x >= 0.0f, V_SPLAT(1.0f), e) * inv;  // s − σ(a)
            V_STORE(d + j, delta);
        }
    }
    V_STORE(acc + h, sum);
    V_STORE(prod + h, product);
}

/// acc −= log(prod) in every lane, and prod = 1. A lane that took no factor holds 1, whose
/// logarithm is exactly 0.
LANES_FN void VNAME(take_logs)(float *acc, float *prod) {
    for (int h = 0; h < LANES; h += VW) {
        V sum, product, logarithm;
        V_LOAD(sum, acc + h);
        V_LOAD(product, prod + h);
        VNAME(log_atleast1)(&logarithm, &product);
        sum -= logarithm;
        product = V_SPLAT(1.0f);
        V_STORE(acc + h, sum);
        V_STORE(prod + h, product);
    }
}

/// hm_bernoulli_score's rows (the comment above hm_bernoulli_score_at in kernels.c says what
/// they compute).
LANES_FN void VNAME(score_rows)(const float *logits, int64_t logitDiv, const float *state,
                                int64_t stateDiv, float *delta, double *rowLogProb, int64_t rows,
                                int64_t cols) {
    int64_t full = cols - cols % LANES;
    for (int64_t r = 0; r < rows; r++) {
        const float *a = logits + (r / logitDiv) * cols;
        const float *s = state + (r / stateDiv) * cols;
        float *d = delta ? delta + r * cols : 0;
        if (!rowLogProb) {
            for (int64_t j = 0; d && j < cols; j++) {
                float x = a[j], e = exp_nonpositive(-fabsf(x));
                d[j] = s[j] - sigmoid_from(x, e, 1.0f / (1.0f + e));
            }
            continue;
        }
        float acc[LANES] = {0}, prod[LANES];
        for (int l = 0; l < LANES; l++) prod[l] = 1.0f;
        for (int64_t c0 = 0; c0 < full; c0 += FACTORS * LANES) {
            int64_t c1 = c0 + FACTORS * LANES < full ? c0 + FACTORS * LANES : full;
            for (int h = 0; h < LANES; h += VW) {
                if (d) VNAME(score_lanes)(a, s, d, c0, c1, h, acc, prod, 0);
                else VNAME(score_lanes)(a, s, 0, c0, c1, h, acc, prod, 0);
            }
            if (c1 < full) VNAME(take_logs)(acc, prod);
        }
        int64_t tail = cols - full;
        if (tail) {  // units full + l go to lane l: padded to a whole group, the rest masked off
            float ta[LANES] = {0}, ts[LANES] = {0}, td[LANES];
            int32_t on[LANES];
            memcpy(ta, a + full, (size_t)tail * sizeof(float));
            memcpy(ts, s + full, (size_t)tail * sizeof(float));
            for (int l = 0; l < LANES; l++) on[l] = l < tail ? -1 : 0;
            for (int h = 0; h < LANES; h += VW) {
                VI mask;
                memcpy(&mask, on + h, sizeof mask);
                VNAME(score_lanes)(ta, ts, td, 0, LANES, h, acc, prod, &mask);
            }
            if (d) memcpy(d + full, td, (size_t)tail * sizeof(float));
        }
        VNAME(take_logs)(acc, prod);
        // Fixed pairwise order, so the sum is the same bits on every instruction set.
        for (int width = LANES / 2; width > 0; width /= 2)
            for (int l = 0; l < width; l++) acc[l] += acc[l + width];
        rowLogProb[r] += (double)acc[0];
    }
}
#undef VW
