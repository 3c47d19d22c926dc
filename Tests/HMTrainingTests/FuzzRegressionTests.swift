import HMTraining
import Testing

/// Config files that scripts/fuzz.sh found crashing `train --config` (Fuzz/README.md lists
/// them): each must now be refused with a ConfigError naming the file.
struct FuzzRegressionTests {
    func error(_ yaml: String) -> ConfigError? {
        #expect(throws: ConfigError.self) { try TrainingOptions.resolve(ConfigFile.load(text: yaml, path: "c.yaml")) }
    }

    /// FuzzConfig's input: `!!it… [seed,  lr]` in a flow mapping is a key that is a list; Yams
    /// force-unwrapped it as a string and trapped.
    @Test func aListAsAKey() {
        let found = "{data: 'bars:5', lafisher-everyyers: [25, '10:bernoulli'], steps: 100, seed: 6, "
            + "reproducible: true, !!itallow-changes: [seed,  lr], resumrwse5', lafisher-: auto, run-dir: '007'}\n"
        for yaml in [found, "? [a]\n: 1\n", "layers: {[784]: 1}\n", "steps: 1\n? {a: 1}\n: 2\n"] {
            let e = error(yaml)
            #expect(e?.path == "c.yaml" && e?.field == "yaml")
            #expect(e?.message.contains("as a key") == true, "\(yaml)")
        }
    }

    /// Aliases of aliases: nine lines that would expand to 10^9 values.
    @Test func aliasesThatExpandBeyondAnyConfig() {
        var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for k in 1...8 { yaml += "a\(k): &a\(k) [" + Array(repeating: "*a\(k - 1)", count: 10).joined(separator: ", ") + "]\n" }
        #expect(error(yaml)?.message.contains("more than 100000 values") == true)
    }
}
