#!/usr/bin/env python3
"""Read a deployable file of `wirtinger export` with numpy alone and compute a model's logits.

    python3 Tools/wirtinger_deploy.py DEPLOY.safetensors --input X.safetensors [--out Y.safetensors | Y.npz]

The file format is described in Docs/Serialization.md ("Deployable files"). This script parses
the safetensors container by hand (8-byte little-endian header length, JSON header, raw
little-endian data), rebuilds every masked weight from its CSR tensors (or takes it dense), and
runs the forward pass of the architecture named in the metadata (`wirtinger.architecture`:
mlp, lenet300, lenet5, cplx-mlp, cplx-conv) in float32, in evaluation mode. The input file holds
`inputs` [N, *input shape] (complex models: interleaved (re, im) pairs along the last axis) or,
for complex models, `inputs.real` and `inputs.imag` of the complex shape — as `wirtinger predict`,
whose `--key NAME` and single-tensor rule it shares.

As a module: `model = DeployedModel.load(path)`, `model.logits(x)`.
"""
import argparse
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
          "U16": "<u2", "U8": "u1", "I8": "i1", "U32": "<u4", "U64": "<u8", "BOOL": "?"}


def read_safetensors(path):
    """(tensors by name as numpy arrays, metadata dict). C64 tensors come back complex64."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: shorter than a safetensors header")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ValueError(f"{path}: header length {n} exceeds the file")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    data = raw[8 + n:]
    tensors = {}
    for name, e in header.items():
        start, end = e["data_offsets"]
        shape = tuple(e["shape"])
        if e["dtype"] == "C64":
            pairs = np.frombuffer(data[start:end], dtype="<f4").reshape(shape + (2,))
            tensors[name] = (pairs[..., 0] + 1j * pairs[..., 1]).astype(np.complex64)
            continue
        if e["dtype"] not in DTYPES:
            raise ValueError(f"{path}: tensor '{name}' has unsupported dtype {e['dtype']}")
        tensors[name] = np.frombuffer(data[start:end], dtype=DTYPES[e["dtype"]]).reshape(shape)
    return tensors, meta


def write_safetensors(path, tensors):
    """Write float32 / int64 numpy arrays as a safetensors file (names sorted, no metadata)."""
    names = {np.dtype("<f4"): "F32", np.dtype("<i8"): "I64"}
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        a = a.astype(a.dtype.newbyteorder("<"))
        blob = a.tobytes()
        header[name] = {"dtype": names[a.dtype], "shape": list(a.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def csr_to_dense(indptr, indices, values, shape):
    """The dense weight of `shape` from CSR arrays over rows = shape[0], columns = the rest."""
    rows, cols = shape[0], int(np.prod(shape[1:]))
    indptr = indptr.astype(np.int64)
    if len(indptr) != rows + 1 or indptr[0] != 0 or indptr[-1] != len(values) or np.any(np.diff(indptr) < 0):
        raise ValueError("bad row pointers")
    out = np.zeros((rows, cols), dtype=values.dtype)
    row_of = np.repeat(np.arange(rows), np.diff(indptr))
    out[row_of, indices.astype(np.int64)] = values
    return out.reshape(shape)


# ---- layers (float32 numpy, evaluation mode) ----

def linear(x, w, b):
    y = x @ w.T
    return y + b if b is not None else y


def conv(x, w, b, padding=0, groups=1, stride=1):
    """Cross-correlation of x [N, C, *S] with w [O, C/groups, *k] (1-d or 2-d); a stride keeps
    every stride-th output position of the stride-1 result on each spatial axis."""
    spatial = x.ndim - 2
    if padding:
        x = np.pad(x, [(0, 0), (0, 0)] + [(padding, padding)] * spatial)
    n, c = x.shape[:2]
    o, cg = w.shape[:2]
    k = w.shape[2:]
    out_sp = tuple(x.shape[2 + i] - k[i] + 1 for i in range(spatial))
    og = o // groups
    y = np.zeros((n, o) + out_sp, dtype=np.result_type(x, w))
    for g in range(groups):
        xg = x[:, g * cg:(g + 1) * cg]
        wg = w[g * og:(g + 1) * og].reshape(og, -1)
        # im2col: [N, cg * prod(k), *out]
        cols = []
        for ci in range(cg):
            for off in np.ndindex(*k):
                sl = tuple(slice(off[i], off[i] + out_sp[i]) for i in range(spatial))
                cols.append(xg[(slice(None), ci) + sl])
        cols = np.stack(cols, axis=1)
        y[:, g * og:(g + 1) * og] = np.einsum("ok,nk...->no...", wg, cols)
    if stride > 1:
        y = y[(slice(None), slice(None)) + (slice(None, None, stride),) * spatial]
    if b is not None:
        y = y + b.reshape((1, -1) + (1,) * spatial)
    return y


def max_pool(x, k):
    """Max pooling by k over the spatial axes (floor mode); complex input: the element of largest modulus."""
    spatial = x.ndim - 2
    out_sp = tuple(s // k for s in x.shape[2:])
    trimmed = x[(slice(None), slice(None)) + tuple(slice(0, o * k) for o in out_sp)]
    shape = x.shape[:2]
    for o in out_sp:
        shape += (o, k)
    blocks = trimmed.reshape(shape)
    # move the window axes to the end and flatten them
    axes = list(range(2)) + [2 + 2 * i for i in range(spatial)] + [3 + 2 * i for i in range(spatial)]
    blocks = blocks.transpose(axes).reshape(x.shape[:2] + out_sp + (k ** spatial,))
    score = np.abs(blocks) if np.iscomplexobj(blocks) else blocks
    idx = np.argmax(score, axis=-1)[..., None]
    return np.take_along_axis(blocks, idx, axis=-1)[..., 0]


def relu(x):
    return np.where(x > 0, x, np.zeros_like(x))


def mod_relu(z, tau):
    m = np.maximum(np.abs(z), np.float32(1e-5))
    s = np.float32(1) - tau / m
    return np.where(s > 0, z * s, np.zeros_like(z))


def phase_powers(z, orders):
    r = np.abs(z)
    u = z / (r + np.float32(1e-6))
    return np.concatenate([(u ** k) * r for k in orders], axis=1)


def envelope_histogram(e, bins=24, max_level=2.4, width=0.1, phases=4, sharpness=20.0, scale=10.0):
    """EnvelopeHistogram (Sources/NN/Layers/EnvelopeHistogram.swift): soft bin counts of the
    power-normalised envelope e [N, C, L] per timing phase, weighted by a softmax over the phases'
    energies: [N, C * bins]."""
    n, c, length = e.shape
    k = length // phases
    x = e[:, :, :k * phases].astype(np.float64)
    u = x / np.sqrt((x * x).mean(axis=2, keepdims=True) + 1e-12)
    centres = np.arange(bins) * max_level / (bins - 1)
    d = (u[:, :, None, :] - centres[None, None, :, None]) / width
    per_phase = np.exp(-d * d).reshape(n, c, bins, k, phases).mean(axis=3)
    energy = (u * u).reshape(n, c, k, phases).mean(axis=2) * sharpness
    choice = np.exp(energy - energy.max(axis=2, keepdims=True))
    choice /= choice.sum(axis=2, keepdims=True)
    return (scale * (per_phase * choice[:, :, None, :]).sum(axis=3)).reshape(n, c * bins).astype(np.float32)


# ---- models ----

class DeployedModel:
    """A deployable file's model: its metadata and parameters (masked weights made dense)."""

    def __init__(self, params, meta):
        self.p = params
        self.meta = meta
        self.arch = meta["wirtinger.architecture"]
        self.classes = int(meta["wirtinger.classes"])
        self.sample = [int(s) for s in meta["wirtinger.input_shape"].split(",")]
        self.hidden = int(meta["wirtinger.hidden"]) if "wirtinger.hidden" in meta else None

    @classmethod
    def load(cls, path):
        tensors, meta = read_safetensors(path)
        if meta.get("wirtinger.deploy") != "1":
            raise ValueError(f"{path}: not a deployable file of format 1 (metadata wirtinger.deploy)")
        params = {k: v for k, v in tensors.items()}
        for mk, shape_text in meta.items():
            if not mk.startswith("wirtinger.csr."):
                continue
            key = mk[len("wirtinger.csr."):]
            shape = tuple(int(s) for s in shape_text.split(","))
            indptr, indices = params.pop(key + ".indptr"), params.pop(key + ".indices")
            if key + ".values" in params:
                params[key] = csr_to_dense(indptr, indices, params.pop(key + ".values"), shape)
            else:
                params[key + ".real"] = csr_to_dense(indptr, indices, params.pop(key + ".values.real"), shape)
                params[key + ".imag"] = csr_to_dense(indptr, indices, params.pop(key + ".values.imag"), shape)
        return cls({k: np.asarray(v, dtype=np.float32) for k, v in params.items()}, meta)

    def real(self, key):
        return self.p.get(key)

    def cplx(self, key):
        if key + ".real" not in self.p:
            return None
        return (self.p[key + ".real"] + 1j * self.p[key + ".imag"]).astype(np.complex64)

    def lin(self, x, path):
        return linear(x, self.real(path + ".weight"), self.real(path + ".bias"))

    def clin(self, z, path):
        return linear(z, self.cplx(path + ".weight"), self.cplx(path + ".bias"))

    def logits(self, x):
        """Logits [N, classes] for real input x [N, *input shape] (float32)."""
        x = np.asarray(x, dtype=np.float32)
        n = x.shape[0]
        a = self.arch
        if a == "mlp":
            h = relu(self.lin(x.reshape(n, -1), "classifier.0"))
            return self.lin(h, "classifier.2")
        if a == "lenet300":
            h = relu(self.lin(x.reshape(n, -1), "classifier.0"))
            h = relu(self.lin(h, "classifier.2"))
            return self.lin(h, "classifier.4")
        if a == "lenet5":
            h = max_pool(conv(x, self.real("features.0.weight"), self.real("features.0.bias")), 2)
            h = max_pool(conv(h, self.real("features.2.weight"), self.real("features.2.bias")), 2)
            h = relu(self.lin(h.reshape(n, -1), "classifier.0"))
            return self.lin(h, "classifier.2")
        if a == "cplx-mlp":
            flat = x.reshape(n, -1)
            z = (flat[:, 0::2] + 1j * flat[:, 1::2]).astype(np.complex64)
            h = mod_relu(self.clin(z, "classifier.0"), np.float32(0.5))
            return np.abs(self.clin(h, "classifier.2")).astype(np.float32)
        if a == "cplx-conv":
            z = (x[..., 0::2] + 1j * x[..., 1::2]).astype(np.complex64)
            return self.cplx_conv(z)
        raise ValueError(f"architecture {a} is not known to this reader")

    def cplx_conv(self, z):
        n = z.shape[0]
        if z.ndim == 3:   # signals [N, C, L]: a phase branch and a ring branch, concatenated
            orders = [0, 1, 2, 4, 8]
            g = len(orders)
            h = conv(z, self.cplx("features.0.phase.0.weight"), None, padding=4)
            h = phase_powers(h, orders)
            h = conv(h, self.cplx("features.0.phase.2.weight"), None, padding=2, groups=g, stride=2)
            h = mod_relu(h, self.real("features.0.phase.3.threshold").reshape(1, -1, 1))
            h = conv(h, self.cplx("features.0.phase.4.weight"), None, padding=2, groups=g, stride=2)
            h = mod_relu(h, self.real("features.0.phase.5.threshold").reshape(1, -1, 1))
            h = np.abs(h).mean(axis=2).astype(np.float32)
            e = np.abs(conv(z, self.cplx("features.0.ring.0.weight"), None, padding=8)).astype(np.float32)
            h = np.concatenate([h, envelope_histogram(e)], axis=1)
            h = relu(self.lin(h, "classifier.0"))
            return self.lin(h, "classifier.2")
        h = mod_relu(conv(z, self.cplx("features.0.weight"), self.cplx("features.0.bias")), np.float32(0.5))
        h = max_pool(h, 2)
        h = mod_relu(conv(h, self.cplx("features.3.weight"), self.cplx("features.3.bias")), np.float32(0.5))
        h = max_pool(h, 2).reshape(n, -1)
        h = mod_relu(self.clin(h, "classifier.0"), np.float32(0.5))
        return np.abs(self.clin(h, "classifier.2")).astype(np.float32)


def read_inputs(path, model, key=None):
    """The examples of `path` as float32 [N, *input shape]: the tensor `key` (default `inputs`, or
    the file's only tensor or only `.real`/`.imag` pair), complex ones interleaved. Like
    `wirtinger predict`, only floating-point examples are taken (F32, F64, C64)."""
    tensors, _ = read_safetensors(path)
    if key is None:
        names = sorted(tensors)
        if any(k in tensors for k in ("inputs", "inputs.real", "inputs.imag")):
            key = "inputs"
        elif len(names) == 1:
            key = names[0]
        elif len(names) == 2 and names[1].endswith(".real") and names[0] == names[1][:-5] + ".imag":
            key = names[1][:-5]
        else:
            raise ValueError(f"{path}: no tensor 'inputs'; found {', '.join(repr(k) for k in names[:5])} (name it with --key)")
    if key in tensors:
        z = tensors[key]
    elif key + ".real" in tensors and key + ".imag" in tensors:
        re, im = tensors[key + ".real"], tensors[key + ".imag"]
        for part in (re, im):
            if part.dtype.kind != "f":
                raise ValueError(f"{path}: '{key}' parts are {part.dtype}; the examples must be floating point")
        z = re + 1j * im
    else:
        raise ValueError(f"{path}: no tensor '{key}' (or '{key}.real' and '{key}.imag')")
    if z.dtype.kind not in "fc":
        raise ValueError(f"{path}: '{key}' is {z.dtype}; the examples must be floating point at the scale of the training data")
    if not np.iscomplexobj(z):
        return z.astype(np.float32)
    x = np.empty(z.shape[:-1] + (2 * z.shape[-1],), dtype=np.float32)
    x[..., 0::2], x[..., 1::2] = z.real, z.imag
    return x


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("deploy", help="deployable .safetensors file of wirtinger export")
    ap.add_argument("--input", required=True, help="safetensors file with 'inputs' (or 'inputs.real'/'inputs.imag')")
    ap.add_argument("--key", help="the tensor of --input holding the examples (default: inputs, or the file's only tensor)")
    ap.add_argument("--out", help="write logits and predictions to this file (.safetensors, else .npz)")
    args = ap.parse_args(argv)
    model = DeployedModel.load(args.deploy)
    try:
        x = read_inputs(args.input, model, args.key)
    except ValueError as e:
        sys.exit(f"error: {e}")
    if list(x.shape[1:]) != model.sample:
        sys.exit(f"error: {args.input}: inputs of shape {list(x.shape)}; the model takes [N, {', '.join(map(str, model.sample))}]")
    logits = model.logits(x)
    predictions = np.argmax(logits, axis=1).astype(np.int64)
    if args.out and args.out.endswith(".safetensors"):
        write_safetensors(args.out, {"logits": logits.astype(np.float32), "predictions": predictions})
    elif args.out:
        np.savez(args.out, logits=logits, predictions=predictions)
    else:
        np.savetxt(sys.stdout, logits, fmt="%.8g")


if __name__ == "__main__":
    main(sys.argv[1:])
