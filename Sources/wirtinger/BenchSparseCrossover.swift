import Foundation
import Recipes

/// Where CSR stops paying off: `SparseLinear` (784 → 400) and `SparseComplexLinear` (784 → 400
/// complex) with a random mask keeping 10–60% of the weights, at batch 1 and 128 (real ones also at
/// batch 3, the largest small batch), forced into CSR
/// storage (`csr`: `maxDensity: 1`, no dense copy for small batches) or dense storage (`dense`:
/// `maxDensity: -∞`, the packed GEMM path for real weights); real weights also as CSR with the
/// default dense copy for batches below `SparseLinear.smallBatch` (`hybrid`). The densities where
/// `csr` becomes slower than `dense` give the cut-offs `SparseLinear.defaultMaxDensity`,
/// `SparseLinear.defaultSmallBatchMaxDensity` and `wirtinger export --max-density` (Docs/Inference.md).
func sparseCrossoverWorkloads() -> [BenchWorkload] {
    var out: [BenchWorkload] = []
    for complex in [false, true] {
        for density in [10, 20, 30, 40, 50, 60] {
            for batch in complex ? [1, 128] : [1, 3, 128] {
                for form in complex ? ["dense", "csr"] : ["dense", "csr", "hybrid"] {
                    let kind = complex ? "cplxlinear784x400" : "linear784x400"
                    out.append(BenchWorkload(name: "sparse.crossover.\(kind).d\(density).b\(batch).\(form)", group: "sparse",
                                             note: "\(kind) inference keeping \(density)% of the weights, batch \(batch), \(form) storage", make: {
                        var rng = SplitMix64(seed: 80 + UInt64(density))
                        let mask = Tensor(shape: [400, 784], scalars: (0..<(400 * 784)).map { _ -> Float in
                            Double(rng.next() >> 11) / Double(1 << 53) < Double(density) / 100 ? 1 : 0
                        })
                        let maxDensity = form == "dense" ? -Double.infinity : 1.0
                        if complex {
                            let w = ComplexTensor(real: benchTensor([400, 784], seed: 31, -0.05, 0.05), imag: benchTensor([400, 784], seed: 32, -0.05, 0.05))
                            let b = ComplexTensor(real: benchTensor([400], seed: 33), imag: benchTensor([400], seed: 34))
                            let layer = SparseComplexLinear(weight: w, bias: b, mask: mask, maxDensity: maxDensity)
                            let z = ComplexTensor(real: benchTensor([batch, 784], seed: 35), imag: benchTensor([batch, 784], seed: 36))
                            return { benchKeep(layer(z)) }
                        }
                        let layer = SparseLinear(weight: benchTensor([400, 784], seed: 37, -0.05, 0.05), bias: benchTensor([400], seed: 38),
                                                 mask: mask, maxDensity: maxDensity,
                                                 smallBatchMaxDensity: form == "hybrid" ? SparseLinear.defaultSmallBatchMaxDensity : 1)
                        let x = benchTensor([batch, 784], seed: 39)
                        return { benchKeep(layer(x)) }
                    }))
                }
            }
        }
    }
    return out
}
