import Foundation
import Kernels
import XCTest

/// Every kernel family the dispatcher reports has tests that run it at every tier the host has (the
/// portable one always) and hold each tier to its documented cross-tier bound, and tests that hold it
/// bit-identical across thread counts within a tier. The table names them (Docs/Reliability.md,
/// "Kernel tiers", gives each family's bound); a family added to dispatch.c without an entry here
/// fails this test, so a new kernel cannot ship with only its highest tier tested.
final class TierCoverageTests: XCTestCase {
    /// Family → (the tests comparing its tiers, the tests checking thread counts within each tier).
    static let coverage: [String: (tiers: [String], threads: [String])] = [
        "gemm": (["GEMMTests.testSGEMMMatchesOracleOnGrid", "GEMMTests.testDGEMMMatchesOracleOnGrid",
                  "PrepackedGEMMTests.testFloatEqualsGEMMBitForBit",
                  "GaussProductTests.testFloatEqualsThreeGEMMsOnTheSummedOperandsAtEveryTierAndThreadCount",
                  "GaussProductTests.testDoubleEqualsThreeGEMMsOnTheSummedOperandsAtEveryTierAndThreadCount"],
                 ["GEMMTests.testSameBitsAtAnyThreadCountWithinEachTier", "PrepackedGEMMTests.testRowSplitKeepsTheBitsAtAnyThreadCount",
                  "GaussProductTests.testFloatEqualsThreeGEMMsOnTheSummedOperandsAtEveryTierAndThreadCount"]),
        "gemm_skinny": (["SkinnyGEMMTests.testFloatMatchesPortableGEMMAtEveryTier", "SkinnyGEMMTests.testDoubleMatchesPortableGEMMAtEveryTier"],
                        ["SkinnyGEMMTests.testResultsDoNotDependOnThreadCount"]),
        "vmath": (["VectorMathTests.testEdgeValues", "VectorMathTests.testRandomValues", "VectorMathTests.testVectorTiersGiveSameBits"],
                  ["ThreadCountInvarianceTests.testElementwiseKernels"]),
        "ei": (["SpecialFunctionTests.testPortableAndFastPathsAgreeAndAliasingWorks", "SpecialFunctionTests.testExpiDoubleMatchesExactValues"],
               ["ThreadCountInvarianceTests.testElementwiseKernels"]),
        "kl_f32": (["FusedKernelTests.testFloatRealPriorKernelIsIdenticalOnBothPaths", "FusedKernelTests.testFloatRealPriorSumIsIdenticalOnBothPaths",
                    "FusedKernelTests.testFloatComplexPriorKernelIsIdenticalOnBothPaths"],
                   ["ThreadCountInvarianceTests.testBlockedKLSums"]),
        "kl_f64": (["FusedKernelTests.testFastAndPortablePriorKernelsAgree"], ["ThreadCountInvarianceTests.testBlockedKLSums"]),
        "reparam": (["FusedKernelTests.testFastAndPortableReparameterizationAreIdentical"], ["ThreadCountInvarianceTests.testElementwiseKernels"]),
        "random": (["RandomKernelTests.testNormalIsBitIdenticalToTheReference", "RandomKernelTests.testPhiloxBlocksMatchTheSwiftBijectionOnBothPaths"],
                   ["ThreadCountInvarianceTests.testElementwiseKernels"]),
        "im2col": (["ThreadCountInvarianceTests.testIm2colAndCol2imStrideOneSameBitsOnEveryTier",
                    "ThreadCountInvarianceTests.testIm2colAndCol2imHalfVectorRowsSameBitsOnEveryTier",
                    "ThreadCountInvarianceTests.testSquareAndMulTwiceSameBitsOnEveryTier"],
                   ["ThreadCountInvarianceTests.testIm2colAndCol2im"]),
        "pool": (["PoolAndParallelTests.testMaxPoolFloat", "PoolAndParallelTests.testMaxPoolDouble"],
                 ["PoolAndParallelTests.testMaxPoolFloat", "PoolAndParallelTests.testMaxPoolDouble"]),
        "optim": (["FusedKernelTests.testFastAndPortableOptimizerKernelsAreIdentical",
                   "AdamFiniteCheckTests.testFloatCheckFindsEveryNonFiniteGradientAndParameterWithTheSameValues",
                   "AdamFiniteCheckTests.testDoubleCheckFindsEveryNonFiniteGradientAndParameterWithTheSameValues"],
                  ["ThreadCountInvarianceTests.testElementwiseKernels",
                   "AdamFiniteCheckTests.testFloatCheckFindsEveryNonFiniteGradientAndParameterWithTheSameValues"]),
        "sparse": (["SparseDeploymentTests.testSparseEqualsDenseMaskedPathAcrossBatchSizesAndKernels",
                    "SparseDeploymentTests.testAVX512TilePathEqualsAVX2BitForBit",
                    "SparseRowWindowTests.testSmallBatchesMatchTheReferenceAtEveryTierAndThreadCount"],
                   ["SparseDeploymentTests.testTwoThreadsGiveIdenticalResults",
                    "SparseRowWindowTests.testBenchSizedWeightSplitsOverThreadsWithTheSameBits"]),
        "sparse_spmm": (["SparseComplexAndConvolutionTests.testComplexCSRLinearMatchesFloat64ReferenceAtEveryTierAndBatch",
                         "SparseComplexAndConvolutionTests.testSparseConvolutionMatchesFloat64ReferenceAtEveryTier",
                         "SparseComplexAndConvolutionTests.testSparseComplexConvolutionMatchesFloat64ReferenceAtEveryTier"],
                        ["SparseComplexAndConvolutionTests.testComplexLinearLayerKeepsLeadingAxesAndIsThreadCountInvariant",
                         "SparseComplexAndConvolutionTests.testSparseConvolutionIsThreadCountInvariant"]),
        "complex": (["ComplexModulusKernelTests.testModulusWithinOneUlpOfHypotOnBothPaths", "ComplexModulusKernelTests.testPullbackMatchesTheFormula",
                     "ComplexModulusTierTests.testAVX512GivesTheBitsOfAVX2"],
                    ["SignalOpsTests.testSignalOpsSameBitsAtAnyThreadCount"]),  // |z| split over threads by the op
        "scan": (["FiniteScanTests.testDouble", "FiniteScanTests.testFloat"], ["FiniteScanTests.testLongArraysOnTheThreads"]),
        "signal": (["SignalOpsTests.testModReLURowsEqualTheFormulaOnEveryTierAndThreadCount"],
                   ["SignalOpsTests.testModReLURowsEqualTheFormulaOnEveryTierAndThreadCount"]),
        "cplx_passes": (["ComplexPassesTests.testFloatPassesEqualTheirFormulasOnEveryTierAndThreadCount",
                         "ComplexPassesTests.testDoublePassesEqualTheirFormulasOnEveryTierAndThreadCount"],
                        ["ComplexPassesTests.testFloatPassesEqualTheirFormulasOnEveryTierAndThreadCount",
                         "ComplexPassesTests.testDoublePassesEqualTheirFormulasOnEveryTierAndThreadCount"]),
    ]

    private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The families of the dispatcher are exactly the table's, each has at least one cross-tier test,
    /// every test named exists (a file under Tests/ declares the class and the method), and
    /// Docs/Reliability.md has a row for each family.
    func testEveryKernelFamilyHasTestsAtEveryTier() throws {
        let families = (0..<wt_kernel_family_count()).map { String(cString: wt_kernel_family_name($0)) }
        XCTAssertEqual(Set(families), Set(Self.coverage.keys), "a kernel family without cross-tier tests, or a stale entry")

        var sources: [String] = []
        let tests = root.appendingPathComponent("Tests")
        for case let file as URL in FileManager.default.enumerator(at: tests, includingPropertiesForKeys: nil)! where file.pathExtension == "swift" {
            sources.append(try String(contentsOf: file, encoding: .utf8))
        }
        XCTAssertFalse(sources.isEmpty, "no Swift files under \(tests.path)")
        let doc = try String(contentsOf: root.appendingPathComponent("Docs/Reliability.md"), encoding: .utf8)
        for (family, named) in Self.coverage {
            XCTAssertFalse(named.tiers.isEmpty, "\(family): no test compares its tiers")
            for test in named.tiers + named.threads {
                let parts = test.split(separator: ".").map(String.init)
                XCTAssertEqual(parts.count, 2, test)
                guard parts.count == 2 else { continue }
                XCTAssertTrue(sources.contains { $0.contains("class \(parts[0]): XCTestCase") && $0.contains("func \(parts[1])(") },
                              "\(family): no test \(test) under Tests/")
            }
            XCTAssertTrue(doc.contains("| `\(family)` |"), "\(family): no row in Docs/Reliability.md's kernel-tier table")
        }
    }
}
