import Ops

extension OpTable {
    static var losses: [OpInfo] { [] }
}
