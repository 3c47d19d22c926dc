import CKernels

/// Why a number is drawn. Part of every counter, so the streams of different purposes never
/// overlap (docs/training.md: the counter is derived from purpose, step, sample index, layer, unit).
public enum Purpose: UInt32, Sendable {
    case initialize = 1
    case wake = 2
    case sleep = 3
    case evaluate = 4
    case shuffle = 5
    case generate = 6
    /// Active sampling's draws from its pool.
    case pool = 7
    /// Multilevel cues: which points are clamped, and the cues' Bernoulli draws.
    case cue = 8
    /// Goal-seeded generation: the dreams' goals, the cycles' draws, which points are labelled.
    case goal = 9
}

/// Which network a layer belongs to, for the counter.
public enum Network: UInt32, Sendable {
    case generative = 0
    case recognition = 1
}

/// The run's key plus the fields of a Philox counter other than the unit and sample index.
/// No state is carried between draws: the same (key, purpose, step, layer, sample, unit)
/// always gives the same number, whichever rank draws it.
public struct RandomStream: Sendable {
    public let key: UInt64
    public let purpose: Purpose
    public let step: UInt32

    public init(key: UInt64, purpose: Purpose, step: Int) {
        self.key = key
        self.purpose = purpose
        self.step = UInt32(truncatingIfNeeded: step)
    }

    /// The counter word that names one layer of one network under this purpose.
    public func tag(_ network: Network, layer: Int) -> UInt32 {
        purpose.rawValue << 24 | network.rawValue << 16 | UInt32(layer & 0xFFFF)
    }

    /// `count` uniforms in (0, 1) for sample `index` of `tag`.
    public func uniforms(tag: UInt32, index: Int, into out: UnsafeMutablePointer<Float>, count: Int) {
        hm_uniform(key, UInt32(truncatingIfNeeded: index), tag, step, out, Int64(count))
    }

    /// `count` standard normals for sample `index` of `tag`.
    public func normals(tag: UInt32, index: Int, into out: UnsafeMutablePointer<Float>, count: Int) {
        hm_normal(key, UInt32(truncatingIfNeeded: index), tag, step, out, Int64(count))
    }
}
