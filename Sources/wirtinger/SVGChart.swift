import Foundation

/// A minimal SVG chart writer: line charts with several series (linear or logarithmic axes),
/// bar charts, and binary images, with titled, labelled and ticked axes and a legend below the
/// plot (never over the data). Enough for the pipeline's figures, no dependency.
struct SVGChart {
    struct Series {
        var name: String; var points: [(x: Double, y: Double)]; var color: String; var axis: Int = 0
        /// Text drawn next to each point (same count as `points`), e.g. the threshold of a sweep point.
        var labels: [String]? = nil
    }

    var title: String
    var xLabel: String
    var yLabel: String
    var y2Label: String? = nil
    var series: [Series] = []
    var bars: [(label: String, value: Double)] = []
    var yRange: ClosedRange<Double>? = nil
    var y2Range: ClosedRange<Double>? = nil
    /// Logarithmic x axis (positive values only; others are dropped).
    var xLog = false
    /// Logarithmic left axis.
    var yLog = false
    /// Logarithmic right axis.
    var y2Log = false

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]

    private let width = 720.0, plotHeight = 440.0, left = 80.0, right = 80.0, top = 50.0, bottom = 70.0
    /// Rows of the legend under the plot: two entries per row.
    private var legendRows: Int { bars.isEmpty ? (series.count + 1) / 2 : 0 }
    private var height: Double { plotHeight + Double(legendRows) * 18 + (legendRows > 0 ? 8 : 0) }

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

    /// Ticks of a logarithmic axis over the exponents `r` (log₁₀ of the values): 1, 2, 5 × 10ᵏ
    /// when the range spans less than three decades, else the powers of ten.
    private func logTicks(_ r: ClosedRange<Double>) -> [Double] {
        let lo = Int(floor(r.lowerBound)), hi = Int(ceil(r.upperBound))
        let mantissas: [Double] = hi - lo <= 3 ? [1, 2, 5] : [1]
        var out: [Double] = []
        for e in lo...hi { for m in mantissas { let v = log10(m) + Double(e); if r.contains(v) { out.append(v) } } }
        return out.isEmpty ? [r.lowerBound] : out
    }

    private func ticks(_ r: ClosedRange<Double>, log: Bool) -> [Double] { log ? logTicks(r) : niceTicks(r) }
    private func label(_ t: Double, log: Bool) -> String { fmt(log ? pow(10, t) : t) }

    func render() -> String {
        let pw = width - left - right, ph = plotHeight - top - bottom
        if let img = image { return renderImage(img) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"Helvetica, Arial, sans-serif\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(width / 2)\" y=\"28\" text-anchor=\"middle\" font-size=\"17\" font-weight=\"bold\">\(esc(title))</text>\n"
        // axes box
        s += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(pw)\" height=\"\(ph)\" fill=\"none\" stroke=\"#333\"/>\n"
        s += "<text x=\"\(left + pw / 2)\" y=\"\(plotHeight - 18)\" text-anchor=\"middle\" font-size=\"14\">\(esc(xLabel))</text>\n"
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
        // values in axis units: log₁₀ on logarithmic axes (non-positive values dropped)
        func tx(_ v: Double) -> Double? { xLog ? (v > 0 ? log10(v) : nil) : v }
        func ty(_ v: Double, _ axis: Int) -> Double? { (axis == 0 ? yLog : y2Log) ? (v > 0 ? log10(v) : nil) : v }
        let mapped = series.map { ser in
            ser.points.enumerated().compactMap { i, p -> (x: Double, y: Double, label: String?)? in
                guard p.x.isFinite, p.y.isFinite, let x = tx(p.x), let y = ty(p.y, ser.axis) else { return nil }
                return (x, y, ser.labels.flatMap { i < $0.count ? $0[i] : nil })
            }
        }
        let xr = range(mapped.flatMap { $0.map(\.x) })
        func axisRange(_ axis: Int, _ given: ClosedRange<Double>?) -> ClosedRange<Double> {
            if let g = given {
                let lo = ty(g.lowerBound, axis) ?? g.lowerBound, hi = ty(g.upperBound, axis) ?? g.upperBound
                return lo...max(hi, lo + 1e-12)
            }
            return range(zip(series, mapped).filter { $0.0.axis == axis }.flatMap { $0.1.map(\.y) })
        }
        let yr = axisRange(0, yRange), y2r = axisRange(1, y2Range)
        for t in ticks(xr, log: xLog) {
            let x = left + pw * (t - xr.lowerBound) / (xr.upperBound - xr.lowerBound)
            s += "<line x1=\"\(x)\" y1=\"\(top)\" x2=\"\(x)\" y2=\"\(top + ph + 5)\" stroke=\"#eee\"/>"
            s += "<text x=\"\(x)\" y=\"\(top + ph + 20)\" text-anchor=\"middle\" font-size=\"11\">\(label(t, log: xLog))</text>\n"
        }
        for t in ticks(yr, log: yLog) {
            let y = top + ph * (1 - (t - yr.lowerBound) / (yr.upperBound - yr.lowerBound))
            s += "<line x1=\"\(left - 5)\" y1=\"\(y)\" x2=\"\(left + pw)\" y2=\"\(y)\" stroke=\"#eee\"/>"
            s += "<text x=\"\(left - 8)\" y=\"\(y + 4)\" text-anchor=\"end\" font-size=\"11\">\(label(t, log: yLog))</text>\n"
        }
        if y2Label != nil {
            for t in ticks(y2r, log: y2Log) {
                let y = top + ph * (1 - (t - y2r.lowerBound) / (y2r.upperBound - y2r.lowerBound))
                s += "<text x=\"\(left + pw + 8)\" y=\"\(y + 4)\" font-size=\"11\">\(label(t, log: y2Log))</text>\n"
            }
        }
        for (k, ser) in series.enumerated() {
            let r = ser.axis == 0 ? yr : y2r
            let pos = mapped[k].map { p in
                (x: left + pw * (p.x - xr.lowerBound) / (xr.upperBound - xr.lowerBound),
                 y: top + ph * (1 - (p.y - r.lowerBound) / (r.upperBound - r.lowerBound)), label: p.label)
            }
            s += "<polyline fill=\"none\" stroke=\"\(ser.color)\" stroke-width=\"2\" points=\"\(pos.map { String(format: "%.1f,%.1f", $0.x, $0.y) }.joined(separator: " "))\"/>\n"
            for p in pos where p.label != nil {
                s += "<circle cx=\"\(String(format: "%.1f", p.x))\" cy=\"\(String(format: "%.1f", p.y))\" r=\"3\" fill=\"\(ser.color)\"/>"
                s += "<text x=\"\(String(format: "%.1f", p.x + 5))\" y=\"\(String(format: "%.1f", p.y - 5))\" font-size=\"10\" fill=\"#555\">\(esc(p.label!))</text>\n"
            }
            // legend below the plot, two entries per row
            let lx = left + Double(k % 2) * pw / 2, ly = plotHeight + 4 + Double(k / 2) * 18
            s += "<line x1=\"\(lx)\" y1=\"\(ly - 4)\" x2=\"\(lx + 24)\" y2=\"\(ly - 4)\" stroke=\"\(ser.color)\" stroke-width=\"3\"/>"
            s += "<text x=\"\(lx + 30)\" y=\"\(ly)\" font-size=\"12\">\(esc(ser.name))</text>\n"
        }
        return s + "</svg>\n"
    }

    /// A binary image (row-major `rows × columns`, true drawn dark) for ``renderImage(_:)``.
    var image: (rows: Int, columns: Int, pixels: [Bool])? = nil

    /// The image as square cells under the title, with `xLabel` as its caption.
    private func renderImage(_ img: (rows: Int, columns: Int, pixels: [Bool])) -> String {
        let cell = 12.0, w = max(360, Double(img.columns) * cell + 40), h = Double(img.rows) * cell + 100
        let x0 = (w - Double(img.columns) * cell) / 2, y0 = 45.0
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" font-family=\"Helvetica, Arial, sans-serif\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(w / 2)\" y=\"28\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">\(esc(title))</text>\n"
        s += "<rect x=\"\(x0)\" y=\"\(y0)\" width=\"\(Double(img.columns) * cell)\" height=\"\(Double(img.rows) * cell)\" fill=\"#f4f4f4\" stroke=\"#333\"/>\n"
        for r in 0..<img.rows {
            for c in 0..<img.columns where img.pixels[r * img.columns + c] {
                s += "<rect x=\"\(x0 + Double(c) * cell)\" y=\"\(y0 + Double(r) * cell)\" width=\"\(cell)\" height=\"\(cell)\" fill=\"#222\"/>"
            }
            s += "\n"
        }
        s += "<text x=\"\(w / 2)\" y=\"\(y0 + Double(img.rows) * cell + 30)\" text-anchor=\"middle\" font-size=\"13\">\(esc(xLabel))</text>\n"
        return s + "</svg>\n"
    }
}
