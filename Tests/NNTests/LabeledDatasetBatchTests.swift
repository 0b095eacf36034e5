import XCTest
import Autodiff
import Kernels
import NN

/// `LabeledDataset.batch` copies rows on the kernel threads: every row of the batch is the source
/// row, bit for bit, in the order of the indices (repeats included), at 1, 2 and 3 threads, for
/// rows shorter and longer than a thread's share.
final class LabeledDatasetBatchTests: XCTestCase {
    override func tearDown() {
        _ = wt_set_num_threads(2)
        super.tearDown()
    }

    func testRowsInOrderAtAnyThreadCount() {
        for (rowShape, dtype) in [([1, 28, 28], DType.float32), ([3], .float32), ([20_000], .float32), ([1, 2, 100], .float64)] {
            let row = rowShape.reduce(1, *), n = 300
            let values = (0..<(n * row)).map { Double(($0 * 7_919) % 10_007) / 97 - 40 }
            let data = LabeledDataset(name: "t", inputs: Tensor(shape: [n] + rowShape, scalars: values, dtype: dtype),
                                      labels: (0..<n).map { $0 % 10 }, classNames: (0..<10).map(String.init))
            let indices = (0..<200).map { ($0 * 37 + 11) % n } + [5, 5, 0, n - 1]
            for threads: Int32 in [1, 2, 3] {
                _ = wt_set_num_threads(threads)
                let (x, y) = data.batch(indices)
                XCTAssertEqual(x.shape, [indices.count] + rowShape)
                XCTAssertEqual(y, indices.map { $0 % 10 })
                let got = x.scalars
                var same = true
                for (k, i) in indices.enumerated() where Array(got[(k * row)..<((k + 1) * row)]) != Array(values[(i * row)..<((i + 1) * row)].map { dtype == .float32 ? Double(Float($0)) : $0 }) {
                    same = false
                }
                XCTAssertTrue(same, "rows \(rowShape), \(dtype), threads \(threads)")
            }
        }
        XCTAssertEqual(LabeledDataset(name: "e", inputs: Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]), labels: [0, 1],
                                      classNames: ["a", "b"]).batch([]).inputs.shape, [0, 3])
    }
}
