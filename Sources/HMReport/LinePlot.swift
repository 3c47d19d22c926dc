/// A line plot as inline SVG: axes with nice ticks, labels, a legend, and one `<path>` per
/// series holding every point given (no decimation: the path of a series plotted from N
/// records has N points, which the browser test counts).
///
/// To keep a path of 100,000 points small, its coordinates are integers in tenths of a pixel
/// (a `scale(0.1)` group) written as relative moves: `M x y l dx dy dx dy …`, mostly one or
/// two digits each.
public struct LinePlot {
    public struct Series {
        public var name: String
        public var points: [(x: Double, y: Double)]
        /// Index into `Palette`: a run keeps its colour in every figure.
        public var style: Int

        public init(name: String, points: [(x: Double, y: Double)], style: Int) {
            self.name = name
            self.points = points
            self.style = style
        }
    }

    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var width = 560.0
    public var height = 320.0

    public init(xLabel: String, yLabel: String, series: [Series]) {
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    /// Points of a series at most this many are also drawn as dots (sparse estimates).
    static let dotLimit = 200
    static let left = 64.0, right = 16.0, bottom = 44.0, legendRow = 18.0

    public var svg: String {
        let all = series.flatMap(\.points)
        let xTicks = Ticks(low: all.map(\.x).min() ?? 0, high: all.map(\.x).max() ?? 1)
        let yTicks = Ticks(low: all.map(\.y).min() ?? 0, high: all.map(\.y).max() ?? 1)
        let legend = legendLayout()
        let top = 10 + Double(legend.rows) * Self.legendRow + 6
        let plotWidth = width - Self.left - Self.right, plotHeight = height - top - Self.bottom
        func px(_ x: Double) -> Double { (x - xTicks.low) / (xTicks.high - xTicks.low) * plotWidth }
        func py(_ y: Double) -> Double { plotHeight - (y - yTicks.low) / (yTicks.high - yTicks.low) * plotHeight }

        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" width=\"\(n(width))\" height=\"\(n(height))\" viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"sans-serif\" font-size=\"12\">"
        out += "<g transform=\"translate(\(n(Self.left)),\(n(top)))\">"
        out += "<rect width=\"\(n(plotWidth))\" height=\"\(n(plotHeight))\" fill=\"#fff\" stroke=\"#555\"/>"
        for v in yTicks.values {
            let y = py(v)
            out += "<line x1=\"0\" x2=\"\(n(plotWidth))\" y1=\"\(n(y))\" y2=\"\(n(y))\" stroke=\"#e3e3e3\"/>"
            out += "<text x=\"-6\" y=\"\(n(y + 4))\" text-anchor=\"end\">\(HTML.escape(yTicks.label(v)))</text>"
        }
        for v in xTicks.values {
            let x = px(v)
            out += "<line x1=\"\(n(x))\" x2=\"\(n(x))\" y1=\"\(n(plotHeight))\" y2=\"\(n(plotHeight + 4))\" stroke=\"#555\"/>"
            out += "<text x=\"\(n(x))\" y=\"\(n(plotHeight + 17))\" text-anchor=\"middle\">\(HTML.escape(xTicks.label(v)))</text>"
        }
        out += "<text x=\"\(n(plotWidth / 2))\" y=\"\(n(plotHeight + 36))\" text-anchor=\"middle\">\(HTML.escape(xLabel))</text>"
        out += "<text transform=\"translate(-50,\(n(plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(HTML.escape(yLabel))</text>"
        out += "<g transform=\"scale(0.1)\">"
        for s in series where !s.points.isEmpty {
            let colour = Palette.colour(s.style), dash = Palette.dash(s.style)
            out += "<path class=\"series\" data-series=\"\(HTML.escape(s.name))\" data-points=\"\(s.points.count)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\" vector-effect=\"non-scaling-stroke\""
            if !dash.isEmpty { out += " stroke-dasharray=\"\(dash)\"" }
            out += " d=\"" + Self.pathData(s.points.map { (Int((px($0.x) * 10).rounded()), Int((py($0.y) * 10).rounded())) }) + "\"/>"
            if s.points.count <= Self.dotLimit {
                out += "<g fill=\"\(colour)\">"
                for p in s.points { out += "<circle cx=\"\(Int((px(p.x) * 10).rounded()))\" cy=\"\(Int((py(p.y) * 10).rounded()))\" r=\"25\"/>" }
                out += "</g>"
            }
        }
        out += "</g></g>"
        for (i, entry) in legend.entries.enumerated() {
            let s = series[i], y = 10 + Double(entry.row) * Self.legendRow + 9, x = Self.left + entry.x
            out += "<line x1=\"\(n(x))\" x2=\"\(n(x + 20))\" y1=\"\(n(y))\" y2=\"\(n(y))\" stroke=\"\(Palette.colour(s.style))\" stroke-width=\"2.5\""
            if !Palette.dash(s.style).isEmpty { out += " stroke-dasharray=\"\(Palette.dash(s.style))\"" }
            out += "/><text x=\"\(n(x + 25))\" y=\"\(n(y + 4))\">\(HTML.escape(s.name))</text>"
        }
        return out + "</svg>"
    }

    /// Where each legend entry goes: entries in reading order, wrapped at the plot's width.
    func legendLayout() -> (entries: [(x: Double, row: Int)], rows: Int) {
        var entries: [(x: Double, row: Int)] = [], x = 0.0, row = 0
        let available = width - Self.left - Self.right
        for s in series {
            let w = 25 + 7 * Double(s.name.count) + 16
            if x > 0 && x + w > available { x = 0; row += 1 }
            entries.append((x, row))
            x += w
        }
        return (entries, series.isEmpty ? 0 : row + 1)
    }

    /// `M x y l dx dy …` of integer points: one coordinate pair per point.
    static func pathData(_ points: [(Int, Int)]) -> String {
        guard let first = points.first else { return "" }
        var out = "M\(first.0) \(first.1)"
        out.reserveCapacity(points.count * 6)
        guard points.count > 1 else { return out }
        out += "l"
        var previous = first
        for (i, p) in points.dropFirst().enumerated() {
            if i > 0 { out += " " }
            out += String(p.0 - previous.0)
            out += " "
            out += String(p.1 - previous.1)
            previous = p
        }
        return out
    }

    /// A coordinate with at most one decimal.
    func n(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(r)
    }
}
