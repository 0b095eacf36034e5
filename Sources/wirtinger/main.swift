import Relevance
print("usage: wirtinger <sparsify|train|inspect|bench> [options]")
