#!/usr/bin/env python3
"""Accuracy and throughput of the Ei and vector-math kernels against mpmath / scipy / numpy.

Builds Sources/Kernels/*.c into a shared library with `clang -O2` (what `swift build -c release`
uses for C targets) and calls it through ctypes. Run from the package root:
    python3 Sources/Kernels/tools/check_expi.py [accuracy|bench|all]
"""
import ctypes, glob, os, subprocess, sys, time
import numpy as np
import mpmath as mp

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
LIB = "/tmp/wt_kernels_check.so"


def build():
    # the whole Kernels target: Ei's threaded entry points reach the thread pool and its settings
    srcs = sorted(glob.glob(os.path.join(ROOT, "*.c")))
    subprocess.check_call(["clang", "-O2", "-shared", "-fPIC", "-std=c11", "-D_GNU_SOURCE",
                           "-I", os.path.join(ROOT, "include"), *srcs, "-lm", "-lpthread", "-o", LIB])
    lib = ctypes.CDLL(LIB)
    lib.wt_set_isa.argtypes = [ctypes.c_int]
    lib.wt_set_isa.restype = ctypes.c_int
    return lib


def call(lib, name, x):
    x = np.ascontiguousarray(x)
    y = np.empty_like(x)
    ct = ctypes.POINTER(ctypes.c_double if x.dtype == np.float64 else ctypes.c_float)
    getattr(lib, name)(x.ctypes.data_as(ct), y.ctypes.data_as(ct), ctypes.c_ssize_t(len(x)))
    return y


def ulps(y, ref, dtype):
    """|y - ref| in units of the last place of ref (ref exact, mpmath), per element."""
    out = []
    for a, r in zip(y, ref):
        if mp.isnan(r):
            out.append(0.0 if np.isnan(a) else np.inf); continue
        if mp.isinf(r):
            out.append(0.0 if a == float(r) else np.inf); continue
        rr = dtype(float(r))
        if np.isinf(rr):  # exact value overflows this format
            out.append(0.0 if np.isinf(a) and a > 0 else np.inf); continue
        u = np.spacing(dtype(abs(rr))) if rr != 0 else np.spacing(dtype(0))
        out.append(float(abs(mp.mpf(float(a)) - r) / mp.mpf(float(u))))
    return np.array(out)


def ei_points(rng, n=3000):
    X0 = 0.3725074107813666
    return np.concatenate([rng.uniform(-700, 700, n), rng.uniform(-40, 40, n), rng.uniform(-4, 4, n),
                           X0 + rng.uniform(-1e-3, 1e-3, 300), X0 * (1 + rng.uniform(-1e-12, 1e-12, 100)),
                           rng.uniform(-0.3, 0.3, 500), np.sign(rng.uniform(-1, 1, 300)) * 10.0 ** rng.uniform(-320, 0, 300),
                           rng.uniform(700, 720, 100), rng.uniform(-760, -700, 100)])


def ei_table(lib, title, fn, xs, ref, dtype, scipy_expi, with_mean, scipy_digits):
    """Prints the worst ulp error vs mpmath of the kernel `fn` on each tier, then of scipy's expi."""
    def row(label, e, digits):
        mean = f", mean {e.mean():.3f}" if with_mean else ""
        print(f"  {label:9s} {e.max():.{digits}f} at x={xs[e.argmax()]!r}{mean}")
    print(title)
    for isa, label in ((2, "avx512"), (1, "avx2"), (0, "portable")):
        if lib.wt_set_isa(isa) != isa:
            continue  # the host has no such tier
        row(label, ulps(call(lib, fn, xs), ref, dtype), 3)
    row("scipy", ulps(scipy_expi(xs), ref, dtype), scipy_digits)


def accuracy():
    lib = build()
    mp.mp.prec = 120
    rng = np.random.default_rng(7)
    x = ei_points(rng)
    ref = [mp.ei(mp.mpf(float(v))) for v in x]
    import scipy.special as sc
    ei_table(lib, "Ei float64: max ulp vs mpmath (worst x)", "wt_expi_array", x, ref, np.float64, sc.expi,
             with_mean=True, scipy_digits=1)
    xf = np.concatenate([rng.uniform(-110, 100, 4000).astype(np.float32), x.astype(np.float32)])
    xf = xf[np.abs(xf) < 200]
    reff = [mp.ei(mp.mpf(float(v))) for v in xf]
    ei_table(lib, "Ei float32: max ulp vs mpmath", "wt_expif_array", xf, reff, np.float32, sc.expi,
             with_mean=False, scipy_digits=3)
    fns = {"exp": (mp.exp, (-750, 720)), "log": (mp.log, (1e-310, 1e300)), "log1p": (mp.log1p, (-1, 1e3)),
           "sigmoid": (lambda v: 1 / (1 + mp.exp(-v)), (-750, 60)), "softplus": (lambda v: mp.log1p(mp.exp(v)), (-750, 750)),
           "log_sigmoid": (lambda v: -mp.log1p(mp.exp(-v)), (-750, 750)), "tanh": (mp.tanh, (-25, 25))}
    print("vmath: max ulp vs mpmath (avx2 / portable), double and float")
    for name, (f, (lo, hi)) in fns.items():
        if name == "log":
            xs = 10.0 ** rng.uniform(-310, 300, 2000)
        elif name == "log1p":
            xs = np.concatenate([rng.uniform(-1, 1, 1000), 10.0 ** rng.uniform(-300, 3, 1000)])
        else:
            xs = np.concatenate([rng.uniform(lo, hi, 1000), rng.uniform(-3, 3, 1000), 10.0 ** rng.uniform(-300, 0, 200)])
        xs = xs[(xs >= lo) & (xs <= hi)] if name != "log" else xs
        r = [f(mp.mpf(float(v))) for v in xs]
        xs32 = xs.astype(np.float32)
        r32 = [f(mp.mpf(float(v))) for v in xs32]
        res = []
        for isa in (1, 0):
            lib.wt_set_isa(isa)
            res.append(ulps(call(lib, f"wt_{name}_array", xs), r, np.float64).max())
            fname = {"log_sigmoid": "wt_log_sigmoidf_array"}.get(name, f"wt_{name}f_array")
            res.append(ulps(call(lib, fname, xs32), r32, np.float32).max())
        print(f"  {name:12s} f64 {res[0]:.3f}/{res[2]:.3f}   f32 {res[1]:.3f}/{res[3]:.3f}")
    lib.wt_set_isa(1)


def bench():
    lib = build()
    import scipy.special as sc
    rng = np.random.default_rng(1)
    n = 1 << 20
    cases = [("[-700,700]", rng.uniform(-700, 700, n)), ("[-10,0]", rng.uniform(-10, 0, n)),
             ("-exp(U(-10,10)) (VD: -1/alpha)", -np.exp(rng.uniform(-10, 10, n))), ("[-50,50]", rng.uniform(-50, 50, n))]

    def tm(f, reps=5):
        f(); best = 1e9
        for _ in range(reps):
            t = time.perf_counter(); f(); best = min(best, time.perf_counter() - t)
        return best / n * 1e9

    print(f"Ei throughput, ns/element (n = {n}, best of 5)")
    print(f"{'inputs':34s} {'dtype':7s} {'scipy':>8s} {'avx2':>8s} {'portable':>8s} {'x scipy':>8s}")
    for label, x in cases:
        for dt, fn in ((np.float64, "wt_expi_array"), (np.float32, "wt_expif_array")):
            xx = x.astype(dt)
            s = tm(lambda: sc.expi(xx))
            lib.wt_set_isa(1); a = tm(lambda: call(lib, fn, xx))
            lib.wt_set_isa(0); p = tm(lambda: call(lib, fn, xx))
            lib.wt_set_isa(1)
            print(f"{label:34s} {np.dtype(dt).name:7s} {s:8.2f} {a:8.2f} {p:8.2f} {s / a:8.1f}")
    print("vmath throughput, ns/element, avx2 / portable / numpy")
    x = rng.uniform(-20, 20, n)
    npf = {"exp": np.exp, "log": lambda v: np.log(np.abs(v)), "log1p": lambda v: np.log1p(np.abs(v)),
           "sigmoid": lambda v: 1 / (1 + np.exp(-v)), "softplus": np.logaddexp.reduce if False else (lambda v: np.logaddexp(0, v)),
           "log_sigmoid": lambda v: -np.logaddexp(0, -v), "tanh": np.tanh}
    for name, f in npf.items():
        xx = np.abs(x) if name in ("log", "log1p") else x
        for dt in (np.float64, np.float32):
            x2 = xx.astype(dt)
            fname = f"wt_{name}_array" if dt == np.float64 else ({"log_sigmoid": "wt_log_sigmoidf_array"}.get(name, f"wt_{name}f_array"))
            lib.wt_set_isa(1); a = tm(lambda: call(lib, fname, x2))
            lib.wt_set_isa(0); p = tm(lambda: call(lib, fname, x2))
            lib.wt_set_isa(1); npt = tm(lambda: f(x2))
            print(f"  {name:12s} {np.dtype(dt).name:7s} {a:6.2f} {p:6.2f} {npt:6.2f}")


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    if what in ("accuracy", "all"):
        accuracy()
    if what in ("bench", "all"):
        bench()
