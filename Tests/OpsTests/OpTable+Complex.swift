import Ops
import TestSupport

extension OpTable {
    static var complex: [OpInfo] { [] }
}
