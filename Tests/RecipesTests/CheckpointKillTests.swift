import XCTest
import Foundation
import Autodiff
import NN

/// Crash safety of `wirtinger train` checkpoints: the process is killed with SIGKILL after seeded
/// random steps; whatever is on disk afterwards must be a complete, valid checkpoint (or nothing, if
/// the first epoch had not finished), and `--resume` from it must end with exactly the bytes an
/// uninterrupted run with the same seed produces.
final class CheckpointKillTests: CommandLineTestCase {

    /// A tiny run: 200 glyphs, batch 20 (10 steps per epoch), hidden width 16, 4 epochs.
    let epochs = 4, stepsPerEpoch = 10
    var trainArguments: [String] {
        ["train", "--model", "mlp", "--flavor", "vd", "--train-size", "200", "--test-size", "40", "--hidden", "16",
         "--batch-size", "20", "--epochs", String(epochs), "--lr", "0.01", "--seed", "7"]
    }

    /// Starts `wirtinger` with output discarded and `environment` added to this process's.
    func launch(_ args: [String], environment: [String: String] = [:]) throws -> Process {
        let p = Process()
        p.executableURL = CLI.executable
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Runs to completion and returns the exit status.
    func runToEnd(_ args: [String]) throws -> Int32 {
        let p = try launch(args)
        p.waitUntilExit()
        return p.terminationStatus
    }

    /// Whether two files hold the same tensors bit for bit (same keys, shapes, dtypes, bytes) and the same metadata.
    func assertSameCheckpoint(_ a: SafetensorsFile, _ b: SafetensorsFile, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.tensors.keys, b.tensors.keys, what, file: file, line: line)
        XCTAssertEqual(a.metadata, b.metadata, what, file: file, line: line)
        for (k, t) in a.tensors {
            guard let u = b.tensors[k] else { continue }
            let same = t.shape == u.shape && t.dtype == u.dtype
                && t.withUnsafeRawBytes { x in u.withUnsafeRawBytes { y in x.elementsEqual(y) } }
            XCTAssertTrue(same, "\(what): \(k) differs", file: file, line: line)
        }
    }

    func testKilledTrainingLeavesLoadableCheckpointAndResumesBitIdentically() throws {
        // the reference: one uninterrupted run
        let reference = tmp.appendingPathComponent("reference.safetensors")
        XCTAssertEqual(try runToEnd(trainArguments + ["--checkpoint", reference.path]), 0)
        let expected = try Safetensors.read(contentsOf: reference)
        XCTAssertEqual(expected.metadata["completed_epochs"], String(epochs))
        XCTAssertEqual(expected.metadata["optimizer_step"], String(epochs * stepsPerEpoch))
        XCTAssertTrue(expected.tensors.keys.contains("classifier.0.log_sigma2"))
        XCTAssertTrue(expected.tensors.keys.contains { $0.hasPrefix("optimizer.") })

        // SIGKILL at seeded random steps spread over the run, raised by the process itself after
        // that step (WIRTINGER_INTERRUPT_AFTER_STEPS with WIRTINGER_INTERRUPT_SIGNAL=KILL), so where
        // each kill lands does not depend on timing; some trials are killed twice
        var rng = SplitMix64(seed: 2024)
        var outcomes: [String] = []
        let trials = 5
        for trial in 0..<trials {
            let ckpt = tmp.appendingPathComponent("trial\(trial).safetensors")
            let killsWanted = trial % 3 == 2 ? 2 : 1
            for _ in 0..<killsWanted {
                let done = FileManager.default.fileExists(atPath: ckpt.path)
                    ? Int(try Safetensors.read(contentsOf: ckpt).metadata["completed_epochs"] ?? "") ?? 0 : 0
                let remaining = (epochs - done) * stepsPerEpoch
                guard remaining > 1 else { break }
                let step = 1 + Int(rng.next() % UInt64(remaining - 1))   // a step before the run's last
                let p = try launch(trainArguments + ["--checkpoint", ckpt.path] + (done > 0 ? ["--resume"] : []),
                                   environment: ["WIRTINGER_INTERRUPT_AFTER_STEPS": String(step), "WIRTINGER_INTERRUPT_SIGNAL": "KILL"])
                p.waitUntilExit()
                XCTAssertEqual(p.terminationReason, .uncaughtSignal, "trial \(trial): killed after step \(step)")
                XCTAssertEqual(p.terminationStatus, SIGKILL, "trial \(trial)")
                // what is on disk now must be absent or the complete checkpoint of the epochs
                // finished (an epoch's checkpoint is written after its last step's hook has run)
                let finished = done + (step - 1) / stepsPerEpoch
                if FileManager.default.fileExists(atPath: ckpt.path) {
                    let f: SafetensorsFile
                    do { f = try Safetensors.read(contentsOf: ckpt) } catch {
                        XCTFail("trial \(trial): checkpoint unreadable after SIGKILL: \(error)"); return
                    }
                    let e = Int(f.metadata["completed_epochs"] ?? "") ?? -1
                    XCTAssertEqual(e, finished, "trial \(trial): killed after step \(step) of a run resumed at epoch \(done)")
                    XCTAssertEqual(f.metadata["optimizer_step"], String(e * stepsPerEpoch), "trial \(trial)")
                    XCTAssertEqual(f.tensors.keys, expected.tensors.keys, "trial \(trial): incomplete set of tensors")
                    outcomes.append("trial \(trial): killed after step \(step), checkpoint after epoch \(e)")
                } else {
                    XCTAssertEqual(finished, 0, "trial \(trial): no checkpoint although \(finished) epochs finished")
                    outcomes.append("trial \(trial): killed after step \(step), before the first checkpoint")
                }
            }
            // finish: resume when there is a checkpoint, else start over
            let canResume = FileManager.default.fileExists(atPath: ckpt.path)
            XCTAssertEqual(try runToEnd(trainArguments + ["--checkpoint", ckpt.path] + (canResume ? ["--resume"] : [])), 0, "trial \(trial)")
            assertSameCheckpoint(try Safetensors.read(contentsOf: ckpt), expected, "trial \(trial)")
        }
        print("CheckpointKillTests:\n  " + outcomes.joined(separator: "\n  "))
    }

    /// Resuming from every epoch's checkpoint (not only where kills happened to land) ends
    /// bit-identically to the uninterrupted run.
    func testResumeFromEveryEpochIsBitIdentical() throws {
        let reference = tmp.appendingPathComponent("reference.safetensors")
        XCTAssertEqual(try runToEnd(trainArguments + ["--checkpoint", reference.path]), 0)
        let expected = try Safetensors.read(contentsOf: reference)
        let ckpt = tmp.appendingPathComponent("partial.safetensors")
        for e in 1..<epochs {
            // a run stopped after e epochs, then resumed to the end
            var short = trainArguments
            short[short.firstIndex(of: "--epochs")! + 1] = String(e)
            try? FileManager.default.removeItem(at: ckpt)
            XCTAssertEqual(try runToEnd(short + ["--checkpoint", ckpt.path]), 0)
            XCTAssertEqual(try Safetensors.read(contentsOf: ckpt).metadata["completed_epochs"], String(e))
            XCTAssertEqual(try runToEnd(trainArguments + ["--checkpoint", ckpt.path, "--resume"]), 0)
            assertSameCheckpoint(try Safetensors.read(contentsOf: ckpt), expected, "resumed after epoch \(e)")
        }
    }

    /// Ctrl-C (SIGINT) at chosen steps: the process exits with 130 after writing a checkpoint of
    /// the last step it took (mid-epoch ones carry `completed_steps`), and `--resume` from it ends
    /// bit-identically to the uninterrupted run. The signal is raised by the process itself after
    /// step N (`WIRTINGER_INTERRUPT_AFTER_STEPS`, the real SIGINT handler runs), so where it lands
    /// does not depend on timing: this test used to sleep a fraction of the reference run and
    /// could miss every epoch on a loaded machine.
    func testCtrlCMidEpochCheckpointsAndResumesBitIdentically() throws {
        let reference = tmp.appendingPathComponent("reference.safetensors")
        XCTAssertEqual(try runToEnd(trainArguments + ["--checkpoint", reference.path]), 0)
        let expected = try Safetensors.read(contentsOf: reference)
        // (global step N → epochs finished, steps into the next epoch), 10 steps per epoch; SIGTERM
        // (what `kill` and batch schedulers send) stops the same way, with status 128 + 15
        for (n, epochs, steps, term) in [(3, 0, 3, false), (10, 1, 0, true), (17, 1, 7, false), (34, 3, 4, true)] {
            let ckpt = tmp.appendingPathComponent("int\(n).safetensors")
            let p = try launch(trainArguments + ["--checkpoint", ckpt.path],
                               environment: ["WIRTINGER_INTERRUPT_AFTER_STEPS": String(n)].merging(term ? ["WIRTINGER_INTERRUPT_SIGNAL": "TERM"] : [:]) { $1 })
            p.waitUntilExit()
            XCTAssertEqual(p.terminationReason, .exit, "a clean stop after step \(n)")
            XCTAssertEqual(p.terminationStatus, term ? 143 : 130, (term ? "SIGTERM" : "Ctrl-C") + " after step \(n)")
            let file = try Safetensors.read(contentsOf: ckpt)
            XCTAssertEqual(file.metadata["completed_epochs"], String(epochs), "after step \(n)")
            XCTAssertEqual(file.metadata["completed_steps"], String(steps), "after step \(n)")
            XCTAssertEqual(file.metadata["optimizer_step"], String(n), "after step \(n)")
            XCTAssertEqual(try runToEnd(trainArguments + ["--checkpoint", ckpt.path, "--resume"]), 0)
            assertSameCheckpoint(try Safetensors.read(contentsOf: ckpt), expected, "resumed after Ctrl-C at step \(n)")
        }
    }

    /// SIGKILL at a chosen step (raised by the process itself) mid-epoch 3: the checkpoint on disk
    /// is the complete one of epoch 2, and resuming from it is bit-identical. This is the
    /// deterministic counterpart of the random kills above, which may all land before the first
    /// checkpoint on a loaded machine.
    func testKillAtAChosenStepLeavesThePreviousEpochsCheckpoint() throws {
        let reference = tmp.appendingPathComponent("reference.safetensors")
        XCTAssertEqual(try runToEnd(trainArguments + ["--checkpoint", reference.path]), 0)
        let expected = try Safetensors.read(contentsOf: reference)
        let ckpt = tmp.appendingPathComponent("killed.safetensors")
        let p = try launch(trainArguments + ["--checkpoint", ckpt.path],
                           environment: ["WIRTINGER_INTERRUPT_AFTER_STEPS": "25", "WIRTINGER_INTERRUPT_SIGNAL": "KILL"])
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal)
        XCTAssertEqual(p.terminationStatus, SIGKILL)
        let file = try Safetensors.read(contentsOf: ckpt)
        XCTAssertEqual(file.metadata["completed_epochs"], "2")
        XCTAssertEqual(file.metadata["optimizer_step"], "20")
        XCTAssertEqual(file.tensors.keys, expected.tensors.keys)
        XCTAssertEqual(try runToEnd(trainArguments + ["--checkpoint", ckpt.path, "--resume"]), 0)
        assertSameCheckpoint(try Safetensors.read(contentsOf: ckpt), expected, "resumed after SIGKILL at step 25")
    }
}
