import CKernels

/// The built-in `bars` data set: the classic bars problem (Földiák 1990; used for Helmholtz
/// machines by Dayan, Hinton, Neal & Zemel 1995).
///
/// Each image is N×N (default N = 5, 25 pixels). Each of the 2N bars — N horizontal (rows) and
/// N vertical (columns) — is on independently with probability p = 1/N (0.2 for N = 5); a pixel
/// is 1 when a bar covering it is on. Images with no bar on are kept. Splits: 10,000 train,
/// 1,000 valid, 1,000 test. Generated deterministically: example i of split s (0 train,
/// 1 valid, 2 test) draws its 2N uniforms with `hm_uniform(Bars.key, i, s, N, …)`; uniform k
/// < N switches row k on, uniform N + k column k.
public enum Bars {
    /// Key of the generator ("HMBARS" in ASCII).
    public static let key: UInt64 = 0x484D_4241_5253
    public static let defaultSize = 5
    /// Sizes accepted in `bars:N`.
    public static let sizes = 2...32
    static let counts: [(Dataset.Split, Int)] = [(.train, 10_000), (.valid, 1_000), (.test, 1_000)]

    /// The bars data set of `size`×`size` images, named `bars:<size>`.
    public static func dataset(size: Int = defaultSize) -> Dataset {
        precondition(sizes.contains(size), "bars: size \(size) outside \(sizes)")
        let splits = counts.map { split, count in
            images(size: size, count: count, splitIndex: UInt32(Dataset.Split.allCases.firstIndex(of: split)!))
        }
        return Dataset(name: "bars:\(size)", imageShape: ImageShape(rows: size, cols: size),
                       train: splits[0], valid: splits[1], test: splits[2])
    }

    private static func images(size n: Int, count: Int, splitIndex: UInt32) -> [Float] {
        let p = 1 / Float(n)
        var uniforms = [Float](repeating: 0, count: 2 * n)
        var pixels = [Float](repeating: 0, count: count * n * n)
        for example in 0..<count {
            hm_uniform(key, UInt32(example), splitIndex, UInt32(n), &uniforms, Int64(2 * n))
            let image = example * n * n
            for bar in 0..<n {
                if uniforms[bar] < p {
                    for c in 0..<n { pixels[image + bar * n + c] = 1 }
                }
                if uniforms[n + bar] < p {
                    for r in 0..<n { pixels[image + r * n + bar] = 1 }
                }
            }
        }
        return pixels
    }
}
