import Foundation
import HMAlgorithms

/// A value as given: the text of a flag, or a parsed YAML value with, for a scalar, its text
/// as written (so that `run-dir: 007` stays "007", not the number 7).
public enum OptionInput {
    case text(String)
    case yaml(Any, text: String?)
}

/// One setting of `train`, declared once: its key is the flag (`--checkpoint-every`) and the
/// YAML key (`checkpoint-every:`); `help` feeds the help text; `apply` parses and checks a
/// value into a `TrainingConfig`; `render` gives the resolved value back for `config.yaml`
/// and the manifest.
public struct TrainingOption {
    public let key: String
    /// The value's form in the help text (`N`, `X`, `adam|sgd`); nil for a flag without value.
    public let value: String?
    public let help: String
    let apply: (inout TrainingConfig, OptionInput, String) throws -> Void
    let render: (TrainingConfig) -> Any?

    func bad(_ source: String, _ message: String) -> ConfigError { ConfigError(path: source, field: key, message) }
}

extension TrainingOption {
    static func text(_ input: OptionInput) -> String? {
        switch input {
        case .text(let s): return s
        case .yaml(let v, let raw): return v as? String ?? raw
        }
    }

    static func integer(_ input: OptionInput) -> Int? {
        switch input {
        case .text(let s): return Int(s.trimmingCharacters(in: .whitespaces))
        case .yaml(let v, _): return v as? Int ?? (v as? String).flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        }
    }

    static func number(_ input: OptionInput) -> Double? {
        switch input {
        case .text(let s): return Double(s.trimmingCharacters(in: .whitespaces))
        case .yaml(let v, _): return v as? Double ?? (v as? Int).map(Double.init) ?? (v as? String).flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        }
    }

    /// "a or b", "a, b or c".
    static func either(_ names: [String]) -> String {
        names.count < 2 ? names.joined() : names.dropLast().joined(separator: ", ") + " or " + names.last!
    }

    static func shown(_ input: OptionInput) -> String {
        switch input {
        case .text(let s): return s
        case .yaml(let v, let raw): return raw ?? "\(v)"
        }
    }

    /// An integer of at least `minimum`.
    static func int(_ key: String, _ path: WritableKeyPath<TrainingConfig, Int>, minimum: Int, help: String) -> TrainingOption {
        TrainingOption(key: key, value: "N", help: help, apply: { c, input, source in
            guard let v = integer(input) else { throw ConfigError(path: source, field: key, "expected an integer, found \(shown(input))") }
            guard v >= minimum else {
                throw ConfigError(path: source, field: key, minimum == 1 ? "expected a positive integer, found \(v)" : "expected an integer ≥ \(minimum), found \(v)")
            }
            c[keyPath: path] = v
        }, render: { $0[keyPath: path] })
    }

    /// An optional integer (set only when given), of at least `minimum`.
    static func count(_ key: String, _ path: WritableKeyPath<TrainingConfig, Int?>, minimum: Int = 1, help: String) -> TrainingOption {
        TrainingOption(key: key, value: "N", help: help, apply: { c, input, source in
            guard let v = integer(input) else { throw ConfigError(path: source, field: key, "expected an integer, found \(shown(input))") }
            guard v >= minimum else {
                throw ConfigError(path: source, field: key, minimum == 1 ? "expected a positive integer, found \(v)" : "expected an integer ≥ \(minimum), found \(v)")
            }
            c[keyPath: path] = v
        }, render: { $0[keyPath: path] })
    }

    /// A finite number that `valid` accepts (`expected` says what that is).
    static func real(_ key: String, _ path: WritableKeyPath<TrainingConfig, Double>, expected: String,
                     _ valid: @escaping (Double) -> Bool, help: String) -> TrainingOption {
        TrainingOption(key: key, value: "X", help: help, apply: { c, input, source in
            guard let v = number(input), v.isFinite, valid(v) else {
                throw ConfigError(path: source, field: key, "expected \(expected), found \(shown(input))")
            }
            c[keyPath: path] = v
        }, render: { $0[keyPath: path] })
    }

    /// One of an enumeration's cases, by name.
    static func choice<E: RawRepresentable & CaseIterable>(_ key: String, _ path: WritableKeyPath<TrainingConfig, E>,
                                                          cases: [E]? = nil, help: String) -> TrainingOption where E.RawValue == String {
        let names = (cases ?? Array(E.allCases)).map(\.rawValue)
        return TrainingOption(key: key, value: names.joined(separator: "|"), help: help, apply: { c, input, source in
            guard let s = text(input), let v = E(rawValue: s) else {
                throw ConfigError(path: source, field: key, "expected \(either(names)), found \(shown(input))")
            }
            c[keyPath: path] = v
        }, render: { $0[keyPath: path].rawValue })
    }

    /// A non-empty string that may be unset (then not recorded).
    static func optionalString(_ key: String, _ path: WritableKeyPath<TrainingConfig, String?>, value: String, help: String) -> TrainingOption {
        TrainingOption(key: key, value: value, help: help, apply: { c, input, source in
            guard let s = text(input), !s.isEmpty else { throw ConfigError(path: source, field: key, "expected a non-empty string") }
            c[keyPath: path] = s
        }, render: { $0[keyPath: path] })
    }

    static func string(_ key: String, _ path: WritableKeyPath<TrainingConfig, String>, value: String, help: String) -> TrainingOption {
        TrainingOption(key: key, value: value, help: help, apply: { c, input, source in
            guard let s = text(input), !s.isEmpty else { throw ConfigError(path: source, field: key, "expected a non-empty string") }
            c[keyPath: path] = s
        }, render: { $0[keyPath: path] })
    }

    /// An option an algorithm declares (`AlgorithmOptions.fields`).
    static func algorithm(_ f: AlgorithmOptionField) -> TrainingOption {
        switch f.value {
        case .integer(let path, let minimum):
            return .int(f.key, (\TrainingConfig.algorithm).appending(path: path), minimum: minimum, help: f.help)
        case .real(let path, let expected, let valid):
            return .real(f.key, (\TrainingConfig.algorithm).appending(path: path), expected: expected, valid, help: f.help)
        case .optionalInteger(let path, let minimum):
            return .count(f.key, (\TrainingConfig.algorithm).appending(path: path), minimum: minimum, help: f.help)
        case .flag(let path):
            return .flag(f.key, (\TrainingConfig.algorithm).appending(path: path), help: f.help)
        case .choice(let names, let read, let write):
            return TrainingOption(key: f.key, value: names.joined(separator: "|"), help: f.help, apply: { c, input, source in
                guard let s = text(input), names.contains(s) else {
                    throw ConfigError(path: source, field: f.key, "expected \(either(names)), found \(shown(input))")
                }
                write(&c.algorithm, s)
            }, render: { read($0.algorithm) })
        }
    }

    /// On or off: a flag without value on the command line, `true`/`false` in YAML.
    static func flag(_ key: String, _ path: WritableKeyPath<TrainingConfig, Bool>, help: String) -> TrainingOption {
        TrainingOption(key: key, value: nil, help: help, apply: { c, input, source in
            switch input {
            case .text: c[keyPath: path] = true
            case .yaml(let v, _):
                guard let b = v as? Bool else { throw ConfigError(path: source, field: key, "expected true or false, found \(v)") }
                c[keyPath: path] = b
            }
        }, render: { $0[keyPath: path] })
    }
}
