import Foundation
import HMCheckpoint
import Testing

@Suite struct SafetensorsTests {
    @Test func roundTripKeepsEveryTensorAndTheMetadata() throws {
        let tensors = sampleTensors()
        let bytes = try Safetensors.encode(tensors, metadata: ["format": "pt", "note": "quote \" and \n"])
        let decoded = try Safetensors.decode(bytes, source: "x.safetensors")
        #expect(tensorsByName(decoded.tensors) == tensorsByName(tensors))
        #expect(decoded.tensors.count == tensors.count)
        #expect(decoded.metadata == ["format": "pt", "note": "quote \" and \n"])
        #expect(try decoded.tensors.first { $0.name == "generative.0.bias" }!.values(as: Float.self)
            == tensors[1].values(as: Float.self))
    }

    /// Parses our output by hand, as a foreign reader would.
    @Test func layoutIsTheSafetensorsLayout() throws {
        let a = Tensor(name: "a", shape: [2, 3], values: [Float](repeating: 1.5, count: 6))
        let b = Tensor(name: "b", shape: [3], values: [UInt8(7), 8, 9])
        let c = Tensor(name: "c", shape: [2], values: [Double(-2), 3])
        let bytes = try Safetensors.encode([a, b, c], metadata: ["format": "pt"])

        let headerLength = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect(headerLength % 8 == 0)
        let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        #expect(header.hasPrefix(#"{"__metadata__":{"format":"pt"},"#))
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        #expect(trimmed.hasSuffix("}") && header.count - trimmed.count < 8)

        let json = try #require(try JSONSerialization.jsonObject(with: Data(header.utf8)) as? [String: Any])
        #expect(Set(json.keys) == ["__metadata__", "a", "b", "c"])
        func entry(_ name: String) throws -> (String, [Int], [Int]) {
            let object = try #require(json[name] as? [String: Any])
            return (try #require(object["dtype"] as? String), try #require(object["shape"] as? [Int]),
                    try #require(object["data_offsets"] as? [Int]))
        }
        // Wider elements first (alignment), the given order otherwise.
        #expect(try entry("c") == ("F64", [2], [0, 16]))
        #expect(try entry("a") == ("F32", [2, 3], [16, 40]))
        #expect(try entry("b") == ("U8", [3], [40, 43]))
        let data = Array(bytes[(8 + headerLength)...])
        #expect(data.count == 43)
        #expect(Array(data[0..<16]) == c.bytes)
        #expect(Array(data[16..<40]) == a.bytes)
        #expect(Array(data[40..<43]) == [7, 8, 9])
    }

    @Test func emptyFileRoundTrips() throws {
        let bytes = try Safetensors.encode([])
        #expect(bytes.count == 16)
        #expect(try Safetensors.decode(bytes).tensors.isEmpty)
    }

    @Test func encodeRejectsDuplicateNames() {
        let t = Tensor(name: "w", shape: [1], values: [Float(1)])
        #expect(throws: CheckpointError.self) { try Safetensors.encode([t, t]) }
    }

    /// A file from a hand-written header and data section.
    static func file(_ header: String, data: [UInt8] = [UInt8](repeating: 0, count: 8)) -> [UInt8] {
        var length = UInt64(header.utf8.count).littleEndian
        return withUnsafeBytes(of: &length) { Array($0) } + Array(header.utf8) + data
    }

    static let malformed: [(String, [UInt8], String)] = [
        ("short", [1, 2, 3], "header length"),
        ("length beyond file", [200, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D], "header length"),
        ("not JSON", file(#"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]"#), "header"),
        ("unknown dtype", file(#"{"w":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}"#), "w.dtype"),
        ("negative dimension", file(#"{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#), "w.shape"),
        ("byte count", file(#"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#), "w.data_offsets"),
        ("out of range", file(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#), "w.data_offsets"),
        ("gap", file(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#), "w.data_offsets"),
        ("overlap", file(#"{"v":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}"#),
         "w.data_offsets"),
        ("uncovered tail", file(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#), "data_offsets"),
        ("metadata not strings", file(#"{"__metadata__":{"n":1},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#),
         "__metadata__.n"),
    ]

    @Test(arguments: malformed.indices)
    func decodeNamesTheFileAndTheField(_ index: Int) {
        let (label, bytes, field) = Self.malformed[index]
        let error = #expect(throws: CheckpointError.self, "\(label)") {
            try Safetensors.decode(bytes, source: "bad.safetensors")
        }
        #expect(error?.kind == .malformed, "\(label)")
        #expect(error?.path == "bad.safetensors", "\(label)")
        #expect(error?.field == field, "\(label): \(error.map(String.init(describing:)) ?? "")")
    }

    @Test func decodeAcceptsAValidHandWrittenFile() throws {
        let bytes = Self.file(#"{"v":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"U8","shape":[2,2],"data_offsets":[4,8]}}"#)
        let contents = try Safetensors.decode(bytes)
        #expect(contents.tensors.map(\.name) == ["v", "w"])
        #expect(contents.tensors[1].shape == [2, 2])
    }
}
