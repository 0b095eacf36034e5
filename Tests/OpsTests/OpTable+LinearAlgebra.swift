import Ops
import TestSupport

extension OpTable {
    /// matmul (all of torch.matmul's rank rules and batch broadcasting), linear, bilinear.
    static var linearAlgebra: [OpInfo] {
        func n(_ shape: [Int], _ seed: UInt64) -> Tensor { Sample.normal(shape, seed: seed) }
        return [
            OpInfo("matmul 2-d", samples: [[n([3, 4], 201), n([4, 5], 202)], [n([1, 1], 203), n([1, 3], 204)]]) { matmul($0[0], $0[1]) },
            OpInfo("matmul batched", samples: [[n([2, 3, 4], 205), n([2, 4, 2], 206)]]) { matmul($0[0], $0[1]) },
            OpInfo("matmul broadcast batch", samples: [
                [n([2, 1, 3, 4], 207), n([3, 4, 2], 208)],   // both operands broadcast
                [n([3, 4], 209), n([2, 4, 3], 210)],         // left has no batch
                [n([2, 3, 4], 211), n([4, 3], 212)],         // right has no batch (folded GEMM)
                [n([1, 2, 3], 213), n([3, 2, 3, 2], 214)],
            ]) { matmul($0[0], $0[1]) },
            OpInfo("matmul vector", samples: [
                [n([4], 215), n([4], 216)],                  // dot product
                [n([4], 217), n([2, 4, 3], 218)],            // vector · batched matrix
                [n([2, 3, 4], 219), n([4], 220)],            // batched matrix · vector
                [n([3, 4], 221), n([4], 222)],
            ]) { matmul($0[0], $0[1]) },
            OpInfo("matmul empty", samples: [
                [Tensor.zeros([0, 2, 3], dtype: .float64), n([3, 4], 223)],
                [Tensor.zeros([2, 0], dtype: .float64), Tensor.zeros([0, 3], dtype: .float64)],
                [n([2, 3], 224), Tensor.zeros([3, 0], dtype: .float64)],
            ]) { matmul($0[0], $0[1]) },
            OpInfo("linear", samples: [
                [n([3, 5], 225), n([4, 5], 226), n([4], 227)],
                [n([2, 3, 5], 228), n([4, 5], 229), n([4], 230)],
                [n([5], 231), n([2, 5], 232), n([2], 233)],
                [Tensor.zeros([0, 5], dtype: .float64), n([4, 5], 234), n([4], 235)],
            ]) { linear($0[0], $0[1], bias: $0[2]) },
            OpInfo("linear no bias", samples: [[n([3, 5], 236), n([4, 5], 237)], [n([2, 2, 3], 238), n([1, 3], 239)]]) {
                linear($0[0], $0[1])
            },
            OpInfo("bilinear", samples: [
                [n([3, 4], 240), n([3, 5], 241), n([2, 4, 5], 242), n([2], 243)],
                [n([2, 2, 3], 244), n([2, 2, 2], 245), n([3, 3, 2], 246), n([3], 247)],
                [Tensor.zeros([0, 3], dtype: .float64), Tensor.zeros([0, 2], dtype: .float64), n([2, 3, 2], 248), n([2], 249)],
            ]) { bilinear($0[0], $0[1], $0[2], bias: $0[3]) },
            OpInfo("bilinear no bias", samples: [[n([3, 2], 250), n([3, 3], 251), n([2, 2, 3], 252)]]) {
                bilinear($0[0], $0[1], $0[2])
            },
            OpInfo("bilinear same input", samples: [[n([3, 3], 253), n([2, 3, 3], 254)]]) { bilinear($0[0], $0[0], $0[1]) },
        ]
    }
}
