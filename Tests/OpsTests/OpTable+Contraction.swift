import Ops
import TestSupport

extension OpTable {
    /// Contractions (real and complex `tensordot`), complex reductions, slicing, the Hermitian
    /// transpose, complex tan and arithmetic with a `Complex` scalar.
    static var contraction: [OpInfo] {
        let a = Sample.normal([2, 3, 4], seed: 901), b = Sample.normal([4, 3, 5], seed: 902)
        let m = Sample.normal([3, 4], seed: 903), v = Sample.normal([4], seed: 904)
        let za = Sample.complex([2, 3, 4], seed: 905), zb = Sample.complex([4, 3, 2], seed: 906)
        let zm = Sample.complex([3, 4], seed: 907)
        let small = ComplexTensor(real: Sample.normal([3, 4], seed: 908) * 0.5, imag: Sample.normal([3, 4], seed: 909) * 0.5)
        let away = ComplexTensor(real: Sample.uniform([3, 4], 0.5, 2, seed: 910), imag: Sample.normal([3, 4], seed: 911))
        let c = Complex(0.5, -2)
        return [
            OpInfo("tensordot (two axes)", samples: [[a, b]]) { tensordot($0[0], $0[1], axesA: [1, 2], axesB: [1, 0]) },
            OpInfo("tensordot (matmul, vector, outer)", samples: [[m, v]]) { xs in
                tensordot(xs[0], xs[1], axesA: [1], axesB: [0]) + sum(tensordot(xs[1], xs[0], axesA: [], axesB: []))
            },
            .complex("complex tensordot", samples: [[za, zb]]) { tensordot($0[0], $0[1], axesA: [2, 1], axesB: [0, 1]) },
            .complex("complex sum over axes", samples: [[za]]) { sum($0[0], axes: [0, 2]) + sum(sum($0[0], axes: [1], keepDims: true), axes: [0, 2]) },
            .complex("complex sum, all", samples: [[zm]]) { sum($0[0]) * $0[0] },
            .complex("complex mean over axes", samples: [[za]]) { mean($0[0], axes: [-1]) * mean($0[0], axes: [0, 2]) + mean($0[0], axes: [1], keepDims: true).real.sum() },
            .complex("complex slice", samples: [[za]]) { slice($0[0], axis: 2, start: 1, end: 4, step: 2) * slice(slice($0[0], axis: 0, start: -1), axis: 2, end: 2) },
            .complex("adjoint", samples: [[zm], [za]]) { adjoint($0[0]) * 2 + conj(adjoint(adjoint($0[0]))).real.sum() },
            .complex("complex tan", samples: [[small], [zm]]) { tan($0[0]) },
            .complex("complex ∘ Complex scalar", samples: [[zm]]) { z in (z[0] * c + Complex(1, 1)) / Complex(-1, 0.5) - c * z[0] },
            .complex("Complex scalar / complex", samples: [[away]]) { c / $0[0] - (Complex(2, 0) - $0[0]) },
            mixed("real tensor · Complex scalar", kinds: "r", samples: [[m]]) { c * $0[0].x + $0[0].x * Complex.i },
        ]
    }
}

private extension Tensor {
    /// Σ of every element, as a 0-d tensor (for broadcasting a scalar into a complex output).
    func sum() -> Tensor { Ops.sum(self) }
}
