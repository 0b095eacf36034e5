"""A numpy port of RadioSignals (Sources/NN/Data/RadioSignals.swift) for architecture prototyping.
Same structure and default parameters (Docs/RadioSignals.md); its own random stream, so not
bit-equal to the Swift generator, which stays the reference. `python3 radio_numpy.py DIR` writes
DIR/train.npz (17 600 examples) and DIR/test.npz (4 400): x complex64 [N, 128], y, snr."""
import numpy as np
from scipy.special import erfc

L, SPS, BETA, SPAN, F0 = 128, 4, 0.35, 8, 0.0005
SNRS = np.arange(-10, 21, 2, dtype=float)
CLASSES = ["BPSK", "QPSK", "8PSK", "PAM4", "QAM16", "QAM64", "CPFSK", "GFSK", "AM-DSB", "AM-SSB", "WBFM"]

def rrc(t, b=BETA):
    t = np.asarray(t, float)
    out = np.zeros_like(t)
    with np.errstate(all="ignore"):
        num = np.sin(np.pi * t * (1 - b)) + 4 * b * t * np.cos(np.pi * t * (1 + b))
        out = num / (np.pi * t * (1 - (4 * b * t) ** 2))
    out[np.abs(t) < 1e-9] = 1 - b + 4 * b / np.pi
    x = np.pi / (4 * b)
    out[np.abs(np.abs(t) - 1 / (4 * b)) < 1e-9] = b / np.sqrt(2) * ((1 + 2 / np.pi) * np.sin(x) + (1 - 2 / np.pi) * np.cos(x))
    out[np.abs(t) > SPAN / 2] = 0
    return out

def constellation(name):
    if name == "BPSK": p = np.array([1, -1], complex)
    elif name == "QPSK": p = np.exp(1j * (np.pi / 4 + np.arange(4) * np.pi / 2))
    elif name == "8PSK": p = np.exp(1j * np.arange(8) * np.pi / 4)
    elif name == "PAM4": p = np.array([-3, -1, 1, 3], complex)
    elif name == "QAM16": a = np.array([-3, -1, 1, 3.]); p = (a[:, None] + 1j * a[None, :]).ravel()
    elif name == "QAM64": a = np.arange(-7, 8, 2.); p = (a[:, None] + 1j * a[None, :]).ravel()
    return p / np.sqrt(np.mean(np.abs(p) ** 2))

def baseband(name, n, rng):
    tau = SPS * rng.random(n)
    half = SPAN // 2
    t = (np.arange(L)[None, :] + tau[:, None]) / SPS           # [n, L] symbol times
    nsym = int(np.ceil((L + SPS) / SPS)) + 2 * half + 3
    if name in ("BPSK", "QPSK", "8PSK", "PAM4", "QAM16", "QAM64"):
        table = constellation(name)
        sym = table[rng.integers(0, len(table), (n, nsym))]   # symbol k at index k + half
        k = np.arange(-half, nsym - half)
        h = rrc(t[:, :, None] - k[None, None, :])              # [n, L, nsym]
        return np.einsum("nlk,nk->nl", h, sym)
    if name in ("CPFSK", "GFSK"):
        hh = 0.5 if name == "CPFSK" else 0.32
        bits = np.where(rng.random((n, nsym)) < 0.5, -1.0, 1.0)
        c = 2 * np.pi * 0.5 / np.sqrt(2 * np.log(2))
        k = np.arange(-half, nsym - half)
        tt = t[:, :, None] - 0.5 - k[None, None, :]
        if name == "CPFSK": p = ((tt >= -0.5) & (tt < 0.5)).astype(float)
        else: p = 0.5 * (erfc(c * (tt - 0.5)) - erfc(c * (tt + 0.5)))
        freq = np.einsum("nlk,nk->nl", p, bits) * hh / (2 * SPS)
        phase = np.concatenate([np.zeros((n, 1)), np.cumsum(2 * np.pi * freq, 1)[:, :-1]], 1)
        return np.exp(1j * phase)
    a = 0.2 + 0.8 * rng.random((n, 3)); f = 0.002 + 0.028 * rng.random((n, 3)); th = 2 * np.pi * rng.random((n, 3))
    ang = 2 * np.pi * f[:, None, :] * np.arange(L)[None, :, None] + th[:, None, :]
    norm = a.sum(1)[:, None]
    m = (a[:, None, :] * np.cos(ang)).sum(2) / norm
    if name == "AM-DSB":
        mu = 0.3 + 0.6 * rng.random((n, 1)); return (1 + mu * m).astype(complex)
    if name == "AM-SSB":
        return (a[:, None, :] * np.exp(1j * ang)).sum(2) / norm
    dev = 0.05 + 0.1 * rng.random((n, 1))
    phase = np.concatenate([np.zeros((n, 1)), np.cumsum(2 * np.pi * dev * m, 1)[:, :-1]], 1)
    return np.exp(1j * phase)

def dataset(count, seed):
    """inputs [count, L] complex64, labels, snr: class i % 11, snr grid[(i // 11) % 16]."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % 11
    snr = SNRS[(np.arange(count) // 11) % 16]
    x = np.zeros((count, L), complex)
    for c, name in enumerate(CLASSES):
        idx = np.where(labels == c)[0]
        for s in range(0, len(idx), 2000):
            j = idx[s:s + 2000]
            x[j] = baseband(name, len(j), rng)
    phi = 2 * np.pi * rng.random(count); f0 = (2 * rng.random(count) - 1) * F0
    x *= np.exp(1j * (phi[:, None] + 2 * np.pi * f0[:, None] * np.arange(L)))
    x /= np.sqrt(np.mean(np.abs(x) ** 2, 1, keepdims=True))
    sigma = np.sqrt(10 ** (-snr / 10) / 2)[:, None]
    x += sigma * (rng.standard_normal((count, L)) + 1j * rng.standard_normal((count, L)))
    return x.astype(np.complex64), labels, snr

if __name__ == "__main__":
    import sys
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    for name, n, seed in (("train", 17600, 1), ("test", 4400, 2)):
        x, y, s = dataset(n, seed)
        np.savez(f"{out}/{name}.npz", x=x, y=y, snr=s)
