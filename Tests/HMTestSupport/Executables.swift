import Foundation

/// Where the test suites find the programs they run: the built `hm-dist` and Open MPI's
/// `mpirun`. Shared by the test targets that start processes (a test target cannot import
/// another's code, so this is a small library of its own).
public enum Executables {
    /// The directory of the running test binary: on Linux SwiftPM puts
    /// `hm-distPackageTests.xctest` (an executable) next to the package's executables; on
    /// macOS it is a bundle in that directory.
    public static var testBinaryDirectory: URL? {
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: exe).deletingLastPathComponent()
        }
        if let bundle = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        return nil
    }

    /// `hm-dist` next to the test binary (any `--scratch-path`), else the newest one in a
    /// `.build*` directory of the package found by walking up from this file.
    public static func hmDist() -> URL? {
        let fm = FileManager.default
        func executable(in dir: URL) -> URL? {
            let url = dir.appendingPathComponent("hm-dist")
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue,
                  fm.isExecutableFile(atPath: url.path) else { return nil }
            return url
        }
        var nearby: [URL] = []
        if let dir = testBinaryDirectory { nearby.append(dir) }
        nearby.append(Bundle.main.bundleURL)
        nearby.append(Bundle.main.bundleURL.deletingLastPathComponent())
        if let arg0 = CommandLine.arguments.first {
            nearby.append(URL(fileURLWithPath: arg0).deletingLastPathComponent())
        }
        for dir in nearby {
            if let url = executable(in: dir) { return url }
        }
        var root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while root.path != "/" {
            if fm.fileExists(atPath: root.appendingPathComponent("Package.swift").path) { break }
            root = root.deletingLastPathComponent()
        }
        let scratch = (try? fm.contentsOfDirectory(atPath: root.path)) ?? []
        let found = scratch.filter { $0.hasPrefix(".build") }
            .flatMap { name in
                ["debug", "release"].compactMap {
                    executable(in: root.appendingPathComponent(name).appendingPathComponent($0))
                }
            }
        func modified(_ url: URL) -> Date {
            ((try? fm.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date) ?? .distantPast
        }
        return found.max { modified($0) < modified($1) }
    }

    /// Why `hm-dist()` found nothing, for the test's failure message.
    public static var hmDistMissing: String {
        """
        the hm-dist executable was not found next to the test binary \
        (\(testBinaryDirectory?.path ?? "?")) nor in any .build* directory of the package: \
        build it first (`swift build --build-tests`)
        """
    }

    /// `name` in a directory of PATH, then in /usr/bin and /usr/local/bin.
    public static func onPath(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for dir in path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"] {
            let url = URL(fileURLWithPath: dir).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }
}
