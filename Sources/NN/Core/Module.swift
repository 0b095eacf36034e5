/// A node of a model: it owns some parameters and buffers and has named children.
///
/// A module is a value describing hyper-parameters; it stores no tensors. Its parameters live
/// in a ``ParameterTree`` keyed by dotted paths that mirror PyTorch's `state_dict()`: a
/// module's own entries first (in the order PyTorch registers them), then each child's
/// entries under `childName.`.
public protocol Module: Sendable {
    /// Named sub-modules in order: the ``Child`` declarations of a composite module (the default),
    /// or `0`, `1`, … inside ``Sequential``.
    var children: [(name: String, module: any Module)] { get }

    /// Freshly initialised parameters and buffers owned by this module itself (not by its
    /// children), with keys relative to the module (`weight`, `bias`, `log_sigma2`, …).
    /// - Parameters:
    ///   - key: the random key for this module (already specific to its path).
    ///   - dtype: element type of floating-point entries.
    func ownParameters(key: RandomKey, dtype: DType) -> ParameterTree
}

extension Module {
    /// Default: the module's ``Child`` declarations in declaration order (``declaredChildren``);
    /// none for a leaf module.
    public var children: [(name: String, module: any Module)] { declaredChildren }
    /// Default: no parameters or buffers of its own.
    public func ownParameters(key: RandomKey, dtype: DType) -> ParameterTree { ParameterTree() }

    /// The parameters of this module and all its descendants, keyed like `state_dict()`.
    /// Each module's entries are drawn from `key` folded with the module's path, so adding a
    /// layer does not change the initialisation of the others.
    /// A module that is an ``InitialValueProviding`` then replaces entries of its subtree with its
    /// ``InitialValueProviding/initialValues(dtype:)`` (outer modules first, so the deepest wins).
    public func initialParameters(key: RandomKey, dtype: DType = .float32) -> ParameterTree {
        var tree = ParameterTree()
        let modules = namedModules()
        for (path, module) in modules {
            tree.merge(module.ownParameters(key: key.fold(path), dtype: dtype).prefixed(path))
        }
        for (path, module) in modules {
            guard let m = module as? any InitialValueProviding else { continue }
            for (k, v) in m.initialValues(dtype: dtype).prefixed(path) {
                require(tree[k]?.shape == v.shape, "\(path): initial value \(k) \(v.shape) replaces no entry of that shape")
                tree[k] = v
            }
        }
        return tree
    }

    /// Every module of the tree in depth-first pre-order with its dotted path, the root first
    /// with path `prefix` (empty by default), like PyTorch's `named_modules()`.
    public func namedModules(prefix: String = "") -> [(path: String, module: any Module)] {
        var out: [(path: String, module: any Module)] = [(prefix, self)]
        for (name, child) in children {
            out.append(contentsOf: child.namedModules(prefix: prefix.isEmpty ? name : prefix + "." + name))
        }
        return out
    }
}

/// A module that maps an input to an output given its parameters and a call context.
///
/// Layers are pure functions: the same input, parameters and context give the same output.
/// Randomness (dropout, the reparameterisation noise of Bayesian layers) comes from
/// ``Context/randomKey`` which is specific to the layer's path.
public protocol Layer<Input, Output>: Module {
    /// What the layer consumes: `Tensor`, `ComplexTensor`, or a pair for bilinear layers.
    associatedtype Input
    /// What the layer produces.
    associatedtype Output

    /// Applies the layer.
    /// - Parameters:
    ///   - input: the input (shapes documented by each layer).
    ///   - parameters: this layer's entries, keys relative to the layer (see ``Module/ownParameters(key:dtype:)``).
    ///   - context: train/eval mode, random key and path of this call.
    func callAsFunction(_ input: Input, parameters: ParameterTree, context: Context) -> Output

    /// Checks, before the layer runs, that `input` and `parameters` fit it, and throws a
    /// ``LayerError`` naming the path, keys, shapes and dtypes when they do not. Called only in a
    /// checking call (see ``Context/checks``). The default checks nothing; layers conforming to
    /// ``ShapeChecking`` check their parameters' presence and shapes, the input's shape and dtype.
    func check(_ input: Input, parameters: ParameterTree, context: Context) throws

    /// Zeros of the shape and dtype the layer would produce for `input` (which may not fit it),
    /// or nil when the layer cannot tell. A checking call returns this instead of running a layer
    /// whose ``check(_:parameters:context:)`` failed, so the rest of the computation runs on.
    func placeholderOutput(for input: Input, parameters: ParameterTree, context: Context) -> Output?
}

extension Layer {
    /// Default: nothing to check.
    public func check(_ input: Input, parameters: ParameterTree, context: Context) throws {}

    /// Default: the layer cannot tell its output shape without running.
    public func placeholderOutput(for input: Input, parameters: ParameterTree, context: Context) -> Output? { nil }

    /// Applies this layer as the child `name` of a parent: scopes the parent's parameters to
    /// `name.` and extends the context's path. In a checking call, a `name` that is not among the
    /// parent's ``Module/children`` and a failed ``check(_:parameters:context:)`` are recorded as
    /// errors (see ``checkedCall(_:parameters:context:)``).
    ///
    /// Deprecated: the name was written twice, here and in ``Module/children``. Declare the child
    /// once with ``Child`` (`let features = Child("features", …)`, called as `features(x, parameters:
    /// p, context: context)`, or `@Child("features") var features = …`, called as `$features(…)`);
    /// the parameter paths are the same. A container that lists its children itself applies one as
    /// `Child(name, layer)(x, parameters: p, context: context)`.
    @available(*, deprecated, message: "declare the child once, let name = Child(\"name\", module), and call name(input, parameters:context:) (or @Child(\"name\") var name = module, called as $name(…))")
    public func callAsChild(_ name: String, _ input: Input, parameters: ParameterTree, context: Context) -> Output {
        applyAsChild(name, input, parameters: parameters, context: context)
    }

    /// Applies the layer in evaluation mode with no randomness (a convenience for inference).
    public func callAsFunction(_ input: Input, parameters: ParameterTree) -> Output {
        self(input, parameters: parameters, context: Context(training: false))
    }
}

extension ParameterTree {
    /// The entry `key` that a layer needs; stops with a message naming the layer path and the
    /// key when it is absent (a model called with parameters of another model).
    public func required(_ key: String, by context: Context) -> Tensor {
        guard let t = self[key] else {
            fatalError("\(context.path.isEmpty ? "<root>" : context.path): parameter '\(key)' is missing "
                                + "(the tree has \(keys.prefix(8))\(keys.count > 8 ? "…" : ""))")
        }
        return t
    }

    /// The complex entry `key` (`key.real` and `key.imag`) that a layer needs.
    public func requiredComplex(_ key: String, by context: Context) -> ComplexTensor {
        ComplexTensor(real: required(key + ".real", by: context), imag: required(key + ".imag", by: context))
    }
}

/// A module that starts some entries of its subtree at given values instead of drawn ones (a
/// filter started at a known pulse, for example); ``Module/initialParameters(key:dtype:)`` applies
/// them after drawing every module's own entries.
public protocol InitialValueProviding: Module {
    /// The entries to replace, keyed relative to this module (`0.weight.real`); every key must be
    /// an entry of the subtree, with the same shape.
    func initialValues(dtype: DType) -> ParameterTree
}
