import XCTest
import Foundation
import Relevance
import TestSupport

/// The traversals tell a Bayesian layer which module path they are evaluating, so that the
/// layer's parameter errors name it (``TraversalPath``).
final class TraversalPathTests: XCTestCase {
    /// The paths the probes saw, in call order.
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var entries: [String] = []
        func add(_ path: String) { lock.lock(); entries.append(path); lock.unlock() }
        var paths: [String] { lock.lock(); defer { lock.unlock() }; return entries }
    }

    /// A Bayesian layer that records the path of the context it would read its parameters with.
    struct Probe: BayesianLayer {
        let log: Log
        func penalty(parameters: ParameterTree) -> Tensor {
            log.add(TraversalPath.context.path)
            return Tensor(scalar: 1, dtype: .float64)
        }
        func relevance(parameters: ParameterTree, options: RelevanceOptions) -> Tensor {
            log.add(TraversalPath.context.path)
            return Tensor(scalar: 1, dtype: .float64)
        }
        var variationalKeys: [String] { [] }
        var weightKeys: [String] { [] }
    }

    struct Model: Module {
        let log: Log
        var children: [(name: String, module: any Module)] {
            [("features", Probe(log: log)), ("classifier", Inner(log: log))]
        }
    }

    struct Inner: Module {
        let log: Log
        var children: [(name: String, module: any Module)] { [("0", Probe(log: log))] }
    }

    func testPenaltiesAndRelevanceSeeTheLayerPath() {
        let log = Log()
        let model = Model(log: log)
        _ = namedPenalties(model, parameters: ParameterTree(), reduction: .none)
        _ = totalPenalty(model, parameters: ParameterTree())
        _ = namedRelevance(model, parameters: ParameterTree(), threshold: 3)
        XCTAssertEqual(log.paths, ["features", "classifier.0", "features", "classifier.0", "features", "classifier.0"])
        // outside a traversal the context is the root's
        XCTAssertEqual(TraversalPath.context.path, "")
    }
}
