import Foundation
import Yams

/// A run's settings: the keys of a `--config` YAML file, the same names as the flags.
/// Every field is optional so that layers can be merged (defaults ← YAML ← flags); the
/// resolved values, with defaults, are in `Settings`.
public struct RunConfig: Codable, Equatable, Sendable {
    public var data: String?
    public var binarize: String?
    public var layers: [Int]?
    public var algorithm: String?
    public var samples: Int?
    public var batch: Int?
    public var dreams: Int?
    public var optimizer: String?
    public var lr: Double?
    public var momentum: Double?
    public var epochs: Int?
    public var steps: Int?
    public var seed: UInt64?
    public var runDir: String?
    public var checkpointEvery: Int?
    public var keep: Int?
    public var resume: String?
    public var ranks: Int?
    public var threads: Int?
    public var reproducible: Bool?
    public var evalEvery: Int?
    public var evalSamples: Int?
    public var evalSplit: String?
    public var logEvery: Int?
    public var zstdLevel: Int?
    public var damping: Double?
    public var dampingFinal: Double?
    public var dampingSteps: Int?
    public var fisherEvery: Int?
    public var fisherDecay: Double?

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case data, binarize, layers, algorithm, samples, batch, dreams, optimizer, lr, momentum,
             epochs, steps, seed, runDir = "run-dir", checkpointEvery = "checkpoint-every", keep,
             resume, ranks, threads, reproducible, evalEvery = "eval-every",
             evalSamples = "eval-samples", evalSplit = "eval-split", logEvery = "log-every", zstdLevel = "zstd-level",
             damping, dampingFinal = "damping-final", dampingSteps = "damping-steps", fisherEvery = "fisher-every", fisherDecay = "fisher-decay"
    }

    public init() {}

    /// Reads a YAML file; unknown keys are refused (a misspelt key must not be ignored).
    public static func load(path: String) throws -> RunConfig {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError(path: path, field: "file", "cannot be read")
        }
        let parsed: Any?
        do { parsed = try Yams.load(yaml: text) } catch {
            throw ConfigError(path: path, field: "yaml", "is not valid YAML: \(error)")
        }
        guard let map = parsed as? [String: Any] else {
            if parsed == nil { return RunConfig() }
            throw ConfigError(path: path, field: "yaml", "expected a mapping of keys to values")
        }
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        if let unknown = map.keys.sorted().first(where: { !known.contains($0) }) {
            throw ConfigError(path: path, field: unknown,
                              "is not a known key; expected one of \(known.sorted().joined(separator: ", "))")
        }
        do { return try YAMLDecoder().decode(RunConfig.self, from: text) } catch let DecodingError.typeMismatch(type, context) {
            throw ConfigError(path: path, field: context.codingPath.map(\.stringValue).joined(separator: "."),
                              "expected a value of type \(type)")
        } catch {
            throw ConfigError(path: path, field: "yaml", "\(error)")
        }
    }

    /// self, with every field that `other` sets replaced by other's.
    public func overridden(by other: RunConfig) -> RunConfig {
        var r = self
        func take<T>(_ k: WritableKeyPath<RunConfig, T?>) { if let v = other[keyPath: k] { r[keyPath: k] = v } }
        take(\.data); take(\.binarize); take(\.layers); take(\.algorithm); take(\.samples)
        take(\.batch); take(\.dreams); take(\.optimizer); take(\.lr); take(\.momentum)
        take(\.epochs); take(\.steps); take(\.seed); take(\.runDir); take(\.checkpointEvery)
        take(\.keep); take(\.resume); take(\.ranks); take(\.threads); take(\.reproducible)
        take(\.evalEvery); take(\.evalSamples); take(\.evalSplit); take(\.logEvery); take(\.zstdLevel)
        take(\.damping); take(\.dampingFinal); take(\.dampingSteps); take(\.fisherEvery); take(\.fisherDecay)
        return r
    }

    public func yaml() throws -> String { try YAMLEncoder().encode(self) }
}

/// A bad setting: names the file (or `command line`), the key and what was expected.
public struct ConfigError: Error, CustomStringConvertible {
    public let path: String, field: String, message: String
    public init(path: String, field: String, _ message: String) {
        self.path = path
        self.field = field
        self.message = message
    }
    public var description: String { "\(path): \(field): \(message)" }
}
