import XCTest
import Foundation
import Relevance
import TestSupport

/// The Bayesian and masked convolutions with PyTorch's circular padding: their forwards, moments
/// and variances are those of the circularly padded input convolved without padding.
final class CircularPaddingLayerTests: XCTestCase {
    func testVariationalConvolutionMomentsWithCircularPadding() {
        let layer = Conv2dVD(2, 3, [3, 2], padding: [1, 2], paddingMode: .circular)
        XCTAssertEqual(layer.base.options.paddingMode, .circular)
        let x = Sample.normal([2, 2, 4, 5], seed: 31)
        let w = Sample.normal([3, 2, 3, 2], seed: 32), b = Sample.normal([3], seed: 33)
        let v = Sample.uniform([3, 2, 3, 2], 0.1, 1, seed: 34)
        let padded = circularPad(x, [1, 2])
        let (mean, variance) = layer.base.meanAndVariance(x, weight: w, bias: b, weightVariance: v)
        assertClose(mean, conv2d(padded, w, bias: b), rtol: 1e-12, atol: 1e-12, "mean")
        assertClose(variance, conv2d(padded * padded, v), rtol: 1e-12, atol: 1e-12, "variance")
        assertClose(layer.base.outputVariance(x, weightVariance: v), variance, rtol: 1e-12, atol: 1e-12, "outputVariance")
        // evaluation mode is the mean
        let p: ParameterTree = ["weight": w, "bias": b, "log_sigma2": log(v)]
        assertClose(layer(x, parameters: p), mean, rtol: 1e-12, atol: 1e-12, "Conv2dVD eval")
    }

    func testComplexMaskedAndVariationalConvolutionsWithCircularPadding() {
        let z = Sample.complex([2, 2, 6], seed: 41), w = Sample.complex([2, 2, 3], seed: 42), b = Sample.complex([2], seed: 43)
        let mask = Tensor(shape: [2, 2, 3], scalars: [1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1] as [Double])
        let masked = CplxConv1dMasked(2, 2, 3, padding: 2, paddingMode: .circular)
        let p: ParameterTree = ["mask": mask, "weight.real": w.real, "weight.imag": w.imag, "bias.real": b.real, "bias.imag": b.imag]
        let expected = conv1d(circularPad(z, [2]), ComplexTensor(real: w.real * mask, imag: w.imag * mask), bias: b)
        assertClose(masked(z, parameters: p), expected, rtol: 1e-12, atol: 1e-12, "CplxConv1dMasked")
        let vd = CplxConv1dVD(2, 2, 3, padding: 2, paddingMode: .circular)
        let v = Sample.uniform([2, 2, 3], 0.1, 1, seed: 44)
        let m2 = z.real * z.real + z.imag * z.imag
        assertClose(vd.base.outputVariance(z, weightVariance: v), conv1d(circularPad(m2, [2]), v), rtol: 1e-12, atol: 1e-12,
                    "CplxConv1dVD variance")
    }

    /// A checking call refuses an input smaller than the circular padding (PyTorch raises too).
    func testCircularPaddingLargerThanTheInputIsACatchableError() {
        let layer = Conv1d(1, 1, 3, padding: 4, paddingMode: .circular)
        let p = layer.initialParameters(key: RandomKey(seed: 1), dtype: .float64)
        XCTAssertThrowsError(try layer.apply(Sample.normal([2, 1, 3], seed: 2), parameters: p)) { error in
            XCTAssertEqual("\(error)", "<root> (Convolution<Spatial1D>): input of shape [2, 1, 3] does not fit: "
                           + "circular padding [4] wraps around more than once on the spatial size [3]")
        }
        XCTAssertNoThrow(try layer.apply(Sample.normal([2, 1, 4], seed: 2), parameters: p))
    }
}
