import XCTest
import Foundation
import Autodiff
import NN
import TestSupport

/// Step-by-step comparison with torch.optim trajectories in `Tests/Fixtures/optim.safetensors`.
final class OptimizerTests: XCTestCase {
    private func optimizer(for meta: [String: Any]) throws -> any Optimizer {
        let name = try XCTUnwrap(meta["optimizer"] as? String)
        let h = try XCTUnwrap(meta["hyperparameters"] as? [String: Any])
        func d(_ k: String) throws -> Double { try XCTUnwrap((h[k] as? NSNumber)?.doubleValue, k) }
        XCTAssertEqual(h["maximize"] as? Bool, false)
        switch name {
        case "torch.optim.SGD":
            return SGD(learningRate: try d("lr"), momentum: try d("momentum"), dampening: try d("dampening"),
                       nesterov: try XCTUnwrap(h["nesterov"] as? Bool), weightDecay: try d("weight_decay"))
        case "torch.optim.Adam", "torch.optim.AdamW":
            XCTAssertEqual(h["amsgrad"] as? Bool, false)
            let betas = try XCTUnwrap(h["betas"] as? [NSNumber]).map(\.doubleValue)
            if name == "torch.optim.AdamW" {
                XCTAssertEqual(h["decoupled_weight_decay"] as? Bool, true)
                return AdamW(learningRate: try d("lr"), beta1: betas[0], beta2: betas[1], eps: try d("eps"),
                             weightDecay: try d("weight_decay"))
            }
            XCTAssertEqual(h["decoupled_weight_decay"] as? Bool, false)
            return Adam(learningRate: try d("lr"), beta1: betas[0], beta2: betas[1], eps: try d("eps"),
                        weightDecay: try d("weight_decay"))
        default:
            throw FixtureError.badMetadata(file: "optim.safetensors", case: name)
        }
    }

    private func runTrajectory(_ id: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let fx = try Fixture.load("optim")
        let meta = try Fixture.metadata(fx, case: id)
        let opt = try optimizer(for: meta)
        let steps = try XCTUnwrap(meta["steps"] as? Int)
        var params = Fixture.entries(fx, case: id, role: "params/step0")
        XCTAssertEqual(params.keys.sorted(), ["layer.bias", "layer.weight"])
        var state = opt.initialState(for: params)
        for i in 1...steps {
            let grads = Fixture.entries(fx, case: id, role: "grads/step\(i)")
            params = opt.update(params, gradients: grads, state: &state)
            let expected = Fixture.entries(fx, case: id, role: "params/step\(i)")
            XCTAssertEqual(params.keys.sorted(), expected.keys.sorted())
            for (k, e) in expected {
                assertClose(params[k]!, e, rtol: 1e-13, atol: 1e-15, "\(id) step \(i) \(k)", file: file, line: line)
            }
        }
        XCTAssertEqual(state.step, steps)
        XCTAssertEqual(state.buffers["layer.weight.step"]?.item, Double(steps))
    }

    func testSGDPlain() throws { try runTrajectory("sgd.plain") }
    func testSGDWeightDecay() throws { try runTrajectory("sgd.wd") }
    func testSGDMomentum() throws { try runTrajectory("sgd.momentum") }
    func testSGDMomentumWeightDecay() throws { try runTrajectory("sgd.momentum_wd") }
    func testSGDNesterov() throws { try runTrajectory("sgd.nesterov") }
    func testSGDNesterovWeightDecay() throws { try runTrajectory("sgd.nesterov_wd") }
    func testAdamDefault() throws { try runTrajectory("adam.default") }
    func testAdamLR01() throws { try runTrajectory("adam.lr0.1") }
    func testAdamL2WeightDecay() throws { try runTrajectory("adam.lr0.1_wd0.01") }
    func testAdamWDefault() throws { try runTrajectory("adamw.default") }
    func testAdamWDecay001() throws { try runTrajectory("adamw.lr0.1_wd0.01") }
    func testAdamWDecay01() throws { try runTrajectory("adamw.lr0.1_wd0.1") }

    func testEveryOptimizerCaseIsCovered() throws {
        let fx = try Fixture.load("optim")
        let covered: Set<String> = ["sgd.plain", "sgd.wd", "sgd.momentum", "sgd.momentum_wd", "sgd.nesterov", "sgd.nesterov_wd",
                                    "adam.default", "adam.lr0.1", "adam.lr0.1_wd0.01",
                                    "adamw.default", "adamw.lr0.1_wd0.01", "adamw.lr0.1_wd0.1",
                                    "clip.exceeds", "clip.within", "clip.inf_norm"]
        XCTAssertEqual(Set(Fixture.cases(fx)), covered)
    }

    // MARK: - clip_grad_norm_

    private func runClip(_ id: String) throws {
        let fx = try Fixture.load("optim")
        let meta = try Fixture.metadata(fx, case: id)
        let maxNorm = try XCTUnwrap((meta["max_norm"] as? NSNumber)?.doubleValue)
        let normType: Double = (meta["norm_type"] as? String) == "inf" ? .infinity : try XCTUnwrap((meta["norm_type"] as? NSNumber)?.doubleValue)
        let before = Fixture.entries(fx, case: id, role: "clip/before")
        let after = Fixture.entries(fx, case: id, role: "clip/after")
        let (clipped, total) = clipGradNorm(before, maxNorm: maxNorm, normType: normType)
        let expectedTotal = try Fixture.tensor(fx, id + "/total_norm").item
        XCTAssertEqual(total, expectedTotal, accuracy: 1e-13 * max(1, abs(expectedTotal)), id)
        XCTAssertEqual(clipped.keys, before.keys)
        for (k, e) in after { assertClose(clipped[k]!, e, rtol: 1e-13, atol: 1e-15, "\(id) \(k)") }
    }

    func testClipGradNormExceeds() throws { try runClip("clip.exceeds") }
    func testClipGradNormWithin() throws { try runClip("clip.within") }
    func testClipGradNormInfinity() throws { try runClip("clip.inf_norm") }

    // MARK: - Behaviour beyond the fixture

    func testBuffersAreNotTrainedAndMissingGradientsLeaveParametersAlone() {
        let params: ParameterTree = [
            "fc.weight": Tensor([1.0, 2.0]),
            "fc.mask": Tensor([1.0, 0.0]),
            "bn.running_mean": Tensor([0.5]),
            "bn.num_batches_tracked": Tensor(scalar: 3, dtype: .float64),
            "fc.bias": Tensor([3.0]),
        ]
        let grads: ParameterTree = [
            "fc.weight": Tensor([10.0, 20.0]),
            "fc.mask": Tensor([5.0, 5.0]),  // gradient of a buffer: ignored
        ]
        for opt in [SGD(learningRate: 0.1, momentum: 0.9) as any Optimizer, Adam(learningRate: 0.1), AdamW(learningRate: 0.1)] {
            var state = opt.initialState(for: params)
            XCTAssertFalse(state.buffers.keys.contains { $0.hasPrefix("fc.mask") || $0.hasPrefix("bn.") })
            let out = opt.update(params, gradients: grads, state: &state)
            XCTAssertEqual(out.keys, params.keys)
            XCTAssertEqual(out["fc.mask"]!.scalars, [1, 0])
            XCTAssertEqual(out["bn.running_mean"]!.scalars, [0.5])
            XCTAssertEqual(out["bn.num_batches_tracked"]!.scalars, [3])
            XCTAssertEqual(out["fc.bias"]!.scalars, [3], "no gradient → unchanged")
            XCTAssertNotEqual(out["fc.weight"]!.scalars, [1, 2])
            XCTAssertNil(state.buffers["fc.bias.step"])
            XCTAssertEqual(state.buffers["fc.weight.step"]?.item, 1)
        }
    }

    /// The default filter reads the text after the last dot (the whole key when there is none).
    func testTrainableByDefaultReadsTheLastComponent() {
        for key in ["mask", "fc.mask", "a.b.running_mean", "bn.running_var", "bn.num_batches_tracked", "num_batches_tracked"] {
            XCTAssertFalse(Optimizers.isTrainableByDefault(key), key)
        }
        for key in ["weight", "fc.weight", "", ".", "fc.", "mask.weight", "fc.masks", "fc.mas", "fc.Mask", "running_mean.bias",
                    "fc.mask.", "0.log_sigma2", "é.mask2", "naïve.weight"] {
            XCTAssertTrue(Optimizers.isTrainableByDefault(key), key)
        }
        XCTAssertFalse(Optimizers.isTrainableByDefault("é.mask"))
        XCTAssertFalse(Optimizers.isTrainableByDefault("..mask"))
    }

    /// Checkpointing: the state is a tree, so it survives a safetensors round trip mid-training
    /// and the resumed trajectory is the uninterrupted one, bit for bit.
    func testStateSurvivesSafetensorsCheckpoint() throws {
        let fx = try Fixture.load("optim")
        for (id, opt) in [("adamw.lr0.1_wd0.1", AdamW(learningRate: 0.1, weightDecay: 0.1) as any Optimizer),
                          ("sgd.nesterov_wd", SGD(learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01))] {
            var p = Fixture.entries(fx, case: id, role: "params/step0")
            var s = opt.initialState(for: p)
            for i in 1...2 { p = opt.update(p, gradients: Fixture.entries(fx, case: id, role: "grads/step\(i)"), state: &s) }
            let bytes = try Safetensors.encode(p.prefixed("params").merging(s.buffers.prefixed("optimizer")),
                                               metadata: ["step": String(s.step)])
            let file = try Safetensors.decode(bytes, source: "checkpoint")
            var p2 = file.tensors.scoped("params")
            var s2 = OptimizerState(step: Int(file.metadata["step"]!)!, buffers: file.tensors.scoped("optimizer"))
            for i in 3...5 {
                let g = Fixture.entries(fx, case: id, role: "grads/step\(i)")
                p = opt.update(p, gradients: g, state: &s)
                p2 = opt.update(p2, gradients: g, state: &s2)
            }
            XCTAssertEqual(s2.step, 5)
            for (k, t) in p { XCTAssertTrue(p2[k]!.isIdentical(to: t), "\(id) \(k)") }
            for (k, e) in Fixture.entries(fx, case: id, role: "params/step5") {
                assertClose(p2[k]!, e, rtol: 1e-13, atol: 1e-15, "\(id) \(k)")
            }
        }
    }

    func testSGDFirstStepMomentumBufferIsTheGradientEvenWithDampening() {
        let opt = SGD(learningRate: 1, momentum: 0.9, dampening: 0.5)
        var state = opt.initialState(for: ["w": Tensor([0.0])])
        XCTAssertTrue(state.buffers.isEmpty)
        var p: ParameterTree = ["w": Tensor([0.0])]
        p = opt.update(p, gradients: ["w": Tensor([2.0])], state: &state)
        XCTAssertEqual(state.buffers["w.momentum_buffer"]!.scalars, [2])  // not 0.5 · 2
        XCTAssertEqual(p["w"]!.scalars, [-2])
        p = opt.update(p, gradients: ["w": Tensor([2.0])], state: &state)
        XCTAssertEqual(state.buffers["w.momentum_buffer"]!.scalars, [0.9 * 2 + 0.5 * 2])
        XCTAssertEqual(p["w"]!.scalars, [-2 - 2.8])
    }

    func testFloat32ParametersStayFloat32AndTrackFloat64Reference() throws {
        let fx = try Fixture.load("optim")
        let id = "adam.lr0.1_wd0.01"
        var p64 = Fixture.entries(fx, case: id, role: "params/step0")
        var p32 = p64.converted(to: .float32)
        let opt = Adam(learningRate: 0.1, weightDecay: 0.01)
        var s64 = opt.initialState(for: p64), s32 = opt.initialState(for: p32)
        for i in 1...5 {
            let g = Fixture.entries(fx, case: id, role: "grads/step\(i)")
            p64 = opt.update(p64, gradients: g, state: &s64)
            p32 = opt.update(p32, gradients: g.converted(to: .float32), state: &s32)
        }
        for (k, t) in p32 {
            XCTAssertEqual(t.dtype, .float32)
            XCTAssertEqual(s32.buffers[k + ".exp_avg"]?.dtype, .float32)
            assertClose(t, p64[k]!.converted(to: .float32), rtol: 1e-5, atol: 1e-6, k)
        }
    }

    func testClipGradNormOfZeroGradientsAndEmptyTree() {
        let (g, n) = clipGradNorm(["w": Tensor([0.0, 0.0])], maxNorm: 1)
        XCTAssertEqual(n, 0)
        XCTAssertEqual(g["w"]!.scalars, [0, 0])
        let (e, m) = clipGradNorm(ParameterTree(), maxNorm: 1)
        XCTAssertTrue(e.isEmpty)
        XCTAssertEqual(m, 0)
        // a 3-4-5 triangle: norm 5, scaled to 1/(5 + 1e-6)
        let (c, t) = clipGradNorm(["a": Tensor([3.0]), "b": Tensor([4.0])], maxNorm: 1)
        XCTAssertEqual(t, 5)
        XCTAssertEqual(c["a"]!.item, 3 / (5 + 1e-6), accuracy: 1e-15)
        // p = 1 over float32 gradients; non-trainable entries neither count nor change
        let (d, one) = clipGradNorm(["a": Tensor([Float(3), -4]), "b.mask": Tensor([Float(100)])], maxNorm: 3.5, normType: 1)
        XCTAssertEqual(one, 7)
        XCTAssertEqual(d["a"]!.dtype, .float32)
        XCTAssertEqual(d["a"]!.scalars(as: Float.self), [3, -4].map { $0 * Float(3.5 / (7 + 1e-6)) })
        XCTAssertEqual(d["b.mask"]!.scalars, [100])
    }
}
