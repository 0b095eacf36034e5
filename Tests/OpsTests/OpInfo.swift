import Ops
import TestSupport

/// One differentiable op under test: a name, sample inputs (float64), and the function.
/// Complex inputs and outputs are flattened to (real, imag) pairs so both directions are checked.
struct OpInfo {
    let name: String
    let samples: [[Tensor]]
    let function: ([Tensor]) -> [Tensor]

    /// A real op with one output.
    init(_ name: String, samples: [[Tensor]], _ f: @escaping ([Tensor]) -> Tensor) {
        self.name = name; self.samples = samples; self.function = { [f($0)] }
    }

    /// A complex op: inputs and outputs are complex tensors.
    static func complex(_ name: String, samples: [[ComplexTensor]], _ f: @escaping ([ComplexTensor]) -> ComplexTensor) -> OpInfo {
        OpInfo(name: name, samples: samples.map { $0.flatMap { [$0.real, $0.imag] } }) { xs in
            let zs = stride(from: 0, to: xs.count, by: 2).map { ComplexTensor(real: xs[$0], imag: xs[$0 + 1]) }
            let y = f(zs)
            return [y.real, y.imag]
        }
    }

    init(name: String, samples: [[Tensor]], function: @escaping ([Tensor]) -> [Tensor]) {
        self.name = name; self.samples = samples; self.function = function
    }
}

/// The table of every differentiable op. Each group lives in its own file
/// (`OpTable+<Group>.swift`) and adds its entries here.
enum OpTable {
    static var all: [OpInfo] { core + elementwise + shape + linearAlgebra + convolution + losses + complex + contraction + bayesian }
}
