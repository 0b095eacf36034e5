// Checking calls: layer-boundary errors a program can catch (Docs/Errors.md draws the line
// between these and the traps that remain).

/// A layer call whose input or parameters do not fit the layer, found in a checking call
/// (``Layer/apply(_:parameters:context:)`` or ``withErrors(_:)``). Every case names the module
/// path (`<root>` for the model itself).
public enum LayerError: Error, Equatable, CustomStringConvertible {
    /// A child applied under a name that is not among the parent's ``Module/children`` (a
    /// ``Child`` handle made on the fly, or the deprecated `callAsChild` with a wrong name).
    case unknownChild(parent: String, name: String, children: [String])
    /// A module declares a child name that cannot be a path component: empty, containing `.`, or
    /// given to two children (PyTorch's `add_module` refuses the same three). `reason` says which.
    case invalidChildName(parent: String, name: String, reason: String)
    /// A parameter the layer reads is absent from its scope of the tree.
    case missingParameter(path: String, key: String, available: [String])
    /// A parameter has another shape than the layer's hyper-parameters give.
    case parameterShape(path: String, key: String, expected: [Int], found: [Int])
    /// The input's shape does not fit the layer; `reason` says what the layer needs.
    case inputShape(path: String, layer: String, shape: [Int], reason: String)
    /// The input's dtype differs from the parameters' dtype.
    case dtypeMismatch(path: String, layer: String, input: DType, parameters: DType)

    /// One line naming the path, the layer, and the shapes, keys or dtypes at fault.
    public var description: String {
        switch self {
        case .unknownChild(let parent, let name, let children):
            return "\(Self.show(parent)): no child is named \"\(name)\"; the module's children are \(children)"
        case .invalidChildName(let parent, let name, let reason):
            return "\(Self.show(parent)): child name \"\(name)\" \(reason)"
        case .missingParameter(let path, let key, let available):
            return "\(Self.show(path)): parameter '\(key)' is missing (the layer's scope of the tree has "
                + "\(available.prefix(8))\(available.count > 8 ? "…" : ""))"
        case .parameterShape(let path, let key, let expected, let found):
            return "\(Self.show(path)): parameter '\(key)' has shape \(found), the layer needs \(expected)"
        case .inputShape(let path, let layer, let shape, let reason):
            return "\(Self.show(path)) (\(layer)): input of shape \(shape) does not fit: \(reason)"
        case .dtypeMismatch(let path, let layer, let input, let parameters):
            return "\(Self.show(path)) (\(layer)): input is \(input) but the parameters are \(parameters); "
                + "convert one (x.converted(to:) or initialParameters(key:dtype:))"
        }
    }

    static func show(_ path: String) -> String { path.isEmpty ? "<root>" : path }
}

/// What a checking call carries in its ``Context``: the scope its errors go to and, for a call
/// made by ``Layer/apply(_:parameters:context:)``, the children's names of every module path.
public final class LayerChecks: Sendable {
    /// Where failed checks are recorded.
    public let scope: ErrorScope
    /// Module path → names of its children (nil: the model is unknown, names are not checked).
    let childNames: [String: [String]]?

    init(scope: ErrorScope, model: (any Module)? = nil) {
        self.scope = scope
        let names = model.map { $0.namedModules().map { ($0.path, $0.module.children.map(\.name)) } }
        self.childNames = names.map { Dictionary($0, uniquingKeysWith: { a, _ in a }) }
        for (parent, children) in names ?? [] {
            var seen = Set<String>()
            for name in children {
                let reason = name.isEmpty ? "is empty" : name.contains(".") ? "contains \".\""
                    : seen.contains(name) ? "is given to two children" : nil
                if let reason { scope.report(LayerError.invalidChildName(parent: parent, name: name, reason: reason)) }
                seen.insert(name)
            }
        }
    }

    /// Whether an error has been recorded in this scope.
    public var hasFailed: Bool { !scope.errors.isEmpty }

    /// Records ``LayerError/unknownChild(parent:name:children:)`` when the model is known and
    /// `name` is not a child of the module at `parent`.
    func checkChildName(_ name: String, parent: String) {
        guard let known = childNames?[parent], !known.contains(name) else { return }
        scope.report(LayerError.unknownChild(parent: parent, name: name, children: known))
    }
}

extension Layer {
    /// Applies the layer with every layer-boundary check on, and throws the first failure as a
    /// typed error instead of stopping the program: a child name that is not among the
    /// ``Module/children``, a missing parameter or one of the wrong shape, an input whose shape or
    /// dtype does not fit a layer, a masked layer without its mask, a non-scalar output given to
    /// `valueWithGradient` inside the call.
    ///
    /// `try model.apply(x, parameters: p)` is `model(x, parameters: p)` that can fail; in
    /// training mode pass a context as for the plain call. Ops called with incompatible shapes
    /// deep inside a layer still stop the program (Docs/Errors.md).
    public func apply(_ input: Input, parameters: ParameterTree,
                      context: Context = Context(training: false)) throws -> Output {
        let scope = context.checks?.scope ?? ErrorScope()
        var checked = context
        checked.checks = LayerChecks(scope: scope, model: self)
        let output = ErrorScope.$current.withValue(scope) { checkedCall(input, parameters: parameters, context: checked) }
        if let first = scope.errors.first { throw first }
        return output
    }

    /// Runs ``check(_:parameters:context:)``; when it passes, the layer; when it fails, records
    /// the error in `context.checks` and returns ``placeholderOutput(for:parameters:context:)``
    /// (the layer does not run). A layer that cannot give a placeholder stops the program with
    /// the error's message. Without checks, just the layer.
    public func checkedCall(_ input: Input, parameters: ParameterTree, context: Context) -> Output {
        guard let checks = context.checks else { return self(input, parameters: parameters, context: context) }
        do {
            try check(input, parameters: parameters, context: context)
        } catch {
            checks.scope.report(error)
            guard let stand_in = placeholderOutput(for: input, parameters: parameters, context: context) else {
                fatalError("\(error) (and \(Self.self) cannot give a stand-in output to continue the checking call)")
            }
            return stand_in
        }
        return self(input, parameters: parameters, context: context)
    }
}

/// A layer that knows from its hyper-parameters alone which parameters it reads (with their
/// shapes), which input shapes it takes and which output shape it gives: what a checking call
/// needs to check it before it runs and to stand in for it when it cannot run. Linear and
/// convolution layers (real and complex) and batch norm conform.
public protocol ShapeChecking {
    /// The entries the layer reads, keys relative to the layer, with their shapes
    /// (`weight [out, in]`, `bias [out]`; `weight.real`, `weight.imag`, … for complex layers).
    var parameterShapes: [(key: String, shape: [Int])] { get }
    /// Why an input of `shape` does not fit, or nil when it does.
    func inputShapeProblem(_ shape: [Int]) -> String?
    /// The output shape for an input of `shape`, or nil when it cannot be told (wrong rank).
    func outputShape(forInput shape: [Int]) -> [Int]?
}

/// The shape and dtype of a real or complex layer input or output (nil for other types).
func shapeAndDType(_ value: Any) -> (shape: [Int], dtype: DType)? {
    if let t = value as? Tensor { return (t.shape, t.dtype) }
    if let z = value as? ComplexTensor { return (z.shape, z.dtype) }
    return nil
}

/// Zeros of `shape` as a `T` that is `Tensor` or `ComplexTensor` (nil for other types).
func zerosValue<T>(_: T.Type, shape: [Int], dtype: DType) -> T? {
    if T.self == Tensor.self { return Tensor.zeros(shape, dtype: dtype) as? T }
    if T.self == ComplexTensor.self {
        return ComplexTensor(real: .zeros(shape, dtype: dtype), imag: .zeros(shape, dtype: dtype)) as? T
    }
    return nil
}

extension ParameterTree {
    /// The entry `key`, which a layer at `path` needs with shape `shape`.
    /// - Throws: ``LayerError/missingParameter(path:key:available:)`` when it is absent,
    ///   ``LayerError/parameterShape(path:key:expected:found:)`` when its shape differs.
    public func checkedEntry(_ key: String, shape: [Int], path: String) throws -> Tensor {
        guard let t = self[key] else { throw LayerError.missingParameter(path: path, key: key, available: keys) }
        guard t.shape == shape else { throw LayerError.parameterShape(path: path, key: key, expected: shape, found: t.shape) }
        return t
    }
}

extension Layer where Self: ShapeChecking {
    /// Checks every entry of ``ShapeChecking/parameterShapes`` (present, right shape), then the
    /// input's dtype against the parameters' and its shape against
    /// ``ShapeChecking/inputShapeProblem(_:)``.
    public func check(_ input: Input, parameters p: ParameterTree, context: Context) throws {
        var dtype: DType?
        for (key, shape) in parameterShapes {
            let t = try p.checkedEntry(key, shape: shape, path: context.path)
            dtype = dtype ?? t.dtype
        }
        guard let (shape, inputType) = shapeAndDType(input) else { return }
        if let dtype, dtype != inputType {
            throw LayerError.dtypeMismatch(path: context.path, layer: "\(Self.self)", input: inputType, parameters: dtype)
        }
        if let reason = inputShapeProblem(shape) {
            throw LayerError.inputShape(path: context.path, layer: "\(Self.self)", shape: shape, reason: reason)
        }
    }

    /// Zeros of ``ShapeChecking/outputShape(forInput:)`` in the parameters' dtype (else the input's).
    public func placeholderOutput(for input: Input, parameters p: ParameterTree, context: Context) -> Output? {
        guard let (shape, inputType) = shapeAndDType(input), let out = outputShape(forInput: shape) else { return nil }
        let dtype = parameterShapes.lazy.compactMap { p[$0.key]?.dtype }.first ?? inputType
        return zerosValue(Output.self, shape: out, dtype: dtype)
    }
}

// MARK: - Conformances of the layers of NN

extension Linear: ShapeChecking {
    /// `weight [out, in]`, `bias [out]` (if `bias`).
    public var parameterShapes: [(key: String, shape: [Int])] {
        [("weight", [outFeatures, inFeatures])] + (bias ? [("bias", [outFeatures])] : [])
    }
    /// The last axis must be `inFeatures`.
    public func inputShapeProblem(_ shape: [Int]) -> String? {
        shape.last == inFeatures ? nil : "the last axis must be \(inFeatures) (in_features)"
    }
    /// `[…, out]`.
    public func outputShape(forInput shape: [Int]) -> [Int]? { shape.isEmpty ? nil : shape.dropLast() + [outFeatures] }
}

extension CplxLinear: ShapeChecking {
    /// `weight.real`, `weight.imag` `[out, in]`; `bias.real`, `bias.imag` `[out]` (if `bias`).
    public var parameterShapes: [(key: String, shape: [Int])] {
        [("weight.real", [outFeatures, inFeatures]), ("weight.imag", [outFeatures, inFeatures])]
            + (bias ? [("bias.real", [outFeatures]), ("bias.imag", [outFeatures])] : [])
    }
    /// The last axis must be `inFeatures`.
    public func inputShapeProblem(_ shape: [Int]) -> String? {
        shape.last == inFeatures ? nil : "the last axis must be \(inFeatures) (in_features)"
    }
    /// `[…, out]`.
    public func outputShape(forInput shape: [Int]) -> [Int]? { shape.isEmpty ? nil : shape.dropLast() + [outFeatures] }
}

extension ConvolutionOptions {
    /// `weight` and `bias` (`[C_out]`), or their `.real` / `.imag` parts when `complex`.
    func parameterShapes(complex: Bool) -> [(key: String, shape: [Int])] {
        let own = [("weight", weightShape)] + (bias ? [("bias", [outChannels])] : [])
        return complex ? own.flatMap { [($0.0 + ".real", $0.1), ($0.0 + ".imag", $0.1)] } : own
    }

    /// `[N, C_in, *S]` with `rank` spatial axes giving an output of at least 1 per axis.
    func inputShapeProblem(_ shape: [Int]) -> String? {
        let rank = kernelSize.count
        guard shape.count == rank + 2 else { return "a \(rank)-d convolution takes [N, C_in, \(rank) spatial axes] (\(rank + 2) axes)" }
        guard shape[1] == inChannels else { return "axis 1 (channels) must be \(inChannels) (in_channels)" }
        if paddingMode == .circular, zip(shape.dropFirst(2), padding).contains(where: { $0 < $1 }) {
            return "circular padding \(padding) wraps around more than once on the spatial size \(Array(shape.dropFirst(2)))"
        }
        if let out = outputShape(forInput: shape), out.dropFirst(2).contains(where: { $0 < 1 }) {
            return "the spatial size \(Array(shape.dropFirst(2))) is too small for kernel \(kernelSize) "
                + "(padding \(padding), dilation \(dilation))"
        }
        return nil
    }

    /// `[N, C_out, *S']`, `S'` by the regular or transposed size formula (see ``Convolution``,
    /// ``ConvolutionTranspose``); for an input without the batch axis, `[C_out, *S']` (what
    /// PyTorch gives for unbatched input, which these layers do not take).
    func outputShape(forInput shape: [Int]) -> [Int]? {
        let rank = kernelSize.count
        guard shape.count == rank + 2 || shape.count == rank + 1 else { return nil }
        let first = shape.count - rank
        let spatial = (0..<rank).map { i -> Int in
            let s = shape[first + i], span = dilation[i] * (kernelSize[i] - 1)
            if transposed { return (s - 1) * stride[i] - 2 * padding[i] + span + outputPadding[i] + 1 }
            let n = s + 2 * padding[i] - span - 1
            return n < 0 ? 0 : n / stride[i] + 1
        }
        return (shape.count == rank + 2 ? [shape[0], outChannels] : [outChannels]) + spatial
    }
}

extension ConvolutionLayer {
    /// `weight` and (if `bias`) `bias [C_out]`, or their `.real` / `.imag` parts for complex
    /// layers; the weight `[C_out, C_in/groups, *k]` (`[C_in, C_out/groups, *k]` when transposed).
    public var parameterShapes: [(key: String, shape: [Int])] { options.parameterShapes(complex: Weight.kind == .complex) }
    /// `[N, C_in, *S]` with `Rank.count` spatial axes, large enough for the kernel (and, with
    /// circular padding, at least the padding on every axis).
    public func inputShapeProblem(_ shape: [Int]) -> String? { options.inputShapeProblem(shape) }
    /// `[N, C_out, *S']`.
    public func outputShape(forInput shape: [Int]) -> [Int]? { options.outputShape(forInput: shape) }
}

extension BatchNorm: ShapeChecking {
    /// `weight`, `bias` `[C]` (if `affine`); `running_mean`, `running_var` `[C]` and
    /// `num_batches_tracked []` (if `trackRunningStats`).
    public var parameterShapes: [(key: String, shape: [Int])] {
        (affine ? [("weight", [numFeatures]), ("bias", [numFeatures])] : [])
            + (trackRunningStats ? [("running_mean", [numFeatures]), ("running_var", [numFeatures]), ("num_batches_tracked", [])] : [])
    }
    /// `[N, C]` or `[N, C, L]` (1-d), `[N, C, *S]` with `Rank.count` spatial axes otherwise; axis 1 is C.
    public func inputShapeProblem(_ shape: [Int]) -> String? {
        let ok = Rank.count == 1 ? (shape.count == 2 || shape.count == 3) : shape.count == Rank.count + 2
        guard ok else { return "a \(Rank.count)-d batch norm takes \(Rank.count == 1 ? "2 or 3" : "\(Rank.count + 2)") axes" }
        return shape[1] == numFeatures ? nil : "axis 1 (features) must be \(numFeatures) (num_features)"
    }
    /// The input's shape.
    public func outputShape(forInput shape: [Int]) -> [Int]? { shape.count >= 2 ? shape : nil }
}
