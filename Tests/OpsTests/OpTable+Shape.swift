import Ops
import TestSupport

extension OpTable {
    static var shape: [OpInfo] { [] }
}
