// CPU features that decide which OpenBLAS kernel hm-dist asks for (see Platform/BLASKernel
// in HMDistCLI). Each bit is the compiler runtime's view (`__builtin_cpu_supports`), which
// also requires the operating system to save the registers involved (XGETBV), so a set bit
// means the instructions are usable in this process.
#ifndef HM_CPU_H
#define HM_CPU_H

typedef struct {
    int avx2;
    int fma;
    int avx512f;
    int avx512bw;
    int avx512dq;
    int avx512vl;
    int avx512cd;
    int isIntel;
    int isAMD;
} hm_cpu_features;

/// The features of the CPU this process runs on. Cheap; safe to call before anything else.
hm_cpu_features hm_cpu_detect(void);

/// The CPUs this process may run on (its affinity mask: what `taskset` or the MPI launcher's
/// binding left it); the online CPUs where the mask cannot be read. At least 1.
int hm_cpus_available(void);

/// The CPUs online on this host. At least 1.
int hm_cpus_online(void);

#endif
