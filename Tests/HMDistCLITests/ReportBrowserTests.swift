import Foundation
import HMTestSupport
import Testing

/// `hm-dist report` of a short real run, opened in headless Chromium (Debian's `chromium`,
/// installed by scripts/install-deps.sh): a screenshot is taken, and a copy of the page with
/// a small checker script (this test's alone: the page itself has no script) writes what the
/// browser laid out into the DOM, which `--dump-dom` prints.
@Suite(.serialized) struct ReportBrowserTests {
    /// Collects errors (scripts, images that do not decode), then after load every figure's
    /// box, every curve's point count (coordinate pairs of its path's `d`) and every image's
    /// decoded width, as JSON in `<pre id="hm-check">`.
    static let checker = """
        <script>
        window.__errors = [];
        window.addEventListener('error', function (e) { window.__errors.push(String(e.message || (e.target && e.target.src) || 'error')); }, true);
        window.addEventListener('load', function () {
          var r = {errors: window.__errors, figures: [], paths: [], images: []};
          document.querySelectorAll('figure').forEach(function (f) {
            var b = f.getBoundingClientRect(); r.figures.push({id: f.id, width: b.width, height: b.height});
          });
          document.querySelectorAll('path.series').forEach(function (p) {
            var b = p.getBoundingClientRect();
            r.paths.push({figure: p.closest('figure').id, series: p.dataset.series,
                          points: (p.getAttribute('d').match(/-?[0-9.]+/g) || []).length / 2, width: b.width, height: b.height});
          });
          document.querySelectorAll('img').forEach(function (i) { r.images.push({alt: i.alt, width: i.naturalWidth}); });
          var pre = document.createElement('pre'); pre.id = 'hm-check'; pre.textContent = JSON.stringify(r);
          document.body.appendChild(pre);
        });
        </script>
        """

    struct Check: Decodable {
        struct Box: Decodable { var id: String; var width: Double; var height: Double }
        struct Path: Decodable { var figure: String; var series: String; var points: Int; var width: Double; var height: Double }
        struct Image: Decodable { var alt: String; var width: Int }
        var errors: [String]
        var figures: [Box]
        var paths: [Path]
        var images: [Image]
    }

    static var chromium: URL? { Executables.onPath("chromium") ?? Executables.onPath("chromium-browser") }

    @Test func theReportOfARealRunRendersInChromium() throws {
        let browser = try #require(Self.chromium, "chromium is not on PATH: scripts/install-deps.sh installs Debian's chromium package, which this test needs")
        let tmp = try TestScratch()
        let trained = try runHMDist(["train", "--data", "digits", "--algorithm", "ws", "--steps", "300", "--log-every", "1",
                                     "--eval-every", "100", "--eval-samples", "10", "--checkpoint-every", "150", "--run-dir", "R"], in: tmp)
        try #require(trained.succeeded, "\(trained)")
        let reported = try runHMDist(["report", "R", "--out", "R/report.html", "--json"], in: tmp)
        try #require(reported.succeeded, "\(reported)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(reported.stdout.utf8)) as? [String: Any])
        #expect(summary["runs"] as? Int == 1 && (summary["bytes"] as? Int ?? 0) > 0 && summary["out"] as? String == "R/report.html")

        // The screenshot: a PNG of the page as a reader sees it.
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,2400",
                     "--user-data-dir=\(tmp.path("profile"))"]
        let page = URL(fileURLWithPath: tmp.path("R/report.html")).absoluteString
        let shot = try startProcess(browser, flags + ["--screenshot=\(tmp.path("shot.png"))", page], label: "chromium --screenshot", in: tmp).finish(timeout: 60)
        try #require(shot.succeeded, "\(shot)")
        let png = try Data(contentsOf: URL(fileURLWithPath: tmp.path("shot.png")))
        #expect(png.count > 10_000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "screenshot of \(png.count) bytes")

        // The checked copy: the same page with the checker first in <head>.
        let html = try String(contentsOfFile: tmp.path("R/report.html"), encoding: .utf8)
        try html.replacingOccurrences(of: "<head>", with: "<head>" + Self.checker).write(toFile: tmp.path("R/checked.html"), atomically: true, encoding: .utf8)
        let dumped = try startProcess(browser, flags + ["--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000", "--dump-dom",
                                                        URL(fileURLWithPath: tmp.path("R/checked.html")).absoluteString],
                                      label: "chromium --dump-dom", in: tmp).finish(timeout: 60)
        try #require(dumped.succeeded, "\(dumped)")
        // Console messages of the page (errors, warnings) are logged as `CONSOLE` lines.
        let console = dumped.stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") || $0.contains("Uncaught") }
        #expect(console.isEmpty, "console: \(console.joined(separator: "\n"))")
        let json = try #require(dumped.stdout.firstMatch(of: #/<pre id="hm-check">(.*?)</pre>/#)?.1, "the checker wrote nothing:\n\(dumped.stdout.prefix(2000))")
        let check = try JSONDecoder().decode(Check.self, from: Data(String(json).replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&").utf8))
        #expect(check.errors.isEmpty, "errors: \(check.errors)")

        // Every figure has a box; the curves, samples, fields and data are all there.
        for id in ["curve-wake_bound-step", "curve-wake_bound-time", "curve-valid_log_likelihood-step", "curve-points_per_second-time",
                   "curve-comm_wait_seconds_per_step-step", "samples-0", "fields-generative-0", "fields-recognition-0", "data-0"] {
            #expect(check.figures.contains { $0.id == id }, "no figure \(id)")
        }
        for f in check.figures { #expect(f.width > 0 && f.height > 0, "figure \(f.id): \(f.width)×\(f.height)") }
        #expect(check.images.count == 4 && check.images.allSatisfy { $0.width > 0 }, "images: \(check.images)")

        // Each curve's path has one point per record of metrics.jsonl that has its field.
        let records = try String(contentsOfFile: tmp.path("R/metrics.jsonl"), encoding: .utf8).split(separator: "\n")
            .map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(check.paths.count >= 10)
        for p in check.paths {
            let field = String(p.figure.dropFirst("curve-".count).split(separator: "-").first ?? "")
            let expected = records.filter { ($0[field] as? Double) != nil }.count
            #expect(p.points == expected, "\(p.figure): \(p.points) points, metrics.jsonl has \(expected) records with \(field)")
            #expect(p.width > 0, "\(p.figure): an empty path")
        }
        #expect(check.paths.first { $0.figure == "curve-wake_bound-step" }?.points == 300)
    }
}
