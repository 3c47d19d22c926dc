#define _GNU_SOURCE
#include "hm_cpu.h"
#include <sched.h>
#include <unistd.h>

hm_cpu_features hm_cpu_detect(void) {
    hm_cpu_features f = {0};
#if defined(__x86_64__) || defined(__i386__)
    // Idempotent; needed when called before the runtime's own constructor has run.
    __builtin_cpu_init();
    f.avx2 = __builtin_cpu_supports("avx2") != 0;
    f.fma = __builtin_cpu_supports("fma") != 0;
    f.avx512f = __builtin_cpu_supports("avx512f") != 0;
    f.avx512bw = __builtin_cpu_supports("avx512bw") != 0;
    f.avx512dq = __builtin_cpu_supports("avx512dq") != 0;
    f.avx512vl = __builtin_cpu_supports("avx512vl") != 0;
    f.avx512cd = __builtin_cpu_supports("avx512cd") != 0;
    f.isIntel = __builtin_cpu_is("intel") != 0;
    f.isAMD = __builtin_cpu_is("amd") != 0;
#endif
    return f;
}

int hm_cpus_available(void) {
#ifdef __linux__
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0) return n;
    }
#endif
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int hm_cpus_online(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}
