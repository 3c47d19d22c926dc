import Foundation
import HMCheckpoint
import HMData
import HMTraining

/// The report's pictures of a run, as PNG grids: the model's samples, real training data,
/// and the first layer's weights as receptive fields.
public enum Images {
    /// How a first layer's fields are drawn: as images (image data), as rasters of channels ×
    /// bins (spike data), or as one heat map of units × inputs (anything else).
    public enum FieldStyle: String { case images, rasters, heatMap = "heat map" }

    public static func style(dataSpec: String?, imageShape: [Int]) -> FieldStyle {
        if let spec = dataSpec, SpikeData.isSpikeSpec(spec) { return .rasters }
        return imageShape.count == 2 && imageShape[0] > 1 && imageShape[1] > 1 ? .images : .heatMap
    }

    /// Pixels per model pixel so that a tile is about `target` pixels across.
    static func scale(_ shape: [Int], target: Int) -> Int {
        max(1, target / max(1, shape.max() ?? 1))
    }

    /// Tiles of `shape` on a grid, each about 40 pixels across.
    public static func grid(_ tiles: [[Float]], shape: [Int]) -> PNG.GrayImage {
        PNG.tile(tiles, rows: shape[0], columns: shape[1], scale: scale(shape, target: 40))
    }

    /// The first `count` training examples of the run's data, in [0, 1].
    public static func realData(_ config: TrainingConfig, count: Int) throws -> (tiles: [[Float]], shape: [Int]) {
        let real = config.layers?.first?.kind.isContinuous ?? false
        let d = try DataSource.load(spec: config.data, binarize: config.binarize, real: real, spikes: config.spikes)
        let n = min(count, d.trainCount)
        let tiles = (0..<n).map { i in d.train[(i * d.width)..<((i + 1) * d.width)].map { min(max($0, 0), 1) } }
        return (tiles, [d.imageShape.rows, d.imageShape.cols])
    }

    /// The weights between the data and the first hidden layer, one field per hidden unit (at
    /// most `limit`): of p(x | h1) (`generative.0.*`, shape [data, h1]: a unit's column) or
    /// of q(h1 | x) (`recognition.0.*`, shape [h1, data]: a unit's row). Nil if the
    /// checkpoint has no such tensor.
    public static func fields(_ checkpoint: Checkpoint, generative: Bool, dataWidth: Int, hidden: Int, limit: Int) throws -> [[Float]]? {
        let prefix = generative ? "generative.0." : "recognition.0."
        let shape = generative ? [dataWidth, hidden] : [hidden, dataWidth]
        guard let tensor = checkpoint.tensors.keys.sorted().filter({ $0.hasPrefix(prefix) })
            .map({ checkpoint.tensors[$0]! }).first(where: { $0.shape == shape && $0.dtype == .f32 }) else { return nil }
        let w = try tensor.values(as: Float.self)
        return (0..<min(hidden, limit)).map { j in
            generative ? (0..<dataWidth).map { w[$0 * hidden + j] } : Array(w[(j * dataWidth)..<((j + 1) * dataWidth)])
        }
    }

    /// Fields drawn in grey, 0 mid-grey, each image scaled by its own largest |w| (a field's
    /// shape is what is read from it); a heat map shares one scale, units down, inputs across.
    public static func fieldImage(_ fields: [[Float]], shape: [Int], style: FieldStyle) -> PNG.GrayImage {
        func grey(_ v: Float, _ scale: Float) -> Float { 0.5 + 0.5 * v / scale }
        switch style {
        case .images, .rasters:
            let tiles = fields.map { f in
                let m = max(f.map(abs).max() ?? 0, 1e-12)
                return f.map { grey($0, m) }
            }
            return PNG.tile(tiles, rows: shape[0], columns: shape[1],
                            scale: scale(shape, target: style == .images ? 40 : 64))
        case .heatMap:
            let m = max(fields.flatMap { $0.map(abs) }.max() ?? 0, 1e-12)
            let width = fields.first?.count ?? 1
            return PNG.tile([fields.flatMap { $0.map { grey($0, m) } }], rows: fields.count, columns: width,
                            scale: max(1, min(8, 480 / max(width, fields.count))))
        }
    }

    /// A PNG as an `<img>` with its bytes inline (base64), so the page needs no other file.
    public static func inline(_ image: PNG.GrayImage, alt: String) throws -> String {
        let base64 = Data(try PNG.encode(image)).base64EncodedString()
        return "<img alt=\"\(HTML.escape(alt))\" width=\"\(image.width)\" height=\"\(image.height)\" src=\"data:image/png;base64,\(base64)\">"
    }
}
