// Umbrella header of the C kernels (an explicit one, so that adding a header rebuilds the
// module instead of leaving a stale module cache).
#include "hm_kernels.h"
#include "hm_cpu.h"
#include "hm_signals.h"
#include "hm_sha256.h"
#include "hm_linalg.h"
#include "hm_io.h"
