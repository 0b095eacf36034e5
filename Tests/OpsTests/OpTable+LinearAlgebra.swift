import Ops
import TestSupport

extension OpTable {
    static var linearAlgebra: [OpInfo] { [] }
}
