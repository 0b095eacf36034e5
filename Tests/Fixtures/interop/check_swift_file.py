#!/usr/bin/env python3
"""Load a safetensors state dict written by Wirtinger (Swift) into the matching cplxmodule
model with load_state_dict(strict=True), run it in eval mode and compare its output.

Examples (run from Tests/Fixtures):

    # Swift re-saved the committed weights: output must match the committed reference
    python3 interop/check_swift_file.py --model cplx_mlp_vd --weights /tmp/from_swift.safetensors

    # Swift trained/changed the weights and wrote its own output for the fixed input
    python3 interop/check_swift_file.py --model conv2d_linear_ard --weights /tmp/w.safetensors \
        --reference /tmp/swift_out.safetensors --reference-key output --atol 1e-6

Exit status: 0 when the load succeeds and max |difference| <= atol; 1 when the difference is
too large; 2 when the file cannot be loaded strictly (missing/unexpected keys, shape mismatch).
"""

import argparse
import os
import sys

import torch
from safetensors.torch import load_file, save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import generate_fixtures as gf  # noqa: E402  (model definitions shared with the generator)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, choices=sorted(gf.INTEROP),
                    help="which interop model architecture to build")
    ap.add_argument("--weights", required=True, help="safetensors state dict written by Swift")
    ap.add_argument("--io", default=None,
                    help="file with 'input' (and 'output'); default interop/<model>.io.safetensors")
    ap.add_argument("--reference", default=None,
                    help="file holding the reference output (default: the --io file)")
    ap.add_argument("--reference-key", default="output", help="tensor name of the reference output")
    ap.add_argument("--atol", type=float, default=1e-10, help="max allowed absolute difference")
    ap.add_argument("--save-output", default=None,
                    help="also write PyTorch's output as {'output': ...} to this safetensors file")
    ap.add_argument("--compare-weights", action="store_true",
                    help="print per-key max |difference| against the committed interop/<model>.safetensors")
    args = ap.parse_args()

    io_path = args.io or os.path.join(HERE, args.model + ".io.safetensors")
    ref_path = args.reference or io_path

    state = load_file(args.weights)
    dtypes = {v.dtype for v in state.values() if v.is_floating_point()}
    if len(dtypes) != 1:
        print(f"error: {args.weights}: expected one floating dtype, found {sorted(map(str, dtypes))}")
        return 2
    dtype = dtypes.pop()

    model = gf.build_model(gf.INTEROP[args.model]).to(dtype).eval()
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        print(f"error: strict load of {args.weights} into {args.model} failed:\n{e}")
        return 2
    print(f"loaded {len(state)} tensors from {args.weights} strictly ({dtype})")

    if args.compare_weights:
        committed = load_file(os.path.join(HERE, args.model + ".safetensors"))
        for k, v in committed.items():
            d = (state[k].to(torch.float64) - v.to(torch.float64)).abs().max().item()
            print(f"  weight {k:32s} {list(v.shape)!s:12s} max|diff| = {d:.3e}")

    x = load_file(io_path)["input"].to(dtype)
    with torch.no_grad():
        out = model(x)
    torch.set_printoptions(precision=10, linewidth=120)
    print("output:")
    print(out)

    if args.save_output:
        save_file({"output": out.contiguous()}, args.save_output)
        print(f"wrote {args.save_output}")

    ref = load_file(ref_path)[args.reference_key]
    if ref.shape != out.shape:
        print(f"error: reference {ref_path}:{args.reference_key} has shape {list(ref.shape)}, "
              f"output has {list(out.shape)}")
        return 1
    diff = (out.to(torch.float64) - ref.to(torch.float64)).abs().max().item()
    ok = diff <= args.atol
    print(f"max |output - reference| = {diff:.3e} (atol {args.atol:g}) -> {'OK' if ok else 'MISMATCH'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
