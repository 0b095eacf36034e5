import Wirtinger

// The seed's model; `linear` picks the layer (dense, Bayesian or masked) under the same names.
struct MNISTFullyConnected: SequentialLayer {
    let features = Child("features", Sequential<Tensor, Tensor>(Flatten(-3, -1)))
    let classifier: Child<Sequential<Tensor, Tensor>>
    init(hidden: Int = 400, linear: (Int, Int) -> any SequentialLayer = { Linear($0, $1) }) {
        classifier = Child("classifier", Sequential(linear(28 * 28, hidden), ReLU(), linear(hidden, 10)))
    }
    func callAsFunction(_ x: Tensor, parameters p: ParameterTree, context: Context) -> Tensor {
        classifier(features(x, parameters: p, context: context), parameters: p, context: context)
    }
}

// Built-in data shaped like MNIST: [N, 1, 28, 28] images of ten stroke "glyphs".
let trainSet = SyntheticData.glyphs(count: 2_000, sampleSeed: 1), testSet = SyntheticData.glyphs(count: 500, sampleSeed: 2)

// 1. Train the dense model with the built-in loop.
var options = TrainingOptions()
options.epochs = 2
let dense = MNISTFullyConnected(), bayes = MNISTFullyConnected(linear: { LinearARD($0, $1) })
let denseParams = try train(dense, parameters: dense.initialParameters(key: RandomKey(seed: 0)), data: trainSet, options: options).parameters
print("dense:", evaluate(dense, parameters: denseParams, data: testSet))

// 2. Transfer its weights into the Bayesian model and train with the penalty in the loss.
let transfer = try bayes.initialParameters(key: RandomKey(seed: 1)).loading(denseParams, strict: false)
print(transfer.report)                                         // missing keys: [classifier.0.log_sigma2, …]
var params = transfer.tree
let adam = Adam(learningRate: 1e-3)
var state = adam.initialState(for: params)
for epoch in 0..<2 {
    for (step, batch) in Batches(count: trainSet.count, batchSize: 100, seed: 0, epoch: epoch).enumerated() {
        let (x, y) = trainSet.batch(batch)
        let noise = RandomKey(seed: 2).fold(UInt64(epoch)).fold(UInt64(step))
        let (_, grads) = valueWithGradient(at: params) { p in
            crossEntropy(bayes(x, parameters: p, context: Context(training: true, key: noise)), targets: y)
                + 1e-2 / Double(trainSet.count) * totalPenalty(bayes, parameters: p)
        }
        params = adam.update(params, gradients: grads, state: &state)
    }
}

// 3. Relevance masks (log α ≤ −0.5), binarized into a masked model.
let masks = computeARDMasks(bayes, parameters: params, threshold: -0.5)
let (stateDict, binary) = binarizeMasks(params, masks: masks)
let masked = MNISTFullyConnected(linear: { LinearMasked($0, $1) })
let (maskedParams, _) = try masked.initialParameters(key: RandomKey(seed: 3)).loading(stateDict.merging(binary), strict: false)
print("masked:", evaluate(masked, parameters: maskedParams, data: testSet))
for layer in maskedLayerSparsity(masked, parameters: maskedParams) { print(layer.path, "keeps", layer.kept, "of", layer.total) }
