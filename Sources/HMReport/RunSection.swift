import Foundation
import HMCheckpoint
import HMTraining

/// One run's part of the page: what ran where, its pictures, its logs, its configuration and
/// its checkpoints. Whatever cannot be shown (data that does not load here, no checkpoint
/// yet) is said on the page instead of failing the report.
enum RunSection {
    static func html(_ run: RunSnapshot, index: Int) -> String {
        var out = "<h2 id=\"run-\(index)\">Run \(HTML.escape(run.label))</h2>\n"
        out += facts(run)
        out += "<h3>Samples and data</h3>\n<div class=\"figures\">\n" + pictures(run, index: index) + "</div>\n"
        out += logs(run)
        out += "<h3>Configuration</h3>\n"
        switch run.config {
        case .none: out += "<p class=\"note\">No config.yaml in the run directory.</p>\n"
        case .some(let result):
            if case .failure(let error) = result { out += "<p class=\"note\">config.yaml does not resolve: \(HTML.escape("\(error)"))</p>\n" }
            out += "<pre>\(HTML.escape(run.configText ?? ""))</pre>\n"
        }
        out += "<h3>Checkpoints</h3>\n" + checkpoints(run)
        return out
    }

    static func facts(_ run: RunSnapshot) -> String {
        let records = run.metrics.records
        var rows: [[String]] = [["directory", "<code>\(HTML.escape(run.path))</code>"]]
        let steps = records.compactMap { $0["step"] }
        rows.append(["metrics records", "\(records.count)" + (steps.max().map { ", last step \(Int($0))" } ?? "")
                     + (run.metrics.partialLastLine ? " <span class=\"note\">(a partial last line, being written, left out)</span>" : "")])
        let info = run.runInfo ?? [:]
        let world = (info["world_size"] as? Int) ?? run.checkpoints.first?.manifest?.worldSize
        rows.append(["world size", world.map(String.init) ?? "not recorded"])
        if let hosts = info["hosts"] as? [[String: Any]] {
            let text = hosts.map { "\($0["host"] ?? "?") (ranks \((($0["ranks"] as? [Int]) ?? []).map(String.init).joined(separator: ",")))" }
            rows.append(["hosts", HTML.escape(text.joined(separator: ", "))])
        } else {
            rows.append(["hosts", "not recorded (run.json is written by newer versions)"])
        }
        rows.append(["BLAS", HTML.escape((info["blas"] as? String) ?? "not recorded")])
        if let algorithm = (info["algorithm"] as? String) ?? run.newest?.manifest.config["algorithm"]?.stringValue {
            rows.append(["algorithm", HTML.escape(algorithm)])
        }
        return HTML.table([], rows, class: "facts")
    }

    static func pictures(_ run: RunSnapshot, index: Int) -> String {
        var out = ""
        let config = try? run.config?.get()
        if let checkpoint = run.newest {
            do {
                let machine = try ModelCheckpoint.machine(from: checkpoint)
                let shape = machine.model.imageShape, step = checkpoint.manifest.step
                let tiles = try Dreams.tiles(machine, checkpoint: checkpoint, count: Report.tileCount, seed: 1, draws: false)
                out += HTML.figure(try Images.inline(Images.grid(tiles, shape: shape), alt: "samples"),
                                   caption: "\(tiles.count) samples of the model at step \(step): E[x | h1] of dreams (seed 1), white is 1.",
                                   id: "samples-\(index)")
                let style = Images.style(dataSpec: config?.data ?? checkpoint.manifest.config["data"]?.stringValue, imageShape: shape)
                for generative in [true, false] {
                    guard let fields = try Images.fields(checkpoint, generative: generative, dataWidth: machine.widths[0],
                                                         hidden: machine.widths[1], limit: Report.fieldLimit) else { continue }
                    let which = generative ? "generative p(x | h1)" : "recognition q(h1 | x)"
                    out += HTML.figure(try Images.inline(Images.fieldImage(fields, shape: shape, style: style), alt: which),
                                       caption: "First layer's \(which) weights of \(fields.count) of \(machine.widths[1]) units as \(style.rawValue) (step \(step); grey is 0, \(style == .heatMap ? "one scale, units down" : "each field on its own scale")).",
                                       id: "fields-\(generative ? "generative" : "recognition")-\(index)")
                }
            } catch {
                out += "<p class=\"note\">The model of \(HTML.escape(checkpoint.directory)) cannot be drawn: \(HTML.escape("\(error)"))</p>\n"
            }
        } else {
            out += "<p class=\"note\">No committed checkpoint yet: no samples or receptive fields.</p>\n"
        }
        if let config {
            do {
                let data = try Images.realData(config, count: Report.tileCount)
                out += HTML.figure(try Images.inline(Images.grid(data.tiles, shape: data.shape), alt: "data"),
                                   caption: "The first \(data.tiles.count) training examples of \(config.data).", id: "data-\(index)")
            } catch {
                out += "<p class=\"note\">The run's data (\(HTML.escape(config.data))) cannot be loaded here: \(HTML.escape("\(error)"))</p>\n"
            }
        }
        return out
    }

    /// The algorithm's log (its solver choices, …), the growth log, and the records that are
    /// neither steps nor checkpoints.
    static func logs(_ run: RunSnapshot) -> String {
        var out = ""
        if let log = run.runInfo?["algorithm_log"] as? String, !log.isEmpty {
            out += "<h3>Algorithm log</h3>\n<pre>\(HTML.escape(log.replacingOccurrences(of: "; ", with: ";\n")))</pre>\n"
        }
        let growth = run.metrics.records.filter { $0["grow_stage"] != nil }
        if !growth.isEmpty || run.growthText != nil {
            out += "<h3>Growth</h3>\n"
            let fields = ["grow_stage", "hidden_units", "held_out_log_likelihood", "gain", "kept"]
            out += HTML.table(fields, growth.map { r in fields.map { f in r[f].map { f == "kept" ? ($0 == 1 ? "yes" : "no") : number($0) } ?? "" } })
            if let text = run.growthText { out += "<pre>\(HTML.escape(text))</pre>\n" }
        }
        return out
    }

    static func checkpoints(_ run: RunSnapshot) -> String {
        guard !run.checkpoints.isEmpty else { return "<p>No committed checkpoint.</p>\n" }
        let rows = run.checkpoints.map { c -> [String] in
            let status = c.problems.isEmpty ? "<span class=\"good\">verified</span>"
                : "<span class=\"bad\">FAILS verification:</span> " + c.problems.map { HTML.escape("\($0)") }.joined(separator: "<br>")
            return ["\(c.step)", c.manifest.map { "\($0.epoch)" } ?? "?", String(format: "%.2f MB", Double(c.bytes) / 1e6),
                    c.manifest.map { "\($0.worldSize)" } ?? "?", HTML.escape(c.manifest?.created ?? "?"),
                    "<code>\(HTML.escape(c.directory))</code>", status]
        }
        return HTML.table(["step", "epoch", "size", "world size", "created", "directory", "status"], rows, class: "checkpoints")
    }

    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(format: "%.4f", v)
    }
}
