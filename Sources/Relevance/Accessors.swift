import Autodiff
import Ops
import NN

// Read-only views of a model's Bayesian and masked layers.

/// A Bayesian layer with a log α per weight (VD, ARD) or per gate (L0): what relevance reads.
/// LASSO layers have none (their relevance is `log |w|`).
public protocol LogAlphaLayer: BayesianLayer {
    /// log α from the layer's parameters (keys relative to the layer), not recorded on a tape
    /// unless the parameters are traced. VD/ARD: `log σ² − 2·log(|W| + 1e-12)`, shape of the
    /// weight; L0: the `log_alpha` entry, shape `[out, in]`, `[1, in]` or `[out, 1]`.
    func logAlpha(parameters: ParameterTree) -> Tensor
}

extension Variational: LogAlphaLayer {}

extension LinearL0: LogAlphaLayer {
    /// The `log_alpha` entry (the gates' location), shape ``logAlphaShape``.
    public func logAlpha(parameters p: ParameterTree) -> Tensor { p.required("log_alpha", by: Context(training: false)) }
}

/// `(path, log α)` of every layer with a log α (VD, ARD, L0; real and complex), in
/// `named_modules` order.
public func namedLogAlphas(_ model: some Module, parameters: ParameterTree) -> [(path: String, logAlpha: Tensor)] {
    model.namedModules().compactMap { path, module in
        guard let layer = module as? any LogAlphaLayer else { return nil }
        return (path, layer.logAlpha(parameters: parameters.scoped(path)))
    }
}

extension Masked {
    /// The weight the layer computes with, `W ⊙ mask` (the mask broadcast and converted to the
    /// weight's dtype), shape ``WeightedLayer/weightShape``; the weight itself when the tree has no
    /// mask. Keys relative to the layer.
    public func maskedWeight(parameters p: ParameterTree) -> Base.Weight {
        let context = Context(training: false)
        let weight = Base.Weight.required("weight", in: p, by: context)
        guard let mask = p["mask"] else { return weight }
        return weight.masked(by: mask.converted(to: p.required(Base.Weight.storageKeys("weight")[0], by: context).dtype))
    }
}
