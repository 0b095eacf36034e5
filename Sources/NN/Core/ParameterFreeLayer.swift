/// A layer without parameters whose output depends on its input alone (the activations): it
/// writes ``transform(_:)``, and its ``Layer/callAsFunction(_:parameters:context:)`` is that
/// function, the (empty) parameters and the context unused.
public protocol ParameterFreeLayer: SequentialLayer {
    /// The input (restated so that ``transform(_:)`` names it).
    associatedtype Input
    /// The output (restated so that ``transform(_:)`` names it).
    associatedtype Output
    /// The layer's function of its input (shapes documented by each layer).
    func transform(_ input: Input) -> Output
}

extension ParameterFreeLayer {
    /// `transform(input)`; `parameters` and `context` are not used.
    public func callAsFunction(_ input: Input, parameters: ParameterTree, context: Context) -> Output { transform(input) }
}
