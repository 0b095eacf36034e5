// Shared machinery of the complex ops: recording one tape entry over both parts, and the
// untraced elementwise loops (with broadcasting) that their forwards and pullbacks run.
//
// Elementwise complex kernels evaluate their scalar formula in Double for both dtypes and
// round once to the tensor's dtype; for float32 that is at least as accurate as single
// precision arithmetic and keeps every formula written once.

/// Internal helpers of the complex ops: a namespace (not a kernel) of the tape recording and the
/// untraced loops that complex forwards and pullbacks share, so names cannot collide with other files.
enum ComplexSupport {
    /// Records a complex op as ONE tape entry: `inputs` are the real tensors the op read (both
    /// parts of each complex operand, real operands as they are), the outputs are the two parts
    /// of `out`. `pullback` receives the output cotangent `g = gre + i·gim` as two tensors and
    /// returns one cotangent per input (`nil` for none); broadcast-shaped cotangents are summed
    /// down by the tape.
    static func record(_ name: String, _ out: ComplexTensor, inputs: [Tensor],
                       pullback: @escaping (_ gre: Tensor, _ gim: Tensor) -> [Tensor?]) -> ComplexTensor {
        let outs = Tape.record(name, outputs: [out.real, out.imag], inputs: inputs) { g in pullback(g[0], g[1]) }
        return ComplexTensor(real: outs[0], imag: outs[1])
    }

    /// Applies `f(re, im) -> (re', im')` to every element of `(re, im)` (equal shapes and dtypes).
    static func map(_ re: Tensor, _ im: Tensor, _ f: (Double, Double) -> (Double, Double)) -> ComplexTensor {
        var out = [Tensor(uninitializedShape: re.shape, dtype: re.dtype), Tensor(uninitializedShape: re.shape, dtype: re.dtype)]
        let n = re.count
        func run<T: TensorScalar>(_: T.Type) {
            Tensor.withBaseAddresses(reading: [re, im], writing: &out, as: T.self) { x, y in
                let (xr, xi, yr, yi) = (x[0], x[1], y[0], y[1])
                parallelFor(n, grain: elementGrain) { r in
                    for i in r {
                        let (a, b) = f(Double(xr[i]), Double(xi[i]))
                        yr[i] = T(a); yi[i] = T(b)
                    }
                }
            }
        }
        re.dtype.dispatch { run($0) }
        return ComplexTensor(real: out[0], imag: out[1])
    }

    /// Applies a real-valued `f(re, im)` to every element of `(re, im)`.
    static func mapToReal(_ re: Tensor, _ im: Tensor, _ f: (Double, Double) -> Double) -> Tensor {
        var out = [Tensor(uninitializedShape: re.shape, dtype: re.dtype)]
        let n = re.count
        func run<T: TensorScalar>(_: T.Type) {
            Tensor.withBaseAddresses(reading: [re, im], writing: &out, as: T.self) { x, y in
                let (xr, xi, o) = (x[0], x[1], y[0])
                parallelFor(n, grain: elementGrain) { r in for i in r { o[i] = T(f(Double(xr[i]), Double(xi[i]))) } }
            }
        }
        re.dtype.dispatch { run($0) }
        return out[0]
    }

    /// A complex operand of a binary kernel: a real part and an optional imaginary part
    /// (`nil` = a real operand, imaginary part 0). Both parts have one shape.
    struct Operand {
        let re: Tensor
        let im: Tensor?
        init(_ z: ComplexTensor) { re = z.real; im = z.imag }
        init(_ x: Tensor) { re = x; im = nil }
        init(re: Tensor, im: Tensor?) { self.re = re; self.im = im }
        var shape: [Int] { re.shape }
    }

    /// The broadcast shape of several operands, or a precondition failure naming `op`.
    static func broadcastShape(_ shapes: [[Int]], op: String) -> [Int] {
        var s = shapes[0]
        for t in shapes.dropFirst() {
            guard let b = Broadcast.shape(s, t) else {
                fatalError("\(op): shapes \(shapes.map { "\($0)" }.joined(separator: ", ")) cannot be broadcast together")
            }
            s = b
        }
        return s
    }

    /// Combines two complex (or real) operands elementwise with broadcasting:
    /// `f(aRe, aIm, bRe, bIm) -> (re, im)`. The dtypes must agree (the message names `op`).
    static func zip(_ a: Operand, _ b: Operand, op: String,
                    _ f: (Double, Double, Double, Double) -> (Double, Double)) -> ComplexTensor {
        let out = zipParts(a, b, op: op, outputs: 2, f)
        return ComplexTensor(real: out[0], imag: out[1])
    }

    /// Like ``zip(_:_:op:_:)`` with a real result `f(aRe, aIm, bRe, bIm)`.
    static func zipToReal(_ a: Operand, _ b: Operand, op: String,
                          _ f: (Double, Double, Double, Double) -> Double) -> Tensor {
        zipParts(a, b, op: op, outputs: 1) { (f($0, $1, $2, $3), 0) }[0]
    }

    /// The loop of ``zip(_:_:op:_:)`` (two outputs) and ``zipToReal(_:_:op:_:)`` (one output, the
    /// first value of `f`): `f` of the parts as Double (0 for a missing imaginary part) at every
    /// element of the broadcast shape, each value rounded once to the dtype.
    private static func zipParts(_ a: Operand, _ b: Operand, op: String, outputs count: Int,
                                 _ f: (Double, Double, Double, Double) -> (Double, Double)) -> [Tensor] {
        require(a.re.dtype == b.re.dtype, "\(op): dtypes \(a.re.dtype) and \(b.re.dtype) differ (convert one first)")
        let shape = a.shape == b.shape ? a.shape : broadcastShape([a.shape, b.shape], op: op)
        var out = (0..<count).map { _ in Tensor(uninitializedShape: shape, dtype: a.re.dtype) }
        let sa = Broadcast.strides(of: a.shape, broadcastTo: shape)
        let sb = Broadcast.strides(of: b.shape, broadcastTo: shape)
        let aHasIm = a.im != nil, bHasIm = b.im != nil
        let aIm = a.im ?? a.re, bIm = b.im ?? b.re   // placeholders are never read
        func run<T: TensorScalar>(_: T.Type) {
            Tensor.withBaseAddresses(reading: [a.re, aIm, b.re, bIm], writing: &out, as: T.self) { x, y in
                let (ar, ai, br, bi) = (x[0], x[1], x[2], x[3])
                let (yr, yi) = (y[0], y[count - 1])
                parallelForEach(shape, sa, sb) { i, ia, ib in
                    let (u, v) = f(Double(ar[ia]), aHasIm ? Double(ai[ia]) : 0,
                                   Double(br[ib]), bHasIm ? Double(bi[ib]) : 0)
                    yr[i] = T(u)
                    if count == 2 { yi[i] = T(v) }
                }
            }
        }
        a.re.dtype.dispatch { run($0) }
        return out
    }

    /// Elements per thread below which the elementwise loops of the complex ops stay on one thread.
    static let elementGrain = 16_384

    /// ``Broadcast/forEach(_:_:_:_:)`` with the outermost axis split over the kernel threads
    /// (``parallelFor(_:grain:_:)``, ranges of at least ``elementGrain`` elements): `body(i, a, b)`
    /// for every element, each computed exactly as in the serial walk, so the result has the same
    /// bits at any thread count. `body` must write element `i` only.
    static func parallelForEach(_ shape: [Int], _ stridesA: [Int], _ stridesB: [Int], _ body: (_ i: Int, _ a: Int, _ b: Int) -> Void) {
        let total = shape.reduce(1, *)
        guard shape.count >= 2, shape[0] >= 2, total >= 2 * elementGrain else {
            Broadcast.forEach(shape, stridesA, stridesB, body)
            return
        }
        let outer = shape[0], inner = total / outer, (a0, b0) = (stridesA[0], stridesB[0])
        let rest = Array(shape.dropFirst()), restA = Array(stridesA.dropFirst()), restB = Array(stridesB.dropFirst())
        parallelFor(outer, grain: Swift.max(1, elementGrain / Swift.max(1, inner))) { rows in
            for n in rows {
                Broadcast.forEach(rest, restA, restB) { i, a, b in body(n * inner + i, n * a0 + a, n * b0 + b) }
            }
        }
    }

    /// A real tensor broadcast (copied) to `shape`.
    static func expand(_ x: Tensor, to shape: [Int]) -> Tensor {
        if x.shape == shape { return x.detached() }
        return Tensor.zipElements(x.detached(), Tensor.zeros(shape, dtype: x.dtype), op: "expand", .add)
    }

    /// Normalises a possibly negative axis against `rank` (the message names `op`).
    static func axis(_ a: Int, rank: Int, op: String) -> Int {
        let b = a < 0 ? a + rank : a
        require(b >= 0 && b < rank, "\(op): axis \(a) is out of range for rank \(rank)")
        return b
    }
}

// MARK: - Scalar complex arithmetic used by the kernels

extension ComplexSupport {
    /// `(a + ib)(c + id)`.
    @inline(__always) static func mul(_ a: Double, _ b: Double, _ c: Double, _ d: Double) -> (Double, Double) {
        (a * c - b * d, a * d + b * c)
    }

    /// `conj(a + ib)·(c + id)`.
    @inline(__always) static func mulConj(_ a: Double, _ b: Double, _ c: Double, _ d: Double) -> (Double, Double) {
        (a * c + b * d, a * d - b * c)
    }

    /// `(a + ib) / (c + id)`, computed as `(a + ib)·conj(c + id) / (c² + d²)` (cplxmodule's formula).
    @inline(__always) static func div(_ a: Double, _ b: Double, _ c: Double, _ d: Double) -> (Double, Double) {
        let n = c * c + d * d
        return ((a * c + b * d) / n, (b * c - a * d) / n)
    }
}
