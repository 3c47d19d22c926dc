// The lane maths, once for each vector width: lanes.h includes this file with V (the float
// vector type), VI (the int32 vector of the same width) and VNAME(name) (the function's name
// for that width) defined. Every function does in each lane exactly the scalar operations of
// its namesake in kernels.c, in the same order (contraction is off), so a lane holds the bits
// the scalar code would give, at any width.

/// exp_nonpositive of each lane.
LANES_FN void VNAME(exp_nonpositive)(V *out, const V *in) {
    V x = *in;
    x = V_SELECT(x < -87.0f, V_SPLAT(-87.0f), x);
    V t = x * 1.44269504088896341f + 12582912.0f;
    V n = t - 12582912.0f;
    V r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    V p = V_SPLAT(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    VI bits = (__builtin_convertvector(n, VI) + 127) << 23;
    *out = p * (V)bits;
}

/// log_reduced of each lane: log(m · 2^k) from x = m − 1 and k.
LANES_FN void VNAME(log_reduced)(V *out, const V *xp, const V *kp) {
    V x = *xp, k = *kp;
    V z = x * x;
    V p = V_SPLAT(7.0376836292e-2f);
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
LANES_FN void VNAME(log_atleast1)(V *out, const V *yp) {
    VI bits = (VI)*yp;
    V k = __builtin_convertvector((bits >> 23) - 127, V);
    bits = (bits & 0x007fffff) | 0x3f800000;
    V m = (V)bits;
    VI big = m > 1.41421356f;
    V x = V_SELECT(big, m * 0.5f - 1.0f, m - 1.0f);
    k = V_SELECT(big, k + 1.0f, k);
    VNAME(log_reduced)(out, &x, &k);
}
