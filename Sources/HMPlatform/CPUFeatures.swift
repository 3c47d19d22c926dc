import CKernels

/// What the CPU this process runs on can execute, as far as the choice of BLAS kernel goes.
public struct CPUFeatures: Codable, Sendable, Equatable {
    public var avx2 = false
    public var fma = false
    public var avx512f = false
    public var avx512bw = false
    public var avx512dq = false
    public var avx512vl = false
    public var avx512cd = false
    /// The vendor, for the record.
    public var intel = false
    public var amd = false

    public init() {}

    /// The features of this machine (`hm_cpu_detect` in CKernels).
    public static let current: CPUFeatures = {
        let f = hm_cpu_detect()
        var c = CPUFeatures()
        c.avx2 = f.avx2 != 0
        c.fma = f.fma != 0
        c.avx512f = f.avx512f != 0
        c.avx512bw = f.avx512bw != 0
        c.avx512dq = f.avx512dq != 0
        c.avx512vl = f.avx512vl != 0
        c.avx512cd = f.avx512cd != 0
        c.intel = f.isIntel != 0
        c.amd = f.isAMD != 0
        return c
    }()

    /// All of AVX-512 F, BW, DQ, VL and CD: what OpenBLAS's SkylakeX kernels use.
    public var hasAVX512: Bool { avx512f && avx512bw && avx512dq && avx512vl && avx512cd }

    /// AVX2 and FMA: what OpenBLAS's Haswell kernels use.
    public var hasAVX2FMA: Bool { avx2 && fma }
}
