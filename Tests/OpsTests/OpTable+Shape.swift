import Ops

extension OpTable {
    static var shape: [OpInfo] { [] }
}
