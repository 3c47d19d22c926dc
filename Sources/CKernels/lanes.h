// Float lanes as one value (clang/GCC vector types), 8 and 16 wide: f8 is one AVX2 register or
// two SSE2 ones (the AVX2 and baseline clones); f16 one AVX-512 register. Why not leave it to the
// vectorizer: in the scorer it kept the lanes' sums in memory and stored deltas through masks,
// three times slower. Values pass by pointer or macro: a vector argument would change the
// calling convention of the narrower clones.
#ifndef HM_LANES_H
#define HM_LANES_H
#include <stdint.h>
#include <string.h>

typedef float f8 __attribute__((vector_size(32)));
typedef int32_t i8 __attribute__((vector_size(32)));
typedef float f16 __attribute__((vector_size(64)));
typedef int32_t i16 __attribute__((vector_size(64)));

/// x in every lane of a V.
#define V_SPLAT(x) ((V){0} + (float)(x))
/// m ? a : b in each lane, for a comparison's mask m (all ones or all zeros a lane).
#define V_SELECT(m, a, b) ((V)(((VI)(m) & (VI)(a)) | (~(VI)(m) & (VI)(b))))
/// −|x|: the sign bit set, as -fabsf.
#define V_NEGABS(x) ((V)((VI)(x) | (int32_t)0x80000000u))
#define V_LOAD(v, p) memcpy(&(v), (p), sizeof(V))
#define V_STORE(p, v) memcpy((p), &(v), sizeof(V))
#define LANES_FN __attribute__((always_inline)) static inline

#define V f8
#define VI i8
#define VNAME(name) f8_##name
#include "lanes_maths.h"
#undef V
#undef VI
#undef VNAME

#define V f16
#define VI i16
#define VNAME(name) f16_##name
#include "lanes_maths.h"
#undef V
#undef VI
#undef VNAME
#endif
