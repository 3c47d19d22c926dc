import ArgumentParser
import Foundation
import HMAlgorithms
import HMCore
import HMData
import HMTraining

/// `hm-dist classifier`: trains a small classifier of the data's labels on the train split and
/// saves it, the yardstick of `hm-dist quality` (classifier confidence, label histogram).
struct ClassifierCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "classifier",
                                                    abstract: "Train a label classifier (softmax regression or one hidden layer) for `quality`.")

    @Option(help: "Data spec with labels (digits, or IDX files with *-labels files beside the images).") var data: String
    @Option(help: "none, threshold or stochastic (grey-level data needs one).") var binarize = "none"
    @Option(help: "File to write (safetensors).") var out: String
    @Option(help: "Hidden ReLU units; 0 is softmax regression.") var hidden = 0
    @Option(help: "Passes over the train split.") var epochs = 30
    @Option(help: "Examples per Adam step.") var batch = 100
    @Option(help: "Adam learning rate.") var lr: Float = 1e-2
    @Option(help: "Seed of the initial weights and of the data order.") var seed: UInt64 = 1
    @Flag(help: "One JSON object on stdout (train_accuracy, test_accuracy, split, classes, hidden, out).") var json = false

    func run() throws {
        try reportingErrors("classifier") {
            for (field, value) in [("epochs", epochs), ("batch", batch)] where value <= 0 {
                throw ConfigError(path: "command line", field: field, "expected a positive integer, found \(value)")
            }
            guard hidden >= 0 else { throw ConfigError(path: "command line", field: "hidden", "expected 0 or more units, found \(hidden)") }
            guard lr > 0, lr.isFinite else { throw ConfigError(path: "command line", field: "lr", "expected a positive number, found \(lr)") }
            guard let binarization = Binarization(rawValue: binarize) else {
                throw ConfigError(path: "command line", field: "binarize", "expected none, threshold or stochastic, found \(binarize)")
            }
            let dataset = try DataSource.load(spec: data, binarize: binarization)
            let (x, labels) = try LabelledRows.of(dataset, .train, spec: data)
            guard let held = [Dataset.Split.test, .valid].first(where: { dataset.labels(of: $0) != nil }) else {
                throw DataError(path: data, field: "labels", "expected labels for a test or valid split to measure the classifier on, found train labels only")
            }
            let (tx, tlabels) = try LabelledRows.of(dataset, held, spec: data)
            guard dataset.classCount >= 2 else {
                throw DataError(path: data, field: "labels", "expected at least 2 classes, found labels of class 0 only")
            }
            let classifier = LabelClassifier(width: dataset.width, classes: dataset.classCount, hidden: hidden)
            let started = Date()
            ClassifierTraining(epochs: epochs, batchSize: batch, learningRate: lr, seed: seed).train(classifier, x: x, labels: labels)
            let info = ClassifierFile.Info(data: data, binarize: binarize, imageShape: dataset.imageShape, split: held.rawValue,
                                           testAccuracy: classifier.accuracy(tx, labels: tlabels),
                                           trainAccuracy: classifier.accuracy(x, labels: labels))
            try ClassifierFile.write(classifier, info: info, to: out)
            if json {
                let record: [String: Any] = [
                    "train_accuracy": info.trainAccuracy, "test_accuracy": info.testAccuracy, "split": held.rawValue,
                    "classes": classifier.classes, "hidden": hidden, "out": out, "data": data,
                    "train_count": x.rows, "test_count": tx.rows, "seconds": Date().timeIntervalSince(started),
                ]
                print(String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self))
            } else {
                print(String(format: "classifier (%@, %d classes): train accuracy %.4f, %@ accuracy %.4f (%d points); wrote %@",
                             hidden == 0 ? "softmax regression" : "\(hidden) hidden ReLU units", classifier.classes,
                             info.trainAccuracy, held.rawValue, info.testAccuracy, tx.rows, out))
            }
        }
    }
}
