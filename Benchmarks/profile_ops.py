#!/usr/bin/env python3
"""Folds a `perf record -g` profile of a Wirtinger training step into time per op and phase.

    perf record -g -o step.data .build-bench/release/wirtinger bench --filter train.mlp.ard --budget 6
    perf script -i step.data | swift demangle --simplified > step.txt
    python3 Benchmarks/profile_ops.py step.txt [--top 25]

Each sample is charged to (phase, op):
  phase  backward   - under Tape.backward (the pullbacks)
         forward    - under valueWithGradient but not backward (forward pass, loss, penalties)
         optimizer  - under Adam.update
         loop       - the rest of Recipes.train (batching, finiteness check, bookkeeping)
         setup      - outside train() (benchmark set-up), excluded from the percentages
  op     the leaf-most frame that is an Ops/NN/Relevance-level function (kernel helpers such as
         Tensor.zipElements, mapElements, the C kernels and libm are attributed to their caller),
         with the C kernel or libm routine that did the work listed separately.
"""
import argparse
import collections
import re
import sys

HELPER = re.compile(r"(zipElements|mapElements|vectorMap|ElementwiseKernels|run #\d|generate|Tape\.record|TensorBuffer|Tensor\.init|"
                    r"withUnsafe|swift_|__swift|_swift|Array|ContiguousArray|Dictionary|Sequence|Collection|"
                    r"String|ParameterTree\.subscript|protocol witness|merged|summed\(toShape|broadcast|outlined|"
                    r"^\$s|value witness|reabstraction)")


def clean(frame):
    # "  1234 partial apply for closure #1 in log(_:)+0x1b (/path)" -> "log"
    m = re.match(r"\s*[0-9a-f]+\s+(.*?)(\+0x[0-9a-f]+)?\s+\((.*)\)\s*$", frame)
    if not m:
        return None, None
    name, lib = m.group(1), m.group(3)
    return name, lib


def op_name(name):
    n = re.sub(r"^(specialized |partial apply for |merged |thunk for |reabstraction thunk helper .*? from |"
               r"closure #\d+ in |implicit closure #\d+ in |generic specialization <.*?> of )+", "", name)
    n = re.sub(r"^(specialized |closure #\d+ in |partial apply for )+", "", n)
    n = re.sub(r"^static ", "", n)
    base = n.split("(")[0].strip()
    return base


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("script")
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    text = open(args.script, errors="replace").read()
    samples = [s for s in text.split("\n\n") if s.strip()]
    by_phase = collections.Counter()
    by_op = collections.Counter()
    by_leaf = collections.Counter()
    total = 0
    for s in samples:
        lines = s.strip().split("\n")[1:]
        frames = [clean(l) for l in lines]
        frames = [f for f in frames if f[0]]
        names = [f[0] for f in frames]
        joined = "\n".join(names)
        if "train(_:parameters:data:options:" not in joined:
            by_phase["setup"] += 1
            continue
        total += 1
        if "Tape.backward" in joined:
            phase = "backward"
        elif "Adam.update" in joined:
            phase = "optimizer"
        elif "valueWithGradient" in joined:
            phase = "forward"
        else:
            phase = "loop"
        by_phase[phase] += 1
        leaf_name, leaf_lib = frames[0] if frames else ("?", "?")
        lib = leaf_lib.rsplit("/", 1)[-1]
        if "kernel" in lib or lib.startswith("["):
            leaf = "kernel (page faults, scheduling)"
        elif lib != "wirtinger":
            leaf = lib + ": " + op_name(leaf_name)
        elif re.match(r"(wt_|s?d?(macro|pack)|smacro|spack|dmacro|dpack|sp_)", leaf_name):
            leaf = "C: " + leaf_name
        elif "Tensor.scalars" in leaf_name:
            leaf = "Swift: Tensor.scalars (copy to [Double])"
        else:
            leaf = "Swift (closures, allocation, tape)"
        by_leaf[leaf] += 1
        op = None
        for name, l in frames:
            if not l.endswith("wirtinger") or "(" not in name:
                continue
            if HELPER.search(name) and "Tape.record" not in name:
                continue
            if "Tape.record" in name or "Tape.backward" in name:
                continue
            op = op_name(name)
            break
        by_op[(phase, op or "?")] += 1
    if total == 0:
        sys.exit("profile_ops.py: no samples inside Recipes.train")
    print(f"{total} samples inside train() ({by_phase['setup']} set-up samples excluded)\n")
    print("phase       share")
    for p in ("forward", "backward", "optimizer", "loop"):
        print(f"{p:<10} {100 * by_phase[p] / total:5.1f}%")
    print(f"\ntop ops (phase, op): share of the step")
    for (p, o), c in by_op.most_common(args.top):
        print(f"{100 * c / total:5.1f}%  {p:<9} {o}")
    print(f"\nwhere the CPU was (leaf frame)")
    for k, c in by_leaf.most_common(12):
        print(f"{100 * c / total:5.1f}%  {k}")


if __name__ == "__main__":
    main()
