import Foundation
import Recipes

// The `signal.` rows of `wirtinger bench`: the complex signal network that `sparsify --complex`
// trains (the zoo's `cplx-conv` on built-in radio signals, whatever its current layers are) and
// the complex 1-d convolutions it spends its time in. Names are shared with
// Benchmarks/pytorch_reference.py where it has a counterpart.

/// One training step (as `train.*`: forward, loss and penalties, backward, Adam, finiteness check)
/// of the default complex signal network, dense and VD, and its evaluation-mode forward at the
/// batch `predict` uses; plus forward + backward of the complex conv1d shapes of that network.
func signalWorkloads() -> [BenchWorkload] {
    var out: [BenchWorkload] = []
    for flavor in [LayerFlavor.dense, .vd] {
        out.append(BenchWorkload(name: "signal.step.\(flavor.rawValue).b128", group: "signal",
                                 note: "cplx-conv \(flavor.rawValue) on 128 radio signals [1, 2·128], one step, Adam, float32", make: {
            let data = benchRadioBatch(128)
            let model = try makeClassifier(.cplxConv, flavor: flavor, sampleShape: [1, 256], classes: data.classNames.count)
            return trainingStep(model, data: data)
        }))
    }
    out.append(BenchWorkload(name: "signal.predict.dense.b500", group: "signal",
                             note: "cplx-conv dense, evaluation-mode forward of 500 radio signals (predict's batch)", make: {
        let data = benchRadioBatch(500)
        let model = try makeClassifier(.cplxConv, flavor: .dense, sampleShape: [1, 256], classes: data.classNames.count)
        let params = model.initialParameters(key: RandomKey(seed: 0))
        return { benchKeep(model(data.inputs, parameters: params, context: Context(training: false))) }
    }))
    // The complex convolutions of the signal network at batch 128: the 9-tap filter bank, the two
    // grouped stride-2 convolutions of the phase branch, the ring branch's 17-tap filter.
    struct Conv { let label: String; let x: [Int]; let w: [Int]; let stride: Int; let padding: Int; let groups: Int; let inputGrad: Bool }
    let convs = [
        Conv(label: "128x1x128_k8x1x9", x: [128, 1, 128], w: [8, 1, 9], stride: 1, padding: 4, groups: 1, inputGrad: false),
        Conv(label: "128x40x128_k80x8x5_s2_g5", x: [128, 40, 128], w: [80, 8, 5], stride: 2, padding: 2, groups: 5, inputGrad: true),
        Conv(label: "128x80x64_k80x16x5_s2_g5", x: [128, 80, 64], w: [80, 16, 5], stride: 2, padding: 2, groups: 5, inputGrad: true),
        Conv(label: "128x1x128_k1x1x17", x: [128, 1, 128], w: [1, 1, 17], stride: 1, padding: 8, groups: 1, inputGrad: false),
    ]
    for c in convs {
        let length = (c.x[2] + 2 * c.padding - c.w[2]) / c.stride + 1
        // real flops of the four real products per complex multiply-add
        let flops = 8.0 * Double(c.x[0] * c.w[0] * length * c.w[1] * c.w[2])
        out.append(BenchWorkload(name: "signal.cconv1d.\(c.label).fwdbwd", group: "signal", work: 3 * flops, unit: "GFLOP/s",
                                 note: "complex conv1d, no bias, forward + backward of sum(re + im) (dW\(c.inputGrad ? ", dx" : ""))", make: {
            let xr = benchTensor(c.x, seed: 11), xi = benchTensor(c.x, seed: 12)
            let wr = benchTensor(c.w, seed: 13, -0.2, 0.2), wi = benchTensor(c.w, seed: 14, -0.2, 0.2)
            func loss(_ z: ComplexTensor, _ w: ComplexTensor) -> Tensor {
                let y = conv1d(z, w, stride: c.stride, padding: c.padding, groups: c.groups)
                return sum(y.real) + sum(y.imag)
            }
            if c.inputGrad {
                return { benchKeep(valueWithGradient(at: [xr, xi, wr, wi]) { t in
                    loss(ComplexTensor(real: t[0], imag: t[1]), ComplexTensor(real: t[2], imag: t[3])) }) }
            }
            let z = ComplexTensor(real: xr, imag: xi)
            return { benchKeep(valueWithGradient(at: [wr, wi]) { t in loss(z, ComplexTensor(real: t[0], imag: t[1])) }) }
        }))
    }
    return out
}

/// `count` examples of the built-in radio signals (seed 1), as `sparsify --complex` reads them.
func benchRadioBatch(_ count: Int) -> LabeledDataset {
    RadioSignals().dataset(count: count, seed: 1, name: "bench")
}
