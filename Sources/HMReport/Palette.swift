/// Okabe & Ito's palette (2008), told apart by readers with any of the common colour-vision
/// deficiencies; the yellow is left out because it is hard to see on white.
public enum Palette {
    public static let colours = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]

    /// Dash patterns that tell series apart beyond the seven colours (and in grey print).
    public static let dashes = ["", "6 3", "2 2", "8 3 2 3"]

    public static func colour(_ index: Int) -> String { colours[index % colours.count] }

    public static func dash(_ index: Int) -> String { dashes[(index / colours.count) % dashes.count] }
}
