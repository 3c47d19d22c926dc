// SHA-256 block function on the x86 SHA extensions, after the public-domain Intel /
// Jeffrey Walton ("noloader") SHA-intrinsics code. The state is kept as ABEF / CDGH in two
// XMM registers; each `sha256rnds2` does two rounds, `sha256msg1` / `sha256msg2` extend the
// message schedule four words at a time.
#include "hm_sha256.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>

int hm_sha256_has_shani(void) {
    static int cached = -1;
    int known = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (known >= 0) return known;
    unsigned eax, ebx, ecx, edx;
    int sse41 = 0, sha = 0;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx)) sse41 = (ecx & bit_SSE4_1) != 0;
    // Leaf 7, sub-leaf 0: EBX bit 29 is SHA.
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) sha = (ebx & (1u << 29)) != 0;
    known = sse41 && sha;
    __atomic_store_n(&cached, known, __ATOMIC_RELAXED);
    return known;
}

static const uint32_t K[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

// Four rounds (4*i .. 4*i+3) on message words `Mi`; when the schedule still needs it, also
// finishes the words four groups ahead (`Mnext`, msg2) and starts the ones after (`Mprev`, msg1).
#define QUAD(i, Mi, Mprev, Mnext)                                                   \
    do {                                                                            \
        MSG = _mm_add_epi32(Mi, _mm_load_si128((const __m128i *)&K[4 * (i)]));      \
        STATE1 = _mm_sha256rnds2_epu32(STATE1, STATE0, MSG);                        \
        if ((i) >= 3 && (i) <= 14) {                                                \
            TMP = _mm_alignr_epi8(Mi, Mprev, 4);                                    \
            Mnext = _mm_add_epi32(Mnext, TMP);                                      \
            Mnext = _mm_sha256msg2_epu32(Mnext, Mi);                                \
        }                                                                           \
        MSG = _mm_shuffle_epi32(MSG, 0x0E);                                         \
        STATE0 = _mm_sha256rnds2_epu32(STATE0, STATE1, MSG);                        \
        if ((i) >= 1 && (i) <= 12) Mprev = _mm_sha256msg1_epu32(Mprev, Mi);         \
    } while (0)

__attribute__((target("sha,sse4.1")))
void hm_sha256_blocks_shani(uint32_t state[8], const uint8_t *data, size_t blocks) {
    const __m128i MASK = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i STATE0, STATE1, MSG, TMP, M0, M1, M2, M3, ABEF_SAVE, CDGH_SAVE;

    TMP = _mm_loadu_si128((const __m128i *)&state[0]);    // DCBA
    STATE1 = _mm_loadu_si128((const __m128i *)&state[4]); // HGFE
    TMP = _mm_shuffle_epi32(TMP, 0xB1);                   // CDAB
    STATE1 = _mm_shuffle_epi32(STATE1, 0x1B);             // EFGH
    STATE0 = _mm_alignr_epi8(TMP, STATE1, 8);             // ABEF
    STATE1 = _mm_blend_epi16(STATE1, TMP, 0xF0);          // CDGH

    for (; blocks > 0; blocks--, data += 64) {
        ABEF_SAVE = STATE0;
        CDGH_SAVE = STATE1;
        M0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 0)), MASK);
        M1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16)), MASK);
        M2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 32)), MASK);
        M3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 48)), MASK);

        QUAD(0, M0, M3, M1);
        QUAD(1, M1, M0, M2);
        QUAD(2, M2, M1, M3);
        QUAD(3, M3, M2, M0);
        QUAD(4, M0, M3, M1);
        QUAD(5, M1, M0, M2);
        QUAD(6, M2, M1, M3);
        QUAD(7, M3, M2, M0);
        QUAD(8, M0, M3, M1);
        QUAD(9, M1, M0, M2);
        QUAD(10, M2, M1, M3);
        QUAD(11, M3, M2, M0);
        QUAD(12, M0, M3, M1);
        QUAD(13, M1, M0, M2);
        QUAD(14, M2, M1, M3);
        QUAD(15, M3, M2, M0);

        STATE0 = _mm_add_epi32(STATE0, ABEF_SAVE);
        STATE1 = _mm_add_epi32(STATE1, CDGH_SAVE);
    }

    TMP = _mm_shuffle_epi32(STATE0, 0x1B);       // FEBA
    STATE1 = _mm_shuffle_epi32(STATE1, 0xB1);    // DCHG
    STATE0 = _mm_blend_epi16(TMP, STATE1, 0xF0); // DCBA
    STATE1 = _mm_alignr_epi8(STATE1, TMP, 8);    // HGFE
    _mm_storeu_si128((__m128i *)&state[0], STATE0);
    _mm_storeu_si128((__m128i *)&state[4], STATE1);
}

#else

int hm_sha256_has_shani(void) { return 0; }

void hm_sha256_blocks_shani(uint32_t state[8], const uint8_t *data, size_t blocks) {
    (void)state; (void)data; (void)blocks;
}

#endif
