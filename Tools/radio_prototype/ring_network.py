"""PyTorch replica of the `cplx-conv` signal network (Sources/Recipes/ModelZoo.swift), dense stage
only, to try architectures in minutes instead of Swift builds (Docs/Results.md, session 6).

    python3 radio_numpy.py DIR && python3 ring_network.py DIR [--no-ring] [--seed S] [--epochs E]
        [--swift-init] [--ring-init random|rrc|fixed] [--ring-lr F]

--swift-init draws the complex convolutions' weights as Wirtinger does (uniform, a standard deviation
sqrt(3) smaller than the normal draw); --ring-init rrc starts the ring filter at the RRC matched
filter as the Swift network does since session 7 (fixed: kept there). Docs/Results.md, session 7.

Adam at 0.003 decaying linearly to 0, batch 128, as `wirtinger sparsify --complex`'s dense stage.
Prints per epoch: accuracy over all test examples, at SNR >= 10 dB, on the digital classes at
SNR >= 10 dB, and the right answers for QAM16, QAM64 and 8PSK at SNR >= 10 dB (150 each)."""
import argparse, time
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F


UNIFORM_INIT = False   # --swift-init: Wirtinger's U(+-1/sqrt(2 fan_in)) instead of N(0, 1/(2 fan_in))


class CConv(nn.Module):
    """Bias-free complex 1-d convolution on (real, imag) pairs."""
    def __init__(self, i, o, k, stride=1, pad=0, groups=1):
        super().__init__()
        self.a = dict(stride=stride, padding=pad, groups=groups)
        sc = 1 / np.sqrt(i // groups * k * 2)
        draw = (lambda: (2 * torch.rand(o, i // groups, k) - 1) * sc) if UNIFORM_INIT else (lambda: torch.randn(o, i // groups, k) * sc)
        self.wr = nn.Parameter(draw())
        self.wi = nn.Parameter(draw())

    def forward(self, xr, xi):
        c = lambda x, w: F.conv1d(x, w, **self.a)
        return c(xr, self.wr) - c(xi, self.wi), c(xr, self.wi) + c(xi, self.wr)


def modrelu(xr, xi, b):
    r = torch.sqrt(xr * xr + xi * xi + 1e-10)
    g = F.relu(r + b[None, :, None]) / r
    return xr * g, xi * g


def phase_powers(yr, yi, orders):
    r = torch.sqrt(yr * yr + yi * yi + 1e-12)
    ur, ui = yr / (r + 1e-6), yi / (r + 1e-6)
    outr, outi = [], []
    for o in orders:
        if o == 0:
            outr.append(r); outi.append(torch.zeros_like(r)); continue
        pr, pi = ur, ui
        for _ in range(o - 1):
            pr, pi = pr * ur - pi * ui, pr * ui + pi * ur
        outr.append(pr * r); outi.append(pi * r)
    return torch.cat(outr, 1), torch.cat(outi, 1)


def envelope_histogram(e, bins=24, max_level=2.4, width=0.1, phases=4, sharpness=20.0, scale=10.0):
    """EnvelopeHistogram: [N, C, L] -> [N, C * bins]."""
    n, c, length = e.shape
    k = length // phases
    u = e[:, :, :k * phases]
    u = u / torch.sqrt((u * u).mean(2, keepdim=True) + 1e-12)
    centres = torch.linspace(0, max_level, bins)
    d = (u[:, :, None, :] - centres[None, None, :, None]) / width
    per_phase = torch.exp(-d * d).reshape(n, c, bins, k, phases).mean(3)
    choice = torch.softmax(sharpness * (u * u).reshape(n, c, k, phases).mean(2), 2)
    return (scale * (per_phase * choice[:, :, None, :]).sum(3)).reshape(n, c * bins)


def rrc_taps(taps=17, sps=4, beta=0.35):
    """The RRC matched filter sampled at `sps` per symbol over `taps` samples, unit energy."""
    from radio_numpy import rrc
    h = rrc((np.arange(taps) - taps // 2) / sps, beta)
    return torch.tensor(h / np.linalg.norm(h), dtype=torch.float32)


class Net(nn.Module):
    def __init__(self, ring, w=8, classes=11, ring_init="random"):
        super().__init__()
        self.orders = [0, 1, 2, 4, 8]; g = len(self.orders)
        self.c1 = CConv(1, w, 9, pad=4)
        self.c2 = CConv(g * w, g * 2 * w, 5, 2, 2, g); self.b2 = nn.Parameter(torch.zeros(g * 2 * w))
        self.c3 = CConv(g * 2 * w, g * 2 * w, 5, 2, 2, g); self.b3 = nn.Parameter(torch.zeros(g * 2 * w))
        self.ring = CConv(1, 1, 17, pad=8) if ring else None
        if ring and ring_init != "random":
            with torch.no_grad():
                self.ring.wr.copy_(rrc_taps()[None, None]); self.ring.wi.zero_()
            if ring_init == "fixed":
                self.ring.wr.requires_grad_(False); self.ring.wi.requires_grad_(False)
        self.head = nn.Sequential(nn.Linear(g * 2 * w + (24 if ring else 0), 64), nn.ReLU(), nn.Linear(64, classes))

    def forward(self, x):
        xr, xi = x[:, :1], x[:, 1:]
        zr, zi = phase_powers(*self.c1(xr, xi), self.orders)
        zr, zi = modrelu(*self.c2(zr, zi), self.b2)
        zr, zi = modrelu(*self.c3(zr, zi), self.b3)
        feats = [torch.sqrt(zr * zr + zi * zi + 1e-12).mean(2)]
        if self.ring is not None:
            rr, ri = self.ring(xr, xi)
            feats.append(envelope_histogram(torch.sqrt(rr * rr + ri * ri + 1e-12)))
        return self.head(torch.cat(feats, 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data"); ap.add_argument("--no-ring", action="store_true")
    ap.add_argument("--seed", type=int, default=0); ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--swift-init", action="store_true", help="uniform weight init as Wirtinger's complex convolutions")
    ap.add_argument("--ring-init", choices=["random", "rrc", "fixed"], default="random",
                    help="ring filter: random, started at the RRC matched filter, or fixed at it")
    ap.add_argument("--ring-lr", type=float, default=1.0, help="learning-rate factor of the ring filter")
    a = ap.parse_args()
    global UNIFORM_INIT
    UNIFORM_INIT = a.swift_init
    torch.set_num_threads(1); torch.manual_seed(a.seed)

    def load(name):
        d = np.load(f"{a.data}/{name}.npz"); x = torch.from_numpy(d["x"])
        return torch.stack([x.real, x.imag], 1).float(), torch.from_numpy(d["y"]).long(), d["snr"]
    (xtr, ytr, _), (xte, yte, ste) = load("train"), load("test")
    net = Net(ring=not a.no_ring, ring_init=a.ring_init)
    ring = [p for n, p in net.named_parameters() if n.startswith("ring.") and p.requires_grad]
    rest = [p for n, p in net.named_parameters() if not n.startswith("ring.") and p.requires_grad]
    opt = torch.optim.Adam([{"params": rest}, {"params": ring, "lr": 3e-3 * a.ring_lr}], 3e-3)
    steps = a.epochs * (len(xtr) // 128)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1 - s / steps)
    t0 = time.time()
    for ep in range(a.epochs):
        net.train(); perm = torch.randperm(len(xtr))
        for b in range(len(xtr) // 128):
            i = perm[b * 128:(b + 1) * 128]
            loss = F.cross_entropy(net(xtr[i]), ytr[i])
            opt.zero_grad(); loss.backward(); opt.step(); sched.step()
        net.eval()
        with torch.no_grad():
            pred = torch.cat([net(xte[j:j + 1000]).argmax(1) for j in range(0, len(xte), 1000)]).numpy()
        y = yte.numpy(); hi = ste >= 10; dig = hi & (y < 8)
        right = lambda c: int(((pred == c) & (y == c) & hi).sum())
        print(f"epoch {ep} {time.time() - t0:.0f}s all {np.mean(pred == y):.3f} >=10dB {np.mean(pred[hi] == y[hi]):.3f} "
              f"digital {np.mean(pred[dig] == y[dig]):.3f} QAM16 {right(4)} QAM64 {right(5)} 8PSK {right(2)}", flush=True)


if __name__ == "__main__":
    main()
