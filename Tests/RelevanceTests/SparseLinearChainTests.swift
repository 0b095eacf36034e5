import XCTest
import Autodiff
import Kernels
import NN
import Ops
@testable import Relevance
import TestSupport

/// `SparseLinearChain` (one `wt_scsr_chain` call per forward) against the layers it chains, called
/// one by one, and against a float64 dense reference of the masked network.
final class SparseLinearChainTests: XCTestCase {
    override func tearDown() {
        _ = wt_set_isa(wt_detected_isa())
        _ = wt_set_num_threads(2)
        super.tearDown()
    }

    /// How a test layer is stored.
    enum Form { case csr, csrVerySparse, csrWithDenseCopy, dense }

    /// One masked layer `[out, in]`: weight, 0/1 mask, bias (nil when `bias` is false).
    struct Problem { let w: Tensor; let m: Tensor; let b: Tensor? }

    func problem(out: Int, in inF: Int, form: Form, bias: Bool, seed: UInt64) -> Problem {
        // Kept fractions: 0.08 (CSR only), 0.02 (CSR, the row order at the AVX2 tier), 0.25 (CSR plus
        // the dense copy for batches < 4), 0.9 (dense).
        let keep: Double = form == .csr ? 0.08 : form == .csrVerySparse ? 0.02 : form == .csrWithDenseCopy ? 0.25 : 0.9
        let w = Sample.normal([out, inF], seed: seed, dtype: .float32)
        let u = Sample.uniform([out, inF], 0, 1, seed: seed + 1).scalars
        var m = u.map { $0 < keep ? Float(1) : 0 }
        for c in 0..<inF { m[c] = 0 }   // row 0 fully masked: its outputs are the bias alone
        return Problem(w: w, m: Tensor(shape: [out, inF], scalars: m),
                       b: bias ? Sample.normal([out], seed: seed + 2, dtype: .float32) : nil)
    }

    /// The compiled layers of `problems`, ReLU fused into all but the last.
    func compiled(_ problems: [Problem]) -> [SparseLinear] {
        problems.enumerated().map { i, p in
            let l = SparseLinear(weight: p.w, bias: p.b, mask: p.m)
            return i + 1 < problems.count ? l.fusingReLU() : l
        }
    }

    /// The masked network in float64 with ReLU between layers, and per output a bound on the
    /// float32 error: a layer adds (k + 2)·ε·(Σ|w·x| + |b|) to the error Σ|w|·β it inherits from
    /// its inputs' bounds β (ReLU is 1-Lipschitz), grown by (1 + (k + 2)·ε) for the rounding of
    /// those perturbed products.
    func reference(_ x: Tensor, _ problems: [Problem]) -> (y: [Double], bound: [Double]) {
        let n = x.shape[0]
        var h = x.scalars, beta = [Double](repeating: 0, count: h.count)
        for (i, p) in problems.enumerated() {
            let (o, k) = (p.w.shape[0], p.w.shape[1])
            let ws = p.w.scalars, ms = p.m.scalars, bs = p.b?.scalars
            let eps = Double(k + 2) * Double(Float.ulpOfOne)
            var y = [Double](repeating: 0, count: n * o), bound = y
            for e in 0..<n {
                for r in 0..<o {
                    var s = bs?[r] ?? 0, a = abs(bs?[r] ?? 0), inherited = 0.0
                    for c in 0..<k where ms[r * k + c] != 0 {
                        let t = ws[r * k + c] * h[e * k + c]
                        s += t; a += abs(t); inherited += abs(ws[r * k + c]) * beta[e * k + c]
                    }
                    let last = i + 1 == problems.count
                    y[e * o + r] = last ? s : max(s, 0)
                    bound[e * o + r] = inherited * (1 + eps) + eps * a
                }
            }
            h = y; beta = bound
        }
        return (h, beta)
    }

    /// The layers called one after another.
    func oneByOne(_ layers: [SparseLinear], _ x: Tensor) -> [Double] {
        layers.reduce(x) { $1($0) }.scalars
    }

    /// Every batch regime (gathered dot products, dense copies below 4 rows, the skinny and packed
    /// dense products, full and partial tiles) at every tier: the chain equals the layers called
    /// one by one bit for bit, and the float64 reference within the float32 bound.
    func testChainEqualsItsLayersAndTheDenseReferenceAtEveryTier() {
        let cases: [[(Form, Bool)]] = [
            [(.csr, true), (.csr, true), (.csr, false)],
            [(.csrWithDenseCopy, true), (.csr, false), (.csr, true)],
            [(.dense, true), (.csr, true), (.dense, true)],
            [(.csr, true)],
            [(.csrVerySparse, true), (.csrVerySparse, true), (.csr, false)],
        ]
        let widths = [53, 37, 29, 11]
        for (ci, layout) in cases.enumerated() {
            let problems = layout.enumerated().map { i, f in
                problem(out: widths[i + 1], in: widths[i], form: f.0, bias: f.1, seed: UInt64(100 * ci + 10 * i + 1))
            }
            let layers = compiled(problems)
            XCTAssertEqual(layers.map(\.isCSR), layout.map { $0.0 != .dense }, "case \(ci): storage forms")
            if wt_detected_isa() == WT_ISA_AVX2_FMA {  // the very sparse layers take the AVX2 tier's row order
                for (i, f) in layout.enumerated() where f.0 == .csrVerySparse {
                    XCTAssertEqual(layers[i].window?.descriptor.pointee.by_position, WT_WINDOW_ROWS, "case \(ci), layer \(i)")
                }
            }
            let chain = SparseLinearChain(layers)
            XCTAssertEqual(chain.csrLayers, layers.map(\.isCSR))
            XCTAssertEqual(chain.inFeatures, 53)
            XCTAssertEqual(chain.outFeatures, widths[layout.count])
            for isa in (0...wt_detected_isa().rawValue).reversed().map(wt_isa.init(rawValue:)) {
                _ = wt_set_isa(isa)
                for n in [1, 2, 3, 4, 5, 16, 17, 64, 65, 130] {
                    let x = Sample.normal([n, 53], seed: UInt64(7 + n), dtype: .float32)
                    let y = chain(x)
                    XCTAssertEqual(y.shape, [n, widths[layout.count]])
                    XCTAssertEqual(y.scalars, oneByOne(layers, x), "case \(ci), isa \(isa.rawValue), batch \(n): chain differs from its layers")
                    let ref = reference(x, problems)
                    var worst = 0.0
                    for (v, (r, b)) in zip(y.scalars, zip(ref.y, ref.bound)) { worst = max(worst, abs(v - r) - b) }
                    XCTAssertLessThanOrEqual(worst, 0, "case \(ci), isa \(isa.rawValue), batch \(n): outside the float32 bound by \(worst)")
                }
            }
        }
    }

    /// A 784-400-10 chain at 90 % sparsity: one and two threads give the same bits in each
    /// regime (rows split in the gathered path, one tile on one thread, tiles split over threads).
    func testOneAndTwoThreadsGiveTheSameBits() {
        let problems = [problem(out: 400, in: 784, form: .csr, bias: true, seed: 5),
                        problem(out: 10, in: 400, form: .csr, bias: true, seed: 6)]
        let layers = compiled(problems)
        let chain = SparseLinearChain(layers)
        for isa in (0...wt_detected_isa().rawValue).reversed().map(wt_isa.init(rawValue:)) {
            _ = wt_set_isa(isa)
            for n in [2, 64, 130, 200] {
                let x = Sample.normal([n, 784], seed: UInt64(n), dtype: .float32)
                _ = wt_set_num_threads(1)
                let one = chain(x)
                _ = wt_set_num_threads(2)
                let two = chain(x)
                XCTAssertEqual(one.scalars, two.scalars, "isa \(isa.rawValue), batch \(n)")
                XCTAssertEqual(one.scalars, oneByOne(layers, x), "isa \(isa.rawValue), batch \(n): chain differs from its layers")
            }
        }
    }

    /// `callAsFunction(_:into:)` writes the same values into the caller's tensor, in place.
    func testWritingIntoTheCallersTensorReusesItsStorage() {
        let layers = compiled([problem(out: 37, in: 53, form: .csr, bias: true, seed: 9),
                               problem(out: 11, in: 37, form: .csr, bias: true, seed: 10)])
        let chain = SparseLinearChain(layers)
        for n in [1, 70] {
            let x = Sample.normal([n, 53], seed: 3, dtype: .float32)
            var y = Tensor.zeros([n, 11])
            let before = y.withUnsafeBufferPointer { (p: UnsafeBufferPointer<Float>) in p.baseAddress }
            chain(x, into: &y)
            let after = y.withUnsafeBufferPointer { (p: UnsafeBufferPointer<Float>) in p.baseAddress }
            XCTAssertEqual(before, after, "batch \(n): the output was written in place")
            XCTAssertEqual(y.scalars, chain(x).scalars)
            var raw = [Float](repeating: .nan, count: n * 11)
            let status = x.withUnsafeBufferPointer { (xp: UnsafeBufferPointer<Float>) in
                raw.withUnsafeMutableBufferPointer { chain.run(rows: n, x: xp.baseAddress, y: $0.baseAddress) }
            }
            XCTAssertEqual(status, 0)
            XCTAssertEqual(raw.map(Double.init), y.scalars)
        }
    }

    /// A compiled Flatten/Linear/ReLU container becomes a chain that reads `[N, …]` input; other
    /// containers do not.
    func testChainOfACompiledContainer() {
        let model = Sequential<Tensor, Tensor>(Flatten(), LinearMasked(49, 20), ReLU(), LinearMasked(20, 4))
        let p1 = problem(out: 20, in: 49, form: .csr, bias: true, seed: 21), p2 = problem(out: 4, in: 20, form: .csr, bias: true, seed: 22)
        let params: ParameterTree = ["1.weight": p1.w, "1.bias": p1.b!, "1.mask": p1.m,
                                     "3.weight": p2.w, "3.bias": p2.b!, "3.mask": p2.m]
        let (compiledModel, rest) = compileSparse(model, parameters: params)
        XCTAssertTrue(rest.isEmpty)
        let chain = try? XCTUnwrap(SparseLinearChain(layers: compiledModel.layers))
        XCTAssertEqual(chain?.flattensInput, true)
        XCTAssertEqual(chain?.layerCount, 2)
        for n in [1, 6, 66] {
            let x = Sample.normal([n, 1, 7, 7], seed: UInt64(n), dtype: .float32)
            let expected = compiledModel(x, parameters: rest)
            XCTAssertEqual(chain?(x).shape, [n, 4])
            XCTAssertEqual(chain?(x).scalars, expected.scalars, "batch \(n)")
            XCTAssertEqual(chain?(x, parameters: ParameterTree(), context: Context(training: false)).scalars, expected.scalars)
        }
        XCTAssertNil(SparseLinearChain(layers: [ReLU()]), "a layer other than Flatten/SparseLinear/Identity")
        XCTAssertNil(SparseLinearChain(layers: [compiledModel.layers[1], Flatten()]), "a flatten that is not first")
        XCTAssertNil(SparseLinearChain(layers: [Flatten()]), "no linear layer")
        XCTAssertNil(SparseLinearChain(layers: [compiledModel.layers[1], compiledModel.layers[1]]), "20 outputs into 49 inputs")
    }
}
