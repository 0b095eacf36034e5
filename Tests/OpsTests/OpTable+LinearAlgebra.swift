import Ops

extension OpTable {
    static var linearAlgebra: [OpInfo] { [] }
}
