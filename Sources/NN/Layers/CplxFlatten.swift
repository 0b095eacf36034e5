/// Flattens dimensions `startAxis...endAxis` of a complex tensor into one (both parts alike);
/// the complex counterpart of ``Flatten``, defaults 1 and −1.
public struct CplxFlatten: SequentialLayer {
    /// First axis merged (negative counts from the end).
    public let startAxis: Int
    /// Last axis merged, inclusive (negative counts from the end).
    public let endAxis: Int
    /// Merges axes `startAxis...endAxis`; the defaults keep the batch axis and flatten the rest.
    public init(_ startAxis: Int = 1, _ endAxis: Int = -1) { self.startAxis = startAxis; self.endAxis = endAxis }
    /// `flatten` of both parts: e.g. complex `[N, C, H, W]` → `[N, C·H·W]` with the defaults.
    public func callAsFunction(_ z: ComplexTensor, parameters: ParameterTree, context: Context) -> ComplexTensor {
        ComplexTensor(real: flatten(z.real, startAxis: startAxis, endAxis: endAxis),
                      imag: flatten(z.imag, startAxis: startAxis, endAxis: endAxis))
    }
}
