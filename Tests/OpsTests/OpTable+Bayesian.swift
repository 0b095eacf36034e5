import Ops
import TestSupport

extension OpTable {
    /// The primitives of the Bayesian layers (Ops/KLDivergence.swift, Reparameterization.swift,
    /// CircularPadding.swift) and the circular padding mode of the rank-generic convolutions.
    /// `klDivergence(.vdBogus, …)` is left out on purpose: its value (−log α) and its gradient
    /// (that of the complex VD) disagree by design.
    static var bayesian: [OpInfo] {
        // Weights kept away from 0, where |w| has a kink; log σ² around log|w|² so log α spans ±3.
        func weight(_ shape: [Int], _ seed: UInt64) -> Tensor {
            let u = Sample.uniform(shape, 0.2, 1.5, seed: seed)
            let s = Sample.uniform(shape, -1, 1, seed: seed + 1)
            return u * ((s .>= 0.0).converted(to: .float64) * 2 - 1)
        }
        func logSigma2(_ shape: [Int], _ seed: UInt64) -> Tensor { Sample.uniform(shape, -3, 2, seed: seed) }
        let w = weight([3, 4], 501), ls = logSigma2([3, 4], 503)
        let zw = ComplexTensor(real: weight([2, 5], 504), imag: weight([2, 5], 506)), zls = logSigma2([2, 5], 508)
        let mean = Sample.normal([4, 3], seed: 509), eps = Sample.normal([4, 3], seed: 510)
        // variances above the 1e-8 floor (the clamp is not differentiable at the bound)
        let variance = Sample.uniform([4, 3], 0.05, 2, seed: 511)
        let zmean = Sample.complex([4, 3], seed: 512), zeps = Sample.complex([4, 3], seed: 513)
        var ops: [OpInfo] = []
        for kind in RealKLDivergence.allCases {
            ops.append(OpInfo("klDivergence real \(kind)", samples: [[ls, w]]) {
                klDivergence(kind, logSigma2: $0[0], weight: $0[1])!
            })
            ops.append(OpInfo("klDivergenceSum real \(kind)", samples: [[ls, w]]) {
                klDivergenceSum(kind, logSigma2: $0[0], weight: $0[1], scale: 0.7)!
            })
        }
        for kind in ComplexKLDivergence.allCases where kind != .vdBogus {
            ops.append(mixedToReal("klDivergence complex \(kind)", kinds: "rc", samples: [[zls, zw]]) {
                klDivergence(kind, logSigma2: $0[0].x, weight: $0[1].z)!
            })
            ops.append(mixedToReal("klDivergenceSum complex \(kind)", kinds: "rc", samples: [[zls, zw]]) {
                klDivergenceSum(kind, logSigma2: $0[0].x, weight: $0[1].z, scale: 1.3)!
            })
        }
        let x1 = Sample.normal([2, 2, 6], seed: 520), w1 = Sample.normal([3, 2, 3], seed: 521), b3 = Sample.normal([3], seed: 522)
        let x2 = Sample.normal([1, 2, 4, 5], seed: 523), w2 = Sample.normal([2, 1, 3, 2], seed: 524)
        let v2 = Sample.uniform([2, 1, 3, 2], 0.1, 1, seed: 525)
        let z2 = Sample.complex([2, 2, 4, 3], seed: 526), zk2 = Sample.complex([2, 2, 3, 3], seed: 527)
        ops += [
            OpInfo("complexVDDivergence", samples: [[Sample.uniform([7], -4, 6, seed: 514)]]) { complexVDDivergence($0[0]) },
            OpInfo("fusedReparameterization", samples: [[mean, variance]]) {
                fusedReparameterization(mean: $0[0], variance: $0[1], eps: eps)
            },
            mixed("fusedReparameterization complex", kinds: "cr", samples: [[zmean, variance]]) {
                fusedReparameterization(mean: $0[0].z, variance: $0[1].x, eps: zeps)
            },
            OpInfo("circularPad 2 axes", samples: [[Sample.normal([2, 3, 4], seed: 515)]]) { circularPad($0[0], [2, 1]) },
            .complex("circularPad complex, padding = size", samples: [[Sample.complex([1, 2, 3], seed: 516)]]) {
                circularPad($0[0], [3])
            },
            OpInfo("convolution 1d circular", samples: [[x1, w1, b3]]) {
                Ops.convolution($0[0], $0[1], bias: $0[2], stride: 2, padding: 2, paddingMode: .circular)
            },
            OpInfo("convolution 2d circular groups dilation", samples: [[x2, w2]]) {
                Ops.convolution($0[0], $0[1], padding: [1, 2], dilation: [2, 1], groups: 2, paddingMode: .circular)
            },
            OpInfo(name: "convolutionMoments 2d circular", samples: [[x2, w2, v2]]) {
                let r = convolutionMoments($0[0], weight: $0[1], weightVariance: $0[2], padding: [2, 1], groups: 2,
                                           paddingMode: .circular)
                return [r.mean, r.variance]
            },
            .complex("complex convolution 2d circular", samples: [[z2, zk2, Sample.complex([2], seed: 528)]]) {
                Ops.convolution($0[0], $0[1], bias: $0[2], stride: [1, 2], padding: 1, paddingMode: .circular)
            },
        ]
        return ops
    }
}
