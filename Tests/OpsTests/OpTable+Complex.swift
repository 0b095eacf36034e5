import Ops
import TestSupport

/// Complex inputs are checked along both their real and imaginary directions: `OpInfo.complex`
/// flattens each complex tensor into its two parts, and mixed complex/real ops use the
/// `mixed` helper below with explicit kinds.
extension OpTable {
    /// Every complex op of `Sources/Ops/Complex*.swift`.
    static var complex: [OpInfo] {
        complexArithmetic + complexElementwise + complexLinearAlgebra + complexConvolution + complexPooling
            + complexConversions
    }

    /// An op over a mix of complex (`c`) and real (`r`) inputs with one complex output.
    static func mixed(_ name: String, kinds: String, samples: [[Any]],
                      _ f: @escaping ([Operand]) -> ComplexTensor) -> OpInfo {
        OpInfo(name: name, samples: samples.map(flattenOperands)) { xs in
            let y = f(unflattenOperands(xs, kinds: kinds))
            return [y.real, y.imag]
        }
    }

    /// An op over a mix of complex and real inputs with one real output.
    static func mixedToReal(_ name: String, kinds: String, samples: [[Any]],
                            _ f: @escaping ([Operand]) -> Tensor) -> OpInfo {
        OpInfo(name: name, samples: samples.map(flattenOperands)) { xs in [f(unflattenOperands(xs, kinds: kinds))] }
    }

    /// A complex or real operand of a mixed op.
    enum Operand {
        case c(ComplexTensor)
        case r(Tensor)
        var z: ComplexTensor { if case .c(let z) = self { return z }; fatalError("operand is real") }
        var x: Tensor { if case .r(let x) = self { return x }; fatalError("operand is complex") }
    }

    static func flattenOperands(_ values: [Any]) -> [Tensor] {
        values.flatMap { v -> [Tensor] in
            if let z = v as? ComplexTensor { return [z.real, z.imag] }
            return [v as! Tensor]
        }
    }

    static func unflattenOperands(_ xs: [Tensor], kinds: String) -> [Operand] {
        var out: [Operand] = [], i = 0
        for k in kinds {
            if k == "c" { out.append(.c(ComplexTensor(real: xs[i], imag: xs[i + 1]))); i += 2 } else { out.append(.r(xs[i])); i += 1 }
        }
        return out
    }

    static var complexArithmetic: [OpInfo] {
        let a = Sample.complex([3, 4], seed: 101), b = Sample.complex([3, 4], seed: 102)
        let row = Sample.complex([4], seed: 103), col = Sample.complex([3, 1], seed: 104)
        let big = Sample.complex([2, 3, 4], seed: 105)
        let x = Sample.normal([3, 4], seed: 106), xRow = Sample.normal([4], seed: 107), xBig = Sample.normal([2, 3, 4], seed: 108)
        let xPos = Sample.uniform([3, 4], 0.5, 2, seed: 109)
        let away = ComplexTensor(real: Sample.uniform([3, 4], 0.5, 2, seed: 110), imag: Sample.normal([3, 4], seed: 111))
        let awayRow = ComplexTensor(real: Sample.uniform([4], 0.5, 2, seed: 112), imag: Sample.normal([4], seed: 113))
        return [
            .complex("complex add", samples: [[a, b], [a, row], [col, row], [row, big]]) { $0[0] + $0[1] },
            .complex("complex sub", samples: [[a, b], [row, a], [col, row]]) { $0[0] - $0[1] },
            .complex("complex mul", samples: [[a, b], [a, row], [col, row], [big, col]]) { $0[0] * $0[1] },
            .complex("complex div", samples: [[a, away], [b, awayRow], [col, away]]) { $0[0] / $0[1] },
            .complex("complex neg", samples: [[a]]) { -$0[0] },
            .complex("conj", samples: [[a], [big]]) { conj($0[0]) },
            .complex("complex scalar ops", samples: [[a]]) { 2.5 * $0[0] - 1 + $0[0] / 3 + (0.5 - $0[0]) * 1.5 },
            .complex("scalar / complex", samples: [[away]]) { 2 / $0[0] },
            .complex("compound assignment", samples: [[a, b]]) { zs in
                var y = zs[0]; y += zs[1]; y *= zs[0]; y -= zs[1]; y /= 2; return y
            },
            mixed("complex + real", kinds: "cr", samples: [[a, x], [a, xRow], [row, xBig], [col, xRow]]) { $0[0].z + $0[1].x },
            mixed("real + complex", kinds: "rc", samples: [[x, a], [xBig, row]]) { $0[0].x + $0[1].z },
            mixed("complex - real", kinds: "cr", samples: [[a, x], [row, xBig]]) { $0[0].z - $0[1].x },
            mixed("real - complex", kinds: "rc", samples: [[x, a], [xBig, col]]) { $0[0].x - $0[1].z },
            mixed("complex * real", kinds: "cr", samples: [[a, x], [a, xRow], [row, xBig]]) { $0[0].z * $0[1].x },
            mixed("real * complex", kinds: "rc", samples: [[x, a], [xBig, col]]) { $0[0].x * $0[1].z },
            mixed("complex / real", kinds: "cr", samples: [[a, xPos], [row, xPos]]) { $0[0].z / $0[1].x },
            mixed("real / complex", kinds: "rc", samples: [[x, away], [xRow, away], [xBig, awayRow]]) { $0[0].x / $0[1].z },
            mixed("real(z), imag(z)", kinds: "c", samples: [[a]]) { ops in
                let z = ops[0].z
                return ComplexTensor(real: real(z) * imag(z), imag: imag(z))
            },
            mixed("ComplexTensor(real:)", kinds: "r", samples: [[x]]) { ComplexTensor(real: $0[0].x) * 2 },
        ]
    }

    static var complexElementwise: [OpInfo] {
        let z = Sample.complex([3, 5], seed: 201), zb = Sample.complex([2, 3, 4], seed: 202)
        let small = ComplexTensor(real: Sample.normal([3, 5], seed: 203) * 0.5, imag: Sample.normal([3, 5], seed: 204) * 0.5)
        // Moduli bounded away from modReLU's kink |z| = τ and from the 1e-5 clamp.
        let ring = ComplexTensor(
            real: Tensor(shape: [2, 4], scalars: [0.1, 0.8, -0.2, 1.5, 0.05, -0.9, 0.3, 2.0]),
            imag: Tensor(shape: [2, 4], scalars: [0.1, -0.6, 0.1, 0.5, -0.02, 0.4, -0.35, -1.0]))
        let tiny = ComplexTensor(real: Tensor(shape: [3], scalars: [3e-6, -1e-6, 2e-6]),
                                 imag: Tensor(shape: [3], scalars: [4e-6, 5e-6, 0]))
        let tauRow = Tensor(shape: [4], scalars: [0.5, -0.5, 0.2, 1.0])
        let tauCol = Tensor(shape: [2, 1], scalars: [0.6, 0.25])
        let phi = Sample.normal([3, 1], seed: 205), phiRow = Sample.normal([4], seed: 206)
        return [
            mixedToReal("complex abs", kinds: "c", samples: [[z], [zb]]) { abs($0[0].z) },
            mixedToReal("squaredModulus", kinds: "c", samples: [[z], [zb]]) { squaredModulus($0[0].z) },
            mixedToReal("angle", kinds: "c", samples: [[z], [zb]]) { angle($0[0].z) },
            .complex("complex exp", samples: [[z], [zb]]) { exp($0[0]) },
            .complex("complex log", samples: [[z], [zb]]) { log($0[0]) },
            .complex("complex sin", samples: [[z]]) { sin($0[0]) },
            .complex("complex cos", samples: [[z]]) { cos($0[0]) },
            .complex("complex tanh", samples: [[z], [small]]) { tanh($0[0]) },
            .complex("complex sinh", samples: [[z]]) { sinh($0[0]) },
            .complex("complex cosh", samples: [[z]]) { cosh($0[0]) },
            .complex("modReLU τ=0.5", samples: [[ring]]) { modReLU($0[0], threshold: 0.5) },
            .complex("modReLU τ=-0.5", samples: [[ring], [tiny]]) { modReLU($0[0], threshold: -0.5) },
            // rank-0 τ takes the scalar fast path (its τ gradient is a plain sum)
            mixed("modReLU tensor τ", kinds: "cr", samples: [[ring, tauRow], [ring, tauCol], [tiny, Tensor(shape: [1], scalars: [-0.3])],
                                                              [ring, Tensor(scalar: 0.4, dtype: .float64)],
                                                              [tiny, Tensor(scalar: -0.3, dtype: .float64)]]) {
                modReLU($0[0].z, threshold: $0[1].x)
            },
            mixed("phaseShift", kinds: "cr", samples: [[z, phi], [zb, phiRow], [z, Tensor(scalar: 0.7, dtype: .float64)]]) {
                phaseShift($0[0].z, phi: $0[1].x)
            },
            // moduli from 0.03 to 2.2; orders unsorted, with 0 and a repeat
            .complex("phasePowers", samples: [[zb], [reshape(ring, [2, 2, 2])]]) {
                phasePowers($0[0], orders: [2, 1, 0, 4, 2])
            },
        ]
    }

    static var complexLinearAlgebra: [OpInfo] {
        let m = Sample.complex([3, 4], seed: 301), n = Sample.complex([4, 2], seed: 302)
        let batched = Sample.complex([2, 3, 4], seed: 303), bcast = Sample.complex([2, 1, 3, 4], seed: 304)
        let right = Sample.complex([5, 4, 2], seed: 305), vec = Sample.complex([4], seed: 306)
        let xm = Sample.normal([4, 2], seed: 307), xl = Sample.normal([2, 3, 4], seed: 308), xv = Sample.normal([4], seed: 309)
        let w = Sample.complex([5, 4], seed: 310), b = Sample.complex([5], seed: 311)
        let z1 = Sample.complex([3, 4], seed: 312), z2 = Sample.complex([3, 5], seed: 313)
        let z1b = Sample.complex([2, 3, 4], seed: 314), z2b = Sample.complex([2, 3, 5], seed: 315)
        let bw = Sample.complex([6, 4, 5], seed: 316), bb = Sample.complex([6], seed: 317)
        var ops: [OpInfo] = [
            .complex("complex matmul", samples: [[m, n], [batched, n], [bcast, right], [vec, right], [m, vec]]) {
                matmul($0[0], $0[1])
            },
            mixed("complex×real matmul", kinds: "cr", samples: [[m, xm], [batched, xm], [vec, xm], [m, xv]]) { matmul($0[0].z, $0[1].x) },
            mixed("real×complex matmul", kinds: "rc", samples: [[xl, n], [xv, right], [xl, vec]]) { matmul($0[0].x, $0[1].z) },
            .complex("complex linear", samples: [[m, w, b], [batched, w, b], [vec, w, b]]) { linear($0[0], $0[1], bias: $0[2]) },
            .complex("complex linear no bias", samples: [[m, w], [batched, w]]) { linear($0[0], $0[1]) },
            // the weight's cotangent also comes from an op recorded after the product, so the
            // product's pullback adds into that sum (the combine fused with the addition)
            .complex("complex linear, weight also used after it", samples: [[m, w, b], [batched, w, b]]) {
                linear($0[0], $0[1], bias: $0[2]) + linear($0[0], $0[1] * $0[1])
            },
            // one tensor as input and weight: a slot read twice takes the ordinary pullback
            .complex("complex linear of a matrix with itself", samples: [[Sample.complex([4, 4], seed: 318)]]) { linear($0[0], $0[0]) },
        ]
        for conjugate in [true, false] {
            ops.append(.complex("complex bilinear conjugate=\(conjugate)", samples: [[z1, z2, bw, bb], [z1b, z2b, bw, bb]]) {
                bilinear($0[0], $0[1], $0[2], bias: $0[3], conjugate: conjugate)
            })
            ops.append(.complex("complex bilinear no bias conjugate=\(conjugate)", samples: [[z1, z2, bw]]) {
                bilinear($0[0], $0[1], $0[2], conjugate: conjugate)
            })
        }
        return ops
    }

    static var complexConvolution: [OpInfo] {
        let x1 = Sample.complex([2, 4, 9], seed: 401), w1 = Sample.complex([6, 2, 3], seed: 402), b6 = Sample.complex([6], seed: 403)
        let w1g1 = Sample.complex([3, 4, 2], seed: 404), b3 = Sample.complex([3], seed: 405)
        let x2 = Sample.complex([2, 2, 6, 5], seed: 406), w2 = Sample.complex([4, 1, 3, 2], seed: 407), b4 = Sample.complex([4], seed: 408)
        let x3 = Sample.complex([1, 2, 4, 3, 4], seed: 409), w3 = Sample.complex([2, 2, 2, 2, 2], seed: 410), b2 = Sample.complex([2], seed: 411)
        let unbatched = Sample.complex([4, 9], seed: 412)
        // transposed: weight [C_in, C_out/groups, *k]
        let t1 = Sample.complex([2, 4, 5], seed: 413), tw1 = Sample.complex([4, 3, 3], seed: 414)
        let t2 = Sample.complex([1, 2, 3, 4], seed: 415), tw2 = Sample.complex([2, 2, 3, 2], seed: 416)
        let t3 = Sample.complex([1, 2, 2, 3, 2], seed: 417), tw3 = Sample.complex([2, 1, 2, 2, 2], seed: 418)
        return [
            .complex("complex conv1d", samples: [[x1, w1, b6], [unbatched, w1, b6]]) {
                conv1d($0[0], $0[1], bias: $0[2], groups: 2)
            },
            .complex("complex conv1d stride/padding/dilation", samples: [[x1, w1g1, b3]]) {
                conv1d($0[0], $0[1], bias: $0[2], stride: 2, padding: 2, dilation: 2)
            },
            .complex("complex conv1d groups/stride no bias", samples: [[x1, w1]]) {
                conv1d($0[0], $0[1], stride: 3, padding: 1, groups: 2)
            },
            .complex("complex conv2d", samples: [[x2, w2, b4]]) {
                conv2d($0[0], $0[1], bias: $0[2], stride: [2, 1], padding: [1, 0], dilation: [1, 2], groups: 2)
            },
            .complex("complex conv3d", samples: [[x3, w3, b2]]) {
                conv3d($0[0], $0[1], bias: $0[2], stride: [1, 2, 1], padding: 1)
            },
            .complex("complex convTranspose1d", samples: [[t1, tw1, b6]]) {
                convTranspose1d($0[0], $0[1], bias: $0[2], stride: 2, padding: 1, outputPadding: 1, groups: 2)
            },
            .complex("complex convTranspose1d dilation", samples: [[t1, Sample.complex([4, 2, 2], seed: 419)]]) {
                convTranspose1d($0[0], $0[1], stride: 3, outputPadding: 2, dilation: 2)
            },
            .complex("complex convTranspose2d", samples: [[t2, tw2, b4]]) {
                convTranspose2d($0[0], $0[1], bias: $0[2], stride: [2, 1], padding: [1, 0], outputPadding: [1, 0], groups: 2)
            },
            .complex("complex convTranspose3d", samples: [[t3, tw3, Sample.complex([1], seed: 420)]]) {
                convTranspose3d($0[0], $0[1], bias: $0[2], stride: 2, padding: [1, 0, 1], outputPadding: 1)
            },
        ]
    }

    static var complexPooling: [OpInfo] {
        // Random inputs: the window maxima of |z| are separated by far more than the gradcheck step.
        let z1 = Sample.complex([2, 3, 8], seed: 501), z2 = Sample.complex([2, 2, 5, 6], seed: 502)
        let z3 = Sample.complex([1, 2, 4, 4, 3], seed: 503)
        return [
            .complex("complex maxPool1d", samples: [[z1]]) { maxPool1d($0[0], kernelSize: 3, stride: 2, padding: 1) },
            .complex("complex maxPool1d dilation ceil", samples: [[z1]]) {
                maxPool1d($0[0], kernelSize: 2, stride: 2, dilation: 2, ceilMode: true)
            },
            .complex("complex maxPool2d", samples: [[z2]]) { maxPool2d($0[0], kernelSize: [3, 2], stride: [2, 1], padding: [1, 0]) },
            .complex("complex maxPool3d", samples: [[z3]]) { maxPool3d($0[0], kernelSize: 2) },
            .complex("complex maxPool (rank-generic) 2d", samples: [[z2]]) { maxPool($0[0], kernelSize: [2, 3], padding: [1, 0]) },
        ]
    }

    static var complexConversions: [OpInfo] {
        let x = Sample.normal([3, 8], seed: 601), odd = Sample.normal([2, 5, 3], seed: 602)
        let z = Sample.complex([3, 4], seed: 603), z3 = Sample.complex([2, 3, 4], seed: 604)
        return [
            mixed("fromInterleaved", kinds: "r", samples: [[x]]) { fromInterleaved($0[0].x) },
            mixed("fromInterleaved odd axis", kinds: "r", samples: [[odd]]) { fromInterleaved($0[0].x, axis: 1) },
            mixed("fromConcatenated", kinds: "r", samples: [[x]]) { fromConcatenated($0[0].x) },
            mixed("fromConcatenated axis 0", kinds: "r", samples: [[Sample.normal([4, 3], seed: 605)]]) { fromConcatenated($0[0].x, axis: 0) },
            mixedToReal("toInterleaved", kinds: "c", samples: [[z], [z3]]) { toInterleaved($0[0].z) },
            mixedToReal("toInterleaved axis 1", kinds: "c", samples: [[z3]]) { toInterleaved($0[0].z, axis: 1) },
            mixedToReal("toConcatenated", kinds: "c", samples: [[z]]) { toConcatenated($0[0].z) },
            mixedToReal("toConcatenated axis 0", kinds: "c", samples: [[z3]]) { toConcatenated($0[0].z, axis: 0) },
            .complex("complex reshape", samples: [[z3]]) { reshape($0[0], [4, -1]) * 2 },
            .complex("complex flatten", samples: [[z3]]) { flatten($0[0], startAxis: 1) },
            .complex("complex permute", samples: [[z3]]) { permute($0[0], [2, 0, 1]) },
            .complex("complex transpose", samples: [[z3]]) { transpose($0[0], 0, 2) },
            .complex("complex squeeze/unsqueeze", samples: [[z]]) { squeeze(unsqueeze($0[0], axis: 1), axis: 1) * $0[0] },
            .complex("complex concat", samples: [[z, Sample.complex([2, 4], seed: 606)]]) { concat([$0[0], $0[1]], axis: 0) },
            .complex("complex stack", samples: [[z, Sample.complex([3, 4], seed: 607)]]) { stack([$0[0], $0[1]], axis: 1) },
        ]
    }
}
