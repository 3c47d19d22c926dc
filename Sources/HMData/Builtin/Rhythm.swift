/// The built-in `rhythm10` data set (Liu 2023, free-energy active sampling): the 256
/// well-formed 10-bit rhythm patterns of `PatternRule.rhythm10`, in increasing binary order
/// (the first bit most significant). All 256 are the training split, and the valid and test splits are the same
/// 256: the experiment asks how often the machine's fantasies obey the rules, not how it
/// generalises.
public enum Rhythm {
    public static let width = 10

    public static func dataset() -> Dataset {
        let patterns = PatternRule.rhythm10.wellFormed(width: width)
        let pixels = patterns.flatMap { $0 }
        return Dataset(name: "rhythm10", imageShape: ImageShape(rows: 1, cols: width), train: pixels, valid: pixels, test: pixels)
    }
}
