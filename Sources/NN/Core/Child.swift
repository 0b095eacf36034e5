import Foundation

/// A named child of a composite module, declared once: the declaration gives the child its
/// name (its path component, the `features` of `features.0.weight`), and the module finds its
/// ``Module/children`` from these declarations.
///
/// ```swift
/// struct Net: Layer {
///     @Child("features") var features = Sequential<Tensor, Tensor>(Flatten(), LinearVD(784, 400), ReLU())
///     @Child("classifier") var classifier = Sequential<Tensor, Tensor>(LinearVD(400, 10))
///
///     func callAsFunction(_ x: Tensor, parameters p: ParameterTree, context: Context) -> Tensor {
///         $classifier($features(x, parameters: p, context: context), parameters: p, context: context)
///     }
/// }
/// ```
///
/// `features` is the module itself (`net.features.layers`); `$features` is this handle, which
/// applies it as the child `features`: it scopes the parent's tree to `features.` and extends the
/// context's path, as PyTorch's `self.features(x)` does through the attribute name. A module whose
/// children come from its initialiser's arguments declares `@Child var features: Sequential<…>`
/// and names it where it stores it: `_features = Child("features", features)`.
///
/// A handle held in an ordinary stored property (`let head = Child("head", Linear(64, 10))`,
/// called as `head(h, parameters: p, context: context)`) is a child too; its members read through
/// to the module (`head.outFeatures`). Children are listed in declaration order, which is the
/// order of the module's `state_dict()` keys. A module may still override ``Module/children``
/// (a container of its own, whose names are computed like ``Sequential``'s indices); it applies
/// child `i` as `Child(name, layer)(x, parameters: p, context: context)`, and the handles' names
/// must then be among the names it lists.
@propertyWrapper @dynamicMemberLookup
public struct Child<Wrapped: Module>: Sendable {
    /// The child module.
    public var wrappedValue: Wrapped
    /// The child's name: its component of every parameter path below it (`features`).
    public let name: String

    /// The child `name` holding `wrappedValue` (what `@Child("name") var x = module` calls).
    public init(wrappedValue: Wrapped, _ name: String) {
        self.wrappedValue = wrappedValue
        self.name = name
    }

    /// The child `name` holding `module` (for `_x = Child("name", module)` in an initialiser,
    /// and for a handle stored in a plain property).
    public init(_ name: String, _ module: Wrapped) {
        self.init(wrappedValue: module, name)
    }

    /// The child module (same as ``wrappedValue``).
    public var module: Wrapped { wrappedValue }

    /// The handle itself: `$features` of `@Child("features") var features`.
    public var projectedValue: Child<Wrapped> { self }

    /// A member of the child module (`classifier.layers` for a handle holding a ``Sequential``).
    public subscript<T>(dynamicMember member: KeyPath<Wrapped, T>) -> T { wrappedValue[keyPath: member] }
}

extension Child where Wrapped: Layer {
    /// Applies the child to `input`.
    /// - Parameters:
    ///   - input: the child's input (shapes documented by the child layer).
    ///   - parameters: the parent's tree; the child sees `parameters.scoped(name)` (keys `name.…`
    ///     with the prefix removed).
    ///   - context: the parent's context; the child runs with the path extended by `name`.
    /// In a checking call (``Layer/apply(_:parameters:context:)``) a handle whose name is not among
    /// the parent's ``Module/children`` (one made on the fly, or a parent that overrides `children`
    /// with other names) records ``LayerError/unknownChild(parent:name:children:)``, and the child's
    /// own failed checks are recorded as for any layer.
    public func callAsFunction(_ input: Wrapped.Input, parameters: ParameterTree, context: Context) -> Wrapped.Output {
        wrappedValue.applyAsChild(name, input, parameters: parameters, context: context)
    }
}

/// What ``Module/children``'s default finds in a module's stored properties: a ``Child``.
protocol ChildDeclaration {
    var name: String { get }
    var erasedModule: any Module { get }
}

extension Child: ChildDeclaration {
    var erasedModule: any Module { wrappedValue }
}

extension Module {
    /// The ``Child`` declarations among the stored properties of this value, in declaration
    /// order (a class's superclasses' first): the default ``Module/children``. A child is a
    /// stored property of type `Child<…>` (or `Child<…>?`, counted when it holds one).
    ///
    /// Found by reflection; whether a type declares any child is remembered per type, so a
    /// leaf layer (no `Child` property) costs one dictionary lookup after its first use.
    public var declaredChildren: [(name: String, module: any Module)] {
        if ChildFieldCache.shared.declaresNoChild(type(of: self)) { return [] }
        var mirrors: [Mirror] = []
        var next: Mirror? = Mirror(reflecting: self)
        while let m = next { mirrors.append(m); next = m.superclassMirror }
        var out: [(name: String, module: any Module)] = []
        var anyChildField = false
        for mirror in mirrors.reversed() {
            for field in mirror.children {
                if type(of: field.value) is any ChildField.Type { anyChildField = true }
                if let child = field.value as? any ChildDeclaration { out.append((child.name, child.erasedModule)) }
            }
        }
        if !anyChildField { ChildFieldCache.shared.recordNoChild(type(of: self)) }
        return out
    }
}

/// Types a stored property holding a child may have: `Child<…>` and `Child<…>?`.
protocol ChildField {}
extension Child: ChildField {}
extension Optional: ChildField where Wrapped: ChildField {}

/// The module types known to have no `Child` property (their children are found without
/// reflection). Types, not values: a property's type is the same in every value of a type.
final class ChildFieldCache: @unchecked Sendable {
    static let shared = ChildFieldCache()
    private let lock = NSLock()
    private var leaves = Set<ObjectIdentifier>()

    func declaresNoChild(_ type: Any.Type) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return leaves.contains(ObjectIdentifier(type))
    }

    func recordNoChild(_ type: Any.Type) {
        lock.lock(); defer { lock.unlock() }
        leaves.insert(ObjectIdentifier(type))
    }
}

extension Layer {
    /// Applies this layer as the child `name` of a parent: scopes the parent's parameters to
    /// `name.`, extends the context's path, and in a checking call checks the name and the layer.
    func applyAsChild(_ name: String, _ input: Input, parameters: ParameterTree, context: Context) -> Output {
        let scoped = parameters.scoped(name), child = context.child(name)
        guard let checks = context.checks else { return self(input, parameters: scoped, context: child) }
        checks.checkChildName(name, parent: context.path)
        return checkedCall(input, parameters: scoped, context: child)
    }
}
