"""Peak resident memory of one MNIST epoch of the seed's MLP (784-400-10) with LinearARD and Adam,
batch 128, float32, in PyTorch + cplxmodule: the reference for `wirtinger train --flavor ard`.

    python3 Benchmarks/memory_pytorch.py /path/to/mnist      # prints the peak RSS in KiB

Reads the IDX files with numpy, scales to [0, 1] like our reader, and keeps the whole training
set as one float32 tensor, as `wirtinger` does.
"""
import resource
import sys

import numpy as np
import torch
from cplxmodule.nn.relevance import LinearARD, penalties


def idx(path, offset):
    return np.fromfile(path, dtype=np.uint8)[offset:]


def main(directory):
    torch.set_num_threads(2)
    torch.manual_seed(0)
    x = torch.from_numpy(idx(f"{directory}/train-images.idx3-ubyte", 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255)
    y = torch.from_numpy(idx(f"{directory}/train-labels.idx1-ubyte", 8).astype(np.int64))
    model = torch.nn.Sequential(torch.nn.Flatten(), LinearARD(784, 400), torch.nn.ReLU(), LinearARD(400, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    coef = 1.0 / len(y)
    order = torch.randperm(len(y))
    model.train()
    for start in range(0, len(y), 128):
        idx_ = order[start:start + 128]
        loss = torch.nn.functional.cross_entropy(model(x[idx_]), y[idx_]) + coef * sum(penalties(model))
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


if __name__ == "__main__":
    main(sys.argv[1])
