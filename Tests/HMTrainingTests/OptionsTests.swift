import Foundation
import HMAlgorithms
import HMCore
import HMData
import HMTestSupport
import HMTraining
import Testing

/// Every option is declared once: the same entry parses the flag and the YAML key and writes
/// `config.yaml`, so what a run writes reads back as the same configuration.
struct OptionsTests {
    @Test func configYAMLReadsBackAsTheSameConfiguration() throws {
        let tmp = try TestScratch()
        let c = try config(["data": "bars:4", "layers": "16,8:bernoulli,3", "algorithm": "nrws", "samples": "7", "batch": "30",
                            "lr": "2.5e-4", "optimizer": "sgd", "momentum": "0.5", "steps": "40", "seed": "18446744073709551615",
                            "run-dir": "runs/a b", "resume": "auto", "reproducible": "true", "eval-split": "test",
                            "damping": "0.1", "fisher-decay": "0.9", "zstd-level": "3", "allow-changes": "seed,lr",
                            "init-from": "runs/base", "active-sampling": "rhythm10", "states": "pm1", "init": "zero",
                            "ddc-split": "paper", "ddc-feature-type": "cosine", "bin-ms": "1.5", "window": "7", "stride": "3", "valid-from": "12.5",
                            "multilevel": "true", "multilevel-epochs": "4", "multilevel-pool": "max", "multilevel-binarize": "threshold",
                            "multilevel-recognition": "true", "goal-cycles": "2",
                            "lr-schedule": "cosine", "lr-final": "1e-5", "warmup-steps": "5", "lr-decay-steps": "30"])
        #expect(c.algorithm.multilevel && c.algorithm.multilevelEpochs == 4 && c.algorithm.multilevelPool == .max
                && c.algorithm.multilevelBinarize == .threshold && c.algorithm.multilevelRecognition)
        #expect(c.lrSchedule == .cosine && c.lrFinal == 1e-5 && c.warmupSteps == 5 && c.lrDecaySteps == 30)
        #expect(c.spikes == SpikeBinning(binMs: 1.5, window: 7, stride: 3, validFrom: 12.5))
        #expect(c.algorithm.samples == 7 && c.dreams == 30 && c.algorithm.dampingFinal == 0.1 && c.epochs == nil)
        #expect(c.algorithm.ddcSplit == .paper && c.layers?.map(\.width) == [16, 8, 3] && c.seed == UInt64.max && c.resume == .auto && c.evalSplit == .test)
        let path = tmp.path("config.yaml")
        try ConfigFile.yaml(c).write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try TrainingOptions.resolve(ConfigFile.load(path: path)) == c)
        // Every option is written (the unset optional ones aside).
        let keys = Set(TrainingOptions.record(c).map(\.key))
        #expect(keys == Set(TrainingOptions.all.map(\.key)).subtracting(["epochs"]))
    }

    /// A string setting keeps its text as written, even where YAML would read a number or a date.
    @Test func stringSettingsKeepTheirYAMLText() throws {
        let tmp = try TestScratch()
        let path = tmp.path("c.yaml")
        try "run-dir: 007\ndata: 2024-05-01\nlr: \"1e-3\"\nsteps: ~\n".write(toFile: path, atomically: true, encoding: .utf8)
        let c = try TrainingOptions.resolve(ConfigFile.load(path: path))
        #expect(c.runDir == "007" && c.data == "2024-05-01" && c.lr == 1e-3 && c.steps == nil && c.epochs == 10)
    }

    @Test func defaultsThatDependOnOtherSettings() throws {
        #expect(try config(["algorithm": "ws"]).algorithm.samples == 1)
        #expect(try config(["algorithm": "nws"]).algorithm.samples == 1)
        #expect(try config(["algorithm": "nrws"]).algorithm.samples == 5)
        #expect(try config(["batch": "40"]).dreams == 40)
        #expect(try config([:]).epochs == 10)
        #expect(try config([:]).spikes == SpikeBinning(binMs: 2, window: 5) && SpikeBinning().step == 5)
        #expect(try config([:]).algorithm.ddcSplit == .layer)
        #expect(try config([:]).zstdLevel == -1 && config(["zstd-level": "1"]).zstdLevel == 1)
    }

    @Test(arguments: [
        (["optimizer": "rmsprop"], "optimizer", "adam or sgd"),
        (["batch": "0"], "batch", "positive"),
        (["lr": "-1"], "lr", "positive number"),
        (["layers": "64"], "layers", "at least two"),
        (["layers": "64:poisson,10"], "layers", "bernoulli"),
        (["steps": "5", "epochs": "2"], "steps", "not both"),
        (["colour": "red"], "colour", "not a known key"),
        (["bin-ms": "0"], "bin-ms", "bin width in ms > 0"),
        (["window": "0"], "window", "positive"),
        (["stride": "-2"], "stride", "positive"),
        (["valid-from": "-1"], "valid-from", "≥ 0"),
        (["ddc-split": "half"], "ddc-split", "layer or paper"),
        (["ddc-feature-type": "tanh"], "ddc-feature-type", "sigmoid or cosine"),
        (["zstd-level": "0"], "zstd-level", "fast level from -1 to -10"),
        (["zstd-level": "-11"], "zstd-level", "fast level from -1 to -10"),
        (["zstd-level": "20"], "zstd-level", "from 1 to 19"),
    ])
    func badValuesNameTheKey(_ given: [String: String], key: String, says: String) {
        #expect {
            _ = try config(given)
        } throws: { error in
            guard let e = error as? ConfigError else { return false }
            return e.field == key && e.message.contains(says) && e.path == "test"
        }
    }
}
