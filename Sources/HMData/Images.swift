/// The images of one IDX file as grey levels, with their drawing shape.
struct Images {
    var pixels: [Float]
    var count: Int
    var imageShape: ImageShape
    var width: Int { imageShape.pixels }

    /// Shapes: `[N, rows, cols]`; `[N, pixels]` (drawn square when pixels is a square, else as
    /// one row); `[N, rows, a, b…]` (drawn rows × (a·b…)). `[N]` is a labels file and refused.
    static func read(_ path: String) throws -> Images {
        try Images(IDXArray.read(path: path), path: path)
    }

    /// The images of an IDX array read from `path` (which only names the file in errors).
    init(_ array: IDXArray, path: String) throws {
        let shape = array.shape
        guard shape.count >= 2 else {
            throw DataError(path: path, field: "header",
                            "expected images of shape [N, rows, cols] or [N, pixels], found shape \(shape) (a labels file?)")
        }
        let width = shape.dropFirst().reduce(1, *)
        let side = Int(Double(width).squareRoot().rounded())
        let imageShape = shape.count > 2 ? ImageShape(rows: shape[1], cols: width / shape[1])
            : side * side == width ? ImageShape(rows: side, cols: side) : ImageShape(rows: 1, cols: width)
        pixels = try PixelScale.greyLevels(of: array, path: path)
        count = shape[0]
        self.imageShape = imageShape
    }
}
