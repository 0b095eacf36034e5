import Ops
import TestSupport

extension OpTable {
    /// Unary math, activations, clamps and extrema, select/cast, Ei, and the max/min/logSumExp
    /// reductions. Samples keep a distance ≥ 0.05 from every kink (abs and relu at 0, clamp
    /// bounds, the softplus threshold), so central differences see one smooth branch; ties of
    /// maximum/minimum and of max/min reductions are sampled on purpose with exactly two tied
    /// values, where the central difference is ½ — the same split our pullbacks use.
    static var elementwise: [OpInfo] {
        let a = Sample.normal([3, 4], seed: 11), b = Sample.normal([3, 4], seed: 12)
        let row = Sample.normal([4], seed: 13), col = Sample.normal([3, 1], seed: 14)
        let cube = Sample.normal([2, 3, 4], seed: 15)
        let scalar = Tensor(scalar: 0.7, dtype: .float64)
        let empty = Tensor.zeros([0, 4], dtype: .float64)
        let positive = Sample.uniform([3, 4], 0.5, 2, seed: 16)
        let positiveRow = Sample.uniform([4], 0.5, 2, seed: 17)
        let positiveCol = Sample.uniform([3, 1], 0.5, 2, seed: 18)
        let wide = Sample.normal([3, 4], seed: 19).mapElements({ 3 * $0 }, { 3 * $0 })
        // |x| ≥ 0.1: away from the kinks of abs/relu/leakyReLU at 0.
        let nonzero = Sample.normal([3, 4], seed: 20).mapElements({ $0 + ($0 < 0 ? -0.1 : 0.1) }, { $0 + ($0 < 0 ? -0.1 : 0.1) })
        let nonzeroCube = Sample.normal([2, 3, 4], seed: 21).mapElements({ $0 + ($0 < 0 ? -0.1 : 0.1) }, { $0 + ($0 < 0 ? -0.1 : 0.1) })
        // Grid values 0.05 + 0.1k: never within 0.05 of the clamp bounds ±0.5, ±1, 0.3 used below.
        let grid = Tensor(shape: [3, 4], scalars: [-1.45, -1.05, -0.95, -0.55, -0.45, -0.25, 0.05, 0.35, 0.45, 0.55, 0.95, 1.35], dtype: .float64)
        // Two tensors with equal entries at [0, 0], [1, 2] and [2, 3] (ties for maximum/minimum).
        var tiedB = b
        tiedB[0, 0] = a[0, 0]; tiedB[1, 2] = a[1, 2]; tiedB[2, 3] = a[2, 3]
        // A tensor whose rows have their maximum twice and their minimum twice.
        let ties = Tensor(shape: [2, 4], scalars: [0.3, 1.5, -0.7, 1.5, -2.0, 0.4, -2.0, 0.9], dtype: .float64)
        // Softplus samples on both sides of the threshold (β = 1: 20; β = 2, threshold 5: x = 2.5).
        let softplusLinear = Tensor([25.0, -30.0, 21.0, 19.0, 0.3, -4.0], dtype: .float64)
        let mask = a .> 0, maskCol = col .> 0
        let expiPositive = Sample.uniform([3, 4], 0.2, 3, seed: 22)
        let expiNegative = Sample.uniform([5], -3, -0.2, seed: 23)

        return [
            OpInfo("exp", samples: [[a], [scalar], [empty]]) { exp($0[0]) },
            // x's cotangent from the product comes first, so exp's pullback adds into it (fused)
            OpInfo("exp, input also used after it", samples: [[a], [scalar]]) { exp($0[0]) * $0[0] },
            OpInfo("log", samples: [[positive], [empty]]) { log($0[0]) },
            OpInfo("log1p", samples: [[Sample.uniform([3, 4], -0.5, 2, seed: 24)]]) { log1p($0[0]) },
            OpInfo("sqrt", samples: [[positive], [empty]]) { sqrt($0[0]) },
            OpInfo("square", samples: [[a], [scalar], [empty]]) { square($0[0]) },
            OpInfo("abs", samples: [[nonzero], [empty]]) { abs($0[0]) },
            OpInfo("pow scalar 2.5", samples: [[positive]]) { pow($0[0], 2.5) },
            OpInfo("pow scalar -1.5", samples: [[positive]]) { pow($0[0], -1.5) },
            OpInfo("pow scalar 3 (negative base)", samples: [[a], [empty]]) { pow($0[0], 3) },
            OpInfo("pow scalar 0", samples: [[a]]) { pow($0[0], 0) },
            OpInfo("pow tensor", samples: [[positive, a], [positive, row], [positiveCol, row],
                                           [positiveRow, col], [empty, row]]) { pow($0[0], $0[1]) },
            OpInfo("clamp min max", samples: [[grid]]) { clamp($0[0], min: -0.5, max: 1) },
            OpInfo("clamp min", samples: [[grid]]) { clamp($0[0], min: 0.3) },
            OpInfo("clamp max", samples: [[grid], [empty]]) { clamp($0[0], max: -0.5) },
            OpInfo("maximum", samples: [[a, b], [a, row], [col, row], [a, tiedB], [empty, row]]) { maximum($0[0], $0[1]) },
            OpInfo("minimum", samples: [[a, b], [row, a], [col, row], [a, tiedB]]) { minimum($0[0], $0[1]) },
            OpInfo("relu", samples: [[nonzero], [nonzeroCube], [empty]]) { relu($0[0]) },
            OpInfo("leakyReLU default", samples: [[nonzero]]) { leakyReLU($0[0]) },
            OpInfo("leakyReLU 0.2", samples: [[nonzeroCube]]) { leakyReLU($0[0], negativeSlope: 0.2) },
            OpInfo("sigmoid", samples: [[wide], [scalar], [empty]]) { sigmoid($0[0]) },
            OpInfo("logSigmoid", samples: [[wide], [empty]]) { logSigmoid($0[0]) },
            OpInfo("tanh", samples: [[a], [empty]]) { tanh($0[0]) },
            OpInfo("softplus", samples: [[wide], [softplusLinear], [empty]]) { softplus($0[0]) },
            OpInfo("softplus beta 2 threshold 5", samples: [[wide], [softplusLinear]]) {
                softplus($0[0], beta: 2, threshold: 5)
            },
            OpInfo("select", samples: [[a, b]]) { select(mask, $0[0], $0[1]) },
            OpInfo("select broadcast", samples: [[row, b], [row, Tensor(scalar: 2, dtype: .float64)]]) {
                select(maskCol, $0[0], $0[1])
            },
            OpInfo("cast float64 identity", samples: [[a], [empty]]) { cast($0[0], to: .float64) * $0[0] },
            OpInfo("expi", samples: [[expiPositive], [expiNegative]]) { expi($0[0]) },
            OpInfo("max all", samples: [[a], [ties]]) { max($0[0]) },
            OpInfo("max axes", samples: [[cube]]) { max($0[0], axes: [0, -1]) },
            OpInfo("max keepDims ties", samples: [[ties], [a]]) { max($0[0], axes: [1], keepDims: true) },
            OpInfo("max over non-empty axis of empty", samples: [[empty]]) { max($0[0], axes: [1]) },
            OpInfo("min all", samples: [[a], [ties]]) { min($0[0]) },
            OpInfo("min axes ties", samples: [[ties], [cube]]) { min($0[0], axes: [-1]) },
            OpInfo("logSumExp all", samples: [[a], [scalar]]) { logSumExp($0[0]) },
            OpInfo("logSumExp axes", samples: [[cube]]) { logSumExp($0[0], axes: [0, 2]) },
            OpInfo("logSumExp keepDims", samples: [[wide], [empty]]) { logSumExp($0[0], axes: [-1], keepDims: true) },
            OpInfo("activations composed", samples: [[a]]) { tanh(sigmoid($0[0]) * exp($0[0])) + softplus($0[0]) },
        ]
    }
}
