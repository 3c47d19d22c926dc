import Foundation
import HMCheckpoint
import HMData
import HMTestSupport
import Testing

/// Real-valued data through the command line (docs/command-line.md: layer kinds,
/// `--standardize`): a Gaussian data layer trains, resumes, evaluates and samples; bad
/// real-valued input is refused naming the file, the item and pixel.
@Suite struct RealValuedDataTests {
    /// 400 8×8 float images: a smooth ramp times a per-image level plus noise, every pixel
    /// varying; `mutate` may spoil them.
    static func write(_ path: String, mutate: (inout [Float]) -> Void = { _ in }) throws {
        var values: [Float] = []
        for i in 0..<400 {
            let level = Float(i % 7) / 7
            for j in 0..<64 { values.append(level * Float(j % 8) / 8 + 0.1 * sin(Float(i * 64 + j))) }
        }
        mutate(&values)
        try IDXArray(shape: [400, 8, 8], float32: values).write(to: path)
    }

    @Test func aGaussianDataLayerTrainsResumesEvaluatesAndSamples() throws {
        let tmp = try TestScratch()
        let data = tmp.path("real-images-idx3-float"), run = tmp.path("R"), straight = tmp.path("S")
        try Self.write(data)
        let base = ["train", "--data", data, "--layers", "64:gaussian-hetero,12,4:categorical", "--standardize", "--batch", "20",
                    "--log-every", "10", "--eval-samples", "20"]
        let s = try runHMDist(base + ["--steps", "30", "--run-dir", straight], in: tmp)
        try #require(s.succeeded, "\(s)")
        #expect(s.stdout.contains("standardised data:") && s.stdout.contains("in the data's own units"), "\(s)")
        let first = try runHMDist(base + ["--steps", "15", "--run-dir", run], in: tmp)
        try #require(first.succeeded, "\(first)")
        let resumed = try runHMDist(base + ["--steps", "30", "--run-dir", run, "--resume", "auto"], in: tmp)
        try #require(resumed.succeeded, "\(resumed)")
        // Resumed = uninterrupted, bit for bit (one rank).
        let a = try CheckpointReader.load(straight), b = try CheckpointReader.load(run)
        for name in a.tensors.keys.sorted() where !name.hasPrefix("optimizer.") {
            #expect(try a[name]!.values(as: Float.self) == b[name]!.values(as: Float.self), "\(name) differs after resume")
        }
        #expect(a["generative.0.logvar_weight"] != nil && a["data.std"] != nil, "tensors: \(a.tensors.keys.sorted())")

        let e = try runHMDist(["eval", "--checkpoint", run, "--split", "valid", "--samples", "20", "--mmd", "30", "--json"], in: tmp)
        try #require(e.succeeded, "\(e)")
        let record = try #require(try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any])
        let ll = try #require(record["log_likelihood"] as? Double), units = try #require(record["log_likelihood_data_units"] as? Double)
        #expect(record["standardized"] as? Bool == true && ll.isFinite && units.isFinite && units != ll, "\(record)")
        // 30 model samples against a random 30 of the 40 valid points.
        #expect(record["mmd_samples"] as? Int == 30 && (record["mmd"] as? Double)?.isFinite == true
                && (record["mmd_standard_error"] as? Double ?? 0) > 0, "\(record)")
        let png = tmp.path("s.png")
        let sample = try runHMDist(["sample", "--checkpoint", run, "--out", png, "--count", "9"], in: tmp)
        #expect(sample.succeeded && FileManager.default.fileExists(atPath: png), "\(sample)")
        // Categorical latents over Gaussian data: a finite mixture, enumerated.
        let exact = try runHMDist(["eval", "--checkpoint", run, "--split", "valid", "--exact"], in: tmp)
        #expect(exact.succeeded, "categorical latents over Gaussian data are enumerable: \(exact)")
    }

    /// `--reproducible` with unbounded (Gaussian) gradients and a categorical top: 20 steps on
    /// one rank are the same bytes as 10 steps on two ranks resumed to 20 on three — for rws,
    /// and for nrws with its Fisher heads (Fisher every 3 steps, so the resume restores them).
    @Test(arguments: ["rws", "nrws"])
    func reproducibleWithGaussianAndCategoricalLayersAcrossWorldSizes(algorithm: String) throws {
        let tmp = try TestScratch()
        let data = tmp.path("real-images-idx3-float")
        try Self.write(data)
        let base = ["train", "--data", data, "--layers", "64:gaussian-hetero,10:gaussian,3:categorical", "--standardize",
                    "--batch", "20", "--reproducible", "--log-every", "10", "--algorithm", algorithm, "--fisher-every", "3"]
        try expectOneRankEqualsTwoResumedOnThree(base, steps: 20, in: tmp, what: "\(algorithm): 1 rank vs 2 ranks resumed on 3")
    }

    @Test func exactIsRefusedForAGaussianLatent() throws {
        let tmp = try TestScratch()
        let run = tmp.path("G")
        try #require(try runHMDist(["train", "--data", "bars", "--layers", "25,4:gaussian", "--steps", "2", "--batch", "10", "--run-dir", run], in: tmp).succeeded)
        expectCleanFailure(try runHMDist(["eval", "--checkpoint", run, "--exact"], in: tmp), mentions: ["continuous (Gaussian) latent layer"])
    }

    @Test func nonFiniteValuesAreRefusedNamingItemAndPixel() throws {
        let tmp = try TestScratch()
        let data = tmp.path("bad-images-idx3-float")
        try Self.write(data) { $0[5 * 64 + 9] = .infinity }
        expectCleanFailure(try runHMDist(["train", "--data", data, "--layers", "64:gaussian,8", "--steps", "1"], in: tmp),
                           mentions: [data, "item 5, pixel 9", "finite"])
    }

    @Test func aConstantPixelCannotBeStandardised() throws {
        let tmp = try TestScratch()
        let data = tmp.path("flat-images-idx3-float")
        try Self.write(data) { v in for i in 0..<400 { v[i * 64 + 10] = 0.25 } }
        expectCleanFailure(try runHMDist(["train", "--data", data, "--layers", "64:gaussian,8", "--standardize", "--steps", "1"], in: tmp),
                           mentions: [data, "pixel 10 (row 1, column 2)", "standardise"])
    }

    @Test func realValuesNeedAGaussianDataLayerOrABinarization() throws {
        let tmp = try TestScratch()
        let data = tmp.path("grey-images-idx3-float")
        try Self.write(data) { v in for i in v.indices { v[i] = min(max(v[i], 0), 1) } }
        expectCleanFailure(try runHMDist(["train", "--data", data, "--layers", "64,8", "--steps", "1"], in: tmp),
                           mentions: [data, "expected 0/1 values", "--binarize"])
        expectCleanFailure(try runHMDist(["train", "--data", "digits", "--layers", "64,8", "--standardize", "--steps", "1"], in: tmp),
                           mentions: ["standardize", "gaussian"])
    }
}
