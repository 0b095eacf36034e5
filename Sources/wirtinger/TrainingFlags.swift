import Foundation
import Kernels
import NN
import Recipes

// The options `sparsify` and `train` share for schedules and threads.

/// `--lr-schedule constant | linear`: linear decays to 0 over each stage.
let scheduleOption = OptionSpec(name: "lr-schedule", valueName: "NAME",
                                help: "constant | linear (decay to 0 over each stage, as Molchanov et al. 2017)", defaultValue: "constant")
/// `--kl-warmup E`: the penalty weight ramps from 0 over the first E epochs of a stage.
let warmupOption = OptionSpec(name: "kl-warmup", valueName: "E",
                              help: "epochs over which the KL weight ramps up from 0 (fractions allowed)", defaultValue: "0")
/// `--threads N`: threads of the GEMM and sparse kernels.
let threadsOption = OptionSpec(name: "threads", valueName: "N", help: "threads of the compute kernels, 1–64 (default: $WIRTINGER_NUM_THREADS, else the CPUs available)", defaultValue: nil)

/// Sets `options.learningRateSchedule` and `options.klWarmupEpochs` from `--lr-schedule` and
/// `--kl-warmup`, or throws a ``UsageError`` naming the bad value.
func applySchedules(_ args: CommandSpec.Parsed, to options: inout TrainingOptions) throws {
    switch args.string("lr-schedule") ?? "constant" {
    case "constant": options.learningRateSchedule = .constant
    case "linear": options.learningRateSchedule = .linear(final: 0)
    case let other: throw UsageError(message: "--lr-schedule: '\(other)' is not one of constant, linear")
    }
    let warmup = try args.double("kl-warmup") ?? 0
    guard warmup >= 0 else { throw UsageError(message: "--kl-warmup: expected a non-negative number of epochs, got '\(warmup)'") }
    options.klWarmupEpochs = warmup
}

/// Sets the kernels' thread count from `--threads`.
func applyThreads(_ args: CommandSpec.Parsed) throws {
    if let n = try args.int("threads", in: 1...64) { KernelThreads.count = n }
}

/// "kernels: avx512 tier, 2 threads": what `sparsify` and `train` run on (after `--threads`).
func kernelsLine() -> String {
    let n = KernelThreads.count
    return "kernels: \(KernelTier.active) tier, \(n) thread\(n == 1 ? "" : "s")"
}

/// The model parameters in a safetensors file (``TrainingCheckpoint/modelParameters(contentsOf:)``):
/// all its tensors, except the `optimizer.` entries of a `wirtinger train` checkpoint, so that
/// `--dense` and `--bayes` take a checkpoint as well as a `dense.safetensors` / `bayes.safetensors`;
/// for a deployable file (`wirtinger export`), the dense weights it stores (CSR weights expanded,
/// dropped weights zero).
func readModelParameters(_ path: String) throws -> ParameterTree {
    let url = URL(fileURLWithPath: path)
    if DeployedModel.isDeployable(try Safetensors.readHeader(contentsOf: url).metadata) {
        // a deployable file: its CSR weights expanded, the weights it dropped zero
        return try DeployedModel.load(contentsOf: url).denseParameters
    }
    return try TrainingCheckpoint.modelParameters(contentsOf: url)
}
