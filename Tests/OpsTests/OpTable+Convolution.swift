import Ops

extension OpTable {
    static var convolution: [OpInfo] { [] }
}
