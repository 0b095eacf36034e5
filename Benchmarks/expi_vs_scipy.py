#!/usr/bin/env python3
"""Ei per element against scipy.special.expi, timed interleaved in one process.

On a shared host a suite pair (`wirtinger bench --filter ei` then `pytorch_reference.py --filter
ei`) compares two runs that saw different loads; here scipy and the Kernels target (built from
one or more source trees, e.g. this tree and an older one unpacked with `git archive`) are timed
round by round on the same arrays, one thread, 2^16 elements per call (so that a lost time slice
spoils one call, not the minimum; scipy, ~35× slower, on 16 slices of 4096 elements, the best
of each slice summed), best of `--rounds` rounds; each timed call of ours follows an untimed one
on 4096 elements (steady-state throughput, as in `wirtinger bench`, whichever tree comes first). Inputs as `wirtinger bench`:
"neglog" −10^U(−3,3) (the −1/α of the VD penalty) and "uniform50" U(−50, 50), golden-ratio
sequence. Run from the package root:
    python3 Benchmarks/expi_vs_scipy.py [--rounds 40] [--tree LABEL=DIR ...]
DIR is a directory holding Sources/Kernels (default: this tree, labelled "this").
"""
import argparse, ctypes, glob, os, subprocess, sys, time
import numpy as np
import scipy.special as sp

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def build(label, tree):
    kernels = os.path.join(tree, "Sources", "Kernels")
    srcs = sorted(glob.glob(os.path.join(kernels, "*.c")))
    if not srcs:
        sys.exit(f"expi_vs_scipy: no C sources in {kernels}")
    out = f"/tmp/wt_expi_vs_scipy_{label}.so"
    # clang -O2: what `swift build -c release` uses for C targets
    subprocess.check_call(["clang", "-O2", "-shared", "-fPIC", "-std=gnu11", "-D_GNU_SOURCE",
                           "-I", os.path.join(kernels, "include"), *srcs, "-lm", "-lpthread", "-o", out])
    lib = ctypes.CDLL(out)
    lib.wt_set_num_threads(1)
    return lib


def inputs(kind, n):
    u = np.fmod(np.arange(n) * 0.6180339887498949, 1.0)
    return -(10.0 ** (-3 + 6 * u)) if kind == "neglog" else -50 + 100 * u


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--tree", action="append", default=[], help="LABEL=DIR (repeatable)")
    args = ap.parse_args()
    trees = [t.split("=", 1) for t in args.tree] or [["this", ROOT]]
    libs = [(label, build(label, tree)) for label, tree in trees]
    n = 1 << 16
    print(f"{'row':24s} {'scipy ns':>9s} " + " ".join(f"{label + ' ns':>12s} {'speed-up':>8s}" for label, _ in libs))
    for kind in ("neglog", "uniform50"):
        for dtype in (np.float64, np.float32):
            x = np.ascontiguousarray(inputs(kind, n).astype(dtype))
            y = np.empty_like(x)
            name = "wt_expi_array" if dtype == np.float64 else "wt_expif_array"
            ct = ctypes.POINTER(ctypes.c_double if dtype == np.float64 else ctypes.c_float)
            px, py = x.ctypes.data_as(ct), y.ctypes.data_as(ct)
            fns = [(label, (lambda f: lambda: f(px, py, ctypes.c_ssize_t(n)))(getattr(lib, name))) for label, lib in libs]
            # an untimed call on 4096 elements before each timed one: the core's switch to 512-bit
            # work after scipy's scalar loop (slower vector issue for some microseconds) would
            # otherwise fall on whichever tree is timed first in a round
            warm = {label: (lambda f: lambda: f(px, py, ctypes.c_ssize_t(4096)))(getattr(lib, name)) for label, lib in libs}
            best = {label: float("inf") for label, _ in fns}
            # scipy takes ~35x longer: timed on 16 slices of 4096 elements, each slice's best kept
            slices = [x[i:i + 4096] for i in range(0, n, 4096)]
            scipy_best = [float("inf")] * len(slices)
            for _ in range(args.rounds):
                for label, f in fns:
                    warm[label]()
                    t = time.perf_counter(); f(); t = time.perf_counter() - t
                    best[label] = min(best[label], t)
                for i, xs in enumerate(slices):
                    t = time.perf_counter(); sp.expi(xs); t = time.perf_counter() - t
                    scipy_best[i] = min(scipy_best[i], t)
            best["scipy"] = sum(scipy_best)
            s = best["scipy"] / n * 1e9
            row = f"ei.{kind}.{'f64' if dtype == np.float64 else 'f32'}"
            print(f"{row:24s} {s:9.1f} " + " ".join(
                f"{best[label] / n * 1e9:12.2f} {best['scipy'] / best[label]:7.1f}x" for label, _ in libs))


if __name__ == "__main__":
    main()
