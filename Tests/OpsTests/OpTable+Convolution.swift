import Ops
import TestSupport

extension OpTable {
    /// conv1d/2d/3d and transposed (stride, padding, dilation, groups, output padding,
    /// unbatched and empty batches), max and average pooling (padding, dilation, ceil mode,
    /// count_include_pad).
    static var convolution: [OpInfo] {
        func n(_ shape: [Int], _ seed: UInt64) -> Tensor { Sample.normal(shape, seed: seed) }
        return [
            OpInfo("conv1d", samples: [[n([2, 2, 7], 301), n([3, 2, 3], 302), n([3], 303)]]) {
                conv1d($0[0], $0[1], bias: $0[2])
            },
            OpInfo("conv1d stride pad dilation groups", samples: [[n([1, 4, 9], 304), n([4, 2, 3], 305), n([4], 306)]]) {
                conv1d($0[0], $0[1], bias: $0[2], stride: 2, padding: 1, dilation: 2, groups: 2)
            },
            OpInfo("conv1d depthwise", samples: [[n([1, 3, 6], 307), n([6, 1, 3], 308)]]) {
                conv1d($0[0], $0[1], padding: 1, groups: 3)
            },
            OpInfo("conv1d unbatched", samples: [[n([2, 6], 309), n([2, 2, 2], 310)]]) { conv1d($0[0], $0[1], stride: [3]) },
            OpInfo("conv1d empty batch", samples: [[Tensor.zeros([0, 2, 5], dtype: .float64), n([3, 2, 3], 311), n([3], 312)]]) {
                conv1d($0[0], $0[1], bias: $0[2])
            },
            OpInfo("conv2d", samples: [[n([1, 2, 5, 4], 313), n([3, 2, 3, 2], 314), n([3], 315)]]) {
                conv2d($0[0], $0[1], bias: $0[2], stride: [2, 1], padding: [1, 0])
            },
            OpInfo("conv2d dilation groups", samples: [[n([1, 4, 5, 5], 316), n([2, 2, 2, 2], 317)]]) {
                conv2d($0[0], $0[1], padding: 1, dilation: [2, 1], groups: 2)
            },
            OpInfo("conv2d pointwise", samples: [[n([2, 4, 2, 3], 318), n([2, 2, 1, 1], 319), n([2], 320)]]) {
                conv2d($0[0], $0[1], bias: $0[2], groups: 2)
            },
            OpInfo("conv2d 1x1 strided", samples: [[n([1, 2, 4, 3], 321), n([2, 2, 1, 1], 322)]]) {
                conv2d($0[0], $0[1], stride: 2)
            },
            OpInfo("conv3d", samples: [[n([1, 2, 3, 4, 3], 323), n([2, 2, 2, 2, 2], 324), n([2], 325)]]) {
                conv3d($0[0], $0[1], bias: $0[2], padding: [1, 0, 1])
            },
            OpInfo("conv3d stride dilation groups", samples: [[n([1, 2, 4, 4, 3], 326), n([2, 1, 2, 2, 1], 327)]]) {
                conv3d($0[0], $0[1], stride: [2, 1, 2], dilation: [1, 2, 1], groups: 2)
            },
            OpInfo(name: "convolutionMoments 2d stride pad dilation groups",
                   samples: [[n([2, 4, 6, 5], 360), n([4, 2, 3, 2], 361), n([4, 2, 3, 2], 362), n([4], 363)]]) {
                let r = convolutionMoments($0[0], weight: $0[1], bias: $0[3], weightVariance: $0[2], stride: [2, 1],
                                           padding: [1, 0], dilation: [1, 2], groups: 2)
                return [r.mean, r.variance]
            },
            OpInfo(name: "convolutionMoments 1d pointwise",
                   samples: [[n([2, 3, 4], 364), n([2, 3, 1], 365), n([2, 3, 1], 366)]]) {
                let r = convolutionMoments($0[0], weight: $0[1], weightVariance: $0[2])
                return [r.mean, r.variance]
            },
            OpInfo(name: "convolutionMoments 3d unbatched",
                   samples: [[n([2, 3, 3, 4], 367), n([2, 2, 2, 2, 2], 368), n([2, 2, 2, 2, 2], 369), n([2], 370)]]) {
                let r = convolutionMoments($0[0], weight: $0[1], bias: $0[3], weightVariance: $0[2], padding: [0, 1, 1])
                return [r.mean, r.variance]
            },
            OpInfo("convTranspose1d", samples: [[n([2, 2, 4], 328), n([2, 3, 3], 329), n([3], 330)]]) {
                convTranspose1d($0[0], $0[1], bias: $0[2], stride: 2, padding: 1, outputPadding: 1)
            },
            OpInfo("convTranspose1d groups dilation", samples: [[n([1, 4, 3], 331), n([4, 2, 3], 332), n([4], 333)]]) {
                convTranspose1d($0[0], $0[1], bias: $0[2], stride: 3, padding: 2, outputPadding: 2, dilation: 2, groups: 2)
            },
            OpInfo("convTranspose1d outputPadding < dilation", samples: [[n([1, 2, 4], 334), n([2, 2, 3], 335)]]) {
                convTranspose1d($0[0], $0[1], padding: 1, outputPadding: 1, dilation: 2)
            },
            OpInfo("convTranspose1d unbatched", samples: [[n([2, 3], 336), n([2, 1, 2], 337)]]) { convTranspose1d($0[0], $0[1], stride: 2) },
            OpInfo("convTranspose2d", samples: [[n([1, 2, 3, 3], 338), n([2, 2, 3, 2], 339), n([2], 340)]]) {
                convTranspose2d($0[0], $0[1], bias: $0[2], stride: [2, 1], padding: 1, outputPadding: [1, 0])
            },
            OpInfo("convTranspose2d groups", samples: [[n([1, 4, 2, 3], 341), n([4, 1, 2, 2], 342)]]) {
                convTranspose2d($0[0], $0[1], stride: 2, dilation: 2, groups: 2)
            },
            OpInfo("convTranspose3d", samples: [[n([1, 2, 2, 2, 2], 343), n([2, 2, 2, 2, 2], 344), n([4], 345)]]) {
                convTranspose3d($0[0], $0[1], bias: $0[2], stride: 2, padding: [1, 0, 0], outputPadding: [1, 0, 1], groups: 2)
            },
            OpInfo("maxPool1d", samples: [[n([2, 2, 7], 346)]]) { maxPool1d($0[0], kernelSize: 2) },
            OpInfo("maxPool1d padding dilation ceil", samples: [[n([1, 2, 8], 347)]]) {
                maxPool1d($0[0], kernelSize: 3, stride: 2, padding: 1, dilation: 2, ceilMode: true)
            },
            OpInfo("maxPool2d", samples: [[n([1, 2, 5, 6], 348)], [n([2, 5, 5], 349)]]) {
                maxPool2d($0[0], kernelSize: [3, 2], stride: [2, 1], padding: [1, 0])
            },
            OpInfo("maxPool2d ceil", samples: [[n([1, 2, 5, 5], 350)]]) { maxPool2d($0[0], kernelSize: 2, ceilMode: true) },
            OpInfo("maxPool3d", samples: [[n([1, 2, 3, 4, 5], 351)]]) { maxPool3d($0[0], kernelSize: [2, 2, 3], stride: [1, 2, 2], padding: [1, 0, 1]) },
            OpInfo("avgPool1d", samples: [[n([2, 2, 7], 352)]]) { avgPool1d($0[0], kernelSize: 3, stride: 2, padding: 1) },
            OpInfo("avgPool1d exclude pad ceil", samples: [[n([1, 2, 8], 353)]]) {
                avgPool1d($0[0], kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false)
            },
            OpInfo("avgPool2d", samples: [[n([1, 2, 5, 6], 354)], [n([2, 4, 4], 355)]]) {
                avgPool2d($0[0], kernelSize: [3, 2], stride: [2, 1], padding: [1, 0])
            },
            OpInfo("avgPool2d ceil include pad", samples: [[n([1, 1, 5, 5], 356)]]) {
                avgPool2d($0[0], kernelSize: 3, stride: 2, padding: 1, ceilMode: true)
            },
            OpInfo("avgPool3d", samples: [[n([1, 2, 3, 4, 4], 357)]]) { avgPool3d($0[0], kernelSize: 2, stride: [1, 2, 2], padding: [1, 0, 1]) },
            // the rank-generic entry points (the rank from the weight or the kernel size)
            OpInfo("convolution 3d zeros", samples: [[n([1, 2, 3, 4, 3], 371), n([2, 1, 2, 2, 2], 372), n([2], 373)]]) {
                Ops.convolution($0[0], $0[1], bias: $0[2], stride: [1, 2, 1], padding: 1, groups: 2)
            },
            OpInfo("convolutionTranspose 2d", samples: [[n([1, 2, 3, 3], 374), n([2, 2, 3, 2], 375), n([2], 376)]]) {
                convolutionTranspose($0[0], $0[1], bias: $0[2], stride: 2, padding: [1, 0], outputPadding: [1, 0])
            },
            OpInfo("maxPool 1d", samples: [[n([2, 2, 7], 377)]]) { maxPool($0[0], kernelSize: [3], stride: [2], padding: 1) },
            OpInfo("avgPool 2d", samples: [[n([1, 2, 5, 6], 378)]]) {
                avgPool($0[0], kernelSize: [3, 2], stride: [2, 1], padding: [1, 0], countIncludePad: false)
            },
        ]
    }
}
