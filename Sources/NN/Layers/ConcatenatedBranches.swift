import Ops

/// Two branches applied to the same input, their outputs joined along the feature axis: the
/// two-branch case of a PyTorch module whose `forward` returns
/// `torch.cat([self.a(x), self.b(x)], 1)`.
///
/// Shapes: input as each branch takes it; branch outputs `[N, F₁]` and `[N, F₂]` → `[N, F₁ + F₂]`.
/// Parameters are those of the branches, under their names (`phase.0.weight`, `ring.0.weight`, …).
/// A branch is any layer to a real tensor: a ``Sequential``, or an ``InitializedSequential``
/// (a Sequential with starting values).
public struct ConcatenatedBranches<First: SequentialLayer, Second: SequentialLayer>: SequentialLayer
where First.Output == Tensor, Second.Output == Tensor, First.Input == Second.Input {
    /// The input of both branches.
    public typealias Input = First.Input
    /// The joined features.
    public typealias Output = Tensor
    /// The first branch (its features come first in the output).
    @Child public var first: First
    /// The second branch.
    @Child public var second: Second

    /// The branches `first` and `second`, named `firstName` and `secondName` in parameter paths.
    public init(_ firstName: String, _ first: First, _ secondName: String, _ second: Second) {
        _first = Child(firstName, first); _second = Child(secondName, second)
    }

    /// `concat([first(x), second(x)], axis: 1)`: `[N, F₁]`, `[N, F₂]` → `[N, F₁ + F₂]`.
    public func callAsFunction(_ x: Input, parameters p: ParameterTree, context: Context) -> Tensor {
        let a = $first(x, parameters: p, context: context), b = $second(x, parameters: p, context: context)
        require(a.rank == 2 && b.rank == 2 && a.shape[0] == b.shape[0],
                "\(context.path): ConcatenatedBranches needs [N, F] from both branches, got \(a.shape) and \(b.shape)")
        return concat([a, b], axis: 1)
    }
}
