import Foundation

/// Per-pixel standardisation of real-valued data, z = (x − mean) / std, with the training
/// split's statistics: stored in the checkpoint (`data.mean`, `data.std`) and applied by every
/// reader of the model. Densities change by the Jacobian: log p(x) = log p(z) − Σ_j log std_j.
public struct Standardization: Sendable, Equatable {
    public let mean: [Float]
    public let std: [Float]

    public init(mean: [Float], std: [Float]) {
        self.mean = mean
        self.std = std
    }

    /// The statistics of `values` ([N, width] row-major); a constant pixel cannot be
    /// standardised and is refused, naming it.
    public static func fit(_ values: [Float], width: Int, imageShape: ImageShape, source: String) throws -> Standardization {
        let n = values.count / max(width, 1)
        var sum = [Double](repeating: 0, count: width), squares = sum
        for r in 0..<n { for j in 0..<width { let v = Double(values[r * width + j]); sum[j] += v; squares[j] += v * v } }
        var mean = [Float](), std = [Float]()
        for j in 0..<width {
            let m = sum[j] / Double(max(n, 1)), variance = max(squares[j] / Double(max(n, 1)) - m * m, 0)
            guard variance > 1e-12 * max(1, m * m) else {
                throw DataError(path: source, field: "standardize",
                                "pixel \(j) (row \(j / imageShape.cols), column \(j % imageShape.cols)) has the same value \(m) in every training item: it has no variance to standardise by; drop --standardize or the pixel")
            }
            mean.append(Float(m))
            std.append(Float(variance.squareRoot()))
        }
        return Standardization(mean: mean, std: std)
    }

    public func apply(to values: [Float]) -> [Float] {
        let w = mean.count
        return values.enumerated().map { i, v in (v - mean[i % w]) / std[i % w] }
    }

    public func invert(_ values: [Float]) -> [Float] {
        let w = mean.count
        return values.enumerated().map { i, v in v * std[i % w] + mean[i % w] }
    }

    /// log p(x) − log p(z) per data point: −Σ_j log std_j.
    public var logJacobian: Double { -std.reduce(0) { $0 + log(Double($1)) } }
}
