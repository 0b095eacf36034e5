import Ops
import TestSupport

extension OpTable {
    /// Arithmetic and sum/mean.
    static var core: [OpInfo] {
        let a = Sample.normal([3, 4], seed: 1), b = Sample.normal([3, 4], seed: 2)
        let row = Sample.normal([4], seed: 3), col = Sample.normal([3, 1], seed: 4)
        let positive = Sample.uniform([3, 4], 0.5, 2, seed: 5)
        let empty = Tensor.zeros([0, 4], dtype: .float64)
        return [
            OpInfo("add", samples: [[a, b], [a, row], [col, row], [empty, row]]) { $0[0] + $0[1] },
            OpInfo("sub", samples: [[a, b], [row, a], [col, row]]) { $0[0] - $0[1] },
            OpInfo("mul", samples: [[a, b], [a, row], [col, row], [empty, row]]) { $0[0] * $0[1] },
            OpInfo("div", samples: [[a, positive], [row, positive], [col, positive]]) { $0[0] / $0[1] },
            OpInfo("neg", samples: [[a], [empty]]) { -$0[0] },
            OpInfo("scalar ops", samples: [[a]]) { 2.5 * $0[0] - 1 + $0[0] / 3 },
            OpInfo("sum all", samples: [[a], [empty]]) { sum($0[0]) },
            OpInfo("sum axes", samples: [[Sample.normal([2, 3, 4], seed: 6)]]) { sum($0[0], axes: [0, -1]) },
            OpInfo("sum keepDims", samples: [[a]]) { sum($0[0], axes: [1], keepDims: true) },
            OpInfo("mean", samples: [[a], [Sample.normal([2, 3, 4], seed: 7)]]) { mean($0[0], axes: [1]) },
            OpInfo("used twice", samples: [[a]]) { $0[0] * $0[0] + $0[0] },
        ]
    }
}
