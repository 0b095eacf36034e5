import Ops

extension OpTable {
    static var elementwise: [OpInfo] { [] }
}
