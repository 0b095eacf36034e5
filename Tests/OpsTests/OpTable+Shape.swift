import Ops
import TestSupport

extension OpTable {
    /// reshape, flatten, squeeze/unsqueeze, permute/transpose, expand, slice, concat, stack, pad.
    static var shape: [OpInfo] {
        let x = Sample.normal([2, 3, 4], seed: 101)
        let m = Sample.normal([3, 5], seed: 102)
        let four = Sample.normal([2, 3, 2, 2], seed: 103)
        let empty = Tensor.zeros([0, 3], dtype: .float64)
        let scalar = Tensor(shape: [], scalars: [1.5], dtype: .float64)
        return [
            OpInfo("reshape", samples: [[x]]) { reshape($0[0], [4, -1]) },
            OpInfo("reshape empty", samples: [[empty]]) { reshape($0[0], [3, -1, 1]) },
            OpInfo("reshape scalar", samples: [[scalar]]) { reshape($0[0], [1, 1]) },
            OpInfo("flatten", samples: [[x], [four]]) { flatten($0[0], startAxis: 1) },
            OpInfo("flatten all", samples: [[x], [scalar]]) { flatten($0[0]) },
            OpInfo("flatten middle", samples: [[four]]) { flatten($0[0], startAxis: 1, endAxis: -2) },
            OpInfo("squeeze axis", samples: [[Sample.normal([2, 1, 3], seed: 104)]]) { squeeze($0[0], axis: -2) },
            OpInfo("squeeze all", samples: [[Sample.normal([1, 3, 1], seed: 105)]]) { squeeze($0[0]) },
            OpInfo("unsqueeze", samples: [[m], [empty]]) { unsqueeze($0[0], axis: -1) * 2 },
            OpInfo("unsqueeze front", samples: [[m]]) { unsqueeze($0[0], axis: 0) },
            OpInfo("permute", samples: [[x]]) { permute($0[0], [2, 0, 1]) },
            OpInfo("permute negative", samples: [[four]]) { permute($0[0], [-1, 1, 0, 2]) },
            OpInfo("transpose", samples: [[x], [m]]) { transpose($0[0], 0, -1) },
            OpInfo("transpose then reshape", samples: [[x]]) { reshape(transpose($0[0], 1, 2), [2, -1]) },
            OpInfo("expand", samples: [[Sample.normal([3, 1], seed: 106)]]) { expand($0[0], to: [2, 3, 4]) },
            OpInfo("expand keep", samples: [[Sample.normal([4], seed: 107)]]) { expand($0[0], to: [2, -1]) },
            OpInfo("expand zero", samples: [[Sample.normal([1, 3], seed: 108)]]) { expand($0[0], to: [0, 3]) },
            OpInfo("slice step", samples: [[x]]) { slice($0[0], axis: 2, start: 1, step: 2) },
            OpInfo("slice negative", samples: [[x]]) { slice($0[0], axis: -1, start: -3, end: -1) },
            OpInfo("slice clamped", samples: [[m]]) { slice($0[0], axis: 0, start: -10, end: 100, step: 2) },
            OpInfo("slice empty", samples: [[m]]) { slice($0[0], axis: 1, start: 4, end: 2) },
            OpInfo("concat", samples: [[x, Sample.normal([2, 1, 4], seed: 109), Sample.normal([2, 2, 4], seed: 110)]]) {
                concat($0, axis: 1)
            },
            OpInfo("concat last", samples: [[m, Sample.normal([3, 2], seed: 111)], [m, Tensor.zeros([3, 0], dtype: .float64)]]) {
                concat($0, axis: -1)
            },
            OpInfo("concat first", samples: [[m, Sample.normal([1, 5], seed: 112)]]) { concat($0, axis: 0) },
            OpInfo("concat same input", samples: [[m]]) { concat([$0[0], $0[0]], axis: 1) },
            OpInfo("stack", samples: [[m, Sample.normal([3, 5], seed: 113), Sample.normal([3, 5], seed: 114)]]) { stack($0, axis: 0) },
            OpInfo("stack last", samples: [[m, Sample.normal([3, 5], seed: 115)]]) { stack($0, axis: -1) },
            OpInfo("stack middle", samples: [[x, Sample.normal([2, 3, 4], seed: 116)]]) { stack($0, axis: 1) },
            OpInfo("pad", samples: [[m]]) { pad($0[0], [(before: 1, after: 0), (before: 2, after: 1)]) },
            OpInfo("pad 3d", samples: [[x]]) { pad($0[0], [(before: 0, after: 0), (before: 1, after: 1), (before: 0, after: 2)]) },
        ]
    }
}
