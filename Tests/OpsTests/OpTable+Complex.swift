import Ops

extension OpTable {
    static var complex: [OpInfo] { [] }
}
