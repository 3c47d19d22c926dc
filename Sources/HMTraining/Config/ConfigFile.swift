import Foundation
import HMCheckpoint
import Yams

/// `--config FILE.yaml` (the keys of `TrainingOptions`, the same names as the flags) and the
/// resolved settings written back: `config.yaml` of a run directory, `config` of a manifest.
public enum ConfigFile {
    /// The settings a YAML file gives, as (key, value, file); unknown keys are refused by
    /// `TrainingOptions.resolve` (a misspelt key must not be ignored).
    public static func load(path: String) throws -> [(key: String, input: OptionInput, source: String)] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError(path: path, field: "file", "cannot be read")
        }
        return try load(text: text, path: path)
    }

    /// The settings of a YAML text already read; `path` names the file in errors.
    public static func load(text: String, path: String) throws -> [(key: String, input: OptionInput, source: String)] {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw ConfigError(path: path, field: "yaml", "is not valid YAML: \(error)")
        }
        guard let node else { return [] }
        try checkBuildable(node, path: path)
        guard let map = node.any as? [String: Any] else {
            throw ConfigError(path: path, field: "yaml", "expected a mapping of keys to values")
        }
        // Each scalar's text as written, beside the value YAML's rules give it.
        var written: [String: String] = [:]
        for (key, value) in node.mapping ?? [:] {
            if let k = key.string, let v = value.scalar?.string { written[k] = v }
        }
        // A key set to null (`steps: ~`) is left unset.
        return map.keys.sorted().filter { !(map[$0]! is NSNull) }.map { ($0, .yaml(map[$0]!, text: written[$0]), path) }
    }

    /// At most this many values, aliases expanded, in a config file.
    static let maximumValues = 100_000

    /// What Yams cannot turn into values is refused before it tries: it traps on a mapping key
    /// that is not a scalar (`[a]: 1`), and aliases of aliases make a few lines expand to
    /// billions of values.
    static func checkBuildable(_ root: Node, path: String) throws {
        var pending = [root], count = 0
        while let node = pending.popLast() {
            count += 1
            guard count <= maximumValues else {
                throw ConfigError(path: path, field: "yaml", "expands to more than \(maximumValues) values (through aliases?)")
            }
            switch node {
            case .scalar, .alias: break
            case .sequence(let items): pending += items
            case .mapping(let pairs):
                for (key, value) in pairs {
                    guard key.scalar != nil else {
                        throw ConfigError(path: path, field: "yaml", "expected keys that are plain values, found a \(key.sequence != nil ? "list" : "mapping") as a key")
                    }
                    pending.append(value)
                }
            }
        }
    }

    /// `key: value` lines in the options' order.
    public static func yaml(_ c: TrainingConfig) -> String {
        TrainingOptions.record(c).map { "\($0.key): \(scalar($0.value))\n" }.joined()
    }

    /// The settings as a JSON object.
    public static func json(_ c: TrainingConfig) -> JSONValue {
        .object(Dictionary(uniqueKeysWithValues: TrainingOptions.record(c).map { ($0.key, jsonValue($0.value)) }))
    }

    static func jsonValue(_ v: Any) -> JSONValue {
        switch v {
        case let b as Bool: return .bool(b)
        case let i as Int: return .int(i)
        case let u as UInt64: return u <= UInt64(Int.max) ? .int(Int(u)) : .string(String(u))
        case let d as Double: return .double(d)
        case let s as String: return .string(s)
        case let a as [Any]: return .array(a.map(jsonValue))
        default: return .string("\(v)")
        }
    }

    /// A YAML flow value; strings double-quoted (JSON escapes) unless plainly safe.
    static func scalar(_ v: Any) -> String {
        switch v {
        case let a as [Any]: return "[" + a.map(scalar).joined(separator: ", ") + "]"
        case let s as String:
            let plain = s.range(of: #"^[A-Za-z_./][A-Za-z0-9_./:+-]*$"#, options: .regularExpression) != nil
                && !["true", "false", "yes", "no", "on", "off", "null", "y", "n"].contains(s.lowercased())
            if plain { return s }
            let data = (try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])) ?? Data()
            return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
        default: return "\(v)"
        }
    }
}
