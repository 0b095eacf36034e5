import XCTest
import Wirtinger

/// Every ready model runs through a checking call exactly as through the plain call, and a wrong
/// input is caught at the first layer that cannot take it.
final class CheckedModelTests: XCTestCase {
    func testReadyModelsGiveTheSameOutputsCheckedAndUnchecked() throws {
        let shapes: [(Architecture, [Int])] = [(.mlp, [1, 28, 28]), (.lenet5, [1, 28, 28]), (.cplxMLP, [64]), (.cplxConv, [1, 64])]
        for (arch, shape) in shapes {
            for flavor in LayerFlavor.allCases where !(flavor == .l0 && arch.isComplex) {
                let model = try makeClassifier(arch, flavor: flavor, sampleShape: shape, classes: 6, hidden: 16)
                let p = model.initialParameters(key: RandomKey(seed: 1))
                let x = uniform([2] + shape, key: RandomKey(seed: 2))
                XCTAssertEqual(try model.apply(x, parameters: p).scalars, model(x, parameters: p).scalars, "\(arch) \(flavor)")
                let context = Context(training: true, key: RandomKey(seed: 3))
                XCTAssertEqual(try model.apply(x, parameters: p, context: context).scalars,
                               model(x, parameters: p, context: context).scalars, "\(arch) \(flavor), training")
            }
        }
    }

    /// The classifiers list their children without reflection; the list is the one reflection finds.
    func testClassifierChildrenAreTheDeclaredOnes() throws {
        let shapes: [(Architecture, [Int])] = [(.mlp, [1, 28, 28]), (.lenet5, [1, 28, 28]), (.cplxMLP, [64]), (.cplxConv, [1, 64])]
        for (arch, shape) in shapes {
            let model = try makeClassifier(arch, flavor: .vd, sampleShape: shape, classes: 6, hidden: 16)
            XCTAssertEqual(model.children.map(\.name), ["features", "classifier"], "\(arch)")
            XCTAssertEqual(model.children.map(\.name), model.declaredChildren.map(\.name), "\(arch)")
            XCTAssertEqual(model.children.map { "\(type(of: $0.module))" }, model.declaredChildren.map { "\(type(of: $0.module))" }, "\(arch)")
            XCTAssertEqual(model.children.map { $0.module.namedModules().count }, model.declaredChildren.map { $0.module.namedModules().count })
        }
    }

    func testWrongInputIsNamedAtTheFirstLayerThatCannotTakeIt() throws {
        let lenet = try makeClassifier(.lenet5, flavor: .vd, sampleShape: [1, 28, 28], classes: 10)
        XCTAssertThrowsError(try lenet.apply(uniform([2, 3, 28, 28], key: RandomKey(seed: 4)), parameters: lenet.initialParameters(key: RandomKey(seed: 5)))) { error in
            XCTAssertEqual("\(error)", "features.0 (Convolution<Spatial2D>): input of shape [2, 3, 28, 28] does not fit: axis 1 (channels) must be 1 (in_channels)")
        }
        // 32×32 images pass the convolutions but give 1250 features where the classifier takes 800
        XCTAssertThrowsError(try lenet.apply(uniform([2, 1, 32, 32], key: RandomKey(seed: 4)), parameters: lenet.initialParameters(key: RandomKey(seed: 5)))) { error in
            XCTAssertEqual("\(error)", "classifier.0 (Linear): input of shape [2, 1250] does not fit: the last axis must be 800 (in_features)")
        }
        let cplx = try makeClassifier(.cplxConv, flavor: .ard, sampleShape: [2, 64], classes: 6)
        XCTAssertThrowsError(try cplx.apply(uniform([2, 1, 64], key: RandomKey(seed: 6)), parameters: cplx.initialParameters(key: RandomKey(seed: 7)))) { error in
            XCTAssertEqual("\(error)", "features.0.phase.0 (ComplexConvolution<Spatial1D>): input of shape [2, 1, 32] does not fit: axis 1 (channels) must be 2 (in_channels)")
        }
    }
}
