import Foundation

/// The memory this process may still use: the kernel's estimate of what can be allocated
/// without swapping (`MemAvailable` of /proc/meminfo), capped by the control group's limit
/// (cgroup v2 `memory.max` less `memory.current`) where one is set, as under Slurm or a
/// container. Nil where neither can be read.
public enum MachineMemory {
    public struct Reading: Sendable {
        public let bytes: Int
        /// Where the figure comes from, for messages.
        public let source: String
    }

    public static func available() -> Reading? {
        var best: Reading?
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kb = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) {
            best = Reading(bytes: kb * 1024, source: "MemAvailable in /proc/meminfo")
        }
        func read(_ path: String) -> Int? {
            (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        if let max = read("/sys/fs/cgroup/memory.max"), let current = read("/sys/fs/cgroup/memory.current") {
            let left = Swift.max(0, max - current)
            if best == nil || left < best!.bytes { best = Reading(bytes: left, source: "the control group's memory.max less memory.current") }
        }
        return best
    }
}
