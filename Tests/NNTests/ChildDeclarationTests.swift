import XCTest
import Autodiff
import Ops
import NN

// Children named once (issue 16): a `Child` declaration gives the name, `children` and the call
// use it. The models below are one architecture written four ways; they must give the same
// state-dict keys, the same initial values and the same outputs.

/// The declared way with the property wrapper: `model.features` is the module, `$features` the handle.
private struct Wrapped: Layer {
    @Child("features") var features = Sequential<Tensor, Tensor>(Flatten(1, -1))
    @Child("classifier") var classifier = Sequential<Tensor, Tensor>(Linear(12, 5), ReLU(), Linear(5, 3))
    func callAsFunction(_ x: Tensor, parameters p: ParameterTree, context: Context) -> Tensor {
        $classifier($features(x, parameters: p, context: context), parameters: p, context: context)
    }
}

/// The declared way with plain handles, children built in the initialiser.
private struct Handles: Layer {
    let features: Child<Sequential<Tensor, Tensor>>
    let classifier: Child<Sequential<Tensor, Tensor>>
    init(hidden: Int = 5) {
        features = Child("features", Sequential(Flatten(1, -1)))
        classifier = Child("classifier", Sequential(Linear(12, hidden), ReLU(), Linear(hidden, 3)))
    }
    func callAsFunction(_ x: Tensor, parameters p: ParameterTree, context: Context) -> Tensor {
        classifier(features(x, parameters: p, context: context), parameters: p, context: context)
    }
}

/// The wrapper declared without a value and named where the initialiser stores it.
private struct NamedInInit: Layer {
    @Child var features: Sequential<Tensor, Tensor>
    @Child var classifier: Sequential<Tensor, Tensor>
    init() {
        _features = Child("features", Sequential(Flatten(1, -1)))
        _classifier = Child("classifier", Sequential(Linear(12, 5), ReLU(), Linear(5, 3)))
    }
    func callAsFunction(_ x: Tensor, parameters p: ParameterTree, context: Context) -> Tensor {
        $classifier($features(x, parameters: p, context: context), parameters: p, context: context)
    }
}

/// The deprecated spelling: names in `children` and again at each `callAsChild`. Its call is a
/// deprecated witness reached through the `Layer` protocol, so using it here warns nowhere.
private struct OldSpelling: Layer {
    let features = Sequential<Tensor, Tensor>(Flatten(1, -1))
    let classifier = Sequential<Tensor, Tensor>(Linear(12, 5), ReLU(), Linear(5, 3))
    var classifierName = "classifier"
    var children: [(name: String, module: any Module)] { [("features", features), ("classifier", classifier)] }
    @available(*, deprecated, message: "exercises the deprecated callAsChild spelling")
    func callAsFunction(_ x: Tensor, parameters p: ParameterTree, context: Context) -> Tensor {
        let h = features.callAsChild("features", x, parameters: p, context: context)
        return classifier.callAsChild(classifierName, h, parameters: p, context: context)
    }
}

/// A container that lists its own children and calls a handle whose name is not among them.
private struct ListsOtherNames: Layer {
    let body = Child("body", Linear(4, 2))
    var children: [(name: String, module: any Module)] { [("trunk", body.module)] }
    func callAsFunction(_ x: Tensor, parameters p: ParameterTree, context: Context) -> Tensor {
        body(x, parameters: p, context: context)
    }
}

/// Two children under one name, and a name that is not a path component.
private struct BadNames: Layer {
    var first = Child("body", Linear(4, 4))
    var second = Child("body", Linear(4, 2))
    func callAsFunction(_ x: Tensor, parameters p: ParameterTree, context: Context) -> Tensor {
        second(first(x, parameters: p, context: context), parameters: p, context: context)
    }
}

/// Children declared in a class hierarchy: the superclass's come first.
private class Base: Module, @unchecked Sendable {
    let stem = Child("stem", Linear(3, 3))
}
private final class Derived: Base, @unchecked Sendable {
    let head = Child("head", Linear(3, 1))
}

/// An optional child counts when it holds a module.
private struct OptionalHead: Module {
    let trunk = Child("trunk", Linear(3, 3))
    var head: Child<Linear>?
}

/// The module one level down: a parent of `Wrapped` under `net`, so paths read `net.classifier.0.weight`.
private struct Outer: Layer {
    @Child("net") var net = Wrapped()
    func callAsFunction(_ x: Tensor, parameters p: ParameterTree, context: Context) -> Tensor {
        $net(x, parameters: p, context: context)
    }
}

/// Calls a layer through the protocol (how the library calls every layer).
private func callThroughProtocol<L: Layer>(_ layer: L, _ x: L.Input, _ p: ParameterTree, _ c: Context) -> L.Output {
    layer(x, parameters: p, context: c)
}

final class ChildDeclarationTests: XCTestCase {
    let key = RandomKey(seed: 16)
    let keys = ["classifier.0.weight", "classifier.0.bias", "classifier.2.weight", "classifier.2.bias"]

    func testEverySpellingGivesTheSameKeysValuesAndOutputs() throws {
        let old = OldSpelling(), reference = old.initialParameters(key: key)
        XCTAssertEqual(reference.keys, keys)
        let x = uniform([2, 3, 4], key: key.fold("x"))
        let expected = callThroughProtocol(old, x, reference, Context(training: false)).scalars
        let models: [any Layer<Tensor, Tensor>] = [Wrapped(), Handles(), NamedInInit()]
        for model in models {
            XCTAssertEqual(model.children.map(\.name), ["features", "classifier"], "\(type(of: model))")
            let p = model.initialParameters(key: key)
            XCTAssertEqual(p.keys, keys, "\(type(of: model))")
            for k in keys { XCTAssertEqual(p[k]!.scalars, reference[k]!.scalars, "\(type(of: model)) \(k)") }
            XCTAssertEqual(model(x, parameters: p).scalars, expected, "\(type(of: model))")
            XCTAssertEqual(try model.apply(x, parameters: p).scalars, expected, "\(type(of: model))")
        }
        XCTAssertEqual(Wrapped().namedModules().map(\.path), OldSpelling().namedModules().map(\.path))
    }

    func testGradientsAreKeyedAlike() {
        let x = uniform([2, 3, 4], key: key.fold("x"))
        let p = OldSpelling().initialParameters(key: key)
        let (oldLoss, oldGrads) = valueWithGradient(at: p) { q in sum(callThroughProtocol(OldSpelling(), x, q, Context(training: false))) }
        let (newLoss, newGrads) = valueWithGradient(at: p) { q in sum(Handles()(x, parameters: q)) }
        XCTAssertEqual(newLoss.scalars, oldLoss.scalars)
        XCTAssertEqual(newGrads.keys, oldGrads.keys)
        for k in keys { XCTAssertEqual(newGrads[k]!.scalars, oldGrads[k]!.scalars, k) }
    }

    func testWrapperExposesTheModuleAndTheHandle() {
        let model = Wrapped()
        XCTAssertEqual(model.classifier.layers.count, 3)           // the property is the Sequential
        XCTAssertEqual(model.$classifier.name, "classifier")       // $ is the handle
        XCTAssertEqual(Handles().classifier.layers.count, 3)       // a handle reads through to its module
        XCTAssertEqual(Handles(hidden: 7).classifier.module.children.map(\.name), ["0", "1", "2"])
    }

    func testNestedChildrenExtendThePath() throws {
        let outer = Outer(), p = outer.initialParameters(key: key)
        XCTAssertEqual(p.keys, keys.map { "net." + $0 })
        let x = uniform([2, 12], key: key)
        XCTAssertEqual(try outer.apply(x, parameters: p).scalars, Wrapped()(x, parameters: p.scoped("net")).scalars)
    }

    func testClassHierarchyListsSuperclassChildrenFirst() {
        let p = Derived().initialParameters(key: key)
        XCTAssertEqual(Derived().children.map(\.name), ["stem", "head"])
        XCTAssertEqual(p.keys, ["stem.weight", "stem.bias", "head.weight", "head.bias"])
    }

    func testOptionalChildCountsWhenPresent() {
        XCTAssertEqual(OptionalHead().children.map(\.name), ["trunk"])
        XCTAssertEqual(OptionalHead(head: Child("head", Linear(3, 1))).children.map(\.name), ["trunk", "head"])
        XCTAssertEqual(OptionalHead().children.map(\.name), ["trunk"], "a type with a child field is reflected every time")
    }

    /// Whether a type declares children is remembered per dynamic type: a subclass seen through
    /// its base class, and the base class itself, each keep their own answer.
    func testDynamicTypeDecidesTheChildren() {
        let asBase: Base = Derived()
        XCTAssertEqual(Base().children.map(\.name), ["stem"])
        XCTAssertEqual(asBase.children.map(\.name), ["stem", "head"])
        let bare: any Module = Linear(2, 2)
        XCTAssertTrue(bare.children.isEmpty)
        XCTAssertTrue(bare.children.isEmpty, "second look, from the per-type memory")
    }

    func testLeafModulesHaveNoChildren() {
        XCTAssertTrue(Linear(3, 2).children.isEmpty)
        XCTAssertEqual(Sequential<Tensor, Tensor>(Linear(3, 2), ReLU()).children.map(\.name), ["0", "1"])
    }

    /// A handle whose name the parent does not list is a typed error naming it, not a trap.
    func testWrongChildNameIsATypedError() {
        let model = ListsOtherNames(), x = uniform([2, 4], key: key)
        let p = Linear(4, 2).initialParameters(key: key).prefixed("body")
        XCTAssertThrowsError(try model.apply(x, parameters: p)) { error in
            XCTAssertEqual(error as? LayerError, .unknownChild(parent: "", name: "body", children: ["trunk"]))
            XCTAssertEqual("\(error)", "<root>: no child is named \"body\"; the module's children are [\"trunk\"]")
        }
    }

    /// A duplicate, empty or dotted child name is a typed error of a checking call, naming it.
    func testInvalidChildNamesAreTypedErrors() {
        let x = uniform([2, 4], key: key)
        var model = BadNames()
        let p = model.initialParameters(key: key)
        XCTAssertThrowsError(try model.apply(x, parameters: p)) { error in
            XCTAssertEqual(error as? LayerError, .invalidChildName(parent: "", name: "body", reason: "is given to two children"))
            XCTAssertEqual("\(error)", "<root>: child name \"body\" is given to two children")
        }
        model.second = Child("head.out", Linear(4, 2))
        XCTAssertThrowsError(try model.apply(x, parameters: model.initialParameters(key: key))) { error in
            XCTAssertEqual(error as? LayerError, .invalidChildName(parent: "", name: "head.out", reason: "contains \".\""))
        }
        model.second = Child("", Linear(4, 2))
        XCTAssertThrowsError(try model.apply(x, parameters: model.initialParameters(key: key))) { error in
            XCTAssertEqual(error as? LayerError, .invalidChildName(parent: "", name: "", reason: "is empty"))
        }
        model.second = Child("head", Linear(4, 2))
        XCTAssertEqual(try model.apply(x, parameters: model.initialParameters(key: key)).shape, [2, 2])
    }

    /// The deprecated spelling still runs, and a wrong name there is the same typed error.
    func testDeprecatedCallAsChildStillWorks() throws {
        var old = OldSpelling()
        let p = old.initialParameters(key: key), x = uniform([2, 12], key: key)
        XCTAssertEqual(try old.apply(x, parameters: p).scalars, Wrapped()(x, parameters: p).scalars)
        old.classifierName = "clasifier"
        XCTAssertThrowsError(try old.apply(x, parameters: p)) { error in
            XCTAssertEqual(error as? LayerError, .unknownChild(parent: "", name: "clasifier", children: ["features", "classifier"]))
        }
    }
}
