/// How one example is drawn as an image (for sample PNGs): `rows` × `cols` pixels, row-major.
/// A struct rather than a tuple so that it can be compared and stored.
public struct ImageShape: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var rows: Int
    public var cols: Int

    public init(rows: Int, cols: Int) {
        self.rows = rows
        self.cols = cols
    }

    /// Pixels per example.
    public var pixels: Int { rows * cols }

    public var description: String { "\(rows)×\(cols)" }
}
