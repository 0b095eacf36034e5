import XCTest
import Autodiff
import Ops
import NN
import Relevance
import TestSupport

/// Every case of `relevance.safetensors` (cplxmodule 2022.6, float64 and float32): keys and
/// shapes of a fresh tree, eval forward, input and parameter gradients, log α, elementwise
/// penalty and its gradient, relevance masks; L0 gates; masked weights.
final class LayerParityTests: XCTestCase {
    static let bases = ["Linear", "Conv1d", "Conv2d", "Conv3d", "Bilinear"]

    /// Splits `Conv2dVDScaleFree` into (`Conv2d`, `VDScaleFree`).
    func split(_ name: Substring) -> (base: String, suffix: String)? {
        for b in Self.bases where name.hasPrefix(b) { return (b, String(name.dropFirst(b.count))) }
        return nil
    }

    func cases(_ file: SafetensorsFile, where include: (String) -> Bool) -> [String] {
        Fixture.cases(file).filter(include)
    }

    // MARK: real VD / ARD

    func runVariational<B, P>(_ layer: Variational<B, P>, _ c: RelevanceCase) throws {
        checkKeys(layer, c)
        try checkForward(layer, c)
        try checkPenalty(layer, c, float64GradReference: P.self == ComplexVD.self || P.self == ComplexVDBogus.self)
        assertClose(layer.logAlpha(parameters: c.params), try c.tensor("log_alpha"), rtol: c.tol.rtol, atol: c.tol.atol,
                    "\(c.id): log_alpha")
    }

    func realVariational<P: KLPrior>(_: P.Type, _ base: String, _ c: RelevanceCase) throws where P.Weight == Tensor {
        let k = c.ctor
        switch base {
        case "Linear": try runVariational(Variational<Linear, P>(k.linear), c)
        case "Conv1d": try runVariational(Variational<Conv1d, P>(k.conv(Spatial1D.self)), c)
        case "Conv2d": try runVariational(Variational<Conv2d, P>(k.conv(Spatial2D.self)), c)
        case "Conv3d": try runVariational(Variational<Conv3d, P>(k.conv(Spatial3D.self)), c)
        case "Bilinear": try runVariational(Variational<Bilinear, P>(k.bilinear), c)
        default: XCTFail("\(c.id): unknown base \(base)")
        }
    }

    func complexVariational<P: KLPrior>(_: P.Type, _ base: String, _ c: RelevanceCase) throws where P.Weight == ComplexTensor {
        let k = c.ctor
        switch base {
        case "Linear": try runVariational(Variational<CplxLinear, P>(k.cplxLinear), c)
        case "Conv1d": try runVariational(Variational<CplxConv1d, P>(k.cplxConv(Spatial1D.self)), c)
        case "Conv2d": try runVariational(Variational<CplxConv2d, P>(k.cplxConv(Spatial2D.self)), c)
        case "Conv3d": try runVariational(Variational<CplxConv3d, P>(k.cplxConv(Spatial3D.self)), c)
        case "Bilinear": try runVariational(Variational<CplxBilinear, P>(k.cplxBilinear), c)
        default: XCTFail("\(c.id): unknown base \(base)")
        }
    }

    func testRealVariationalLayers() throws {
        let file = try Fixture.load("relevance")
        var n = 0
        for id in cases(file, where: { !$0.hasPrefix("Cplx") && ($0.contains("VD.") || $0.contains("ARD.")) }) {
            let c = try RelevanceCase(file, id)
            let (base, suffix) = split(id.split(separator: ".")[0])!
            switch suffix {
            case "VD": try realVariational(RealVD.self, base, c)
            case "ARD": try realVariational(RealARD.self, base, c)
            default: XCTFail("\(id): unknown suffix \(suffix)")
            }
            n += 1
        }
        XCTAssertEqual(n, 20, "5 bases × VD/ARD × float64/float32")
    }

    func testComplexVariationalLayers() throws {
        let file = try Fixture.load("relevance")
        var n = 0
        for id in cases(file, where: { $0.hasPrefix("Cplx") && !$0.contains("Masked") }) {
            let c = try RelevanceCase(file, id)
            let (base, suffix) = split(id.split(separator: ".")[0].dropFirst(4))!
            switch suffix {
            case "VD": try complexVariational(ComplexVD.self, base, c)
            case "ARD": try complexVariational(ComplexARD.self, base, c)
            case "VDScaleFree": try complexVariational(ComplexVDScaleFree.self, base, c)
            case "VDApprox": try complexVariational(ComplexVDApprox.self, base, c)
            case "VDBogus": try complexVariational(ComplexVDBogus.self, base, c)
            default: XCTFail("\(id): unknown suffix \(suffix)")
            }
            n += 1
        }
        XCTAssertEqual(n, 52, "5 bases × 5 priors × 2 dtypes + the log α < −88.7 pair")
    }

    // MARK: masked

    func runMasked<B>(_ layer: Masked<B>, _ c: RelevanceCase) throws {
        checkKeys(layer, c)
        try checkForward(layer, c)
        let p = c.params
        assertClose(p["mask"]!, try c.tensor("mask"), rtol: 0, atol: 0, "\(c.id): mask")
        let w = B.Weight.required("weight", in: p, by: Context(training: false)).masked(by: p["mask"]!)
        for (t, part) in outputLeavesOfWeight(w) {
            assertClose(t, try c.tensor("weight_masked" + part), rtol: 0, atol: 0, "\(c.id): weight_masked\(part)")
        }
        // A mask given with a broadcastable shape (cplxmodule expands it when set) gives the same layer.
        if let small = c.meta["mask_set_with_shape"] as? [Int] {
            let full = p["mask"]!
            var reduced = full
            for (axis, n) in small.enumerated() where n == 1 { reduced = slice(reduced, axis: axis, start: 0, end: 1) }
            XCTAssertEqual(reduced.shape, small)
            XCTAssertEqual(expand(reduced, to: full.shape).scalars, full.scalars, "\(c.id): the stored mask is an expansion")
            var q = p
            q["mask"] = reduced
            try checkForward(layer, c, parameters: q)
        }
    }

    func outputLeavesOfWeight<W: WeightValue>(_ w: W) -> [(Tensor, String)] {
        if let t = w as? Tensor { return [(t, "")] }
        let z = w as! ComplexTensor
        return [(z.real, ".real"), (z.imag, ".imag")]
    }

    func testMaskedLayers() throws {
        let file = try Fixture.load("relevance")
        var n = 0
        for id in cases(file, where: { $0.contains("Masked") }) {
            let c = try RelevanceCase(file, id)
            let name = id.split(separator: ".")[0]
            let complex = name.hasPrefix("Cplx")
            let (base, suffix) = split(complex ? name.dropFirst(4) : name)!
            XCTAssertEqual(suffix, "Masked")
            let k = c.ctor
            switch (complex, base) {
            case (false, "Linear"): try runMasked(LinearMasked(k.linear), c)
            case (false, "Conv1d"): try runMasked(Conv1dMasked(k.conv(Spatial1D.self)), c)
            case (false, "Conv2d"): try runMasked(Conv2dMasked(k.conv(Spatial2D.self)), c)
            case (false, "Conv3d"): try runMasked(Conv3dMasked(k.conv(Spatial3D.self)), c)
            case (false, "Bilinear"): try runMasked(BilinearMasked(k.bilinear), c)
            case (true, "Linear"): try runMasked(CplxLinearMasked(k.cplxLinear), c)
            case (true, "Conv1d"): try runMasked(CplxConv1dMasked(k.cplxConv(Spatial1D.self)), c)
            case (true, "Conv2d"): try runMasked(CplxConv2dMasked(k.cplxConv(Spatial2D.self)), c)
            case (true, "Conv3d"): try runMasked(CplxConv3dMasked(k.cplxConv(Spatial3D.self)), c)
            case (true, "Bilinear"): try runMasked(CplxBilinearMasked(k.cplxBilinear), c)
            default: XCTFail("\(id): unknown masked layer")
            }
            n += 1
        }
        XCTAssertEqual(n, 26)
    }

    // MARK: L0 and LASSO

    func testLinearL0() throws {
        let file = try Fixture.load("relevance")
        var n = 0
        for id in cases(file, where: { $0.hasPrefix("LinearL0.") }) {
            let c = try RelevanceCase(file, id)
            let groupName = id.split(separator: ".")[1].dropFirst("group_".count)
            let group: LinearL0.Group = groupName == "None" ? .none : LinearL0.Group(rawValue: String(groupName))!
            let k = c.ctor
            let layer = LinearL0(k.int("in_features"), k.int("out_features"), bias: k.bias, group: group)
            checkKeys(layer, c)
            try checkForward(layer, c)
            try checkPenalty(layer, c)
            let p = c.params
            let t = c.tol
            assertClose(layer.gate(parameters: p), try c.tensor("gate_eval"), rtol: t.rtol, atol: t.atol, "\(id): gate()")
            assertClose(layer.gate(parameters: p, logit: Tensor(scalar: 0, dtype: c.dtype)), try c.tensor("gate_logit0"),
                        rtol: t.rtol, atol: t.atol, "\(id): gate(0)")
            // hard/soft are read from the options; the threshold is ignored by L0 layers.
            for threshold in [-0.5, 3.0] {
                assertClose(layer.relevance(parameters: p, options: RelevanceOptions(threshold: threshold, hard: true)),
                            try c.tensor("relevance_hard"), rtol: 0, atol: 0, "\(id): hard relevance")
                assertClose(layer.relevance(parameters: p, options: RelevanceOptions(threshold: threshold, hard: false)),
                            try c.tensor("relevance_soft"), rtol: t.rtol, atol: t.atol, "\(id): soft relevance")
            }
            n += 1
        }
        XCTAssertEqual(n, 6)
    }

    func testLinearLASSO() throws {
        let file = try Fixture.load("relevance")
        for id in ["LinearLASSO.basic", "LinearLASSO.basic.f32"] {
            let c = try RelevanceCase(file, id)
            let layer = LinearLASSO(c.ctor.linear)
            checkKeys(layer, c)
            try checkForward(layer, c)
            try checkPenalty(layer, c)
            XCTAssertTrue(c.has("relevance@-2"))
            XCTAssertEqual(layer.variationalKeys, [])
        }
    }

    /// No case of the fixture file is left out by the family tests above.
    func testEveryCaseIsCovered() throws {
        let file = try Fixture.load("relevance")
        let all = Fixture.cases(file)
        XCTAssertEqual(all.count, 106)
        let covered = all.filter {
            $0.contains("Masked") || $0.hasPrefix("LinearL0.") || $0.hasPrefix("LinearLASSO.")
                || $0.hasPrefix("Cplx") || $0.contains("VD.") || $0.contains("ARD.")
        }
        XCTAssertEqual(covered.count, all.count)
        XCTAssertEqual(20 + 52 + 26 + 6 + 2, all.count)
    }
}
