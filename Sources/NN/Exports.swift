@_exported import Ops
