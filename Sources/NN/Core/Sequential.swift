/// A value flowing through a ``Sequential``: real or complex.
public enum Activation: Sendable {
    case real(Tensor)
    case complex(ComplexTensor)

    /// Which kind of value this is.
    public var kind: ActivationKind {
        switch self { case .real: return .real; case .complex: return .complex }
    }
}

/// Real or complex: what a sequential layer consumes and produces.
public enum ActivationKind: String, Sendable { case real, complex }

/// `Tensor` and `ComplexTensor`: the types a layer in a ``Sequential`` may take and return.
public protocol ActivationValue: Sendable {
    /// The kind of every value of this type.
    static var kind: ActivationKind { get }
    /// Wraps the value.
    var activation: Activation { get }
    /// Unwraps an activation of the right kind.
    init?(_ activation: Activation)
}

extension Tensor: ActivationValue {
    /// `.real`.
    public static var kind: ActivationKind { .real }
    /// The tensor wrapped as `.real`.
    public var activation: Activation { .real(self) }
    /// The tensor of a `.real` activation; nil for `.complex`.
    public init?(_ activation: Activation) {
        guard case .real(let t) = activation else { return nil }
        self = t
    }
}

extension ComplexTensor: ActivationValue {
    /// `.complex`.
    public static var kind: ActivationKind { .complex }
    /// The tensor wrapped as `.complex`.
    public var activation: Activation { .complex(self) }
    /// The tensor of a `.complex` activation; nil for `.real`.
    public init?(_ activation: Activation) {
        guard case .complex(let z) = activation else { return nil }
        self = z
    }
}

/// A layer with one real or complex input and one real or complex output: what
/// ``Sequential`` chains. Every single-input layer of the library conforms.
public protocol SequentialLayer: Layer where Input: ActivationValue, Output: ActivationValue {}

extension SequentialLayer {
    /// The layer applied to a type-erased value.
    func callErased(_ x: Activation, parameters: ParameterTree, context: Context) -> Activation {
        guard let input = Input(x) else {
            // unreachable for a Sequential built by its initialiser, which validates the chain
            fatalError("\(context.path): layer \(Self.self) takes \(Input.kind) input, got \(x.kind)")
        }
        return checkedCall(input, parameters: parameters, context: context).activation
    }
}

/// Layers applied one after another; children are named `0`, `1`, … as in PyTorch.
///
/// The element types are checked when the container is built: a layer whose input kind does
/// not match the previous layer's output kind (a real layer after a complex one) stops with a
/// message naming both layers. `Sequential<Tensor, Tensor>` is PyTorch's `Sequential`,
/// `Sequential<ComplexTensor, ComplexTensor>` cplxmodule's `CplxSequential`.
public struct Sequential<Input: ActivationValue, Output: ActivationValue>: SequentialLayer {
    /// The layers, in order.
    public let layers: [any SequentialLayer]

    /// A container of `layers`.
    /// - Precondition: the layers chain (see ``validate(_:)``, which gives the same check as a
    ///   typed error): each layer's input kind is the previous output kind, the first takes
    ///   `Input`, the last gives `Output`.
    public init(_ layers: [any SequentialLayer]) {
        do { try Self.validate(layers) } catch { fatalError("\(error)") }
        self.layers = layers
    }

    /// A container of the given layers.
    public init(_ layers: any SequentialLayer...) { self.init(layers) }

    /// The layers named by their index: `0`, `1`, …
    public var children: [(name: String, module: any Module)] {
        layers.enumerated().map { (String($0.offset), $0.element as any Module) }
    }

    /// Applies the layers in order, child `i` with parameters scoped to `i.`.
    public func callAsFunction(_ input: Input, parameters: ParameterTree, context: Context) -> Output {
        var x = input.activation
        for (i, layer) in layers.enumerated() {
            let name = String(i)
            x = layer.callErased(x, parameters: parameters.scoped(name), context: context.child(name))
        }
        return Output(x)!
    }
}
