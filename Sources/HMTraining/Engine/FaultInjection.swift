import Foundation

/// Faults on purpose, for the tests (docs/command-line.md): `HM_DIST_FAULT="rank=R,step=S,kind=K"`.
///
/// - `throw`: a Swift error on rank R at step S;
/// - `crash`: rank R's process dies at once (SIGKILL) at step S;
/// - `nan`: a NaN in rank R's gradient at step S, before the reduction;
/// - `crash-in-save`: rank R dies after writing its checkpoint shard, before the commit.
public struct FaultInjection: Equatable, Sendable {
    public enum Kind: String, Sendable { case `throw`, crash, nan, crashInSave = "crash-in-save" }

    public let rank: Int
    public let step: Int
    public let kind: Kind

    public static let variable = "HM_DIST_FAULT"

    public init(rank: Int, step: Int, kind: Kind) {
        self.rank = rank
        self.step = step
        self.kind = kind
    }

    /// The fault the environment asks for, if any; a malformed value is an error, not ignored.
    public static func fromEnvironment() throws -> FaultInjection? {
        guard let spec = ProcessInfo.processInfo.environment[variable], !spec.isEmpty else { return nil }
        var fields: [String: String] = [:]
        for part in spec.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2 else { throw bad(spec) }
            fields[kv[0]] = kv[1]
        }
        guard fields.count == 3, let rank = fields["rank"].flatMap(Int.init), let step = fields["step"].flatMap(Int.init),
              let kind = fields["kind"].flatMap(Kind.init(rawValue:)) else { throw bad(spec) }
        return FaultInjection(rank: rank, step: step, kind: kind)
    }

    static func bad(_ spec: String) -> ConfigError {
        ConfigError(path: "environment", field: variable,
                    "expected rank=R,step=S,kind=K with K one of throw, crash, nan, crash-in-save; found \(spec)")
    }

    public func fires(_ kind: Kind, rank: Int, step: Int) -> Bool {
        self.kind == kind && self.rank == rank && self.step == step
    }
}
