import ArgumentParser
import Foundation
import HMReport

/// What `hm-dist report` is asked for: the runs and the page to write.
struct ReportOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("Run directories (train --run-dir), shown side by side.", valueName: "run"))
    var runs: [String]
    @Option(help: "The HTML file to write (atomically).") var out: String
    @Flag(help: "One JSON object on stdout: out, runs, bytes, seconds.") var json = false
}

/// `hm-dist report`: one self-contained HTML page of one or more runs (docs/command-line.md):
/// curves overlaid, samples, data, receptive fields, logs, configuration, checkpoints.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Write one self-contained HTML page of one or more runs.",
        discussion: "The page needs no network and no script: curves are inline SVG, images inline PNG. A run still training is read as it is at that moment.")

    @OptionGroup var options: ReportOptions

    func run() throws {
        try reportingErrors("report") {
            guard !options.runs.isEmpty else { throw ValidationError("give at least one run directory") }
            let start = Date()
            let bytes = try Report.write(options.runs, to: options.out)
            let seconds = Date().timeIntervalSince(start)
            if options.json {
                let record: [String: Any] = ["out": options.out, "runs": options.runs.count, "bytes": bytes, "seconds": seconds]
                print(String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
            } else {
                print(String(format: "wrote %@ (%d run%@, %.1f MB) in %.2f s", options.out, options.runs.count,
                             options.runs.count == 1 ? "" : "s", Double(bytes) / 1e6, seconds))
            }
        }
    }
}
