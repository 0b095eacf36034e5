/// Flattens dimensions `startAxis...endAxis` of a complex tensor into one (both parts alike);
/// the complex counterpart of ``Flatten``, defaults 1 and −1.
public struct CplxFlatten: SequentialLayer {
    public let startAxis: Int
    public let endAxis: Int
    public init(_ startAxis: Int = 1, _ endAxis: Int = -1) { self.startAxis = startAxis; self.endAxis = endAxis }
    public func callAsFunction(_ z: ComplexTensor, parameters: ParameterTree, context: Context) -> ComplexTensor {
        ComplexTensor(real: flatten(z.real, startAxis: startAxis, endAxis: endAxis),
                      imag: flatten(z.imag, startAxis: startAxis, endAxis: endAxis))
    }
}
