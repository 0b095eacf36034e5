"""numpy (OpenBLAS) throughput on the shapes of bench_gemm.c, for comparison.

    OPENBLAS_NUM_THREADS=1 python3 Benchmarks/gemm/bench_numpy.py [trials]
    OPENBLAS_NUM_THREADS=2 python3 Benchmarks/gemm/bench_numpy.py [trials]

Each round times a batch of np.matmul calls (about 0.3 GFLOP) into a preallocated output; the best
round of `trials` is reported (wall clock), as in bench_gemm.c.
"""
import sys
import time

import numpy as np

SHAPES = [  # name, m, n, k, op(A) is Aᵀ, op(B) is Bᵀ
    ("512^3", 512, 512, 512, False, False),
    ("1024^3", 1024, 1024, 1024, False, False),
    ("mlp fwd X·W 128x784·784x400", 128, 400, 784, False, False),
    ("mlp dW Xᵀ·G 784x128·128x400", 784, 400, 128, True, False),
    ("mlp dX G·Wᵀ 128x400·400x784", 128, 784, 400, False, True),
    ("small 64^3", 64, 64, 64, False, False),
]


def main():
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    rng = np.random.default_rng(0)
    print(f"{'type':8s} {'shape':34s} {'GFLOP/s':>8s}")
    for dtype in (np.float32, np.float64):
        for name, m, n, k, ta, tb in SHAPES:
            a = rng.standard_normal((k, m) if ta else (m, k)).astype(dtype)
            b = rng.standard_normal((n, k) if tb else (k, n)).astype(dtype)
            opa, opb = (a.T if ta else a), (b.T if tb else b)
            c = np.empty((m, n), dtype)
            flops = 2.0 * m * n * k
            reps = max(1, int(3e8 / flops))
            np.matmul(opa, opb, out=c)
            best = float("inf")
            for _ in range(trials):
                t = time.perf_counter()
                for _ in range(reps):
                    np.matmul(opa, opb, out=c)
                best = min(best, (time.perf_counter() - t) / reps)
            print(f"{np.dtype(dtype).name:8s} {name:34s} {flops / best / 1e9:8.1f}")


if __name__ == "__main__":
    main()
