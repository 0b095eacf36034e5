/// A layer whose weight is multiplied by a fixed `mask` (cplxmodule's `nn.masked` layers):
/// `y = base(x; W ⊙ mask, b)`. Gradients of masked-out weights are exactly zero.
///
/// Parameters: the base layer's plus `mask` (real, shape of the weight, one mask for both
/// parts of a complex weight). Key order follows cplxmodule: real `weight, bias, mask`;
/// complex `mask, weight.imag, weight.real, bias.imag, bias.real`.
///
/// Difference from cplxmodule: a freshly initialised masked layer has an all-ones (dense)
/// mask, so a tree from ``Module/initialParameters(key:dtype:)`` runs, and loading a dense
/// state dict reports `mask` as missing exactly as cplxmodule does. A tree without `mask`
/// (removed on purpose) stops the call with a message naming the layer.
public struct Masked<Base: WeightedLayer>: Layer {
    /// The base layer's input.
    public typealias Input = Base.Input
    /// The base layer's output.
    public typealias Output = Base.Output

    /// The layer whose weight is masked.
    public let base: Base

    /// Wraps `base`.
    public init(_ base: Base) { self.base = base }

    /// The base layer's parameters plus an all-ones `mask` of shape `weightShape`, in cplxmodule's
    /// order (real: `weight, bias, mask`; complex: `mask, weight.imag, weight.real, bias.imag, bias.real`).
    public func ownParameters(key: RandomKey, dtype: DType) -> ParameterTree {
        let own: ParameterTree = ["mask": Tensor.ones(base.weightShape, dtype: dtype)]
        let inherited = base.ownParameters(key: key, dtype: dtype)
        return Base.Weight.kind == .complex ? own.merging(inherited) : inherited.merging(own)
    }

    /// `base(x; W ⊙ mask, b)` with the mask detached and converted to the weight's dtype (shapes as
    /// the base); stops naming the layer when `mask` is absent (a checking call throws
    /// ``RelevanceError/missingMask(path:)`` instead).
    public func callAsFunction(_ x: Input, parameters p: ParameterTree, context: Context) -> Output {
        guard let mask = p["mask"] else { fatalError(RelevanceError.missingMask(path: context.path).description) }
        // Like cplxmodule, the mask is a constant (detached) in the weight's dtype.
        let dtype = p.required(Base.Weight.storageKeys("weight")[0], by: context).dtype
        let weight = Base.Weight.required("weight", in: p, by: context).masked(by: mask.converted(to: dtype))
        return base.forward(x, weight: weight, bias: base.hasBias ? Base.Weight.required("bias", in: p, by: context) : nil)
    }
}

extension Masked: SequentialLayer where Base: SequentialLayer {}

/// A layer with a `mask` entry that multiplies its weight; the traversals below find these.
public protocol MaskedLayer: Module {
    /// The parameter keys (relative to the layer) the mask multiplies: `weight`, or
    /// `weight.imag` and `weight.real`.
    var weightKeys: [String] { get }
}

extension Masked: MaskedLayer {
    /// `weight`, or `weight.imag` and `weight.real` for a complex base.
    public var weightKeys: [String] { Base.Weight.storageKeys("weight") }
}

/// `(path, mask or nil)` for every masked layer, in `named_modules` order.
public func namedMasks(_ model: some Module, parameters: ParameterTree) -> [(path: String, mask: Tensor?)] {
    model.namedModules().compactMap { path, module in
        guard module is any MaskedLayer else { return nil }
        return (path, parameters[path.isEmpty ? "mask" : path + ".mask"])
    }
}

/// Whether the masked layer at `path` has a mask in `parameters`.
public func isSparse(_ model: some Module, at path: String, parameters: ParameterTree) -> Bool {
    namedMasks(model, parameters: parameters).contains { $0.path == path && $0.mask != nil }
}

/// `parameters` with the masks of `masks` (keys `path.mask`) set on the masked layers of
/// `model`; with `reset`, masked layers absent from `masks` lose their mask. Masks whose path is
/// not a masked layer are ignored, like cplxmodule's `deploy_masks`.
///
/// As cplxmodule's `mask_` does, a mask is stored detached, in the weight's dtype and expanded to
/// the weight's full shape (so `[1, in]` masks whole input features and `[out, 1]` whole outputs).
/// - Throws: ``RelevanceError/maskShape(maskKey:mask:weightKey:weight:)`` when a mask does not
///   broadcast to its weight's shape (nothing is deployed then).
public func deployMasks(_ model: some Module, parameters: ParameterTree, masks: ParameterTree, reset: Bool = false) throws -> ParameterTree {
    var out = parameters
    for (path, module) in model.namedModules() {
        guard let layer = module as? any MaskedLayer else { continue }
        let key = path.isEmpty ? "mask" : path + ".mask"
        guard let m = masks[key] else {
            if reset { out[key] = nil }
            continue
        }
        let weightKey = (path.isEmpty ? "" : path + ".") + layer.weightKeys[0]
        if let w = parameters[weightKey] {
            guard broadcastable(m.shape, to: w.shape) else {
                throw RelevanceError.maskShape(maskKey: key, mask: m.shape, weightKey: weightKey, weight: w.shape)
            }
            out[key] = expand(m.converted(to: w.dtype), to: w.shape)
        } else {
            out[key] = m.detached()
        }
    }
    return out
}

/// `parameters` without the masks of the masked layers at `paths` (cplxmodule's
/// `deploy_masks` with `reset=True` for those layers only): each of them then runs only in a
/// tree that gets a mask again. The other masks stay.
/// - Throws: ``RelevanceError/notMasked(path:maskedLayers:)`` when a path is not a masked layer.
public func removingMasks(_ model: some Module, parameters: ParameterTree, at paths: [String]) throws -> ParameterTree {
    let masked = model.namedModules().filter { $0.module is any MaskedLayer }.map(\.path)
    var out = parameters
    for path in paths {
        guard masked.contains(path) else { throw RelevanceError.notMasked(path: path, maskedLayers: masked) }
        out[path.isEmpty ? "mask" : path + ".mask"] = nil
    }
    return out
}

/// Whether `shape` broadcasts to exactly `target` (PyTorch's `expand` rule).
func broadcastable(_ shape: [Int], to target: [Int]) -> Bool {
    guard shape.count <= target.count else { return false }
    return zip(shape.reversed(), target.reversed()).allSatisfy { $0 == $1 || $0 == 1 }
}
