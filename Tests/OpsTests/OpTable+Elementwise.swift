import Ops
import TestSupport

extension OpTable {
    static var elementwise: [OpInfo] { [] }
}
