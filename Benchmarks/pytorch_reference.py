#!/usr/bin/env python3
"""PyTorch + cplxmodule (+ numpy/OpenBLAS, scipy) versions of the `wirtinger bench` workloads.

Same workload names, same timing rule and the same JSON schema as `wirtinger bench --json`, so
Benchmarks/compare.py can print the ratio per workload. Run both in one session, back to back:

    swift run -c release wirtinger bench --threads 2 --json ours.json
    python3 Benchmarks/pytorch_reference.py --threads 2 --json torch.json
    python3 Benchmarks/compare.py ours.json torch.json

GEMM rows use numpy (OpenBLAS; its thread count is fixed at start-up, so each thread count runs in a
child process with OPENBLAS_NUM_THREADS set) under the same names as ours, plus torch.matmul rows
with the suffix `.torch`. Every other row runs with torch.set_num_threads(--threads).
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import time
import warnings

warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")


# ---------------------------------------------------------------------------------------------
# Timing: the rule of Sources/wirtinger/BenchTiming.swift.

def measure(body, warmup=0.5, budget=1.0, min_warmup_calls=5, min_samples=20, max_samples=300, sample_target=0.002):
    calls, w0, last = 0, time.perf_counter(), 0.0
    while calls < min_warmup_calls or time.perf_counter() - w0 < warmup:
        t = time.perf_counter(); body(); last = time.perf_counter() - t
        calls += 1
    inner = max(1, int(-(-sample_target // max(last, 1e-9))))
    times, s0 = [], time.perf_counter()
    while len(times) < min_samples or (time.perf_counter() - s0 < budget and len(times) < max_samples):
        t = time.perf_counter()
        for _ in range(inner):
            body()
        times.append((time.perf_counter() - t) / inner)
    times.sort()
    n = len(times)
    median = times[n // 2] if n % 2 else 0.5 * (times[n // 2 - 1] + times[n // 2])
    return median, times[0], n, inner


class Workload:
    def __init__(self, name, group, make, work=None, unit=None, note=""):
        self.name, self.group, self.make, self.work, self.unit, self.note = name, group, make, work, unit, note


# ---------------------------------------------------------------------------------------------
# GEMM (shapes of BenchWorkloads.swift).

GEMM_SHAPES = [
    ("512x512x512", 512, 512, 512, False, False),
    ("1024x1024x1024", 1024, 1024, 1024, False, False),
    ("mlp_fwd_128x400x784_nt", 128, 400, 784, False, True),
    ("mlp_dw_400x784x128_tn", 400, 784, 128, True, False),
    ("mlp_dx_128x784x400_nn", 128, 784, 400, False, False),
]


def gemm_operands(np, m, n, k, ta, tb, dtype):
    rng = np.random.default_rng(1)
    a = rng.uniform(-1, 1, (k, m) if ta else (m, k)).astype(dtype)
    b = rng.uniform(-1, 1, (n, k) if tb else (k, n)).astype(dtype)
    return (a.T if ta else a), (b.T if tb else b)  # views: BLAS gets the transpose flags


def numpy_gemm_workloads(threads):
    import numpy as np
    out = []
    for label, m, n, k, ta, tb in GEMM_SHAPES:
        for d, dtype in (("s", np.float32), ("d", np.float64)):
            def make(m=m, n=n, k=k, ta=ta, tb=tb, dtype=dtype):
                a, b = gemm_operands(np, m, n, k, ta, tb, dtype)
                c = np.empty((m, n), dtype=dtype)
                return lambda: np.matmul(a, b, out=c)
            out.append(Workload(f"{d}gemm.{label}.t{threads}", "gemm", make, 2.0 * m * n * k, "GFLOP/s",
                                f"numpy matmul (OpenBLAS), {threads} thread(s)"))
    return out


def torch_gemm_workloads(torch, np):
    out = []
    for threads in (1, 2):
        for label, m, n, k, ta, tb in GEMM_SHAPES:
            for d, dtype in (("s", np.float32), ("d", np.float64)):
                def make(m=m, n=n, k=k, ta=ta, tb=tb, dtype=dtype, threads=threads):
                    a, b = gemm_operands(np, m, n, k, ta, tb, dtype)
                    ta_, tb_ = torch.from_numpy(a.T.copy()).T if ta else torch.from_numpy(a), \
                        torch.from_numpy(b.T.copy()).T if tb else torch.from_numpy(b)
                    c = torch.empty(m, n, dtype=ta_.dtype)
                    torch.set_num_threads(threads)
                    return lambda: torch.matmul(ta_, tb_, out=c)
                out.append(Workload(f"{d}gemm.{label}.t{threads}.torch", "gemm", make, 2.0 * m * n * k, "GFLOP/s",
                                    f"torch.matmul, {threads} thread(s)"))
    return out


# ---------------------------------------------------------------------------------------------
# Convolutions, training steps, Ei, sparse inference.

def conv_workloads(torch):
    import torch.nn.functional as F
    out = []
    convs = [("lenet5_c1_128x1x28x28_k20x5x5", (128, 1, 28, 28), (20, 1, 5, 5), False),
             ("lenet5_c2_128x20x12x12_k50x5x5", (128, 20, 12, 12), (50, 20, 5, 5), True)]
    for label, xs, ws, input_grad in convs:
        ho, wo = xs[2] - ws[2] + 1, xs[3] - ws[3] + 1
        flops = 2.0 * xs[0] * ws[0] * ho * wo * ws[1] * ws[2] * ws[3]

        def operands(xs=xs, ws=ws):
            g = torch.Generator().manual_seed(3)
            x = torch.rand(xs, generator=g) * 2 - 1
            w = (torch.rand(ws, generator=g) * 2 - 1) * 0.2
            b = torch.rand(ws[0], generator=g) * 2 - 1
            return x, w, b

        def make_fwd(operands=operands):
            x, w, b = operands()
            def body():
                with torch.no_grad():
                    F.conv2d(x, w, b)
            return body

        def make_bwd(operands=operands, input_grad=input_grad):
            x, w, b = operands()
            w.requires_grad_(True); b.requires_grad_(True)
            if input_grad:
                x.requires_grad_(True)
            wrt = [x, w, b] if input_grad else [w, b]
            return lambda: torch.autograd.grad(F.conv2d(x, w, b).sum(), wrt)

        out.append(Workload(f"conv.{label}.fwd", "conv", make_fwd, flops, "GFLOP/s", "F.conv2d forward"))
        out.append(Workload(f"conv.{label}.fwdbwd", "conv", make_bwd, 3 * flops, "GFLOP/s",
                            "F.conv2d forward + backward of sum"))

    # LeNet-5's first 2x2 max pooling, forward and forward + backward (work = elements read).
    pool_shape = (128, 20, 24, 24)
    pool_work = float(128 * 20 * 24 * 24)

    def pool_input():
        return torch.rand(pool_shape, generator=torch.Generator().manual_seed(6)) * 2 - 1

    def make_pool_fwd():
        x = pool_input()
        def body():
            with torch.no_grad():
                F.max_pool2d(x, 2)
        return body

    def make_pool_bwd():
        x = pool_input().requires_grad_(True)
        return lambda: torch.autograd.grad(F.max_pool2d(x, 2).sum(), [x])

    out.append(Workload("conv.maxpool2_128x20x24x24.fwd", "conv", make_pool_fwd, pool_work, "Melem/s",
                        "F.max_pool2d(2) forward, elements read per second"))
    out.append(Workload("conv.maxpool2_128x20x24x24.fwdbwd", "conv", make_pool_bwd, pool_work, "Melem/s",
                        "F.max_pool2d(2) forward + backward of sum"))
    return out


def signal_workloads(torch):
    """The complex conv1d shapes of the signal network (`wirtinger bench --filter signal.`), by
    cplxmodule's cplx.conv1d (four real convolutions), no bias, forward + backward of sum(re + im)."""
    from cplxmodule import cplx
    out = []
    convs = [("128x1x128_k8x1x9", (128, 1, 128), (8, 1, 9), 1, 4, 1, False),
             ("128x40x128_k80x8x5_s2_g5", (128, 40, 128), (80, 8, 5), 2, 2, 5, True),
             ("128x80x64_k80x16x5_s2_g5", (128, 80, 64), (80, 16, 5), 2, 2, 5, True),
             ("128x1x128_k1x1x17", (128, 1, 128), (1, 1, 17), 1, 8, 1, False)]
    for label, xs, ws, stride, padding, groups, input_grad in convs:
        length = (xs[2] + 2 * padding - ws[2]) // stride + 1
        flops = 8.0 * xs[0] * ws[0] * length * ws[1] * ws[2]

        def make(xs=xs, ws=ws, stride=stride, padding=padding, groups=groups, input_grad=input_grad):
            g = torch.Generator().manual_seed(11)
            xr, xi = (torch.rand(xs, generator=g) * 2 - 1 for _ in range(2))
            wr, wi = ((torch.rand(ws, generator=g) * 2 - 1) * 0.2 for _ in range(2))
            wrt = [wr, wi] + ([xr, xi] if input_grad else [])
            for t in wrt:
                t.requires_grad_(True)

            def body():
                y = cplx.conv1d(cplx.Cplx(xr, xi), cplx.Cplx(wr, wi), None, stride, padding, 1, groups)
                torch.autograd.grad(y.real.sum() + y.imag.sum(), wrt)
            return body

        out.append(Workload(f"signal.cconv1d.{label}.fwdbwd", "signal", make, 3 * flops, "GFLOP/s",
                            "cplx.conv1d, no bias, forward + backward of sum(re + im)"))
    return out


def build_model(torch, arch, flavor):
    import cplxmodule.nn as cnn
    from cplxmodule.nn import relevance as rel
    nn = torch.nn
    if arch == "mlp":
        lin = {"dense": nn.Linear, "vd": rel.LinearVD, "ard": rel.LinearARD}[flavor]
        return nn.Sequential(nn.Flatten(1, -1), lin(784, 400), nn.ReLU(), lin(400, 10))
    if arch == "cplxmlp":
        lin = {"vd": rel.CplxLinearVD, "ard": rel.CplxLinearARD}[flavor]
        return nn.Sequential(nn.Flatten(1, -1), cnn.RealToCplx(), lin(392, 400), cnn.CplxModReLU(), lin(400, 10),
                             cnn.CplxModulus())
    if arch == "lenet5":
        return nn.Sequential(rel.Conv2dVD(1, 20, 5), nn.MaxPool2d(2), rel.Conv2dVD(20, 50, 5), nn.MaxPool2d(2),
                             nn.Flatten(1, -1), rel.LinearVD(800, 500), nn.ReLU(), rel.LinearVD(500, 10))
    raise ValueError(arch)


def train_workloads(torch):
    import torch.nn.functional as F
    from cplxmodule.nn.relevance import penalties
    cases = [("train.mlp.dense", "mlp", "dense"), ("train.mlp.vd", "mlp", "vd"), ("train.mlp.ard", "mlp", "ard"),
             ("train.cplxmlp.vd", "cplxmlp", "vd"), ("train.cplxmlp.ard", "cplxmlp", "ard"),
             ("train.lenet5.vd", "lenet5", "vd")]
    out = []
    for name, arch, flavor in cases:
        def make(arch=arch, flavor=flavor):
            torch.manual_seed(0)
            model = build_model(torch, arch, flavor)
            model.train()
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            g = torch.Generator().manual_seed(8)
            x = torch.rand(128, 1, 28, 28, generator=g)
            y = torch.randint(0, 10, (128,), generator=g)
            coef = 1e-2 / 128  # klWeight / N as in Recipes.train on a 128-example set

            def step():
                logits = model(x)
                ce = F.cross_entropy(logits, y)
                kl = sum(penalties(model, reduction="sum"), torch.zeros(()))
                loss = ce + coef * kl
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                # Recipes.train reports these every step
                ce.item(); kl.item(); (logits.argmax(1) == y).sum().item()
            return step
        out.append(Workload(name, "train", make, note=f"{arch} {flavor}, batch 128, Adam, float32 (cplxmodule)"))
    return out


def expi_inputs(np, kind, n):
    u = (np.arange(n, dtype=np.float64) * 0.6180339887498949) % 1.0
    return -(10.0 ** (-3 + 6 * u)) if kind == "neglog" else -50 + 100 * u


def expi_workloads(np):
    import scipy.special as sp
    n = 1 << 20
    out = []
    for kind in ("neglog", "uniform50"):
        for d, dtype in (("f64", np.float64), ("f32", np.float32)):
            def make(kind=kind, dtype=dtype):
                x = expi_inputs(np, kind, n).astype(dtype)
                y = np.empty_like(x)
                return lambda: sp.expi(x, out=y)
            out.append(Workload(f"ei.{kind}.{d}", "ei", make, float(n), "Melem/s", "scipy.special.expi, 2^20 elements"))
    return out


def sparse_workloads(torch):
    import torch.nn.functional as F
    from cplxmodule.nn.masked import LinearMasked
    out = []
    for sparsity in (0, 90, 95, 99):
        for batch in (1, 128):
            for form in ("masked", "dense", "csr"):
                def make(sparsity=sparsity, batch=batch, form=form):
                    torch.manual_seed(1)
                    model = torch.nn.Sequential(torch.nn.Flatten(1, -1), LinearMasked(784, 400), torch.nn.ReLU(),
                                                LinearMasked(400, 10)).eval()
                    g = torch.Generator().manual_seed(77)
                    for layer in (model[1], model[3]):
                        layer.mask = (torch.rand(layer.weight.shape, generator=g) >= sparsity / 100).float()
                    x = torch.rand(batch, 1, 28, 28, generator=torch.Generator().manual_seed(12))
                    w1, w2 = [(l.weight * l.mask).detach() for l in (model[1], model[3])]
                    b1, b2 = model[1].bias.detach(), model[3].bias.detach()
                    if form == "masked":
                        def body():
                            with torch.inference_mode():
                                model(x)
                    elif form == "dense":
                        def body():
                            with torch.inference_mode():
                                F.linear(F.relu(F.linear(x.flatten(1), w1, b1)), w2, b2)
                    else:
                        s1, s2 = w1.to_sparse_csr(), w2.to_sparse_csr()
                        b1c, b2c = b1[:, None], b2[:, None]

                        def body():  # feature-major throughout: W_csr @ xᵀ
                            with torch.inference_mode():
                                h = torch.relu(torch.sparse.mm(s1, x.flatten(1).T) + b1c)
                                (torch.sparse.mm(s2, h) + b2c).T
                    return body
                note = {"masked": "cplxmodule LinearMasked model, eval", "dense": "F.linear with W*mask",
                        "csr": "torch.sparse.mm with CSR weights"}[form]
                out.append(Workload(f"sparse.mlp.s{sparsity}.b{batch}.{form}", "sparse", make,
                                    note=f"784-400-10 inference, {sparsity}% masked, batch {batch}, {note}"))
    return out


def sparse_linear_workloads(torch):
    """Linear(784, 400) inference with a random mask keeping (1 - sparsity) of the weight, the
    counterparts of our sparse.linear784x400.* rows: F.linear on the masked weight (`dense`) and
    torch.sparse.mm with the weight in CSR form, feature-major (`csr`)."""
    import torch.nn.functional as F
    out = []
    for sparsity in (90, 95, 99):
        for batch in (1, 128):
            for form in ("dense", "csr"):
                def make(sparsity=sparsity, batch=batch, form=form):
                    g = torch.Generator().manual_seed(78)
                    mask = (torch.rand(400, 784, generator=g) >= sparsity / 100).float()
                    w = (torch.rand(400, 784, generator=g) * 0.1 - 0.05) * mask
                    b = torch.rand(400, generator=g)
                    x = torch.rand(batch, 784, generator=g)
                    if form == "dense":
                        def body():
                            with torch.inference_mode():
                                F.linear(x, w, b)
                    else:
                        s, bc = w.to_sparse_csr(), b[:, None]

                        def body():  # W_csr @ xᵀ, transposed back
                            with torch.inference_mode():
                                (torch.sparse.mm(s, x.T) + bc).T
                    return body
                note = {"dense": "F.linear with W*mask", "csr": "torch.sparse.mm with a CSR weight"}[form]
                out.append(Workload(f"sparse.linear784x400.s{sparsity}.b{batch}.{form}", "sparse", make,
                                    note=f"Linear(784, 400) inference, {sparsity}% masked, batch {batch}, {note}"))
    return out


def inference_workloads(torch):
    """Eval-mode dense forward passes of the MLP, the complex MLP and LeNet-5 at batch 1, 16, 128."""
    import cplxmodule.nn as cnn
    nn = torch.nn
    builders = {
        "mlp": lambda: nn.Sequential(nn.Flatten(1, -1), nn.Linear(784, 400), nn.ReLU(), nn.Linear(400, 10)),
        "cplxmlp": lambda: nn.Sequential(nn.Flatten(1, -1), cnn.RealToCplx(), cnn.CplxLinear(392, 400), cnn.CplxModReLU(),
                                         cnn.CplxLinear(400, 10), cnn.CplxModulus()),
        "lenet5": lambda: nn.Sequential(nn.Conv2d(1, 20, 5), nn.MaxPool2d(2), nn.Conv2d(20, 50, 5), nn.MaxPool2d(2),
                                        nn.Flatten(1, -1), nn.Linear(800, 500), nn.ReLU(), nn.Linear(500, 10)),
    }
    out = []
    for name, build in builders.items():
        for batch in (1, 16, 128):
            def make(build=build, batch=batch):
                torch.manual_seed(3)
                model = build().eval()
                x = torch.rand(batch, 1, 28, 28, generator=torch.Generator().manual_seed(13))

                def body():
                    with torch.inference_mode():
                        model(x)
                return body
            out.append(Workload(f"infer.{name}.b{batch}", "infer", make,
                                note=f"{name} dense forward, eval, inference_mode, batch {batch}, float32"))
    return out


# ---------------------------------------------------------------------------------------------

def run(workloads, filters, budget, threads_for_rows, torch=None):
    results = []
    for w in workloads:
        if filters and not any(f in w.name for f in filters):
            continue
        if torch is not None and threads_for_rows is not None:
            torch.set_num_threads(threads_for_rows)
        body = w.make()
        med, mn, n, inner = measure(body, budget=budget)
        r = {"name": w.name, "group": w.group, "median_s": med, "min_s": mn, "samples": n, "calls_per_sample": inner,
             "unit": w.unit, "throughput": (w.work / med / (1e9 if w.unit == "GFLOP/s" else 1e6)) if w.work else None,
             "note": w.note}
        results.append(r)
        print(format_row(r), flush=True)
    return results


def format_seconds(t):
    if t < 1e-6:
        return f"{t * 1e9:.1f} ns"
    if t < 1e-3:
        return f"{t * 1e6:.2f} µs"
    if t < 1:
        return f"{t * 1e3:.3f} ms"
    return f"{t:.3f} s"


def format_row(r):
    s = f"{r['name']:<46}  {format_seconds(r['median_s']):>11}  {format_seconds(r['min_s']):>11}  {r['samples']:>7}"
    if r["throughput"] is not None:
        s += f"  {r['throughput']:.1f} {r['unit']}"
    return s


def cpu_model():
    """The "model name" line of /proc/cpuinfo (the CPUID brand string), or the platform's processor."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and ":" in line:
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform
    return platform.processor() or "unknown"


# Environment variables that cap the instruction set of PyTorch, MKL, oneDNN and OpenBLAS (set them
# all with Benchmarks/emulate_avx2.sh); the ones set are recorded in the JSON as `isa_caps`.
ISA_CAP_VARIABLES = ("ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS", "ONEDNN_MAX_CPU_ISA", "OPENBLAS_CORETYPE")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", help="write the results as JSON")
    ap.add_argument("--filter", help="only workloads whose name contains NAME (comma-separated: any)")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads for the non-GEMM rows")
    ap.add_argument("--budget", type=float, default=1.0, help="measuring seconds per workload")
    ap.add_argument("--numpy-gemm-child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    filters = [f for f in (args.filter or "").split(",") if f]

    if args.numpy_gemm_child is not None:  # child: OPENBLAS_NUM_THREADS is already set
        res = run(numpy_gemm_workloads(args.numpy_gemm_child), filters, args.budget, None)
        json.dump(res, sys.stderr)
        return

    results = []
    caps = " ".join(f"{k}={os.environ[k]}" for k in ISA_CAP_VARIABLES if k in os.environ)
    print(f"pytorch_reference: threads {args.threads}" + (f"; ISA caps {caps}" if caps else ""))
    for t in (1, 2):
        names = [w.name for w in numpy_gemm_workloads(t)]
        if filters and not any(f in n for n in names for f in filters):
            continue
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(t), OMP_NUM_THREADS=str(t))
        cmd = [sys.executable, __file__, "--numpy-gemm-child", str(t), "--budget", str(args.budget)]
        if args.filter:
            cmd += ["--filter", args.filter]
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=True)
        sys.stdout.write(p.stdout)
        results += json.loads(p.stderr.strip().splitlines()[-1])

    import numpy as np
    import torch
    import cplxmodule
    workloads = (torch_gemm_workloads(torch, np) + conv_workloads(torch) + train_workloads(torch) + expi_workloads(np)
                 + sparse_workloads(torch) + sparse_linear_workloads(torch) + inference_workloads(torch)
                 + signal_workloads(torch))
    # GEMM torch rows set their own thread count inside make(); the rest use --threads.
    for w in workloads:
        if filters and not any(f in w.name for f in filters):
            continue
        threads = None if w.group == "gemm" else args.threads
        results += run([w], [], args.budget, threads, torch)
    torch.set_num_threads(args.threads)
    report = {"suite": "pytorch", "threads": args.threads, "build": f"torch {torch.__version__}, cplxmodule "
              f"{getattr(cplxmodule, '__version__', '2022.6')}, numpy {np.__version__}", "isa": torch.backends.cpu.get_cpu_capability(),
              "isa_caps": {k: os.environ[k] for k in ISA_CAP_VARIABLES if k in os.environ},
              "cpu": cpu_model(), "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "results": results}
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(report, f, indent=1, sort_keys=True)
        os.replace(tmp, args.json)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
