#!/usr/bin/env python3
"""Reference fixtures for Wirtinger's parity tests.

Runs PyTorch 2.13 (CPU) and cplxmodule 2022.6 on small, seeded inputs and writes one
safetensors file per group into this directory. See README.md for the schema.

Usage:
    python3 generate_fixtures.py            # all groups
    python3 generate_fixtures.py ops_real layers   # only the named groups
"""

import json
import math
import os
import sys
import warnings
import zlib

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

import cplxmodule
from cplxmodule import cplx
from cplxmodule.cplx import Cplx
import cplxmodule.nn as cnn
from cplxmodule.nn.modules.casting import (
    ConcatenatedRealToCplx, CplxToConcatenatedReal, TensorToCplx, CplxToTensor)
from cplxmodule.nn.modules.linear import CplxPhaseShift
import cplxmodule.nn.relevance as rel
import cplxmodule.nn.relevance.extensions as relx
import cplxmodule.nn.masked as msk

HERE = os.path.dirname(os.path.abspath(__file__))
F64, F32 = torch.float64, torch.float32
DTYPE_NAME = {F64: "float64", F32: "float32"}

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)
warnings.filterwarnings("ignore")

VERSIONS = {"torch": torch.__version__, "cplxmodule": cplxmodule.__version__,
            "numpy": np.__version__}


# --------------------------------------------------------------------------------------
# infrastructure
# --------------------------------------------------------------------------------------

def case_seed(case_id):
    """Seed derived from the case id (without the .f32 suffix), so that adding or
    removing cases never changes the values of other cases, and the float32
    variant sees the same numbers as its float64 twin."""
    base = case_id[:-4] if case_id.endswith(".f32") else case_id
    return zlib.crc32(base.encode()) & 0x7FFFFFFF


class Group:
    """Collects tensors `<case>/<role>` and per-case JSON metadata for one file."""

    def __init__(self, name):
        self.name = name
        self.tensors = {}
        self.meta = {}

    def put(self, case, role, x):
        if isinstance(x, Cplx):
            self.put(case, role + ".real", x.real)
            self.put(case, role + ".imag", x.imag)
            return
        if not torch.is_tensor(x):
            x = torch.tensor(x, dtype=F64)
        key = f"{case}/{role}"
        assert key not in self.tensors, key
        self.tensors[key] = x.detach().clone().contiguous()

    def set_meta(self, case, meta):
        assert case not in self.meta, case
        meta = dict(meta)
        meta.setdefault("quirks", [])
        self.meta[case] = json.dumps(meta)

    def save(self, path=None):
        path = path or os.path.join(HERE, self.name + ".safetensors")
        meta = dict(self.meta)
        meta["__generator__"] = json.dumps(
            {"script": "Tests/Fixtures/generate_fixtures.py", "group": self.name, **VERSIONS})
        save_file(self.tensors, path, metadata=meta)
        canonicalize_header(path)
        size = os.path.getsize(path)
        print(f"wrote {path}: {len(self.meta)} cases, {len(self.tensors)} tensors, {size/1024:.1f} KiB")


def canonicalize_header(path):
    """safetensors writes the __metadata__ map in hash order, which differs from run to run.
    Rewrite the JSON header with __metadata__ keys sorted (tensor entries, offsets and data are
    left exactly as save_file wrote them) so that regenerating gives byte-identical files."""
    with open(path, "rb") as fh:
        blob = fh.read()
    n = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    out = {}
    if "__metadata__" in header:
        out["__metadata__"] = dict(sorted(header["__metadata__"].items()))
    out.update((k, v) for k, v in header.items() if k != "__metadata__")
    text = json.dumps(out, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path + ".tmp", "wb") as fh:
        fh.write(len(text).to_bytes(8, "little"))
        fh.write(text)
        fh.write(blob[8 + n:])
    os.replace(path + ".tmp", path)


def rn(*shape, scale=1.0):
    return torch.randn(*shape, dtype=F64) * scale


def crn(*shape, scale=1.0):
    return Cplx(rn(*shape, scale=scale), rn(*shape, scale=scale))


def cast(x, dtype):
    if isinstance(x, Cplx):
        return Cplx(x.real.to(dtype), x.imag.to(dtype))
    if torch.is_tensor(x) and x.is_floating_point():
        return x.to(dtype)
    return x


def leaf(x):
    """A fresh leaf (or pair of leaves) that requires grad."""
    if isinstance(x, Cplx):
        return Cplx(x.real.detach().clone().requires_grad_(True),
                    x.imag.detach().clone().requires_grad_(True))
    return x.detach().clone().requires_grad_(True)


def flat(x):
    return [x.real, x.imag] if isinstance(x, Cplx) else [x]


def like_random(out):
    if isinstance(out, Cplx):
        return Cplx(torch.randn(out.shape, dtype=F64).to(out.dtype),
                    torch.randn(out.shape, dtype=F64).to(out.dtype))
    return torch.randn(out.shape, dtype=F64).to(out.dtype)


def pairing(cot, out):
    """L = sum(cot.real*out.real + cot.imag*out.imag) (plain dot product for real)."""
    if isinstance(out, Cplx):
        return (cot.real * out.real).sum() + (cot.imag * out.imag).sum()
    return (cot * out).sum()


def vjp(out, cot, leaves):
    """Gradients of pairing(cot, out) w.r.t. the named leaves (Cplx or tensor).
    Leaves not reached by the graph get zeros (their true gradient)."""
    names = list(leaves)
    flat_leaves = []
    for n in names:
        flat_leaves += flat(leaves[n])
    L = pairing(cot, out)
    grads = torch.autograd.grad(L, flat_leaves, allow_unused=True)
    grads = [torch.zeros_like(l) if g is None else g for g, l in zip(grads, flat_leaves)]
    res, i = {}, 0
    for n in names:
        if isinstance(leaves[n], Cplx):
            res[n] = Cplx(grads[i], grads[i + 1])
            i += 2
        else:
            res[n] = grads[i]
            i += 1
    return res


def scalar_grads(value, leaves):
    """Gradient of a scalar w.r.t. named leaves (zeros where unused)."""
    names = list(leaves)
    flat_leaves = []
    for n in names:
        flat_leaves += flat(leaves[n])
    grads = torch.autograd.grad(value, flat_leaves, allow_unused=True)
    grads = [torch.zeros_like(l) if g is None else g for g, l in zip(grads, flat_leaves)]
    res, i = {}, 0
    for n in names:
        if isinstance(leaves[n], Cplx):
            res[n] = Cplx(grads[i], grads[i + 1])
            i += 2
        else:
            res[n] = grads[i]
            i += 1
    return res


def shape_of(x):
    return list(x.shape)


def record_function(g, case, meta, fn, inputs, dtype=F64, cot=None, grad_inputs=None):
    """Evaluate fn(**inputs) in `dtype`, store inputs/output/cot/grads.
    inputs: ordered dict role -> tensor/Cplx (float64 master values, cast here);
    grad_inputs: roles to differentiate (default: all floating inputs)."""
    ins = {k: cast(v, dtype) for k, v in inputs.items()}
    if grad_inputs is None:
        grad_inputs = [k for k, v in ins.items()
                       if isinstance(v, Cplx) or (torch.is_tensor(v) and v.is_floating_point())]
    leaves = {k: leaf(ins[k]) for k in grad_inputs}
    call = {k: leaves.get(k, v) for k, v in ins.items()}
    out = fn(**call)
    if cot is None:
        cot = like_random(out)
    else:
        cot = cast(cot, dtype)
    grads = vjp(out, cot, leaves) if leaves else {}
    for k, v in ins.items():
        g.put(case, k, v)
    g.put(case, "output", out)
    g.put(case, "cot", cot)
    for k, v in grads.items():
        g.put(case, "grad/" + k, v)
    meta = dict(meta)
    meta["dtype"] = DTYPE_NAME[dtype]
    meta["shapes"] = {k: shape_of(v) for k, v in ins.items()}
    meta["shapes"]["output"] = shape_of(out)
    meta["complex_roles"] = [k for k, v in list(ins.items()) + [("output", out)] if isinstance(v, Cplx)]
    g.set_meta(case, meta)
    return out


# --------------------------------------------------------------------------------------
# group 1: real ops
# --------------------------------------------------------------------------------------

def conv_in_shape(n, batch, cin, spatial):
    return (batch, cin) + tuple([spatial] * n if isinstance(spatial, int) else spatial)


def gen_ops_real():
    g = Group("ops_real")

    def case(cid, meta, fn, inputs, dtype=F64, **kw):
        torch.manual_seed(case_seed(cid))
        ins = inputs() if callable(inputs) else inputs
        return record_function(g, cid, meta, fn, ins, dtype=dtype, **kw)

    # linear
    for bias in (True, False):
        cid = f"linear.{'bias' if bias else 'nobias'}"
        torch.manual_seed(case_seed(cid))
        ins = {"input": rn(3, 5), "weight": rn(4, 5)}
        if bias:
            ins["bias"] = rn(4)
        record_function(g, cid, {"op": "linear", "bias": bias, "formula": "y = x W^T + b"},
                        lambda input, weight, bias=None: F.linear(input, weight, bias), ins)
    cid = "linear.batched3d_bias"
    torch.manual_seed(case_seed(cid))
    record_function(g, cid, {"op": "linear", "bias": True},
                    lambda input, weight, bias: F.linear(input, weight, bias),
                    {"input": rn(2, 3, 5), "weight": rn(4, 5), "bias": rn(4)})

    # matmul
    for name, sa, sb in [("2d", (3, 4), (4, 5)),
                         ("batched", (2, 3, 4), (2, 4, 5)),
                         ("broadcast", (2, 1, 3, 4), (5, 4, 2)),
                         ("vec_mat", (4,), (2, 4, 3)),
                         ("mat_vec", (2, 3, 4), (4,))]:
        cid = f"matmul.{name}"
        torch.manual_seed(case_seed(cid))
        record_function(g, cid, {"op": "matmul", "semantics": "torch.matmul broadcasting"},
                        lambda input1, input2: torch.matmul(input1, input2),
                        {"input1": rn(*sa), "input2": rn(*sb)})

    # bilinear
    for bias in (True, False):
        cid = f"bilinear.{'bias' if bias else 'nobias'}"
        torch.manual_seed(case_seed(cid))
        ins = {"input1": rn(3, 4), "input2": rn(3, 5), "weight": rn(6, 4, 5)}
        if bias:
            ins["bias"] = rn(6)
        record_function(g, cid, {"op": "bilinear", "bias": bias,
                                 "formula": "y_k = sum_ij x1_i W_kij x2_j + b_k"},
                        lambda input1, input2, weight, bias=None: F.bilinear(input1, input2, weight, bias), ins)

    # convolutions
    convs = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
    conv_cases = {
        1: [("basic", dict(k=3, stride=1, padding=0, dilation=1, groups=1, bias=True), 2, 4, 9),
            ("stride2_pad1", dict(k=3, stride=2, padding=1, dilation=1, groups=1, bias=True), 2, 4, 9),
            ("dil2_pad2_nobias", dict(k=3, stride=1, padding=2, dilation=2, groups=1, bias=False), 3, 2, 8),
            ("groups2", dict(k=2, stride=1, padding=0, dilation=1, groups=2, bias=True), 4, 6, 7),
            ("stride2_pad1_dil2_groups2", dict(k=3, stride=2, padding=1, dilation=2, groups=2, bias=True), 4, 4, 11),
            ("groups_depthwise", dict(k=3, stride=1, padding=1, dilation=1, groups=3, bias=True), 3, 6, 6)],
        2: [("basic", dict(k=3, stride=1, padding=0, dilation=1, groups=1, bias=True), 2, 3, (6, 5)),
            ("stride2_1_pad1_0", dict(k=(3, 2), stride=(2, 1), padding=(1, 0), dilation=1, groups=1, bias=True), 2, 3, (7, 6)),
            ("dil2_nobias", dict(k=2, stride=1, padding=1, dilation=2, groups=1, bias=False), 2, 2, (6, 6)),
            ("groups2", dict(k=3, stride=1, padding=1, dilation=1, groups=2, bias=True), 4, 2, (5, 5)),
            ("stride2_pad1_dil2_groups2", dict(k=3, stride=(2, 1), padding=1, dilation=2, groups=2, bias=True), 4, 4, (8, 7))],
        3: [("basic", dict(k=2, stride=1, padding=0, dilation=1, groups=1, bias=True), 2, 3, (4, 4, 3)),
            ("stride2_pad1", dict(k=3, stride=2, padding=1, dilation=1, groups=1, bias=True), 2, 2, (5, 4, 5)),
            ("dil2_groups2", dict(k=2, stride=1, padding=(1, 0, 1), dilation=2, groups=2, bias=False), 2, 4, (4, 5, 4))],
    }
    for n, lst in conv_cases.items():
        for name, hp, cin, cout, sp in lst:
            for dtype in (F64,):
                cid = f"conv{n}d.{name}"
                torch.manual_seed(case_seed(cid))
                k = hp["k"] if isinstance(hp["k"], tuple) else (hp["k"],) * n
                ins = {"input": rn(*conv_in_shape(n, 2, cin, sp)),
                       "weight": rn(cout, cin // hp["groups"], *k)}
                if hp["bias"]:
                    ins["bias"] = rn(cout)
                meta = {"op": f"conv{n}d", "stride": hp["stride"], "padding": hp["padding"],
                        "dilation": hp["dilation"], "groups": hp["groups"], "bias": hp["bias"],
                        "weight_layout": "[C_out, C_in/groups, *k]"}
                fnc = convs[n]
                record_function(g, cid, meta,
                                lambda input, weight, bias=None, fnc=fnc, hp=hp: fnc(
                                    input, weight, bias, stride=hp["stride"], padding=hp["padding"],
                                    dilation=hp["dilation"], groups=hp["groups"]), ins, dtype=dtype)

    # transposed convolutions
    tconvs = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
    tconv_cases = {
        1: [("basic", dict(k=3, stride=1, padding=0, output_padding=0, dilation=1, groups=1, bias=True), 2, 3, 5),
            ("stride2_pad1_outpad1", dict(k=3, stride=2, padding=1, output_padding=1, dilation=1, groups=1, bias=True), 2, 3, 5),
            ("dil2_nobias", dict(k=3, stride=1, padding=1, output_padding=0, dilation=2, groups=1, bias=False), 3, 2, 5),
            ("groups2", dict(k=2, stride=2, padding=0, output_padding=0, dilation=1, groups=2, bias=True), 4, 6, 4),
            ("stride3_pad2_outpad2_dil2_groups2", dict(k=3, stride=3, padding=2, output_padding=2, dilation=2, groups=2, bias=True), 4, 4, 5)],
        2: [("basic", dict(k=3, stride=1, padding=0, output_padding=0, dilation=1, groups=1, bias=True), 2, 3, (4, 3)),
            ("stride2_1_pad1_outpad1_0", dict(k=(3, 2), stride=(2, 1), padding=1, output_padding=(1, 0), dilation=1, groups=1, bias=True), 2, 3, (4, 4)),
            ("dil2_groups2", dict(k=2, stride=1, padding=0, output_padding=0, dilation=2, groups=2, bias=False), 4, 2, (3, 4)),
            ("stride2_pad1_outpad1_dil2_groups2", dict(k=3, stride=2, padding=1, output_padding=1, dilation=2, groups=2, bias=True), 2, 4, (3, 3))],
        3: [("basic", dict(k=2, stride=1, padding=0, output_padding=0, dilation=1, groups=1, bias=True), 2, 2, (3, 2, 3)),
            ("stride2_pad1_outpad1_groups2", dict(k=3, stride=2, padding=1, output_padding=1, dilation=1, groups=2, bias=True), 2, 4, (2, 3, 2)),
            ("dil2_nobias", dict(k=2, stride=(1, 2, 1), padding=0, output_padding=(0, 1, 0), dilation=2, groups=1, bias=False), 1, 2, (2, 2, 3))],
    }
    for n, lst in tconv_cases.items():
        for name, hp, cin, cout, sp in lst:
            cid = f"conv_transpose{n}d.{name}"
            torch.manual_seed(case_seed(cid))
            k = hp["k"] if isinstance(hp["k"], tuple) else (hp["k"],) * n
            ins = {"input": rn(*conv_in_shape(n, 2, cin, sp)),
                   "weight": rn(cin, cout // hp["groups"], *k)}
            if hp["bias"]:
                ins["bias"] = rn(cout)
            meta = {"op": f"conv_transpose{n}d", "stride": hp["stride"], "padding": hp["padding"],
                    "output_padding": hp["output_padding"], "dilation": hp["dilation"],
                    "groups": hp["groups"], "bias": hp["bias"],
                    "weight_layout": "[C_in, C_out/groups, *k]"}
            fnc = tconvs[n]
            record_function(g, cid, meta,
                            lambda input, weight, bias=None, fnc=fnc, hp=hp: fnc(
                                input, weight, bias, stride=hp["stride"], padding=hp["padding"],
                                output_padding=hp["output_padding"], groups=hp["groups"],
                                dilation=hp["dilation"]), ins)

    # pooling
    pools = {("max", 1): F.max_pool1d, ("max", 2): F.max_pool2d, ("max", 3): F.max_pool3d,
             ("avg", 1): F.avg_pool1d, ("avg", 2): F.avg_pool2d, ("avg", 3): F.avg_pool3d}
    pool_cases = {
        1: [("k2", dict(kernel_size=2, stride=None, padding=0), 7),
            ("k3_s2_p1", dict(kernel_size=3, stride=2, padding=1), 8),
            ("k3_s1", dict(kernel_size=3, stride=1, padding=0), 6)],
        2: [("k2", dict(kernel_size=2, stride=None, padding=0), (5, 6)),
            ("k3_2_s2_1_p1_0", dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0)), (6, 5)),
            ("k3_s2_p1", dict(kernel_size=3, stride=2, padding=1), (5, 5))],
        3: [("k2", dict(kernel_size=2, stride=None, padding=0), (4, 4, 5)),
            ("k3_s2_p1", dict(kernel_size=3, stride=2, padding=1), (4, 5, 3))],
    }
    for kind in ("max", "avg"):
        for n, lst in pool_cases.items():
            for name, hp, sp in lst:
                cid = f"{kind}_pool{n}d.{name}"
                torch.manual_seed(case_seed(cid))
                fnc = pools[(kind, n)]
                meta = {"op": f"{kind}_pool{n}d", **hp}
                if kind == "avg":
                    meta["count_include_pad"] = True
                    meta["ceil_mode"] = False
                else:
                    meta["dilation"] = 1
                    meta["ceil_mode"] = False
                    meta["note"] = "random input, no ties; stride null means stride = kernel_size"
                record_function(g, cid, meta, lambda input, fnc=fnc, hp=hp: fnc(input, **hp),
                                {"input": rn(*conv_in_shape(n, 2, 2, sp))})

    # elementwise activations at extreme arguments
    ext64 = [0.0, 1e-8, -1e-8, 20.0, -20.0, 50.0, -50.0, 100.0, -100.0, 700.0, -700.0,
             0.5, -0.5, 3.0, -3.0, 19.9, 20.1, -37.0, 37.0]
    ext32 = [0.0, 1e-8, -1e-8, 20.0, -20.0, 50.0, -50.0, 80.0, -80.0, 100.0, -100.0,
             0.5, -0.5, 3.0, -3.0, 15.0, -15.0, 19.9, 20.1]
    acts = {"softplus": F.softplus, "sigmoid": torch.sigmoid, "logsigmoid": F.logsigmoid,
            "tanh": torch.tanh}
    for name, fnc in acts.items():
        for dtype, vals in ((F64, ext64), (F32, ext32)):
            cid = f"{name}.extreme" + (".f32" if dtype == F32 else "")
            torch.manual_seed(case_seed(cid))
            meta = {"op": name, "note": "extreme arguments; cot is all ones so grad/input = f'(x)"}
            if name == "softplus":
                meta.update(beta=1, threshold=20,
                            note2="torch returns x itself where x*beta > threshold (20)")
            x = torch.tensor(vals, dtype=F64)
            record_function(g, cid, meta, lambda input, fnc=fnc: fnc(input), {"input": x},
                            dtype=dtype, cot=torch.ones(len(vals), dtype=F64))
        cid = f"{name}.random"
        torch.manual_seed(case_seed(cid))
        record_function(g, cid, {"op": name}, lambda input, fnc=fnc: fnc(input), {"input": rn(3, 4, scale=3.0)})

    # softmax / log_softmax
    for name, fnc in (("softmax", F.softmax), ("log_softmax", F.log_softmax)):
        for dim in (1, -1):
            cid = f"{name}.dim{dim}"
            torch.manual_seed(case_seed(cid))
            record_function(g, cid, {"op": name, "dim": dim},
                            lambda input, fnc=fnc, dim=dim: fnc(input, dim=dim), {"input": rn(2, 3, 4, scale=2.0)})
        cid = f"{name}.large_values"
        torch.manual_seed(case_seed(cid))
        x = rn(3, 5) + torch.tensor([[1000.0], [-1000.0], [0.0]])
        x[2, 0] = 800.0
        record_function(g, cid, {"op": name, "dim": 1, "note": "large offsets test max-subtraction"},
                        lambda input, fnc=fnc: fnc(input, dim=1), {"input": x})

    # logsumexp
    for name, dim, keep in (("dim1", 1, False), ("dim-1_keepdim", -1, True)):
        cid = f"logsumexp.{name}"
        torch.manual_seed(case_seed(cid))
        record_function(g, cid, {"op": "logsumexp", "dim": dim, "keepdim": keep},
                        lambda input, dim=dim, keep=keep: torch.logsumexp(input, dim=dim, keepdim=keep),
                        {"input": rn(2, 3, 4, scale=2.0)})
    cid = "logsumexp.large_values"
    torch.manual_seed(case_seed(cid))
    x = rn(3, 4) + torch.tensor([[1000.0], [-1000.0], [0.0]])
    x[2, 1] = -math.inf
    record_function(g, cid, {"op": "logsumexp", "dim": 1, "keepdim": False,
                             "note": "row offsets +-1000 and one -inf entry (its grad is 0)"},
                    lambda input: torch.logsumexp(input, dim=1), {"input": x})

    # losses
    for red in ("mean", "sum", "none"):
        cid = f"cross_entropy.{red}"
        torch.manual_seed(case_seed(cid))
        ins = {"input": rn(5, 7, scale=2.0), "target": torch.randint(0, 7, (5,))}
        record_function(g, cid, {"op": "cross_entropy", "reduction": red, "target_dtype": "int64",
                                 "note": "input are logits [N, C]; target class indices"},
                        lambda input, target, red=red: F.cross_entropy(input, target, reduction=red), ins)
        cid = f"nll_loss.{red}"
        torch.manual_seed(case_seed(cid))
        ins = {"input": F.log_softmax(rn(5, 7, scale=2.0), dim=1), "target": torch.randint(0, 7, (5,))}
        record_function(g, cid, {"op": "nll_loss", "reduction": red, "target_dtype": "int64",
                                 "note": "input are log-probabilities; loss_i = -input[i, target_i]"},
                        lambda input, target, red=red: F.nll_loss(input, target, reduction=red), ins)
        cid = f"mse_loss.{red}"
        torch.manual_seed(case_seed(cid))
        ins = {"input": rn(3, 4), "target": rn(3, 4)}
        record_function(g, cid, {"op": "mse_loss", "reduction": red},
                        lambda input, target, red=red: F.mse_loss(input, target, reduction=red), ins)
        cid = f"binary_cross_entropy_with_logits.{red}"
        torch.manual_seed(case_seed(cid))
        x = rn(3, 4, scale=3.0)
        x[0, 0], x[0, 1], x[1, 0], x[1, 1] = 50.0, -50.0, 700.0, -700.0
        ins = {"input": x, "target": torch.rand(3, 4, dtype=F64)}
        ins["target"][2, :2] = torch.tensor([0.0, 1.0])
        record_function(g, cid, {"op": "binary_cross_entropy_with_logits", "reduction": red,
                                 "note": "includes logits +-50 and +-700; targets in [0, 1]"},
                        lambda input, target, red=red: F.binary_cross_entropy_with_logits(input, target, reduction=red), ins)
    cid = "cross_entropy.spatial_mean"
    torch.manual_seed(case_seed(cid))
    record_function(g, cid, {"op": "cross_entropy", "reduction": "mean", "target_dtype": "int64",
                             "note": "input [N, C, L] logits, class axis 1; target [N, L]"},
                    lambda input, target: F.cross_entropy(input, target),
                    {"input": rn(2, 4, 3), "target": torch.randint(0, 4, (2, 3))})
    return g



# --------------------------------------------------------------------------------------
# group 2: complex ops (cplxmodule.cplx)
# --------------------------------------------------------------------------------------

TCONV = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
CCONV = {1: cplx.conv1d, 2: cplx.conv2d, 3: cplx.conv3d}
CTCONV = {1: cplx.conv_transpose1d, 2: cplx.conv_transpose2d, 3: cplx.conv_transpose3d}

TRANSPOSE_EMULATION_NOTE = ("cplxmodule's CplxConvTranspose*d.forward crashes on torch 2.13 "
                            "(private _output_padding signature); computed with 4 real conv_transpose "
                            "calls: re = T(xr,Wr) - T(xi,Wi), im = T(xr,Wi) + T(xi,Wr), + bias")


def cplx_conv_transpose(n, z, W, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Complex transposed convolution from four real ones (weight [C_in, C_out/groups, *k])."""
    T = TCONV[n]
    kw = dict(stride=stride, padding=padding, output_padding=output_padding, groups=groups,
              dilation=dilation)
    re = T(z.real, W.real, None, **kw) - T(z.imag, W.imag, None, **kw)
    im = T(z.real, W.imag, None, **kw) + T(z.imag, W.real, None, **kw)
    if b is not None:
        shp = (-1,) + (1,) * n
        re = re + b.real.reshape(shp)
        im = im + b.imag.reshape(shp)
    return Cplx(re, im)


def check_emulation(n, z, W, b, **kw):
    """The emulation agrees with cplxmodule's functional (explicit groups) on this torch."""
    with torch.no_grad():
        ours = cplx_conv_transpose(n, z, W, b, **kw)
        ref = CTCONV[n](z, W, b, kw["stride"], kw["padding"], kw["output_padding"], kw["groups"],
                        kw["dilation"])
        assert torch.allclose(ours.real, ref.real) and torch.allclose(ours.imag, ref.imag)


def gen_ops_complex():
    g = Group("ops_complex")

    def rec(cid, meta, fn, inputs_fn, **kw):
        torch.manual_seed(case_seed(cid))
        return record_function(g, cid, meta, fn, inputs_fn(), **kw)

    # arithmetic
    bin_cases = [
        ("cc", lambda: {"input1": crn(3, 4), "input2": crn(3, 4)}),
        ("cr", lambda: {"input1": crn(3, 4), "input2": rn(3, 4)}),
        ("rc", lambda: {"input1": rn(3, 4), "input2": crn(3, 4)}),
        ("bcast_cc", lambda: {"input1": crn(3, 1, 4), "input2": crn(2, 4)}),
        ("bcast_cr", lambda: {"input1": crn(2, 3, 4), "input2": rn(4)}),
    ]
    for opname, fnc in (("mul", lambda input1, input2: input1 * input2),
                        ("div", lambda input1, input2: input1 / input2)):
        for name, ins in bin_cases:
            meta = {"op": opname, "operands": name,
                    "semantics": "cplxmodule Cplx operator; real operand is a plain real tensor whose grad is real"}
            if opname == "div":
                meta["formula"] = "u / v = u * conj(v) / (vr^2 + vi^2)"
            rec(f"{opname}.{name}", meta, fnc, ins)
    rec("matmul.bcast_cc", {"op": "matmul", "formula": "(ur@vr - ui@vi) + i(ui@vr + ur@vi), torch.matmul broadcasting"},
        lambda input1, input2: input1 @ input2, lambda: {"input1": crn(2, 3, 4), "input2": crn(4, 2)})
    rec("add.cc", {"op": "add"}, lambda input1, input2: input1 + input2,
        lambda: {"input1": crn(3, 4), "input2": crn(3, 4)})
    rec("sub.cc", {"op": "sub"}, lambda input1, input2: input1 - input2,
        lambda: {"input1": crn(3, 4), "input2": crn(3, 4)})

    # elementwise functions
    funcs = {
        "exp": (cplx.exp, "e^u (cos v + i sin v)"),
        "log": (cplx.log, "log|z| + i angle(z)"),
        "sin": (cplx.sin, "sin u cosh v + i cos u sinh v"),
        "cos": (cplx.cos, "cos u cosh v - i sin u sinh v"),
        "tan": (cplx.tan, "sin / cos (Cplx division)"),
        "sinh": (cplx.sinh, "sinh u cos v + i cosh u sin v"),
        "cosh": (cplx.cosh, "cosh u cos v + i sinh u sin v"),
        "tanh": (cplx.tanh, "sinh / cosh (Cplx division)"),
        "abs": (lambda z: abs(z), "sqrt(re^2 + im^2) via torch.norm(stack) (grad 0 at z = 0)"),
        "angle": (lambda z: z.angle, "atan2(im, re)"),
        "conj": (lambda z: z.conj, "re - i im"),
    }
    for name, (fnc, formula) in funcs.items():
        def ins(name=name):
            z = crn(3, 5)
            if name == "abs":
                z.real[0, 0] = 0.0
                z.imag[0, 0] = 0.0
                z.real[0, 1] = 1e-8
                z.imag[0, 1] = 0.0
            return {"input": z}
        meta = {"op": name, "formula": formula}
        if name == "abs":
            meta["note"] = "element [0,0] is exactly 0 (grad 0 there), [0,1] is 1e-8"
        rec(f"{name}.random", meta, lambda input, fnc=fnc: fnc(input), ins)

    # linear / bilinear
    for bias in (True, False):
        def ins(bias=bias):
            d = {"input": crn(2, 3, 5), "weight": crn(4, 5)}
            if bias:
                d["bias"] = crn(4)
            return d
        rec(f"linear.{'bias' if bias else 'nobias'}",
            {"op": "cplx.linear", "bias": bias, "formula": "y = x W^T + b (no conjugation)"},
            lambda input, weight, bias=None: cplx.linear(input, weight, bias), ins)
    for conj in (True, False):
        for bias in (True, False):
            def ins(bias=bias):
                d = {"input1": crn(3, 4), "input2": crn(3, 5), "weight": crn(6, 4, 5)}
                if bias:
                    d["bias"] = crn(6)
                return d
            rec(f"bilinear.{'conj' if conj else 'noconj'}_{'bias' if bias else 'nobias'}",
                {"op": "cplx.bilinear", "conjugate": conj, "bias": bias,
                 "formula": "y_k = sum_ij c(x1_i) W_kij x2_j + b_k, c = conj if conjugate else identity"},
                lambda input1, input2, weight, bias=None, conj=conj: cplx.bilinear(input1, input2, weight, bias, conj),
                ins)

    # convolutions
    conv_cases = {
        1: [("basic", dict(k=3, stride=1, padding=0, dilation=1, groups=1, bias=True), 2, 3, 8),
            ("stride2_pad1_dil2_groups2", dict(k=3, stride=2, padding=1, dilation=2, groups=2, bias=True), 4, 4, 10),
            ("groups2_nobias", dict(k=2, stride=1, padding=0, dilation=1, groups=2, bias=False), 2, 4, 6)],
        2: [("basic", dict(k=3, stride=1, padding=0, dilation=1, groups=1, bias=True), 2, 3, (5, 6)),
            ("stride2_1_pad1_dil2_groups2", dict(k=3, stride=(2, 1), padding=1, dilation=2, groups=2, bias=True), 4, 4, (7, 6)),
            ("k3_2_pad1_0_nobias", dict(k=(3, 2), stride=1, padding=(1, 0), dilation=1, groups=1, bias=False), 2, 2, (4, 5))],
        3: [("basic", dict(k=2, stride=1, padding=0, dilation=1, groups=1, bias=True), 2, 2, (3, 4, 3)),
            ("stride2_pad1_groups2", dict(k=3, stride=2, padding=1, dilation=1, groups=2, bias=True), 2, 4, (4, 3, 4))],
    }
    for n, lst in conv_cases.items():
        for name, hp, cin, cout, sp in lst:
            k = hp["k"] if isinstance(hp["k"], tuple) else (hp["k"],) * n
            def ins(n=n, hp=hp, cin=cin, cout=cout, sp=sp, k=k):
                d = {"input": crn(*conv_in_shape(n, 2, cin, sp)), "weight": crn(cout, cin // hp["groups"], *k)}
                if hp["bias"]:
                    d["bias"] = crn(cout)
                return d
            meta = {"op": f"cplx.conv{n}d", "stride": hp["stride"], "padding": hp["padding"],
                    "dilation": hp["dilation"], "groups": hp["groups"], "bias": hp["bias"],
                    "weight_layout": "[C_out, C_in/groups, *k]",
                    "formula": "(Wr*u - Wi*v) + i(Wi*u + Wr*v) + b, cross-correlation, no kernel conjugation"}
            rec(f"conv{n}d.{name}", meta,
                lambda input, weight, bias=None, n=n, hp=hp: CCONV[n](
                    input, weight, bias, hp["stride"], hp["padding"], hp["dilation"], hp["groups"]), ins)

    tconv_cases = {
        1: [("basic", dict(k=3, stride=1, padding=0, output_padding=0, dilation=1, groups=1, bias=True), 2, 3, 5),
            ("stride2_pad1_outpad1_dil2_groups2", dict(k=3, stride=2, padding=1, output_padding=1, dilation=2, groups=2, bias=True), 4, 2, 4)],
        2: [("basic_nobias", dict(k=2, stride=1, padding=0, output_padding=0, dilation=1, groups=1, bias=False), 2, 3, (3, 4)),
            ("stride2_1_pad1_outpad1_0_groups2", dict(k=3, stride=(2, 1), padding=1, output_padding=(1, 0), dilation=1, groups=2, bias=True), 2, 4, (3, 3))],
        3: [("stride2_pad1_outpad1", dict(k=2, stride=2, padding=1, output_padding=1, dilation=1, groups=1, bias=True), 2, 2, (2, 3, 2))],
    }
    for n, lst in tconv_cases.items():
        for name, hp, cin, cout, sp in lst:
            k = hp["k"] if isinstance(hp["k"], tuple) else (hp["k"],) * n
            def ins(n=n, hp=hp, cin=cin, cout=cout, sp=sp, k=k):
                d = {"input": crn(*conv_in_shape(n, 2, cin, sp)), "weight": crn(cin, cout // hp["groups"], *k)}
                if hp["bias"]:
                    d["bias"] = crn(cout)
                kw = {kk: hp[kk] for kk in ("stride", "padding", "output_padding", "groups", "dilation")}
                check_emulation(n, d["input"], d["weight"], d.get("bias"), **kw)
                return d
            meta = {"op": f"cplx.conv_transpose{n}d", "stride": hp["stride"], "padding": hp["padding"],
                    "output_padding": hp["output_padding"], "dilation": hp["dilation"],
                    "groups": hp["groups"], "bias": hp["bias"], "weight_layout": "[C_in, C_out/groups, *k]",
                    "emulated": True, "quirks": [TRANSPOSE_EMULATION_NOTE]}
            rec(f"conv_transpose{n}d.{name}", meta,
                lambda input, weight, bias=None, n=n, hp=hp: cplx_conv_transpose(
                    n, input, weight, bias, hp["stride"], hp["padding"], hp["output_padding"],
                    hp["groups"], hp["dilation"]), ins)

    # modReLU
    def modrelu_input():
        z = crn(4, 6)
        tiny = [(0.0, 0.0), (1e-7, 0.0), (0.0, -1e-7), (6e-6, 8e-6), (3e-6, 4e-6), (1e-5, 1e-5),
                (0.3, 0.4), (-0.3, 0.4), (3.0, 4.0), (0.29, 0.4), (0.31, -0.4), (1e-3, -2e-3)]
        for i, (a, b) in enumerate(tiny):
            z.real[i // 6, i % 6] = a
            z.imag[i // 6, i % 6] = b
        return {"input": z}
    for tau in (0.5, -0.5):
        rec(f"modrelu.threshold{tau}",
            {"op": "cplx.modrelu", "threshold": tau,
             "formula": "z * relu(1 - threshold / clamp(|z|, min=1e-5))",
             "note": "first two rows hold hand-picked values: exact 0, moduli 1e-7, 1e-5 (clamp region), "
                     "|z| = 0.5 +- 0.01 (near the kink), 5",
             "quirks": ["sign opposite to Arjovsky et al. 2016: out = max(0, |z| - threshold) e^{i angle}",
                        "modulus clamped at 1e-5: for |z| < 1e-5 and threshold < 0 out = z (1 - threshold/1e-5)"]},
            lambda input, tau=tau: cplx.modrelu(input, tau), modrelu_input)
    rec("modrelu.tensor_threshold",
        {"op": "cplx.modrelu", "threshold": "tensor role 'threshold' broadcast over the last axis",
         "formula": "z * relu(1 - threshold / clamp(|z|, min=1e-5))",
         "quirks": ["sign opposite to Arjovsky et al. 2016"]},
        lambda input, threshold: cplx.modrelu(input, threshold),
        lambda: {"input": crn(3, 5), "threshold": torch.tensor([0.5, -0.5, 0.1, 1.0, 0.0])})

    rec("phaseshift.per_channel", {"op": "cplx.phaseshift", "formula": "z * (cos phi + i sin phi)"},
        lambda input, phi: cplx.phaseshift(input, phi),
        lambda: {"input": crn(2, 3, 4), "phi": rn(3, 1)})

    # max pooling by modulus
    for n, name, hp, sp in ((1, "k2", dict(kernel_size=2, stride=None, padding=0), 7),
                            (1, "k3_s2_p1", dict(kernel_size=3, stride=2, padding=1), 8),
                            (2, "k2", dict(kernel_size=2, stride=None, padding=0), (4, 5)),
                            (2, "k3_2_s2_1_p1_0", dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0)), (5, 4))):
        fnc = cplx.max_pool1d if n == 1 else cplx.max_pool2d
        rec(f"max_pool{n}d.{name}",
            {"op": f"cplx.max_pool{n}d", **hp, "dilation": 1, "ceil_mode": False,
             "semantics": "picks the element of largest modulus in each window (both parts from that element); "
                          "random input, no ties"},
            lambda input, fnc=fnc, hp=hp: fnc(input, **hp),
            lambda n=n, sp=sp: {"input": crn(*conv_in_shape(n, 2, 2, sp))})

    # real <-> complex conversions
    rec("from_interleaved_real.dim-1", {"op": "from_interleaved_real", "dim": -1,
                                        "formula": "z_k = x[2k] + i x[2k+1]"},
        lambda input: cplx.from_interleaved_real(input, True, -1), lambda: {"input": rn(3, 8)})
    rec("from_interleaved_real.dim1", {"op": "from_interleaved_real", "dim": 1},
        lambda input: cplx.from_interleaved_real(input, True, 1), lambda: {"input": rn(2, 6, 3)})
    rec("from_concatenated_real.dim-1", {"op": "from_concatenated_real", "dim": -1,
                                         "formula": "first half real, second half imaginary"},
        lambda input: cplx.from_concatenated_real(input, True, -1), lambda: {"input": rn(3, 8)})
    rec("from_concatenated_real.dim0", {"op": "from_concatenated_real", "dim": 0},
        lambda input: cplx.from_concatenated_real(input, True, 0), lambda: {"input": rn(4, 3)})
    rec("to_interleaved_real.dim-1", {"op": "to_interleaved_real", "dim": -1, "flatten": True,
                                      "formula": "[..., 2D]: re0, im0, re1, im1, ..."},
        lambda input: cplx.to_interleaved_real(input, True, -1), lambda: {"input": crn(3, 4)})
    rec("to_interleaved_real.dim1", {"op": "to_interleaved_real", "dim": 1, "flatten": True},
        lambda input: cplx.to_interleaved_real(input, True, 1), lambda: {"input": crn(2, 3, 2)})
    rec("to_interleaved_real.noflatten", {"op": "to_interleaved_real", "dim": -1, "flatten": False,
                                          "formula": "new trailing axis of size 2 (re, im)"},
        lambda input: cplx.to_interleaved_real(input, False, -1), lambda: {"input": crn(3, 4)})
    rec("to_concatenated_real.dim-1", {"op": "to_concatenated_real", "dim": -1,
                                       "formula": "cat([re, im], dim)"},
        lambda input: cplx.to_concatenated_real(input, None, -1), lambda: {"input": crn(3, 4)})
    rec("to_concatenated_real.dim0", {"op": "to_concatenated_real", "dim": 0},
        lambda input: cplx.to_concatenated_real(input, None, 0), lambda: {"input": crn(2, 3)})
    return g



# --------------------------------------------------------------------------------------
# group 3: layers (torch.nn and cplxmodule.nn)
# --------------------------------------------------------------------------------------

COMPLEX_KEY_ORDER = "complex parameters appear as <name>.imag before <name>.real in state_dict order"
SWAPPED_FANS = ("cplxmodule's init.get_fans swaps fan_in/fan_out for 2-D weights (bias init range); "
                "irrelevant here because every parameter is stored explicitly")


def module_desc(mod):
    return f"{type(mod).__name__}({mod.extra_repr()})"


def is_float_like(v):
    return isinstance(v, Cplx) or (torch.is_tensor(v) and v.is_floating_point())


def record_module(g, cid, mod, inputs, meta, dtype=F64, forward=None, train=False, cot=None):
    """Run one forward of `mod` (cast to dtype, train/eval mode) on `inputs` and store
    param/<key> (state before the call), inputs, output, cot, grad/<input>, grad/<param key>,
    and state_after/<buffer key> for training-mode calls."""
    mod = mod.to(dtype)
    mod.train(train)
    ins = {k: cast(v, dtype) for k, v in inputs.items()}
    state = {k: v.detach().clone() for k, v in mod.state_dict().items()}
    in_leaves = {k: leaf(v) for k, v in ins.items() if is_float_like(v)}
    params = dict(mod.named_parameters())
    call = {k: in_leaves.get(k, v) for k, v in ins.items()}
    out = forward(mod, **call) if forward is not None else mod(*call.values())
    cot = like_random(out) if cot is None else cast(cot, dtype)
    leaves = {("in", k): v for k, v in in_leaves.items()}
    leaves.update({("par", k): v for k, v in params.items()})
    grads = vjp(out, cot, leaves)
    for k, v in state.items():
        g.put(cid, "param/" + k, v)
    for k, v in ins.items():
        g.put(cid, k, v)
    g.put(cid, "output", out)
    g.put(cid, "cot", cot)
    for (kind, k), v in grads.items():
        g.put(cid, "grad/" + k, v)
    buffers = [k for k, _ in mod.named_buffers()]
    if train:
        after = mod.state_dict()
        for k in buffers:
            g.put(cid, "state_after/" + k, after[k])
    meta = dict(meta)
    meta.setdefault("module", module_desc(mod))
    meta["mode"] = "train" if train else "eval"
    meta["dtype"] = DTYPE_NAME[dtype]
    meta["keys"] = list(state)
    meta["parameters"] = list(params)
    meta["buffers"] = buffers
    meta["shapes"] = {**{k: list(v.shape) for k, v in state.items()},
                      **{k: shape_of(v) for k, v in ins.items()}, "output": shape_of(out)}
    meta["complex_roles"] = [k for k, v in list(ins.items()) + [("output", out)] if isinstance(v, Cplx)]
    g.set_meta(cid, meta)
    return mod


def both_dtypes(g, cid, build, meta, dtypes=(F64, F32), **kw):
    """build() -> (module, inputs), called under the case seed once per dtype."""
    for dtype in dtypes:
        c = cid + (".f32" if dtype == F32 else "")
        torch.manual_seed(case_seed(c))
        mod, ins = build()
        record_module(g, c, mod, ins, meta, dtype=dtype, **kw)


def randomize_(mod, scale=0.5):
    """Overwrite every parameter with N(0, scale^2) values (under the current seed)."""
    with torch.no_grad():
        for _, p in mod.named_parameters():
            p.copy_(torch.randn(p.shape, dtype=F64) * scale)
    return mod


def gen_layers():
    g = Group("layers")

    # ---- real torch.nn layers
    for bias in (True, False):
        both_dtypes(g, f"Linear.{'bias' if bias else 'nobias'}",
                    lambda bias=bias: (torch.nn.Linear(5, 4, bias=bias), {"input": rn(3, 5)}),
                    {"class": "torch.nn.Linear", "ctor": {"in_features": 5, "out_features": 4, "bias": bias}})
    both_dtypes(g, "Bilinear.bias",
                lambda: (torch.nn.Bilinear(4, 5, 3), {"input1": rn(3, 4), "input2": rn(3, 5)}),
                {"class": "torch.nn.Bilinear", "ctor": {"in1_features": 4, "in2_features": 5, "out_features": 3, "bias": True}})
    real_convs = [
        ("Conv1d.stride2_pad1_groups2", torch.nn.Conv1d,
         dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1, dilation=1, groups=2, bias=True), (2, 4, 9)),
        ("Conv1d.dil2_nobias", torch.nn.Conv1d,
         dict(in_channels=2, out_channels=3, kernel_size=2, stride=1, padding=0, dilation=2, groups=1, bias=False), (2, 2, 7)),
        ("Conv2d.stride2_1_pad1_dil1_2", torch.nn.Conv2d,
         dict(in_channels=2, out_channels=4, kernel_size=(3, 2), stride=(2, 1), padding=1, dilation=(1, 2), groups=1, bias=True), (2, 2, 6, 5)),
        ("Conv2d.groups2", torch.nn.Conv2d,
         dict(in_channels=4, out_channels=4, kernel_size=3, stride=1, padding=1, dilation=1, groups=2, bias=True), (2, 4, 4, 4)),
        ("Conv3d.pad1", torch.nn.Conv3d,
         dict(in_channels=2, out_channels=2, kernel_size=2, stride=1, padding=1, dilation=1, groups=1, bias=True), (2, 2, 3, 3, 2)),
        ("ConvTranspose1d.stride2_pad1_outpad1_groups2", torch.nn.ConvTranspose1d,
         dict(in_channels=4, out_channels=2, kernel_size=3, stride=2, padding=1, output_padding=1, groups=2, bias=True, dilation=1), (2, 4, 5)),
        ("ConvTranspose2d.stride2_pad1_outpad1", torch.nn.ConvTranspose2d,
         dict(in_channels=2, out_channels=3, kernel_size=3, stride=2, padding=1, output_padding=1, groups=1, bias=True, dilation=1), (2, 2, 3, 4)),
        ("ConvTranspose2d.dil2_nobias", torch.nn.ConvTranspose2d,
         dict(in_channels=2, out_channels=2, kernel_size=2, stride=1, padding=0, output_padding=0, groups=1, bias=False, dilation=2), (1, 2, 3, 3)),
        ("ConvTranspose3d.stride2", torch.nn.ConvTranspose3d,
         dict(in_channels=2, out_channels=2, kernel_size=2, stride=2, padding=0, output_padding=0, groups=1, bias=True, dilation=1), (2, 2, 2, 2, 3)),
    ]
    for cid, cls, ctor, shp in real_convs:
        layout = "[C_in, C_out/groups, *k]" if "Transpose" in cid else "[C_out, C_in/groups, *k]"
        both_dtypes(g, cid, lambda cls=cls, ctor=ctor, shp=shp: (cls(**ctor), {"input": rn(*shp)}),
                    {"class": "torch.nn." + cls.__name__, "ctor": ctor, "weight_layout": layout})

    # ---- batch norm (real and complex): training call then eval call
    def bn_pair(cid, make, in_shape, extra_meta, randomize_state):
        for dtype in (F64, F32):
            suffix = ".f32" if dtype == F32 else ""
            torch.manual_seed(case_seed(cid + ".train"))
            mod = make()
            randomize_state(mod)
            x = rn(*in_shape, scale=1.5) + 0.7 if not extra_meta.get("complex") else \
                Cplx(rn(*in_shape, scale=1.5) + 0.7, rn(*in_shape) * 0.8 + 0.5 * rn(*in_shape, scale=1.5))
            meta = dict(extra_meta)
            meta["note"] = "training-mode forward; state_after/* are the buffers after this one call"
            mod = record_module(g, cid + ".train" + suffix, mod, {"input": x}, meta, dtype=dtype, train=True)
            torch.manual_seed(case_seed(cid + ".eval"))
            x2 = rn(*in_shape) if not extra_meta.get("complex") else crn(*in_shape)
            meta = dict(extra_meta)
            meta["note"] = f"eval-mode forward of the module after the training call of case {cid}.train{suffix} (param/* hold that state)"
            record_module(g, cid + ".eval" + suffix, mod, {"input": x2}, meta, dtype=dtype, train=False)

    def rand_real_bn(mod):
        with torch.no_grad():
            C = mod.num_features
            mod.weight.copy_(1.0 + 0.3 * torch.randn(C, dtype=F64))
            mod.bias.copy_(0.3 * torch.randn(C, dtype=F64))
            mod.running_mean.copy_(0.2 * torch.randn(C, dtype=F64))
            mod.running_var.copy_(0.5 + torch.rand(C, dtype=F64))

    def rand_cplx_bn(mod):
        with torch.no_grad():
            C = mod.num_features
            mod.weight.copy_(torch.eye(2, dtype=F64).unsqueeze(-1) + 0.3 * torch.randn(2, 2, C, dtype=F64))
            mod.bias.copy_(0.3 * torch.randn(2, C, dtype=F64))
            mod.running_mean.copy_(0.2 * torch.randn(2, C, dtype=F64))
            a = 0.5 + torch.rand(C, dtype=F64)
            b = 0.5 + torch.rand(C, dtype=F64)
            c = 0.3 * (torch.rand(C, dtype=F64) - 0.5)
            mod.running_var.copy_(torch.stack([torch.stack([a, c]), torch.stack([c, b])]))

    real_bn_meta = {"eps": 1e-5, "momentum": 0.1, "affine": True, "track_running_stats": True,
                    "quirks": ["torch BatchNorm: normalisation uses the biased batch variance, "
                               "running_var is updated with the unbiased (Bessel-corrected) one"]}
    bn_pair("BatchNorm1d.input2d", lambda: torch.nn.BatchNorm1d(3), (6, 3),
            {"class": "torch.nn.BatchNorm1d", "ctor": {"num_features": 3}, **real_bn_meta}, rand_real_bn)
    bn_pair("BatchNorm1d.input3d", lambda: torch.nn.BatchNorm1d(3), (4, 3, 5),
            {"class": "torch.nn.BatchNorm1d", "ctor": {"num_features": 3}, **real_bn_meta}, rand_real_bn)
    bn_pair("BatchNorm2d.basic", lambda: torch.nn.BatchNorm2d(3), (3, 3, 4, 4),
            {"class": "torch.nn.BatchNorm2d", "ctor": {"num_features": 3}, **real_bn_meta}, rand_real_bn)
    cplx_bn_meta = {"complex": True, "eps": 1e-5, "momentum": 0.1, "affine": True, "track_running_stats": True,
                    "layout": "weight [2,2,F] (rows: out re/im, cols: whitened re/im), bias [2,F], "
                              "running_mean [2,F], running_var [2,2,F] (2x2 covariance per feature); all real tensors",
                    "quirks": ["running_var stores the covariance including the 1e-5 nugget on the diagonal; "
                               "no Bessel correction (1/N); eval uses running_var as is (no nugget added)",
                               "whitening by the 2x2 inverse square root (whiten2x2); gradients flow through "
                               "batch mean and covariance in training"]}
    bn_pair("CplxBatchNorm1d.input2d", lambda: cnn.CplxBatchNorm1d(3), (6, 3),
            {"class": "cplxmodule.nn.CplxBatchNorm1d", "ctor": {"num_features": 3}, **cplx_bn_meta}, rand_cplx_bn)
    bn_pair("CplxBatchNorm1d.input3d", lambda: cnn.CplxBatchNorm1d(3), (4, 3, 5),
            {"class": "cplxmodule.nn.CplxBatchNorm1d", "ctor": {"num_features": 3}, **cplx_bn_meta}, rand_cplx_bn)
    bn_pair("CplxBatchNorm2d.basic", lambda: cnn.CplxBatchNorm2d(3), (3, 3, 4, 4),
            {"class": "cplxmodule.nn.CplxBatchNorm2d", "ctor": {"num_features": 3}, **cplx_bn_meta}, rand_cplx_bn)

    # ---- complex linear layers
    cq = [COMPLEX_KEY_ORDER, SWAPPED_FANS]
    for bias in (True, False):
        both_dtypes(g, f"CplxLinear.{'bias' if bias else 'nobias'}",
                    lambda bias=bias: (cnn.CplxLinear(5, 4, bias=bias), {"input": crn(3, 5)}),
                    {"class": "cplxmodule.nn.CplxLinear", "ctor": {"in_features": 5, "out_features": 4, "bias": bias},
                     "formula": "y = x W^T + b", "quirks": cq})
    for conj in (True, False):
        both_dtypes(g, f"CplxBilinear.{'conj' if conj else 'noconj'}",
                    lambda conj=conj: (cnn.CplxBilinear(4, 5, 3, bias=True, conjugate=conj),
                                       {"input1": crn(3, 4), "input2": crn(3, 5)}),
                    {"class": "cplxmodule.nn.CplxBilinear",
                     "ctor": {"in1_features": 4, "in2_features": 5, "out_features": 3, "bias": True, "conjugate": conj},
                     "formula": "y_k = sum_ij c(x1_i) W_kij x2_j + b_k (c = conj if conjugate)", "quirks": cq})
    cplx_convs = [
        ("CplxConv1d.stride2_pad1_groups2", cnn.CplxConv1d,
         dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1, dilation=1, groups=2, bias=True), (2, 4, 9)),
        ("CplxConv1d.dil2_nobias", cnn.CplxConv1d,
         dict(in_channels=2, out_channels=3, kernel_size=2, stride=1, padding=0, dilation=2, groups=1, bias=False), (2, 2, 7)),
        ("CplxConv2d.stride2_1_pad1_dil1_2", cnn.CplxConv2d,
         dict(in_channels=2, out_channels=4, kernel_size=(3, 2), stride=(2, 1), padding=1, dilation=(1, 2), groups=1, bias=True), (2, 2, 6, 5)),
        ("CplxConv2d.groups2", cnn.CplxConv2d,
         dict(in_channels=4, out_channels=4, kernel_size=3, stride=1, padding=1, dilation=1, groups=2, bias=True), (2, 4, 4, 4)),
        ("CplxConv3d.pad1", cnn.CplxConv3d,
         dict(in_channels=2, out_channels=2, kernel_size=2, stride=1, padding=1, dilation=1, groups=1, bias=True), (2, 2, 3, 3, 2)),
    ]
    for cid, cls, ctor, shp in cplx_convs:
        both_dtypes(g, cid, lambda cls=cls, ctor=ctor, shp=shp: (cls(**ctor), {"input": crn(*shp)}),
                    {"class": "cplxmodule.nn." + cls.__name__, "ctor": ctor, "weight_layout": "[C_out, C_in/groups, *k]",
                     "formula": "(Wr*u - Wi*v) + i(Wi*u + Wr*v) + b", "quirks": [COMPLEX_KEY_ORDER]})
    cplx_tconvs = [
        ("CplxConvTranspose1d.stride2_pad1_outpad1_groups2", cnn.CplxConvTranspose1d, 1,
         dict(in_channels=4, out_channels=2, kernel_size=3, stride=2, padding=1, dilation=1, output_padding=1, groups=2, bias=True), (2, 4, 5)),
        ("CplxConvTranspose1d.default_nobias", cnn.CplxConvTranspose1d, 1,
         dict(in_channels=2, out_channels=3, kernel_size=3, stride=1, padding=0, dilation=1, output_padding=0, groups=1, bias=None), (2, 2, 4)),
        ("CplxConvTranspose2d.stride2_pad1_outpad1_dil2", cnn.CplxConvTranspose2d, 2,
         dict(in_channels=2, out_channels=3, kernel_size=3, stride=2, padding=1, dilation=2, output_padding=1, groups=1, bias=True), (2, 2, 3, 3)),
        ("CplxConvTranspose3d.stride2_groups2", cnn.CplxConvTranspose3d, 3,
         dict(in_channels=2, out_channels=4, kernel_size=2, stride=2, padding=0, dilation=1, output_padding=0, groups=2, bias=True), (1, 2, 2, 2, 3)),
    ]
    for cid, cls, n, ctor, shp in cplx_tconvs:
        def fwd(mod, input, n=n, ctor=ctor):
            return cplx_conv_transpose(n, input, mod.weight, mod.bias, ctor["stride"], ctor["padding"],
                                       ctor["output_padding"], ctor["groups"], ctor["dilation"])
        both_dtypes(g, cid, lambda cls=cls, ctor=ctor, shp=shp: (cls(**ctor), {"input": crn(*shp)}),
                    {"class": "cplxmodule.nn." + cls.__name__, "ctor": ctor, "weight_layout": "[C_in, C_out/groups, *k]",
                     "emulated": True,
                     "quirks": [TRANSPOSE_EMULATION_NOTE, COMPLEX_KEY_ORDER,
                                "constructor order is (..., dilation, output_padding, groups, bias) and bias defaults "
                                "to None (no bias), unlike torch"]},
                    forward=fwd)

    # ---- activations, pooling, casting, phase shift
    mr_q = ["sign opposite to Arjovsky et al. 2016: out = max(0, |z| - threshold) e^{i angle}",
            "modulus clamped at 1e-5"]
    both_dtypes(g, "CplxModReLU.fixed0.5", lambda: (cnn.CplxModReLU(0.5), {"input": crn(3, 5, scale=0.6)}),
                {"class": "cplxmodule.nn.CplxModReLU", "ctor": {"threshold": 0.5}, "quirks": mr_q + ["a float threshold is a constant (no state)"]})

    def learnable():
        m = cnn.CplxModReLU(None)
        with torch.no_grad():
            m.threshold.fill_(0.3)
        return m, {"input": crn(3, 5, scale=0.6)}
    both_dtypes(g, "CplxModReLU.learnable", learnable,
                {"class": "cplxmodule.nn.CplxModReLU", "ctor": {"threshold": None}, "threshold_value": 0.3,
                 "quirks": mr_q + ["any non-float threshold (None, int, tensor) creates a learnable parameter "
                                   "'threshold' of shape (1,) initialised U(0, 0.25); set to 0.3 here"]})

    def adaptive(dim):
        def build():
            m = cnn.CplxAdaptiveModReLU(*dim)
            with torch.no_grad():
                m.threshold.copy_(torch.randn(m.threshold.shape, dtype=F64) * 0.4)
            return m, {"input": crn(3, 5, scale=0.6)}
        return build
    both_dtypes(g, "CplxAdaptiveModReLU.dim5", adaptive((5,)),
                {"class": "cplxmodule.nn.CplxAdaptiveModReLU", "ctor": {"dim": [5]}, "quirks": mr_q})
    both_dtypes(g, "CplxAdaptiveModReLU.default", adaptive(()),
                {"class": "cplxmodule.nn.CplxAdaptiveModReLU", "ctor": {"dim": []},
                 "quirks": mr_q + ["empty dim means threshold shape (1,)"]})
    both_dtypes(g, "CplxModulus.basic", lambda: (cnn.CplxModulus(), {"input": crn(3, 4)}),
                {"class": "cplxmodule.nn.CplxModulus", "formula": "|z|"})
    both_dtypes(g, "CplxAngle.basic", lambda: (cnn.CplxAngle(), {"input": crn(3, 4)}),
                {"class": "cplxmodule.nn.CplxAngle", "formula": "atan2(im, re)"})
    both_dtypes(g, "CplxMaxPool1d.k2", lambda: (cnn.CplxMaxPool1d(2), {"input": crn(2, 3, 7)}),
                {"class": "cplxmodule.nn.CplxMaxPool1d", "ctor": {"kernel_size": 2},
                 "semantics": "max by modulus; stride defaults to kernel_size"})
    both_dtypes(g, "CplxMaxPool2d.k3_s2_p1", lambda: (cnn.CplxMaxPool2d(3, stride=2, padding=1), {"input": crn(2, 2, 5, 6)}),
                {"class": "cplxmodule.nn.CplxMaxPool2d", "ctor": {"kernel_size": 3, "stride": 2, "padding": 1},
                 "semantics": "max by modulus", "quirks": ["return_indices is ignored by cplxmodule"]})

    def phase():
        m = CplxPhaseShift(3, 1)
        with torch.no_grad():
            m.phi.copy_(torch.randn(3, 1, dtype=F64))
        return m, {"input": crn(2, 3, 4)}
    both_dtypes(g, "CplxPhaseShift.per_channel", phase,
                {"class": "cplxmodule.nn.modules.linear.CplxPhaseShift", "ctor": {"dim": [3, 1]},
                 "formula": "z * (cos phi + i sin phi)",
                 "quirks": ["not exported from cplxmodule.nn; phi init randn*0.02 (overwritten here)"]})

    casts = [
        ("RealToCplx.interleaved", lambda: cnn.RealToCplx(), lambda: rn(3, 8), "cplxmodule.nn.RealToCplx (InterleavedRealToCplx)", "z_k = x[2k] + i x[2k+1] along dim -1"),
        ("ConcatenatedRealToCplx.basic", lambda: ConcatenatedRealToCplx(), lambda: rn(3, 8), "cplxmodule.nn.modules.casting.ConcatenatedRealToCplx", "first half real, second half imaginary"),
        ("CplxToReal.interleaved", lambda: cnn.CplxToReal(), lambda: crn(3, 4), "cplxmodule.nn.CplxToReal (CplxToInterleavedReal)", "re0, im0, re1, im1, ..."),
        ("CplxToConcatenatedReal.basic", lambda: CplxToConcatenatedReal(), lambda: crn(3, 4), "cplxmodule.nn.modules.casting.CplxToConcatenatedReal", "cat([re, im], -1)"),
        ("AsTypeCplx.basic", lambda: cnn.AsTypeCplx(), lambda: rn(3, 4), "cplxmodule.nn.AsTypeCplx", "x + 0i"),
        ("TensorToCplx.basic", lambda: TensorToCplx(), lambda: rn(3, 4, 2), "cplxmodule.nn.modules.casting.TensorToCplx", "x[..., 0] + i x[..., 1]"),
        ("CplxToTensor.basic", lambda: CplxToTensor(), lambda: crn(3, 4), "cplxmodule.nn.modules.casting.CplxToTensor", "stack([re, im], -1)"),
        ("CplxReal.basic", lambda: cnn.CplxReal(), lambda: crn(3, 4), "cplxmodule.nn.CplxReal", "re"),
        ("CplxImag.basic", lambda: cnn.CplxImag(), lambda: crn(3, 4), "cplxmodule.nn.CplxImag", "im"),
    ]
    for cid, make, inp, cls, formula in casts:
        both_dtypes(g, cid, lambda make=make, inp=inp: (make(), {"input": inp()}),
                    {"class": cls, "formula": formula})
    return g



# --------------------------------------------------------------------------------------
# group 4: relevance (VD / ARD / L0 / LASSO) and masked layers
# --------------------------------------------------------------------------------------

LOG_ALPHA = "log_alpha = log_sigma2 - 2 log(|W| + 1e-12) (|W| the complex modulus for complex layers)"
PENALTY_FORMULA = {
    "VD": "real VD (Molchanov 2017 approx.): n = -log_alpha; 0.5 softplus(n) + 0.63576 sigmoid(1.48695 n - 1.87320)",
    "ARD": "real ARD: 0.5 softplus(-log_alpha)",
    "CVD": "complex VD: euler_gamma - log_alpha - Ei(-exp(-log_alpha)), euler_gamma = 0.5772156649015329",
    "CARD": "complex ARD: softplus(-log_alpha) (no factor 1/2)",
    "CVDScaleFree": "L = log(|W| + 1e-12); L - log_sigma2 - 0.5 Ei(-exp(2L - log_sigma2))",
    "CVDApprox": "n = -log_alpha; softplus(n) + 0.57810 sigmoid(1.36526 n - 1.45926)",
    "CVDBogus": "value: -log_alpha - 0 (Ei replaced by zeros in forward); gradient: that of complex VD",
}
PENALTY_QUIRKS = {
    "VD": [], "ARD": ["real ARD has a factor 1/2, complex ARD has none"],
    "CVD": ["Ei evaluated by scipy.special.expi on the CPU (ExpiFunction); backward grad*exp(x)/x"],
    "CARD": ["complex ARD has no factor 1/2 (real ARD has)"],
    "CVDScaleFree": ["penalty omits the constant euler_gamma/2 the docstring promises: values can be negative"],
    "CVDApprox": ["code uses 5-digit constants 0.57810, 1.45926, 1.36526 (docstring has 8 digits)"],
    "CVDBogus": ["penalty VALUE is bogus by design (= -log_alpha, can be negative); its GRADIENT equals the exact "
                 "complex VD gradient"],
}


def randomize_bayes(mod, zero_idx=(), ls2_range=(-12.0, 4.0), la_range=(-5.0, 5.0)):
    """Random weights N(0, 0.5^2) (a few exact zeros at flat indices zero_idx, both parts for
    complex), biases N(0, 0.3^2), log_sigma2 ~ U(ls2_range), L0 log_alpha ~ U(la_range)."""
    with torch.no_grad():
        for name, p in mod.named_parameters():
            if name.startswith("weight"):
                p.copy_(torch.randn(p.shape, dtype=F64) * 0.5)
                flatp = p.view(-1)
                for i in zero_idx:
                    if i < flatp.numel():
                        flatp[i] = 0.0
            elif name.startswith("bias"):
                p.copy_(torch.randn(p.shape, dtype=F64) * 0.3)
            elif name == "log_sigma2":
                p.copy_(torch.rand(p.shape, dtype=F64) * (ls2_range[1] - ls2_range[0]) + ls2_range[0])
            elif name == "log_alpha":
                p.copy_(torch.rand(p.shape, dtype=F64) * (la_range[1] - la_range[0]) + la_range[0])
    return mod


def put_penalty(g, c, mod, pen):
    g.put(c, "penalty", pen)
    params = dict(mod.named_parameters())
    for k, v in scalar_grads(pen.sum(), params).items():
        g.put(c, "grad_penalty/" + k, v)


def vd_extras(g, c, mod):
    g.put(c, "log_alpha", mod.log_alpha)
    put_penalty(g, c, mod, mod.penalty)
    for t in (-0.5, 3):
        g.put(c, f"relevance@{t}", mod.relevance(threshold=t))


def relevance_cases(g, cid, build, meta, extras, dtypes=(F64, F32)):
    for dtype in dtypes:
        c = cid + (".f32" if dtype == F32 else "")
        torch.manual_seed(case_seed(c))
        mod, ins = build()
        mod = record_module(g, c, mod, ins, meta, dtype=dtype)
        extras(g, c, mod)


def gen_relevance():
    g = Group("relevance")
    zeros = (0, 3, 7)

    real_specs = [  # (kind, ctor, input builder)
        ("Linear", dict(in_features=5, out_features=4, bias=True), lambda: {"input": rn(3, 5)}),
        ("Conv1d", dict(in_channels=2, out_channels=4, kernel_size=3, stride=2, padding=1, dilation=1, groups=2, bias=True),
         lambda: {"input": rn(2, 2, 8)}),
        ("Conv2d", dict(in_channels=2, out_channels=3, kernel_size=(3, 2), stride=(2, 1), padding=1, dilation=1, groups=1, bias=True),
         lambda: {"input": rn(2, 2, 5, 4)}),
        ("Conv3d", dict(in_channels=2, out_channels=2, kernel_size=2, stride=1, padding=1, dilation=(1, 2, 1), groups=1, bias=True),
         lambda: {"input": rn(1, 2, 3, 3, 4)}),
        ("Bilinear", dict(in1_features=4, in2_features=5, out_features=3, bias=True),
         lambda: {"input1": rn(3, 4), "input2": rn(3, 5)}),
    ]
    for kind, ctor, inp in real_specs:
        for method in ("VD", "ARD"):
            cls = getattr(rel, kind + method)
            meta = {"class": f"cplxmodule.nn.relevance.{kind}{method}", "ctor": ctor,
                    "log_alpha": LOG_ALPHA, "penalty": PENALTY_FORMULA[method],
                    "relevance": "float(log_alpha <= threshold)",
                    "init": "weights N(0, 0.25) with exact zeros at flat indices [0, 3, 7], log_sigma2 ~ U(-12, 4)",
                    "quirks": PENALTY_QUIRKS[method] + [
                        "eval forward is the mean (deterministic); grad/log_sigma2 of the eval output is zero"]}
            relevance_cases(g, f"{kind}{method}.basic",
                            lambda cls=cls, ctor=ctor, inp=inp: (randomize_bayes(cls(**ctor), zeros), inp()),
                            meta, vd_extras)

    cplx_specs = [
        ("Linear", dict(in_features=5, out_features=4, bias=True), lambda: {"input": crn(3, 5)}),
        ("Conv1d", dict(in_channels=4, out_channels=4, kernel_size=3, stride=2, padding=1, dilation=1, groups=2, bias=True),
         lambda: {"input": crn(2, 4, 8)}),
        ("Conv2d", dict(in_channels=2, out_channels=3, kernel_size=(3, 2), stride=(2, 1), padding=1, dilation=1, groups=1, bias=True),
         lambda: {"input": crn(2, 2, 5, 4)}),
        ("Conv3d", dict(in_channels=2, out_channels=2, kernel_size=2, stride=1, padding=1, dilation=(1, 2, 1), groups=1, bias=True),
         lambda: {"input": crn(1, 2, 3, 3, 4)}),
        ("Bilinear", dict(in1_features=4, in2_features=5, out_features=3, bias=True, conjugate=True),
         lambda: {"input1": crn(3, 4), "input2": crn(3, 5)}),
    ]
    methods = [("VD", rel, "CVD"), ("ARD", rel, "CARD"), ("VDScaleFree", relx, "CVDScaleFree"),
               ("VDApprox", relx, "CVDApprox"), ("VDBogus", relx, "CVDBogus")]
    for kind, ctor, inp in cplx_specs:
        for method, pkg, pkey in methods:
            cls = getattr(pkg, f"Cplx{kind}{method}")
            meta = {"class": f"{pkg.__name__}.Cplx{kind}{method}", "ctor": ctor,
                    "log_alpha": LOG_ALPHA, "penalty": PENALTY_FORMULA[pkey],
                    "relevance": "float(log_alpha <= threshold)",
                    "init": "weight parts N(0, 0.25) with exact zeros (both parts) at flat indices [0, 3, 7], "
                            "log_sigma2 ~ U(-12, 4)",
                    "quirks": PENALTY_QUIRKS[pkey] + [
                        "state_dict order: log_sigma2 first, then weight.imag, weight.real, bias.imag, bias.real",
                        "eval forward is the mean (deterministic); grad/log_sigma2 of the eval output is zero"]}
            relevance_cases(g, f"Cplx{kind}{method}.basic",
                            lambda cls=cls, ctor=ctor, inp=inp: (randomize_bayes(cls(**ctor), zeros), inp()),
                            meta, vd_extras)

    # complex VD with log_alpha < -88.7: exp(-log_alpha) overflows float32
    def tiny_alpha():
        mod = randomize_bayes(rel.CplxLinearVD(4, 3))
        with torch.no_grad():
            mod.log_sigma2.view(-1)[:6] = torch.tensor([-95.0, -100.0, -90.0, -89.5, -120.0, -95.0])
        return mod, {"input": crn(2, 4)}
    relevance_cases(g, "CplxLinearVD.logalpha_below_-88.7", tiny_alpha,
                    {"class": "cplxmodule.nn.relevance.CplxLinearVD", "ctor": {"in_features": 4, "out_features": 3},
                     "log_alpha": LOG_ALPHA, "penalty": PENALTY_FORMULA["CVD"],
                     "note": "first 6 entries of log_sigma2 are in [-120, -89.5] so log_alpha < -88.7 there",
                     "quirks": ["float32: exp(-log_alpha) overflows to inf, Ei(-inf) = -0 and the backward "
                                "exp(x)/x * d(-exp(-log_alpha)) gives 0 * inf = NaN in grad_penalty/log_sigma2 "
                                "(stored as torch gives it); the float64 twin is finite"]},
                    vd_extras)

    # L0
    def l0_extras(g, c, mod):
        put_penalty(g, c, mod, mod.penalty)
        with torch.no_grad():
            g.put(c, "relevance_hard", mod.relevance(hard=True))
            g.put(c, "relevance_soft", mod.relevance(hard=False))
            g.put(c, "gate_eval", mod.gate(None))
            g.put(c, "gate_logit0", mod.gate(torch.zeros((), dtype=mod.log_alpha.dtype)))
    def l0_build(group):
        mod = randomize_bayes(rel.LinearL0(5, 4, bias=True, group=group), la_range=(-5.0, 6.0))
        with torch.no_grad():  # make sure some gates are exactly zero in eval
            mod.log_alpha.view(-1)[0] = 0.3   # and some open, unclamped ones
            mod.log_alpha.view(-1)[1] = 2.5
            mod.log_alpha.view(-1)[2] = -1.0
            mod.log_alpha.view(-1)[-1] = 4.0
        return mod

    for group, lash in ((None, (4, 5)), ("input", (1, 5)), ("output", (4, 1))):
        meta = {"class": "cplxmodule.nn.relevance.LinearL0",
                "ctor": {"in_features": 5, "out_features": 4, "bias": True, "group": group},
                "constants": {"beta": 0.66, "gamma": -0.1, "zeta": 1.1},
                "gate": "gate(logit) = clamp(1.2 sigmoid((logit - log_alpha)/beta) - 0.1, 0, 1); "
                        "gate(None) = clamp(1.2 sigmoid(-log_alpha) - 0.1, 0, 1) (eval, no temperature)",
                "penalty": "sigmoid(0.66 ln 11 - log_alpha) = sigmoid(1.5826108800469247 - log_alpha)",
                "eval_forward": {"None": "x (W * gate)^T + b", "input": "(x * gate) W^T + b",
                                 "output": "(x W^T) * gate + b"}[str(group)],
                "init": "weights N(0, 0.25), log_alpha ~ U(-5, 6) with flat entries 0, 1, 2, -1 set to 0.3, 2.5 (closed), -1.0, 4.0 (closed)",
                "quirks": ["relevance takes hard= (not threshold=); relevance_hard = float(gate_eval > 0), "
                           "relevance_soft = gate_eval, both expanded to the weight shape",
                           "log_alpha is the negated Louizos parameterisation (high = likely zero)",
                           "in training the default group shares one gate sample across the batch"]}
        relevance_cases(g, f"LinearL0.group_{group}",
                        lambda group=group: (l0_build(group), {"input": rn(3, 5)}),
                        meta, l0_extras)

    # LASSO
    def lasso_extras(g, c, mod):
        put_penalty(g, c, mod, mod.penalty)
        for t in (-0.5, 3, -2):
            r = mod.relevance(threshold=t)
            assert r.dtype == torch.bool
            g.put(c, f"relevance@{t}", r.to(mod.weight.dtype))
    relevance_cases(g, "LinearLASSO.basic",
                    lambda: (randomize_bayes(rel.LinearLASSO(5, 4), zeros), {"input": rn(3, 5)}),
                    {"class": "cplxmodule.nn.relevance.LinearLASSO", "ctor": {"in_features": 5, "out_features": 4},
                     "penalty": "|W| (grad_penalty/weight = sign(W), 0 at W = 0)",
                     "relevance": "log(|W| + 1e-20) >= threshold",
                     "quirks": ["cplxmodule returns a bool relevance tensor; stored here as 0.0/1.0 in the case dtype",
                                "relevance@-2 is added because thresholds -0.5 and 3 are nearly trivial for |W| ~ 0.5"]},
                    lasso_extras)

    # masked layers
    def masked_build(cls, ctor, inp, mask_shape=None, mask_values=None):
        def build():
            mod = randomize_bayes(cls(**ctor))
            wshape = (mod.weight.real if isinstance(mod.weight, Cplx) else mod.weight).shape
            shp = mask_shape or wshape
            if mask_values == "nonbinary":
                m = torch.tensor([0.0, 1.0, 0.5, 2.0, -1.0], dtype=F64)[torch.randint(0, 5, shp)]
            else:
                m = (torch.rand(shp, dtype=F64) > 0.35).to(F64)
            mod.mask = m
            return mod, inp()
        return build

    def masked_extras(g, c, mod):
        g.put(c, "mask", mod.mask)
        g.put(c, "weight_masked", mod.weight_masked)

    masked_specs = [
        ("LinearMasked.basic", msk.LinearMasked, dict(in_features=5, out_features=4, bias=True), lambda: {"input": rn(3, 5)}, None, None),
        ("LinearMasked.input_mask", msk.LinearMasked, dict(in_features=5, out_features=4, bias=True), lambda: {"input": rn(3, 5)}, (1, 5), None),
        ("LinearMasked.nonbinary", msk.LinearMasked, dict(in_features=5, out_features=4, bias=True), lambda: {"input": rn(3, 5)}, None, "nonbinary"),
        ("Conv1dMasked.basic", msk.Conv1dMasked, dict(in_channels=2, out_channels=4, kernel_size=3, stride=2, padding=1, groups=2), lambda: {"input": rn(2, 2, 8)}, None, None),
        ("Conv2dMasked.basic", msk.Conv2dMasked, dict(in_channels=2, out_channels=3, kernel_size=(3, 2), stride=(2, 1), padding=1), lambda: {"input": rn(2, 2, 5, 4)}, None, None),
        ("Conv3dMasked.basic", msk.Conv3dMasked, dict(in_channels=2, out_channels=2, kernel_size=2, padding=1), lambda: {"input": rn(1, 2, 3, 3, 2)}, None, None),
        ("BilinearMasked.basic", msk.BilinearMasked, dict(in1_features=4, in2_features=5, out_features=3), lambda: {"input1": rn(3, 4), "input2": rn(3, 5)}, None, None),
        ("CplxLinearMasked.basic", msk.CplxLinearMasked, dict(in_features=5, out_features=4, bias=True), lambda: {"input": crn(3, 5)}, None, None),
        ("CplxLinearMasked.output_mask", msk.CplxLinearMasked, dict(in_features=5, out_features=4, bias=True), lambda: {"input": crn(3, 5)}, (4, 1), None),
        ("CplxConv1dMasked.basic", msk.CplxConv1dMasked, dict(in_channels=4, out_channels=4, kernel_size=3, stride=2, padding=1, groups=2), lambda: {"input": crn(2, 4, 8)}, None, None),
        ("CplxConv2dMasked.basic", msk.CplxConv2dMasked, dict(in_channels=2, out_channels=3, kernel_size=(3, 2), stride=(2, 1), padding=1), lambda: {"input": crn(2, 2, 5, 4)}, None, None),
        ("CplxConv3dMasked.basic", msk.CplxConv3dMasked, dict(in_channels=2, out_channels=2, kernel_size=2, padding=1), lambda: {"input": crn(1, 2, 3, 3, 2)}, None, None),
        ("CplxBilinearMasked.conj", msk.CplxBilinearMasked, dict(in1_features=4, in2_features=5, out_features=3, conjugate=True), lambda: {"input1": crn(3, 4), "input2": crn(3, 5)}, None, None),
    ]
    for cid, cls, ctor, inp, mshape, mvals in masked_specs:
        quirks = ["the mask buffer (state key 'mask') always has the full weight shape; a broadcastable mask "
                  "is expanded when set", "masked-out weights get exactly zero gradient"]
        if cls.__name__.startswith("Cplx"):
            quirks.append("state_dict order: mask first, then weight.imag, weight.real, bias.imag, bias.real; "
                          "one real mask multiplies both parts")
        if cls is msk.CplxBilinearMasked:
            quirks.append("CplxBilinearMasked.forward ignores the conjugate flag (always conjugates input1); "
                          "only conjugate=True is recorded")
        if cls.__name__.startswith("Conv"):
            quirks.append("real ConvNdMasked ignores padding_mode (zeros used)")
        meta = {"class": f"cplxmodule.nn.masked.{cls.__name__}", "ctor": ctor,
                "mask_set_with_shape": list(mshape) if mshape else "weight shape",
                "mask_values": "0/1 (P(0) = 0.35)" if mvals is None else "drawn from {0, 1, 0.5, 2, -1}",
                "formula": "forward uses weight * mask", "quirks": quirks}
        relevance_cases(g, cid, masked_build(cls, ctor, inp, mshape, mvals), meta, masked_extras)
    return g



# --------------------------------------------------------------------------------------
# group 5: models (the seed's MNIST classifier and relatives)
# --------------------------------------------------------------------------------------

N_HIDDEN = 8
KL_COEF = 0.01


class MNISTFullyConnected(torch.nn.Module):
    """The relevance README's classifier: Flatten(-3,-1) -> linear(784, h) -> ReLU -> linear(h, 10)."""

    def __init__(self, n_hidden=N_HIDDEN, linear=torch.nn.Linear):
        super().__init__()
        self.features = torch.nn.Sequential(torch.nn.Flatten(-3, -1))
        self.classifier = torch.nn.Sequential(
            linear(28 * 28, n_hidden, bias=True), torch.nn.ReLU(), linear(n_hidden, 10, bias=True))

    def forward(self, input):
        return self.classifier(self.features(input))


class CplxMNISTFullyConnected(torch.nn.Module):
    """Complex twin: Flatten(-3,-1) -> RealToCplx (interleaved: 784 reals -> 392 complex)
    -> linear(392, h) -> CplxModReLU(0.1) -> linear(h, 10) -> CplxModulus (10 real logits)."""

    def __init__(self, n_hidden=N_HIDDEN, linear=cnn.CplxLinear):
        super().__init__()
        self.features = torch.nn.Sequential(torch.nn.Flatten(-3, -1), cnn.RealToCplx())
        self.classifier = torch.nn.Sequential(
            linear(28 * 28 // 2, n_hidden, bias=True), cnn.CplxModReLU(0.1),
            linear(n_hidden, 10, bias=True), cnn.CplxModulus())

    def forward(self, input):
        return self.classifier(self.features(input))


class SmallConvNet(torch.nn.Module):
    """conv(1, 2, 5, stride=3) -> ReLU -> Flatten(-3,-1) (2*8*8 = 128) -> linear(128, 10)."""

    def __init__(self, conv=torch.nn.Conv2d, linear=torch.nn.Linear):
        super().__init__()
        self.features = torch.nn.Sequential(conv(1, 2, 5, stride=3), torch.nn.ReLU(), torch.nn.Flatten(-3, -1))
        self.classifier = torch.nn.Sequential(linear(2 * 8 * 8, 10, bias=True))

    def forward(self, input):
        return self.classifier(self.features(input))


ARCH = {
    "MNISTFullyConnected": f"features = Sequential(Flatten(-3, -1)); classifier = Sequential(L(784, {N_HIDDEN}), ReLU(), "
                           f"L({N_HIDDEN}, 10)); input [B, 1, 28, 28] -> logits [B, 10]",
    "CplxMNISTFullyConnected": f"features = Sequential(Flatten(-3, -1), RealToCplx()) (interleaved: z_k = x[2k] + i x[2k+1], "
                               f"784 -> 392 complex); classifier = Sequential(L(392, {N_HIDDEN}), CplxModReLU(0.1), "
                               f"L({N_HIDDEN}, 10), CplxModulus()); input [B, 1, 28, 28] real -> |z| [B, 10] real",
    "SmallConvNet": "features = Sequential(C(1, 2, kernel 5, stride 3), ReLU(), Flatten(-3, -1)); "
                    "classifier = Sequential(L(128, 10)); input [B, 1, 28, 28] -> logits [B, 10]",
}


def set_log_sigma2_(model, lo=-14.0, hi=-2.0):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("log_sigma2"):
                p.copy_(torch.rand(p.shape, dtype=F64) * (hi - lo) + lo)
    return model


def set_random_masks_(model, p_zero=0.4):
    with torch.no_grad():
        for _, m in model.named_modules():
            if isinstance(m, msk.base.BaseMasked):
                w = m.weight.real if isinstance(m.weight, Cplx) else m.weight
                m.mask = (torch.rand(w.shape, dtype=F64) > p_zero).to(F64)
    return model


def build_model(kind):
    """Seeded construction of the fixture models, shared with interop/check_swift_file.py."""
    torch.manual_seed(case_seed("model:" + kind))
    if kind == "mlp.dense":
        return MNISTFullyConnected()
    if kind == "mlp.ard":
        return set_log_sigma2_(MNISTFullyConnected(linear=rel.LinearARD))
    if kind == "mlp.masked":
        return set_random_masks_(MNISTFullyConnected(linear=msk.LinearMasked))
    if kind == "cplx_mlp.dense":
        return CplxMNISTFullyConnected()
    if kind == "cplx_mlp.vd":
        return set_log_sigma2_(CplxMNISTFullyConnected(linear=rel.CplxLinearVD))
    if kind == "cplx_mlp.masked":
        return set_random_masks_(CplxMNISTFullyConnected(linear=msk.CplxLinearMasked))
    if kind == "conv.vd":
        return set_log_sigma2_(SmallConvNet(conv=rel.Conv2dVD, linear=rel.LinearVD))
    if kind == "conv.conv2d_linear_ard":
        return set_log_sigma2_(SmallConvNet(conv=torch.nn.Conv2d, linear=rel.LinearARD))
    raise KeyError(kind)


MASKED_TWIN = {
    "mlp.ard": lambda: MNISTFullyConnected(linear=msk.LinearMasked),
    "cplx_mlp.vd": lambda: CplxMNISTFullyConnected(linear=msk.CplxLinearMasked),
    "conv.vd": lambda: SmallConvNet(conv=msk.Conv2dMasked, linear=msk.LinearMasked),
}

MODEL_INFO = {
    "mlp.dense": ("MNISTFullyConnected", "L = torch.nn.Linear"),
    "mlp.ard": ("MNISTFullyConnected", "L = cplxmodule.nn.relevance.LinearARD"),
    "mlp.masked": ("MNISTFullyConnected", "L = cplxmodule.nn.masked.LinearMasked (random 0/1 masks)"),
    "cplx_mlp.dense": ("CplxMNISTFullyConnected", "L = cplxmodule.nn.CplxLinear"),
    "cplx_mlp.vd": ("CplxMNISTFullyConnected", "L = cplxmodule.nn.relevance.CplxLinearVD"),
    "cplx_mlp.masked": ("CplxMNISTFullyConnected", "L = cplxmodule.nn.masked.CplxLinearMasked (random 0/1 masks)"),
    "conv.vd": ("SmallConvNet", "C = cplxmodule.nn.relevance.Conv2dVD, L = cplxmodule.nn.relevance.LinearVD"),
    "conv.conv2d_linear_ard": ("SmallConvNet", "C = torch.nn.Conv2d, L = cplxmodule.nn.relevance.LinearARD"),
}


def model_input(batch=4):
    torch.manual_seed(case_seed("model-input"))
    return torch.rand(batch, 1, 28, 28, dtype=F64), torch.randint(0, 10, (batch,))


def gen_models():
    g = Group("models")
    x, target = model_input()
    for kind in ("mlp.dense", "mlp.ard", "mlp.masked", "cplx_mlp.dense", "cplx_mlp.vd", "cplx_mlp.masked", "conv.vd"):
        model = build_model(kind).eval()
        sd = model.state_dict()
        for k, v in sd.items():
            g.put(kind, "param/" + k, v)
        g.put(kind, "input", x)
        g.put(kind, "target", target)
        out = model(x)
        g.put(kind, "output", out)
        # loss and its gradient (eval mode, deterministic)
        params = dict(model.named_parameters())
        pens = list(rel.named_penalties(model, reduction="sum"))
        loss = F.cross_entropy(out, target) + KL_COEF * sum(p for _, p in pens)
        g.put(kind, "loss", loss)
        for k, v in scalar_grads(loss, params).items():
            g.put(kind, "grad_loss/" + k, v)
        arch, layer = MODEL_INFO[kind]
        meta = {"model": arch, "layers": layer, "architecture": ARCH[arch], "n_hidden": N_HIDDEN,
                "dtype": "float64", "mode": "eval", "keys": list(sd), "shapes": {k: list(v.shape) for k, v in sd.items()},
                "loss": f"cross_entropy(output, target) + {KL_COEF} * sum(named_penalties(model, 'sum'))",
                "penalty_paths": [n for n, _ in pens]}
        with torch.no_grad():
            for red in ("sum", "mean", None):
                for n, p in rel.named_penalties(model, reduction=red):
                    g.put(kind, f"penalty_{red or 'none'}/{n}", p)
        if kind in MASKED_TWIN:
            with torch.no_grad():
                for t in (-0.5, 3):
                    masks = rel.compute_ard_masks(model, threshold=t)
                    for k, v in masks.items():
                        g.put(kind, f"masks@{t}/{k}", v)
                masks = rel.compute_ard_masks(model, threshold=-0.5)
                bsd, bmasks = msk.binarize_masks(model.state_dict(), masks)
                changed = [k for k in bsd if "weight" in k and k.rsplit("weight", 1)[0] + "mask" in bmasks]
                for k in changed:
                    g.put(kind, f"binarized@-0.5/{k}", bsd[k])
                for k, v in bmasks.items():
                    g.put(kind, f"binarized@-0.5/{k}", v)
                bsd = dict(bsd)
                bsd.update(bmasks)
                twin = MASKED_TWIN[kind]().eval()
                res = twin.load_state_dict(bsd, strict=False)
                g.put(kind, "masked_output@-0.5", twin(x))
            meta["masked_twin"] = type(twin).__name__ + " with " + \
                ", ".join(sorted({type(m).__name__ for m in twin.modules() if isinstance(m, msk.base.BaseMasked)}))
            meta["masked_load"] = {"missing": list(res.missing_keys), "unexpected": list(res.unexpected_keys)}
            meta["binarized_keys"] = changed + list(bmasks)
            meta["masks"] = list(masks)
            meta["binarize_note"] = ("binarized@-0.5 holds only the entries binarize_masks changes (weight keys with "
                                     "a mask: weight * mask, -0 -> +0) and the 0/1 masks; every other key equals param/")
            meta["quirks"] = ["binarize_masks matches the substring 'weight' anywhere in a key",
                              "masked twin loaded with load_state_dict(strict=False): log_sigma2 keys unexpected"]
        if kind.startswith("cplx"):
            meta["quirks"] = meta.get("quirks", []) + [COMPLEX_KEY_ORDER, SWAPPED_FANS]
        g.set_meta(kind, meta)
    return g



# --------------------------------------------------------------------------------------
# group 6: optimizers and gradient clipping
# --------------------------------------------------------------------------------------

def gen_optim():
    g = Group("optim")
    keys = ["layer.weight", "layer.bias"]
    shapes = {"layer.weight": (3, 2), "layer.bias": (3,)}
    configs = [
        ("sgd.plain", torch.optim.SGD, dict(lr=0.1)),
        ("sgd.momentum", torch.optim.SGD, dict(lr=0.1, momentum=0.9)),
        ("sgd.nesterov", torch.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
        ("sgd.momentum_wd", torch.optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
        ("sgd.nesterov_wd", torch.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
        ("sgd.wd", torch.optim.SGD, dict(lr=0.1, weight_decay=0.01)),
        ("adam.default", torch.optim.Adam, dict()),
        ("adam.lr0.1", torch.optim.Adam, dict(lr=0.1)),
        ("adam.lr0.1_wd0.01", torch.optim.Adam, dict(lr=0.1, weight_decay=0.01)),
        ("adamw.default", torch.optim.AdamW, dict()),
        ("adamw.lr0.1_wd0.01", torch.optim.AdamW, dict(lr=0.1, weight_decay=0.01)),
        ("adamw.lr0.1_wd0.1", torch.optim.AdamW, dict(lr=0.1, weight_decay=0.1)),
    ]
    for cid, cls, kw in configs:
        torch.manual_seed(case_seed(cid))
        params = {k: torch.randn(shapes[k], dtype=F64).requires_grad_(True) for k in keys}
        grads = [{k: torch.randn(shapes[k], dtype=F64) * (1.0 + i) for k in keys} for i in range(5)]
        opt = cls([params[k] for k in keys], foreach=False, **kw)
        for k in keys:
            g.put(cid, f"params/step0/{k}", params[k])
        for i, gr in enumerate(grads, start=1):
            for k in keys:
                params[k].grad = gr[k].clone()
                g.put(cid, f"grads/step{i}/{k}", gr[k])
            opt.step()
            for k in keys:
                g.put(cid, f"params/step{i}/{k}", params[k])
        hp = {k: (list(v) if isinstance(v, tuple) else v) for k, v in opt.defaults.items()
              if isinstance(v, (int, float, bool, tuple, type(None)))}
        g.set_meta(cid, {"optimizer": f"torch.optim.{cls.__name__}", "args": kw, "hyperparameters": hp,
                         "steps": 5, "keys": keys, "shapes": {k: list(v) for k, v in shapes.items()},
                         "dtype": "float64",
                         "note": "params/step0 are the initial values; before step i the gradient grads/step<i> is "
                                 "assigned, then optimizer.step(); params/step<i> is the result",
                         "semantics": {"SGD": "buf = momentum*buf + g (first step buf = g; g includes weight_decay*p); "
                                              "nesterov: g + momentum*buf; p -= lr*update",
                                       "Adam": "L2: g += weight_decay*p; bias-corrected moments; "
                                               "p -= lr * m_hat / (sqrt(v_hat) + eps)",
                                       "AdamW": "decoupled: p *= 1 - lr*weight_decay, then the Adam update"}[cls.__name__]})

    for cid, max_norm, norm_type, scale in (("clip.exceeds", 1.0, 2.0, 1.0), ("clip.within", 10.0, 2.0, 1.0),
                                            ("clip.inf_norm", 0.5, math.inf, 1.0)):
        torch.manual_seed(case_seed(cid))
        params = {k: torch.randn(shapes[k], dtype=F64).requires_grad_(True) for k in keys}
        for k in keys:
            params[k].grad = torch.randn(shapes[k], dtype=F64) * scale
            g.put(cid, f"clip/before/{k}", params[k].grad)
        total = torch.nn.utils.clip_grad_norm_([params[k] for k in keys], max_norm, norm_type=norm_type)
        for k in keys:
            g.put(cid, f"clip/after/{k}", params[k].grad)
        g.put(cid, "total_norm", total)
        g.set_meta(cid, {"op": "torch.nn.utils.clip_grad_norm_", "max_norm": max_norm,
                         "norm_type": "inf" if norm_type == math.inf else norm_type, "keys": keys,
                         "dtype": "float64",
                         "formula": "total = norm of all gradients together; coef = min(1, max_norm / (total + 1e-6)); "
                                    "g *= coef; total_norm is the norm before clipping"})
    return g



# --------------------------------------------------------------------------------------
# group 7: interop (state dicts saved the way a PyTorch user saves them)
# --------------------------------------------------------------------------------------

INTEROP = {  # file stem -> build_model kind
    "cplx_mlp_vd": "cplx_mlp.vd",
    "conv2d_linear_ard": "conv.conv2d_linear_ard",
}


def gen_interop():
    d = os.path.join(HERE, "interop")
    os.makedirs(d, exist_ok=True)
    x, _ = model_input()
    for stem, kind in INTEROP.items():
        model = build_model(kind).eval()
        # exactly what a PyTorch user would write:
        save_file(model.state_dict(), os.path.join(d, stem + ".safetensors"))
        with torch.no_grad():
            out = model(x)
        arch, layer = MODEL_INFO[kind]
        meta = {"model_file": stem + ".safetensors", "build_model_kind": kind, "model": arch, "layers": layer,
                "architecture": ARCH[arch], "keys": list(model.state_dict()), "mode": "eval", "dtype": "float64",
                **VERSIONS}
        save_file({"input": x.clone(), "output": out.clone()}, os.path.join(d, stem + ".io.safetensors"),
                  metadata={"info": json.dumps(meta)})
        print(f"wrote interop/{stem}.safetensors and interop/{stem}.io.safetensors")


GROUPS = {}


# --------------------------------------------------------------------------------------
# group: padding modes of convolutions (PyTorch's padding_mode='circular')
# --------------------------------------------------------------------------------------

def gen_padding():
    """nn.ConvNd(padding_mode='circular') forwards and VJPs (real), and complex forwards through
    torch's complex convolution with the same padding (cplxmodule's own circular padding differs
    and is not the reference)."""
    g = Group("padding")
    convs = {1: torch.nn.Conv1d, 2: torch.nn.Conv2d, 3: torch.nn.Conv3d}
    real_cases = [
        # (n, name, cin, cout, k, spatial, stride, padding, dilation, groups, bias)
        (1, "basic", 2, 3, 3, 7, 1, 1, 1, 1, True),
        (1, "stride_pad2", 2, 4, 3, 6, 2, 2, 1, 2, False),
        (2, "asym", 2, 3, (3, 2), (5, 4), (1, 2), (1, 2), 1, 1, True),
        (2, "dilation_groups", 4, 2, 2, (5, 5), 1, (2, 1), (2, 1), 2, False),
        (3, "basic", 2, 2, 2, (3, 4, 3), 1, (1, 0, 1), 1, 1, True),
    ]
    for n, name, cin, cout, k, spatial, stride, padding, dilation, groups, bias in real_cases:
        cid = f"circular.conv{n}d.{name}"
        torch.manual_seed(case_seed(cid))
        mod = convs[n](cin, cout, k, stride=stride, padding=padding, dilation=dilation, groups=groups,
                       bias=bias, padding_mode="circular").to(F64)
        ins = {"input": rn(*conv_in_shape(n, 2, cin, spatial)), "weight": mod.weight.detach().clone()}
        if bias:
            ins["bias"] = mod.bias.detach().clone()
        meta = {"op": f"conv{n}d", "padding_mode": "circular", "stride": stride, "padding": padding,
                "dilation": dilation, "groups": groups, "bias": bias}
        record_function(g, cid, meta, lambda input, weight, bias=None, mod=mod: mod._conv_forward(input, weight, bias), ins)
    complex_cases = [
        (1, "basic", 2, 3, 3, 6, 1, 2, 1, 1),
        (2, "stride", 2, 2, (2, 3), (4, 5), (2, 1), (1, 2), 1, 2),
    ]
    for n, name, cin, cout, k, spatial, stride, padding, dilation, groups in complex_cases:
        cid = f"circular.complex_conv{n}d.{name}"
        torch.manual_seed(case_seed(cid))
        mod = convs[n](cin, cout, k, stride=stride, padding=padding, dilation=dilation, groups=groups,
                       bias=True, padding_mode="circular", dtype=torch.complex128)
        shape = conv_in_shape(n, 2, cin, spatial)
        z = torch.complex(rn(*shape), rn(*shape))
        with torch.no_grad():
            mod.weight.copy_(torch.complex(rn(*mod.weight.shape), rn(*mod.weight.shape)))
            mod.bias.copy_(torch.complex(rn(cout), rn(cout)))
            out = mod(z)
        for role, v in (("input", z), ("weight", mod.weight), ("bias", mod.bias), ("output", out)):
            g.put(cid, role, Cplx(v.real.detach(), v.imag.detach()))
        g.set_meta(cid, {"op": f"complex conv{n}d", "padding_mode": "circular", "stride": stride,
                         "padding": padding, "dilation": dilation, "groups": groups, "bias": True,
                         "dtype": "float64", "formula": "torch complex ConvNd(padding_mode='circular')"})
    return g


def main(argv):
    names = argv[1:] or list(GROUPS)
    for n in names:
        GROUPS[n]()


GROUPS["ops_real"] = lambda: gen_ops_real().save()
GROUPS["ops_complex"] = lambda: gen_ops_complex().save()
GROUPS["layers"] = lambda: gen_layers().save()
GROUPS["relevance"] = lambda: gen_relevance().save()
GROUPS["models"] = lambda: gen_models().save()
GROUPS["optim"] = lambda: gen_optim().save()
GROUPS["interop"] = gen_interop
GROUPS["padding"] = lambda: gen_padding().save()

if __name__ == "__main__":
    main(sys.argv)
