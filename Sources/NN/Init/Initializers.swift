import Foundation

/// PyTorch's default initialisers, drawn from explicit random keys.
public enum Init {
    /// fan_in and fan_out of a weight of `shape` as PyTorch computes them:
    /// `fan_in = shape[1]·∏shape[2...]`, `fan_out = shape[0]·∏shape[2...]`.
    public static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        require(shape.count >= 2, "Init.fans: need at least 2 dimensions, got \(shape)")
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    /// U(−bound, bound) of `shape`.
    public static func uniform(_ shape: [Int], bound: Double, key: RandomKey, dtype: DType) -> Tensor {
        Ops.uniform(shape, key: key, dtype: dtype, low: -bound, high: bound)
    }

    /// `kaiming_uniform_(w, a)`: U(±gain·√(3/fan_in)) with gain = √(2/(1 + a²)).
    /// With PyTorch's layer default a = √5 the bound is 1/√fan_in.
    public static func kaimingUniform(_ shape: [Int], a: Double = 5.0.squareRoot(), fanIn: Int? = nil,
                                      key: RandomKey, dtype: DType) -> Tensor {
        let fan = fanIn ?? fans(shape).fanIn
        let gain = (2 / (1 + a * a)).squareRoot()
        return uniform(shape, bound: gain * (3 / Double(Swift.max(fan, 1))).squareRoot(), key: key, dtype: dtype)
    }

    /// PyTorch's default `(weight, bias)` of Linear/Conv/Bilinear layers: kaiming-uniform
    /// weight with a = √5 and bias U(±1/√fan_in).
    public static func torchDefault(weightShape: [Int], fanIn: Int? = nil, bias: Bool, key: RandomKey,
                                    dtype: DType) -> ParameterTree {
        let (kw, kb) = key.split()
        let fan = fanIn ?? fans(weightShape).fanIn
        var p: ParameterTree = ["weight": kaimingUniform(weightShape, fanIn: fan, key: kw, dtype: dtype)]
        if bias {
            let outFeatures = weightShape[0]
            p["bias"] = uniform([outFeatures], bound: fan > 0 ? 1 / Double(fan).squareRoot() : 0, key: kb, dtype: dtype)
        }
        return p
    }
}
