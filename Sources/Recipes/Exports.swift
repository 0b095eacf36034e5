// Recipes re-exports the whole library: `import Recipes` gives tensors, ops, layers and relevance.
@_exported import Relevance
