import XCTest
import Autodiff
import Ops
import NN
import Relevance
import TestSupport

/// Tolerances of a fixture case: float64 cases to 1e-10 relative, float32 cases to 1e-5.
func tolerances(_ id: String) -> (rtol: Double, atol: Double) {
    id.hasSuffix(".f32") ? (1e-5, 1e-6) : (1e-10, 1e-12)
}

/// The values of a JSON field that is an `Int` or a list of `Int`s.
func ints(_ value: Any?) -> [Int] {
    if let i = value as? Int { return [i] }
    if let a = value as? [Int] { return a }
    if let a = value as? [Any] { return a.compactMap { $0 as? Int } }
    return []
}

/// Reads the constructor arguments of a case.
struct Ctor {
    let values: [String: Any]
    func int(_ k: String) -> Int { (values[k] as? Int)! }
    func spatial(_ k: String, default d: Int) -> [Int] { values[k] == nil ? [d] : ints(values[k]) }
    var bias: Bool { (values["bias"] as? Bool) ?? true }
    var conjugate: Bool { (values["conjugate"] as? Bool) ?? true }

    var linear: Linear { Linear(int("in_features"), int("out_features"), bias: bias) }
    var bilinear: Bilinear { Bilinear(int("in1_features"), int("in2_features"), int("out_features"), bias: bias) }
    func conv<R: SpatialRank>(_: R.Type) -> Convolution<R> {
        Convolution<R>(int("in_channels"), int("out_channels"), ints(values["kernel_size"]),
                       stride: spatial("stride", default: 1), padding: spatial("padding", default: 0),
                       dilation: spatial("dilation", default: 1), groups: (values["groups"] as? Int) ?? 1, bias: bias)
    }
    var cplxLinear: CplxLinear { CplxLinear(int("in_features"), int("out_features"), bias: bias) }
    var cplxBilinear: CplxBilinear {
        CplxBilinear(int("in1_features"), int("in2_features"), int("out_features"), bias: bias, conjugate: conjugate)
    }
    func cplxConv<R: SpatialRank>(_: R.Type) -> ComplexConvolution<R> {
        ComplexConvolution<R>(int("in_channels"), int("out_channels"), ints(values["kernel_size"]),
                              stride: spatial("stride", default: 1), padding: spatial("padding", default: 0),
                              dilation: spatial("dilation", default: 1), groups: (values["groups"] as? Int) ?? 1, bias: bias)
    }
}

/// One case of `relevance.safetensors`.
struct RelevanceCase {
    let file: SafetensorsFile
    let id: String
    let meta: [String: Any]

    init(_ file: SafetensorsFile, _ id: String) throws {
        self.file = file
        self.id = id
        self.meta = try Fixture.metadata(file, case: id)
    }

    var ctor: Ctor { Ctor(values: meta["ctor"] as? [String: Any] ?? [:]) }
    var params: ParameterTree { Fixture.params(file, case: id) }
    var dtype: DType { id.hasSuffix(".f32") ? .float32 : .float64 }
    var tol: (rtol: Double, atol: Double) { tolerances(id) }
    func tensor(_ role: String) throws -> Tensor { try Fixture.tensor(file, "\(id)/\(role)") }
    func has(_ role: String) -> Bool { file.tensors["\(id)/\(role)"] != nil }
    /// The float64 twin of a `.f32` case.
    var float64Twin: String? { id.hasSuffix(".f32") ? String(id.dropLast(4)) : nil }
    var complexRoles: [String] { meta["complex_roles"] as? [String] ?? [] }
    var inputRoles: [String] {
        let shapes = meta["shapes"] as? [String: Any] ?? [:]
        return shapes["input"] != nil ? ["input"] : ["input1", "input2"]
    }
    var isComplexInput: Bool { complexRoles.contains(inputRoles[0]) }
}

/// The layer input built from leaves (`input`, or `input1`/`input2`; complex as real/imag pairs).
private func makeInput(_ leaves: [Tensor], roles: Int, complex: Bool) -> Any {
    switch (roles, complex) {
    case (1, false): return leaves[0]
    case (2, false): return (leaves[0], leaves[1])
    case (1, true): return ComplexTensor(real: leaves[0], imag: leaves[1])
    default: return (ComplexTensor(real: leaves[0], imag: leaves[1]), ComplexTensor(real: leaves[2], imag: leaves[3]))
    }
}

/// The leaves of a layer output.
private func outputLeaves(_ y: Any) -> [Tensor] {
    if let t = y as? Tensor { return [t] }
    let z = y as! ComplexTensor
    return [z.real, z.imag]
}

/// Checks that the layer's freshly initialised tree has cplxmodule's keys, order and shapes.
func checkKeys<L: Module>(_ layer: L, _ c: RelevanceCase, file: StaticString = #filePath, line: UInt = #line) {
    let fresh = layer.initialParameters(key: RandomKey(seed: 1), dtype: c.dtype)
    let expected = c.meta["keys"] as? [String] ?? []
    XCTAssertEqual(fresh.keys, expected, "\(c.id): state-dict keys", file: file, line: line)
    let shapes = c.meta["shapes"] as? [String: Any] ?? [:]
    for k in fresh.keys {
        XCTAssertEqual(fresh[k]!.shape, ints(shapes[k]), "\(c.id): shape of \(k)", file: file, line: line)
        XCTAssertEqual(fresh[k]!.dtype, c.dtype, "\(c.id): dtype of \(k)", file: file, line: line)
    }
}

/// Eval forward and its VJP with the fixture's cotangent: output, input gradients and
/// the gradient of every parameter key (masks excepted, cplxmodule stores none).
func checkForward<L: Layer>(_ layer: L, _ c: RelevanceCase, parameters: ParameterTree? = nil,
                            file: StaticString = #filePath, line: UInt = #line) throws {
    let complex = c.isComplexInput
    let parts = complex ? [".real", ".imag"] : [""]
    let inputNames = c.inputRoles.flatMap { r in parts.map { r + $0 } }
    let inputs = try inputNames.map { try c.tensor($0) }
    let params = parameters ?? c.params
    let keys = params.keys
    let nIn = inputs.count
    let roles = c.inputRoles.count
    let (values, pullback) = valueWithPullback(at: inputs + keys.map { params[$0]! }) { xs in
        let tree = ParameterTree(Array(zip(keys, xs[nIn...])))
        let x = makeInput(Array(xs[..<nIn]), roles: roles, complex: complex) as! L.Input
        return outputLeaves(layer(x, parameters: tree, context: Context(training: false)))
    }
    let outParts = c.complexRoles.contains("output") ? [".real", ".imag"] : [""]
    XCTAssertEqual(values.count, outParts.count, "\(c.id): output kind", file: file, line: line)
    for (v, p) in zip(values, outParts) {
        assertClose(v, try c.tensor("output" + p), rtol: c.tol.rtol, atol: c.tol.atol, "\(c.id): output\(p)", file: file, line: line)
    }
    let grads = pullback(try outParts.map { try c.tensor("cot" + $0) })
    for (g, name) in zip(grads, inputNames + keys) where name != "mask" {
        assertClose(g, try c.tensor("grad/" + name), rtol: c.tol.rtol, atol: c.tol.atol, "\(c.id): grad/\(name)",
                    file: file, line: line)
    }
}

/// Penalty, its gradient for every key, and the relevance masks at the stored thresholds.
///
/// - Parameter float64GradReference: compare a float32 case's penalty gradient with the float64
///   twin instead of torch's float32 numbers. For the complex VD KL, torch evaluates
///   `dKL/d log α = −1 + exp(−1/α)` as `1 + (eˣ/x)·x`-style float32 arithmetic that cancels for
///   large α (−0.0328189 instead of −0.0328166 at log α = 6.95) and overflows to NaN for
///   log α < −88.7; ours uses `expm1(−e^{−log α})` and matches the float64 value to float32 precision.
func checkPenalty<L: BayesianLayer>(_ layer: L, _ c: RelevanceCase, float64GradReference: Bool = false,
                                    file: StaticString = #filePath, line: UInt = #line) throws {
    let params = c.params
    assertClose(layer.penalty(parameters: params), try c.tensor("penalty"), rtol: c.tol.rtol, atol: c.tol.atol,
                "\(c.id): penalty", file: file, line: line)
    let g = gradient(at: params) { sum(layer.penalty(parameters: $0)) }
    for k in params.keys where k != "mask" {
        let expected: Tensor
        if float64GradReference, let twin = c.float64Twin {
            expected = try Fixture.tensor(c.file, "\(twin)/grad_penalty/\(k)").converted(to: .float32)
        } else {
            expected = try c.tensor("grad_penalty/" + k)
        }
        assertClose(g[k]!, expected, rtol: c.tol.rtol, atol: c.tol.atol, "\(c.id): grad_penalty/\(k)", file: file, line: line)
    }
    let prefix = "\(c.id)/relevance@"
    let thresholds = c.file.tensors.keys.filter { $0.hasPrefix(prefix) }.map { Double($0.dropFirst(prefix.count))! }
    if !(layer is LinearL0) { XCTAssertGreaterThanOrEqual(thresholds.count, 2, "\(c.id): relevance thresholds", file: file, line: line) }
    for t in thresholds {
        let r = layer.relevance(parameters: params, options: RelevanceOptions(threshold: t))
        assertClose(r, try c.tensor("relevance@\(t == t.rounded() ? String(Int(t)) : String(t))"), rtol: 0, atol: 0,
                    "\(c.id): relevance at \(t)", file: file, line: line)
    }
}
