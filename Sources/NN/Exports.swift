// NN re-exports Ops (and through it Autodiff): `import NN` is enough to build and train models.
@_exported import Ops
