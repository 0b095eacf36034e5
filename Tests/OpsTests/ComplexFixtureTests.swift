import XCTest
import Ops
import NN
import TestSupport

/// Values and gradients of every complex op against `Tests/Fixtures/ops_complex.safetensors`
/// (cplxmodule 2022.6 on PyTorch 2.13, float64). Each case stores its inputs, `output`, a
/// cotangent `cot` and the vector–Jacobian products `grad/<role>` of
/// `L = Σ cot.real·out.real + cot.imag·out.imag` in PyTorch's convention, which is exactly what
/// our pullback returns for the same cotangent.
final class ComplexFixtureTests: XCTestCase {
    /// The inputs of one case, traced: complex roles as `ComplexTensor`, real roles as `Tensor`.
    struct Inputs {
        var complex: [String: ComplexTensor] = [:]
        var real: [String: Tensor] = [:]
        func z(_ role: String) -> ComplexTensor { complex[role]! }
        func x(_ role: String) -> Tensor { real[role]! }
        func zOpt(_ role: String) -> ComplexTensor? { complex[role] }
    }

    /// The result of an op: complex or real.
    enum Output {
        case complex(ComplexTensor)
        case real(Tensor)
        var parts: [Tensor] {
            switch self {
            case .complex(let z): return [z.real, z.imag]
            case .real(let x): return [x]
            }
        }
    }

    typealias Meta = [String: Any]

    /// Runs `f` on the inputs of case `id` in `dtype`; compares the output and every stored gradient.
    func check(_ file: SafetensorsFile, _ id: String, dtype: DType, rtol: Double, atol: Double,
               _ f: @escaping (Inputs, Meta) -> Output, file sourceFile: StaticString = #filePath, line: UInt = #line) throws {
        let meta = try Fixture.metadata(file, case: id)
        let shapes = meta["shapes"] as! [String: Any]
        let complexRoles = Set(meta["complex_roles"] as! [String])
        let roles = shapes.keys.filter { $0 != "output" }.sorted()
        var flat: [Tensor] = [], layout: [(role: String, complex: Bool)] = []
        for r in roles {
            if complexRoles.contains(r) {
                let z = try Fixture.complex(file, "\(id)/\(r)")
                flat += [z.real.converted(to: dtype), z.imag.converted(to: dtype)]
                layout.append((r, true))
            } else {
                flat.append(try Fixture.tensor(file, "\(id)/\(r)").converted(to: dtype))
                layout.append((r, false))
            }
        }
        func unflatten(_ xs: [Tensor]) -> Inputs {
            var ins = Inputs(), i = 0
            for (r, c) in layout {
                if c { ins.complex[r] = ComplexTensor(real: xs[i], imag: xs[i + 1]); i += 2 } else { ins.real[r] = xs[i]; i += 1 }
            }
            return ins
        }
        let (ys, pullback) = valueWithPullback(at: flat) { xs in f(unflatten(xs), meta).parts }
        let outputComplex = complexRoles.contains("output")
        let expected = try parts(file, "\(id)/output", complex: outputComplex)
        XCTAssertEqual(ys.count, expected.count, "\(id): output kind", file: sourceFile, line: line)
        for (k, (y, e)) in zip(ys, expected).enumerated() {
            assertClose(y, e.converted(to: dtype), rtol: rtol, atol: atol, "\(id) [\(dtype)] output part \(k)", file: sourceFile, line: line)
        }
        let cots = try parts(file, "\(id)/cot", complex: outputComplex)
        let grads = pullback(cots.map { $0.converted(to: dtype) })
        var i = 0
        for (r, c) in layout {
            if c {
                guard let g = file.tensors.complex("\(id)/grad/\(r)") else { i += 2; continue }
                assertClose(grads[i], g.real.converted(to: dtype), rtol: rtol, atol: atol, "\(id) [\(dtype)] grad \(r).real",
                            file: sourceFile, line: line)
                assertClose(grads[i + 1], g.imag.converted(to: dtype), rtol: rtol, atol: atol, "\(id) [\(dtype)] grad \(r).imag",
                            file: sourceFile, line: line)
                i += 2
            } else {
                if let g = file.tensors["\(id)/grad/\(r)"] {
                    assertClose(grads[i], g.converted(to: dtype), rtol: rtol, atol: atol, "\(id) [\(dtype)] grad \(r)",
                                file: sourceFile, line: line)
                }
                i += 1
            }
        }
    }

    /// A stored value as its real parts: `[real, imag]` for a complex value, `[x]` for a real one.
    func parts(_ file: SafetensorsFile, _ key: String, complex: Bool) throws -> [Tensor] {
        if complex {
            let z = try Fixture.complex(file, key)
            return [z.real, z.imag]
        }
        return [try Fixture.tensor(file, key)]
    }

    // MARK: - metadata helpers

    /// An int-or-list hyper-parameter as a per-axis list (`nil` stays `nil`).
    static func ints(_ v: Any?) -> [Int]? {
        if let i = v as? Int { return [i] }
        if let a = v as? [Int] { return a }
        return nil
    }

    /// A complex or real operand of a binary arithmetic op.
    enum Operand { case c(ComplexTensor), r(Tensor) }
    static func operand(_ ins: Inputs, _ role: String) -> Operand {
        if let z = ins.complex[role] { return .c(z) }
        return .r(ins.x(role))
    }

    /// The op of a case, from the case id's first component.
    static func op(for id: String) -> ((Inputs, Meta) -> Output)? {
        let name = String(id.split(separator: ".")[0])
        func binary(_ cc: @escaping (ComplexTensor, ComplexTensor) -> ComplexTensor,
                    _ cr: @escaping (ComplexTensor, Tensor) -> ComplexTensor,
                    _ rc: @escaping (Tensor, ComplexTensor) -> ComplexTensor) -> (Inputs, Meta) -> Output {
            { ins, _ in
                switch (operand(ins, "input1"), operand(ins, "input2")) {
                case (.c(let a), .c(let b)): return .complex(cc(a, b))
                case (.c(let a), .r(let b)): return .complex(cr(a, b))
                case (.r(let a), .c(let b)): return .complex(rc(a, b))
                case (.r, .r): fatalError("\(id): no complex operand")
                }
            }
        }
        func unary(_ f: @escaping (ComplexTensor) -> ComplexTensor) -> (Inputs, Meta) -> Output {
            { ins, _ in .complex(f(ins.z("input"))) }
        }
        switch name {
        case "add": return binary(+, +, +)
        case "sub": return binary(-, -, -)
        case "mul": return binary(*, *, *)
        case "div": return binary(/, /, /)
        case "matmul": return binary(matmul, matmul, matmul)
        case "exp": return unary(exp)
        case "log": return unary(log)
        case "sin": return unary(sin)
        case "cos": return unary(cos)
        case "tan": return unary { sin($0) / cos($0) }     // cplxmodule: sin/cos by Cplx division
        case "sinh": return unary(sinh)
        case "cosh": return unary(cosh)
        case "tanh": return unary(tanh)
        case "conj": return unary(conj)
        case "abs": return { ins, _ in .real(abs(ins.z("input"))) }
        case "angle": return { ins, _ in .real(angle(ins.z("input"))) }
        case "linear":
            return { ins, _ in .complex(linear(ins.z("input"), ins.z("weight"), bias: ins.zOpt("bias"))) }
        case "bilinear":
            return { ins, m in
                .complex(bilinear(ins.z("input1"), ins.z("input2"), ins.z("weight"), bias: ins.zOpt("bias"),
                                  conjugate: m["conjugate"] as! Bool))
            }
        case "conv1d", "conv2d", "conv3d":
            return { ins, m in
                let (s, p, d, g) = (ints(m["stride"])!, ints(m["padding"])!, ints(m["dilation"])!, m["groups"] as! Int)
                let (z, w, b) = (ins.z("input"), ins.z("weight"), ins.zOpt("bias"))
                switch name {
                case "conv1d": return .complex(conv1d(z, w, bias: b, stride: s, padding: p, dilation: d, groups: g))
                case "conv2d": return .complex(conv2d(z, w, bias: b, stride: s, padding: p, dilation: d, groups: g))
                default: return .complex(conv3d(z, w, bias: b, stride: s, padding: p, dilation: d, groups: g))
                }
            }
        case "conv_transpose1d", "conv_transpose2d", "conv_transpose3d":
            return { ins, m in
                let (s, p, d, g) = (ints(m["stride"])!, ints(m["padding"])!, ints(m["dilation"])!, m["groups"] as! Int)
                let op = ints(m["output_padding"])!
                let (z, w, b) = (ins.z("input"), ins.z("weight"), ins.zOpt("bias"))
                switch name {
                case "conv_transpose1d":
                    return .complex(convTranspose1d(z, w, bias: b, stride: s, padding: p, outputPadding: op, dilation: d, groups: g))
                case "conv_transpose2d":
                    return .complex(convTranspose2d(z, w, bias: b, stride: s, padding: p, outputPadding: op, dilation: d, groups: g))
                default:
                    return .complex(convTranspose3d(z, w, bias: b, stride: s, padding: p, outputPadding: op, dilation: d, groups: g))
                }
            }
        case "modrelu":
            return { ins, m in
                if let tau = m["threshold"] as? Double { return .complex(modReLU(ins.z("input"), threshold: tau)) }
                return .complex(modReLU(ins.z("input"), threshold: ins.x("threshold")))
            }
        case "phaseshift":
            return { ins, _ in .complex(phaseShift(ins.z("input"), phi: ins.x("phi"))) }
        case "max_pool1d", "max_pool2d":
            return { ins, m in
                let (k, s, p) = (ints(m["kernel_size"])!, ints(m["stride"]), ints(m["padding"])!)
                let d = ints(m["dilation"])!, ceil = m["ceil_mode"] as! Bool
                if name == "max_pool1d" {
                    return .complex(maxPool1d(ins.z("input"), kernelSize: k, stride: s, padding: p, dilation: d, ceilMode: ceil))
                }
                return .complex(maxPool2d(ins.z("input"), kernelSize: k, stride: s, padding: p, dilation: d, ceilMode: ceil))
            }
        case "from_interleaved_real":
            return { ins, m in .complex(fromInterleaved(ins.x("input"), axis: m["dim"] as! Int)) }
        case "from_concatenated_real":
            return { ins, m in .complex(fromConcatenated(ins.x("input"), axis: m["dim"] as! Int)) }
        case "to_interleaved_real":
            return { ins, m in
                let z = ins.z("input"), axis = m["dim"] as! Int
                let x = toInterleaved(z, axis: axis)
                if m["flatten"] as! Bool { return .real(x) }
                return .real(reshape(x, z.shape + [2]))   // flatten=False: trailing (re, im) axis (axis −1 only)
            }
        case "to_concatenated_real":
            return { ins, m in .real(toConcatenated(ins.z("input"), axis: m["dim"] as! Int)) }
        default:
            return nil
        }
    }

    // MARK: - tests

    func testEveryCaseFloat64() throws {
        let file = try Fixture.load("ops_complex")
        let cases = Fixture.cases(file)
        XCTAssertEqual(cases.count, 60, "ops_complex case count changed; update this test")
        for id in cases {
            guard let f = Self.op(for: id) else { XCTFail("no op for fixture case \(id)"); continue }
            try check(file, id, dtype: .float64, rtol: 1e-10, atol: 1e-12, f)
        }
    }

    /// The same cases computed in float32 against the float64 reference.
    ///
    /// One case is left to the float64 test: `modrelu.threshold0.5` holds the hand-picked inputs
    /// 0.3 ± 0.4i with |z| = 0.5 = τ exactly, the kink of modReLU, where the reference gradient
    /// is relu's one-sided 0. In float32 those inputs round to a modulus slightly off 0.5, a
    /// different point on the other side of the kink, so there is no common value to compare.
    func testEveryCaseFloat32() throws {
        let file = try Fixture.load("ops_complex")
        for id in Fixture.cases(file) where id != "modrelu.threshold0.5" {
            guard let f = Self.op(for: id) else { XCTFail("no op for fixture case \(id)"); continue }
            try check(file, id, dtype: .float32, rtol: 1e-5, atol: 1e-5, f)
        }
    }
}
