// Ops re-exports Autodiff: `import Ops` gives Tensor, the tape and every primitive.
@_exported import Autodiff
