import Foundation
import Testing
import HMAlgorithms
import HMCheckpoint
import HMCore
import HMData
@testable import HMTraining

/// The label classifier on the built-in digits, and its file.
@Suite struct ClassifierFileTests {
    static func matrix(_ data: Dataset, _ split: Dataset.Split) throws -> (Matrix, [Int]) {
        let pixels = try #require(data.split(split))
        return (Matrix(rows: pixels.count / data.width, cols: data.width, values: pixels), try #require(data.labels(of: split)))
    }

    /// Softmax regression on the binarized 8×8 digits: 0.86 of the test split (its last 200
    /// images are harder than the train split: 0.96 there).
    @Test func softmaxRegressionLearnsDigits() throws {
        let data = try DataSource.load(spec: "digits")
        let (x, labels) = try Self.matrix(data, .train), (tx, tlabels) = try Self.matrix(data, .test)
        let c = LabelClassifier(width: 64, classes: 10)
        ClassifierTraining(epochs: 30, learningRate: 1e-2).train(c, x: x, labels: labels)
        let accuracy = c.accuracy(tx, labels: tlabels)
        #expect(accuracy > 0.83, "test accuracy \(accuracy)")   // 0.86 measured
        #expect(c.accuracy(x, labels: labels) > accuracy - 0.02)
    }

    @Test func roundTripsAndRefusesOtherFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("classifier-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let c = LabelClassifier(width: 6, classes: 3, hidden: 2)
        c.initialize(seed: 7)
        let info = ClassifierFile.Info(data: "x", binarize: "none", imageShape: ImageShape(rows: 2, cols: 3), split: "valid",
                                       testAccuracy: 0.5, trainAccuracy: 0.75)
        try ClassifierFile.write(c, info: info, to: dir + "/c.safetensors")
        let (back, backInfo) = try ClassifierFile.read(dir + "/c.safetensors")
        #expect(backInfo == info)
        #expect(back.parameters.array == c.parameters.array && back.hidden == 2 && back.classes == 3)

        try DurableFile.write(try Safetensors.encode([Tensor(name: "w", shape: [1], values: [Float(1)])]), to: dir + "/other.safetensors")
        do {
            _ = try ClassifierFile.read(dir + "/other.safetensors")
            Issue.record("read a file that is not a classifier")
        } catch let e as ConfigError {
            #expect(e.path == dir + "/other.safetensors" && e.field == "kind", "\(e)")
        }
        try DurableFile.write(Array("not safetensors".utf8), to: dir + "/junk")
        #expect(throws: CheckpointError.self) { try ClassifierFile.read(dir + "/junk") }
    }
}
