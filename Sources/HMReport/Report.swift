import Foundation
import HMCheckpoint

/// `hm-dist report`: one self-contained HTML page (inline SVG and PNG, no script, no network)
/// of one or more runs: their curves overlaid, then per run its samples, data, receptive
/// fields, logs, configuration and checkpoints.
public enum Report {
    /// Samples and data tiles per grid; receptive fields drawn at most.
    static let tileCount = 100, fieldLimit = 100

    /// The page of the runs at `paths` (read now: a run still training is shown as it is).
    public static func page(_ paths: [String]) throws -> String {
        var runs = try paths.map(RunSnapshot.init(path:))
        // Two runs of the same name (a/run, b/run) are told apart by their paths.
        for i in runs.indices where runs.filter({ $0.label == runs[i].label }).count > 1 { runs[i].label = runs[i].path }
        return page(runs)
    }

    public static func page(_ runs: [RunSnapshot]) -> String {
        var body = "<h1>hm-dist report</h1>\n<p>\(runs.count) run\(runs.count == 1 ? "" : "s"), read \(HTML.escape(ISO8601DateFormatter().string(from: Date()))): "
        body += runs.map { "<code>\(HTML.escape($0.path))</code>" }.joined(separator: ", ") + ".</p>\n"
        body += "<h2 id=\"curves\">Curves</h2>\n<div class=\"figures\">\n" + Curves.figures(runs) + "</div>\n"
        for (i, run) in runs.enumerated() { body += RunSection.html(run, index: i) }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>hm-dist report: \(HTML.escape(runs.map(\.label).joined(separator: ", ")))</title>
            <style>\(style)</style></head><body>
            \(body)</body></html>

            """
    }

    /// Writes the page of `paths` to `out` atomically (a temporary file beside it, fsynced,
    /// then renamed), so a reader never sees half a page, even one refreshed during training.
    @discardableResult
    public static func write(_ paths: [String], to out: String) throws -> Int {
        let bytes = Array(try page(paths).utf8)
        let temporary = out + ".tmp"
        do {
            try DurableFile.write(bytes, to: temporary)
        } catch {
            throw ReportError(path: out, "cannot be written: \(error)")
        }
        guard rename(temporary, out) == 0 else {
            throw ReportError(path: out, "cannot rename \(temporary) to it: \(String(cString: strerror(errno)))")
        }
        return bytes.count
    }

    static let style = """
        body{font:14px/1.45 system-ui,sans-serif;color:#111;margin:24px;max-width:1240px}
        h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc;margin-top:32px}h3{font-size:15px}
        .figures{display:flex;flex-wrap:wrap;gap:12px}
        figure{margin:0;padding:6px;border:1px solid #ddd;background:#fff}
        figcaption{font-size:12px;color:#333;max-width:560px;margin-top:4px}
        img{image-rendering:pixelated;display:block}
        table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;vertical-align:top}
        .bad{color:#a00;font-weight:bold}.good{color:#006400}
        pre{background:#f6f6f6;padding:8px;overflow-x:auto;font-size:12px;max-height:420px}
        .note{color:#8a4b00}
        """
}
