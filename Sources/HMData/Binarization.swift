import CKernels

/// How real-valued pixels become the 0/1 values that Bernoulli models need (`--binarize`).
///
/// Binarization happens once, at load time, so every rank and every epoch sees the same bits
/// (a fixed binarization, as in Larochelle & Murray's binarized MNIST).
public enum Binarization: String, CaseIterable, Sendable {
    /// Use the data as it is; non-binary data is refused.
    case none
    /// Pixel = 1 when its value is >= 0.5.
    case threshold
    /// Pixel = 1 with probability equal to its value: u < value for a uniform u in (0, 1).
    case stochastic

    /// Key of the stochastic draws ("HMBINARY" in ASCII). Example i of split s draws its
    /// uniforms with `hm_uniform(stochasticKey, i, s, 0, …)`, s = 0 train, 1 valid, 2 test,
    /// so the result depends on neither thread nor rank count.
    public static let stochasticKey: UInt64 = 0x484D_4249_4E41_5259

    /// Binarizes one split of `width`-pixel rows; `split` keys the stochastic draws.
    func apply(to pixels: [Float], width: Int, split: Dataset.Split) -> [Float] {
        switch self {
        case .none:
            return pixels
        case .threshold:
            return pixels.withUnsafeBufferPointer { source in
                [Float](unsafeUninitializedCapacity: source.count) { out, initialized in
                    for i in 0..<source.count { out[i] = source[i] >= 0.5 ? 1 : 0 }
                    initialized = source.count
                }
            }
        case .stochastic:
            let splitIndex = UInt32(Dataset.Split.allCases.firstIndex(of: split)!)
            var uniforms = [Float](repeating: 0, count: width)
            var out = [Float](repeating: 0, count: pixels.count)
            pixels.withUnsafeBufferPointer { source in
                out.withUnsafeMutableBufferPointer { target in
                    for row in 0..<(pixels.count / width) {
                        hm_uniform(Self.stochasticKey, UInt32(row), splitIndex, 0, &uniforms, Int64(width))
                        for j in 0..<width {
                            target[row * width + j] = uniforms[j] < source[row * width + j] ? 1 : 0
                        }
                    }
                }
            }
            return out
        }
    }
}

extension Dataset {
    /// The data set with every split binarized; binary data is returned unchanged, and
    /// non-binary data with `.none` is refused because the models are Bernoulli.
    func binarized(_ binarization: Binarization, source: String) throws -> Dataset {
        if isBinary { return self }
        guard binarization != .none else {
            throw DataError(path: source, field: "pixels",
                            "expected 0/1 values (the models are Bernoulli), found grey levels; pass --binarize threshold|stochastic")
        }
        for s in Split.allCases {
            guard let values = split(s), let bad = values.firstIndex(where: { !(0...1).contains($0) }) else { continue }
            throw DataError(path: source, field: "data",
                            "expected float pixels in [0, 1] to binarize, found \(values[bad]) (\(s.rawValue) item \(bad / width), pixel \(bad % width)); a real-valued data layer is WIDTH:gaussian")
        }
        func apply(_ split: Split) -> [Float]? {
            self.split(split).map { binarization.apply(to: $0, width: width, split: split) }
        }
        return Dataset(name: name, imageShape: imageShape, train: apply(.train)!,
                       valid: apply(.valid), test: apply(.test), labels: labels)
    }
}
