import Foundation

/// A minimal SVG chart writer: line charts with several series and bar charts, with titled,
/// labelled and ticked axes and a legend. Enough for the pipeline's figures, no dependency.
struct SVGChart {
    struct Series { var name: String; var points: [(x: Double, y: Double)]; var color: String; var axis: Int = 0 }

    var title: String
    var xLabel: String
    var yLabel: String
    var y2Label: String? = nil
    var series: [Series] = []
    var bars: [(label: String, value: Double)] = []
    var yRange: ClosedRange<Double>? = nil
    var y2Range: ClosedRange<Double>? = nil

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]

    private let width = 720.0, height = 440.0, left = 80.0, right = 80.0, top = 50.0, bottom = 70.0

    private func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    private func niceTicks(_ r: ClosedRange<Double>, count: Int = 5) -> [Double] {
        let span = r.upperBound - r.lowerBound
        guard span > 0, span.isFinite else { return [r.lowerBound] }
        let raw = span / Double(count)
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? raw
        var t = ceil(r.lowerBound / step) * step, out: [Double] = []
        while t <= r.upperBound + step * 1e-9 { out.append(t); t += step }
        return out
    }

    private func fmt(_ v: Double) -> String {
        if v == 0 { return "0" }
        if abs(v) >= 1000 || abs(v) < 0.01 { return String(format: "%.2g", v) }
        return String(format: "%g", (v * 1000).rounded() / 1000)
    }

    private func range(_ values: [Double]) -> ClosedRange<Double> {
        let finite = values.filter { $0.isFinite }
        guard let lo = finite.min(), let hi = finite.max() else { return 0...1 }
        if lo == hi { return (lo - 1)...(hi + 1) }
        let pad = (hi - lo) * 0.05
        return (lo - pad)...(hi + pad)
    }

    func render() -> String {
        let pw = width - left - right, ph = height - top - bottom
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"Helvetica, Arial, sans-serif\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(width / 2)\" y=\"28\" text-anchor=\"middle\" font-size=\"17\" font-weight=\"bold\">\(esc(title))</text>\n"
        // axes box
        s += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(pw)\" height=\"\(ph)\" fill=\"none\" stroke=\"#333\"/>\n"
        s += "<text x=\"\(left + pw / 2)\" y=\"\(height - 18)\" text-anchor=\"middle\" font-size=\"14\">\(esc(xLabel))</text>\n"
        s += "<text transform=\"translate(22,\(top + ph / 2)) rotate(-90)\" text-anchor=\"middle\" font-size=\"14\">\(esc(yLabel))</text>\n"
        if let y2 = y2Label {
            s += "<text transform=\"translate(\(width - 20),\(top + ph / 2)) rotate(90)\" text-anchor=\"middle\" font-size=\"14\">\(esc(y2))</text>\n"
        }
        if !bars.isEmpty {
            let yr = yRange ?? 0...max(bars.map(\.value).max() ?? 1, 1e-9)
            for t in niceTicks(yr) {
                let y = top + ph * (1 - (t - yr.lowerBound) / (yr.upperBound - yr.lowerBound))
                s += "<line x1=\"\(left - 5)\" y1=\"\(y)\" x2=\"\(left + pw)\" y2=\"\(y)\" stroke=\"#ddd\"/>"
                s += "<text x=\"\(left - 8)\" y=\"\(y + 4)\" text-anchor=\"end\" font-size=\"11\">\(fmt(t))</text>\n"
            }
            let bw = pw / Double(max(bars.count, 1))
            for (i, b) in bars.enumerated() {
                let h = ph * (b.value - yr.lowerBound) / (yr.upperBound - yr.lowerBound)
                let x = left + Double(i) * bw
                s += "<rect x=\"\(x + bw * 0.15)\" y=\"\(top + ph - h)\" width=\"\(bw * 0.7)\" height=\"\(max(h, 0))\" fill=\"\(SVGChart.palette[0])\"/>"
                s += "<text x=\"\(x + bw / 2)\" y=\"\(top + ph - h - 5)\" text-anchor=\"middle\" font-size=\"11\">\(fmt(b.value))</text>"
                s += "<text x=\"\(x + bw / 2)\" y=\"\(top + ph + 16)\" text-anchor=\"middle\" font-size=\"11\">\(esc(b.label))</text>\n"
            }
            return s + "</svg>\n"
        }
        let xs = series.flatMap { $0.points.map(\.x) }
        let xr = range(xs)
        let yr = yRange ?? range(series.filter { $0.axis == 0 }.flatMap { $0.points.map(\.y) })
        let y2r = y2Range ?? range(series.filter { $0.axis == 1 }.flatMap { $0.points.map(\.y) })
        for t in niceTicks(xr) {
            let x = left + pw * (t - xr.lowerBound) / (xr.upperBound - xr.lowerBound)
            s += "<line x1=\"\(x)\" y1=\"\(top)\" x2=\"\(x)\" y2=\"\(top + ph + 5)\" stroke=\"#eee\"/>"
            s += "<text x=\"\(x)\" y=\"\(top + ph + 20)\" text-anchor=\"middle\" font-size=\"11\">\(fmt(t))</text>\n"
        }
        for t in niceTicks(yr) {
            let y = top + ph * (1 - (t - yr.lowerBound) / (yr.upperBound - yr.lowerBound))
            s += "<line x1=\"\(left - 5)\" y1=\"\(y)\" x2=\"\(left + pw)\" y2=\"\(y)\" stroke=\"#eee\"/>"
            s += "<text x=\"\(left - 8)\" y=\"\(y + 4)\" text-anchor=\"end\" font-size=\"11\">\(fmt(t))</text>\n"
        }
        if y2Label != nil {
            for t in niceTicks(y2r) {
                let y = top + ph * (1 - (t - y2r.lowerBound) / (y2r.upperBound - y2r.lowerBound))
                s += "<text x=\"\(left + pw + 8)\" y=\"\(y + 4)\" font-size=\"11\">\(fmt(t))</text>\n"
            }
        }
        for (k, ser) in series.enumerated() {
            let r = ser.axis == 0 ? yr : y2r
            let pts = ser.points.filter { $0.x.isFinite && $0.y.isFinite }.map { p -> String in
                let x = left + pw * (p.x - xr.lowerBound) / (xr.upperBound - xr.lowerBound)
                let y = top + ph * (1 - (p.y - r.lowerBound) / (r.upperBound - r.lowerBound))
                return String(format: "%.1f,%.1f", x, y)
            }
            s += "<polyline fill=\"none\" stroke=\"\(ser.color)\" stroke-width=\"2\" points=\"\(pts.joined(separator: " "))\"/>\n"
            let ly = top + 16 + Double(k) * 18
            s += "<line x1=\"\(left + 12)\" y1=\"\(ly - 4)\" x2=\"\(left + 36)\" y2=\"\(ly - 4)\" stroke=\"\(ser.color)\" stroke-width=\"3\"/>"
            s += "<text x=\"\(left + 42)\" y=\"\(ly)\" font-size=\"12\">\(esc(ser.name))</text>\n"
        }
        return s + "</svg>\n"
    }
}
