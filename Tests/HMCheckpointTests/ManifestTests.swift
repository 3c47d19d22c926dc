import Foundation
import HMCheckpoint
import Testing

@Suite struct ManifestTests {
    static let config: JSONValue = [
        "algorithm": "rws", "layers": [784, 200, 10], "lr": 0.001, "reproducible": false,
        "resume": nil, "nested": ["k": [1.5, "x", true]],
    ]

    static func manifest() -> Manifest {
        Manifest(step: 1200, epoch: 3, samplesSeen: 120_000, worldSize: 2, config: config,
                 architecture: ["layers": [784, 200, 10], "distributions": ["bernoulli", "bernoulli"]],
                 tensors: ["w": .init(shard: "a.zst", dtype: .f32, shape: [2, 3]),
                           "b": .init(shard: "b.zst", dtype: .i64, shape: [])],
                 shards: [ShardRecord(file: "a.zst", bytes: 10, sha256: String(repeating: "ab", count: 32)),
                          ShardRecord(file: "b.zst", bytes: 20, sha256: String(repeating: "cd", count: 32))],
                 created: Date(timeIntervalSince1970: 1_700_000_000))
    }

    @Test func roundTripAndPrettySortedSnakeCase() throws {
        let original = Self.manifest()
        let bytes = try original.encoded()
        let decoded = try Manifest.decode(bytes, source: "m.json")
        #expect(decoded == original)
        #expect(decoded.config["layers"] == [784, 200, 10])
        #expect(decoded.config["lr"]?.doubleValue == 0.001)
        #expect(decoded.config["reproducible"] == false)
        #expect(decoded.created == "2023-11-14T22:13:20Z")
        let text = String(decoding: bytes, as: UTF8.self)
        let keys = ["architecture", "config", "created", "epoch", "format_version", "samples_seen",
                    "shards", "step", "tensors", "world_size"]
        let positions = keys.map { text.range(of: "\n  \"\($0)\"")?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil }, "every top-level key, indented")
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted(), "sorted keys")
        #expect(text.contains("\"format_version\" : 1"))
    }

    static func mutated(_ edit: (inout [String: Any]) -> Void) throws -> [UInt8] {
        var object = try JSONSerialization.jsonObject(with: Data(try manifest().encoded())) as! [String: Any]
        edit(&object)
        return Array(try JSONSerialization.data(withJSONObject: object))
    }

    @Test func otherVersionsAreRefusedByVersion() throws {
        let bytes = try Self.mutated { $0["format_version"] = 2; $0["step"] = nil }
        let error = #expect(throws: CheckpointError.self) { try Manifest.decode(bytes, source: "m.json") }
        #expect(error?.kind == .manifest)
        #expect(error?.field == "format_version")
    }

    @Test func missingOrWrongFieldsAreNamed() throws {
        let missing = try Self.mutated { $0["samples_seen"] = nil }
        let error = #expect(throws: CheckpointError.self) { try Manifest.decode(missing, source: "m.json") }
        #expect(error?.field == "samples_seen")
        #expect(error?.path == "m.json")

        let wrong = try Self.mutated { object in
            var tensors = object["tensors"] as! [String: Any]
            tensors["w"] = ["shard": "a.zst", "dtype": "F16", "shape": [1]]
            object["tensors"] = tensors
        }
        let dtypeError = #expect(throws: CheckpointError.self) { try Manifest.decode(wrong, source: "m.json") }
        #expect(dtypeError?.field == "tensors.w.dtype")
    }

    @Test func shardsMustBePlainListedFiles() throws {
        let escaping = try Self.mutated { object in
            object["shards"] = [["file": "../a.zst", "bytes": 1, "sha256": "00"]]
        }
        #expect(throws: CheckpointError.self) { try Manifest.decode(escaping, source: "m.json") }
        let unlisted = try Self.mutated { object in
            object["shards"] = [["file": "a.zst", "bytes": 1, "sha256": "00"]]
        }
        let error = #expect(throws: CheckpointError.self) { try Manifest.decode(unlisted, source: "m.json") }
        #expect(error?.field == "tensors.b.shard")
    }

    @Test func notJSONIsABadManifest() {
        let error = #expect(throws: CheckpointError.self) {
            try Manifest.decode(Array("{\"format_version\": 1,".utf8), source: "m.json")
        }
        #expect(error?.kind == .manifest)
        #expect(error?.reason.contains("bad manifest JSON") == true)
    }
}

@Suite struct ShardPlanTests {
    @Test func greedyLargestFirstIntoLightest() {
        let parts = ShardPlan.balance(byteCounts: [100, 10, 60, 50, 40, 30], shards: 2)
        // 100→0, 60→1, 50→1, 40→0, 30→1 (now 140 each), 10→0 (a tie goes to the lower shard).
        #expect(parts == [[0, 1, 4], [2, 3, 5]])
    }

    @Test func everyItemOnceAndLoadsWithinOneItem() {
        var state: UInt64 = 12345
        for shards in 1...5 {
            let sizes = (0..<23).map { _ -> Int in
                state = state &* 6_364_136_223_846_793_005 &+ 1
                return Int(state >> 44)
            }
            let parts = ShardPlan.balance(byteCounts: sizes, shards: shards)
            #expect(parts.count == shards)
            #expect(parts.flatMap { $0 }.sorted() == Array(sizes.indices))
            #expect(parts.allSatisfy { $0 == $0.sorted() }, "stable order inside a shard")
            let loads = parts.map { $0.reduce(0) { $0 + sizes[$1] } }
            #expect(loads.max()! - loads.min()! <= sizes.max()!)
            #expect(ShardPlan.balance(byteCounts: sizes, shards: shards) == parts, "deterministic")
        }
    }

    @Test func moreShardsThanTensorsLeavesEmptyShards() {
        let tensors = Array(sampleTensors().prefix(2))
        let parts = ShardPlan.split(tensors, into: 4)
        #expect(parts.map(\.count) == [1, 1, 0, 0])
        #expect(parts[0][0].name == "generative.0.weight")
    }
}
