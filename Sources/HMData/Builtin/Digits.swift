import Foundation

/// The built-in `digits` data set: 1,797 handwritten digits of 8×8 pixels, binarized.
///
/// Data: the UCI "Optical Recognition of Handwritten Digits" test set (E. Alpaydin,
/// C. Kaynak, 1998), licensed CC BY 4.0, as shipped by scikit-learn's `load_digits`
/// (BSD-3-Clause); see DIGITS-ATTRIBUTION.md. Grey levels 0..16 are binarized at >= 8 → 1 and
/// embedded in `DigitsData.swift` by `scripts/embed_digits.py`, so the package needs no file.
///
/// Labels 0..9 come with the images (`labelDigits`, same order and split).
///
/// Fixed split, in load_digits order: train = images 0..<1397, valid = 1397..<1597,
/// test = 1597..<1797.
public enum Digits {
    public static let count = 1797
    public static let imageShape = ImageShape(rows: 8, cols: 8)
    static let splitRanges: [Range<Int>] = [0..<1397, 1397..<1597, 1597..<1797]

    /// All 1,797 images, decoded once.
    static let pixels: [Float] = {
        guard let packed = Data(base64Encoded: packedBase64, options: .ignoreUnknownCharacters),
              packed.count * 8 == count * 64
        else { fatalError("Digits: DigitsData.swift is damaged; rerun scripts/embed_digits.py") }
        return (0..<(count * 64)).map { i in Float(packed[i / 8] >> (7 - i % 8) & 1) }
    }()

    /// All 1,797 labels, decoded once.
    static let labels: [Int] = {
        let values = labelDigits.compactMap(\.wholeNumberValue)
        guard values.count == count else { fatalError("Digits: DigitsData.swift is damaged; rerun scripts/embed_digits.py") }
        return values
    }()

    public static func dataset() -> Dataset {
        let splits = splitRanges.map { Array(pixels[($0.lowerBound * 64)..<($0.upperBound * 64)]) }
        let labelSplits = splitRanges.map { Array(labels[$0]) }
        return Dataset(name: "digits", imageShape: imageShape,
                       train: splits[0], valid: splits[1], test: splits[2],
                       labels: [.train: labelSplits[0], .valid: labelSplits[1], .test: labelSplits[2]])
    }
}
