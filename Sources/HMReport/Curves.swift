/// The learning curves of the report: each metric of `metrics.jsonl` against steps and
/// against wall time, every run a series of its own (one colour per run in every figure).
enum Curves {
    /// (field, axis label, caption) of each curve, in page order; a metric no run records
    /// is left out.
    /// `scale` multiplies the values (seconds to milliseconds), for readable tick labels.
    static let metrics: [(field: String, label: String, caption: String, scale: Double)] = [
        ("wake_bound", "wake bound (nats/point)", "Wake bound: the importance-sampled bound on log p(x) of each step's batch", 1),
        ("valid_log_likelihood", "valid log-likelihood (nats/point)", "Held-out (valid) log-likelihood estimates", 1),
        ("test_log_likelihood", "test log-likelihood (nats/point)", "Held-out (test) log-likelihood estimates", 1),
        ("free_energy", "free energy (nats/point)", "Free energy E_q[log q − log p] of each step's batch", 1),
        ("points_per_second", "points/s", "Training speed", 1),
        ("comm_wait_seconds_per_step", "communication wait (ms/step)", "Rank 0's wait on communication per step", 1000),
    ]

    static func figures(_ runs: [RunSnapshot]) -> String {
        var out = ""
        for metric in metrics where runs.contains(where: { $0.metrics.count(metric.field) > 0 }) {
            for againstTime in [false, true] {
                let series = runs.enumerated().map { i, run in
                    LinePlot.Series(name: run.label, points: run.metrics.points(metric.field, againstTime: againstTime).map { ($0.x, $0.y * metric.scale) }, style: i)
                }
                let plot = LinePlot(xLabel: againstTime ? "wall time (s)" : "step", yLabel: metric.label, series: series)
                out += HTML.figure(plot.svg, caption: "\(metric.caption), against \(againstTime ? "wall time" : "steps").",
                                   id: "curve-\(metric.field)-\(againstTime ? "time" : "step")")
            }
        }
        return out
    }
}
