#!/usr/bin/env python3
"""Prints, per workload, our median time, the reference's, and the ratio ours / reference
(< 1: we are faster), from the JSON files of `wirtinger bench --json` and
Benchmarks/pytorch_reference.py --json.

    python3 Benchmarks/compare.py ours.json torch.json [--markdown]

Rows of the reference named `X.torch` (torch.matmul GEMMs) are compared with our `X` too, and our
`X.prepared` rows (a model compiled for inference) with the reference's `X`.
A second table gives our sparse-inference speed-ups over our own dense and masked paths, and
over torch's CSR path.
"""
import argparse
import json
import sys


def fmt_s(t):
    if t is None:
        return "—"
    if t < 1e-3:
        return f"{t * 1e6:.1f} µs"
    if t < 1:
        return f"{t * 1e3:.2f} ms"
    return f"{t:.2f} s"


def table(rows, header, markdown):
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
        out += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(out)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    line = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(header)] + [line(r) for r in rows])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ours")
    ap.add_argument("reference")
    ap.add_argument("--markdown", action="store_true", help="print Markdown tables")
    ap.add_argument("--stat", choices=("median_s", "min_s"), default="median_s",
                    help="compare medians (default) or minima (less sensitive to load spikes on a shared machine)")
    args = ap.parse_args()
    try:
        ours = json.load(open(args.ours))
        ref = json.load(open(args.reference))
    except (OSError, json.JSONDecodeError) as e:
        sys.exit(f"compare.py: cannot read the benchmark JSON: {e}")
    for doc, path in ((ours, args.ours), (ref, args.reference)):
        if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
            sys.exit(f"compare.py: {path}: no 'results' list (not a bench JSON file)")
    o = {r["name"]: r for r in ours["results"]}
    t = {r["name"]: r for r in ref["results"]}

    st = args.stat
    rows = []
    for name, r in o.items():
        # `X.prepared` (our compiled model) is compared with the reference's `X`.
        base = name[: -len(".prepared")] if name.endswith(".prepared") else name
        for ref_name, label in ((base, "numpy" if r["group"] == "gemm" else "torch"), (base + ".torch", "torch")):
            if ref_name not in t:
                continue
            q = t[ref_name]
            ratio = r[st] / q[st]
            thr = ""
            if r.get("throughput") is not None and q.get("throughput") is not None:
                thr = f"{r['throughput']:.1f} / {q['throughput']:.1f} {r['unit']}"
            rows.append([name, label, fmt_s(r[st]), fmt_s(q[st]), f"{ratio:.2f}", thr])
    print(f"statistic: {'median' if st == 'median_s' else 'minimum'} per-call time")
    print(f"ours: {args.ours} ({ours.get('suite')}, threads {ours.get('threads')}, {ours.get('build')}, {ours.get('date')})")
    print(f"      CPU {ours.get('cpu', 'not recorded')}, tier {ours.get('isa')}, per family {ours.get('kernel_tiers', {})}")
    print(f"reference: {args.reference} ({ref.get('suite')}, threads {ref.get('threads')}, {ref.get('build')}, {ref.get('date')})")
    print(f"      CPU {ref.get('cpu', 'not recorded')}, {ref.get('isa')}")
    print()
    print(table(rows, ["workload", "vs", "ours", "reference", "ours/ref", "throughput ours / ref"], args.markdown))

    # Sparse inference: speed-ups of our CSR path.
    srows = []
    for sp in (0, 90, 95, 99):
        for b in (1, 128):
            k = f"sparse.mlp.s{sp}.b{b}"
            c, d, m, tc = o.get(k + ".csr"), o.get(k + ".dense"), o.get(k + ".masked"), t.get(k + ".csr")
            if c is None:
                continue
            sx = lambda other: f"{other[st] / c[st]:.1f}×" if other else "—"
            srows.append([f"{sp}%", str(b), fmt_s(c[st]), sx(d), sx(m), fmt_s(tc[st]) if tc else "—", sx(tc)])
    if srows:
        print("\nsparse inference: how many times faster our CSR path is")
        print(table(srows, ["sparsity", "batch", "our CSR", "vs our dense", "vs our masked", "torch CSR", "vs torch CSR"],
                    args.markdown))


if __name__ == "__main__":
    main()
