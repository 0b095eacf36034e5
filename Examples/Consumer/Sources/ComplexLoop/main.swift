import Foundation
import Wirtinger

// A custom complex training loop through `import Wirtinger` only: a complex network with a
// variational-dropout layer learns to undo a complex channel (equalisation of QPSK symbols),
// trained with a loss written here, then its parameter tree is saved to safetensors, read back
// and checked to give the same outputs.

/// Fails the program with a message (a non-zero exit status for CI).
func check(_ condition: Bool, _ message: String) {
    if !condition { FileHandle.standardError.write(Data("ComplexLoop: \(message)\n".utf8)); exit(1) }
}

// QPSK symbols s [N, 8] ((±1 ± i)/√2) sent through a fixed complex channel H [8, 8] with noise:
// r = s·Hᵀ + n. The network maps r back to s.
let n = 1_000, width = 8
func qpsk(_ count: Int, key: RandomKey) -> ComplexTensor {
    ComplexTensor(real: sign(normal([count, width], key: key.fold("re"))) / 2.0.squareRoot(),
                  imag: sign(normal([count, width], key: key.fold("im"))) / 2.0.squareRoot())
}
let identity = Tensor(shape: [width, width], scalars: (0..<width * width).map { $0 % (width + 1) == 0 ? Float(1) : 0 })
let channel = complexNormal([width, width], key: RandomKey(seed: 1)) / Double(width).squareRoot() + ComplexTensor(real: identity)
func received(_ s: ComplexTensor, key: RandomKey) -> ComplexTensor {
    linear(s, channel) + 0.05 * complexNormal(s.shape, key: key)
}
let sent = qpsk(n, key: RandomKey(seed: 2)), testSent = qpsk(500, key: RandomKey(seed: 3))
let inputs = received(sent, key: RandomKey(seed: 4)), testInputs = received(testSent, key: RandomKey(seed: 5))

let model = Sequential<ComplexTensor, ComplexTensor>(CplxLinearVD(width, 32), CplxModReLU(), CplxLinear(32, width))

/// The custom loss: the mean squared modulus of the error, mean |ŝ − s|², plus the network's KL
/// penalty per example (the variational-dropout objective for a complex Gaussian likelihood).
func loss(_ estimate: ComplexTensor, _ target: ComplexTensor, parameters p: ParameterTree) -> Tensor {
    let error = estimate - target
    return mean(square(error.real) + square(error.imag)) + 1.0 / Double(n) * totalPenalty(model, parameters: p)
}

/// The fraction of symbols decided wrongly (a part with the wrong sign).
func symbolErrorRate(_ p: ParameterTree, inputs: ComplexTensor, sent: ComplexTensor) -> Double {
    let estimate = model(inputs, parameters: p)
    var wrong = 0
    for (part, truth) in [(estimate.real.scalars, sent.real.scalars), (estimate.imag.scalars, sent.imag.scalars)] {
        for (a, b) in zip(part, truth) where (a < 0) != (b < 0) { wrong += 1 }
    }
    return Double(wrong) / Double(2 * sent.count)
}

var params = model.initialParameters(key: RandomKey(seed: 7))
let optimizer = Adam(learningRate: 1e-2)
var state = optimizer.initialState(for: params)
let before = symbolErrorRate(params, inputs: testInputs, sent: testSent)
for step in 0..<300 {
    let context = Context(training: true, key: RandomKey(seed: 11).fold(UInt64(step)))
    let (value, grads) = valueWithGradient(at: params) { p in
        loss(model(inputs, parameters: p, context: context), sent, parameters: p)
    }
    params = optimizer.update(params, gradients: grads, state: &state)
    if step % 100 == 99 { print("step \(step + 1): loss \(value.item)") }
}
let after = symbolErrorRate(params, inputs: testInputs, sent: testSent)
print("test symbol error rate: \(before) before training, \(after) after")
check(after < 0.02 && before > 0.1, "training did not learn (symbol error rate \(before) → \(after))")

// Save the tree (complex weights as `weight.real` / `weight.imag`, as cplxmodule's state_dict),
// read it back, load it strictly into a fresh tree and compare the outputs.
let url = FileManager.default.temporaryDirectory.appendingPathComponent("wirtinger-consumer-\(ProcessInfo.processInfo.processIdentifier).safetensors")
defer { try? FileManager.default.removeItem(at: url) }
try Safetensors.write(params, metadata: ["example": "ComplexLoop"], to: url)
let file = try Safetensors.read(contentsOf: url)
let (reloaded, report) = try model.initialParameters(key: RandomKey(seed: 99)).loading(file.tensors, strict: true)
print("reloaded \(url.lastPathComponent): \(report)")
check(reloaded.keys == params.keys, "keys differ after the round trip: \(reloaded.keys) vs \(params.keys)")
let z0 = model(testInputs, parameters: params), z1 = model(testInputs, parameters: reloaded)
check(z0.real.scalars == z1.real.scalars && z0.imag.scalars == z1.imag.scalars, "outputs differ after the round trip")
print("round trip through safetensors: identical outputs")
