#!/bin/bash
# The whole side-by-side suite of Docs/Benchmarks.md "Latest figures" in one go, for an idle window:
# training rows (1 and 2 threads; the complex rows at --budget 5), GEMM against numpy/OpenBLAS, Ei
# against scipy, and our sparse rows against our own dense ones.
#
#   Benchmarks/idle_suite.sh OUTDIR            # this host's best tier
#   Benchmarks/idle_suite.sh OUTDIR avx2       # an AVX2-only host emulated (Benchmarks/emulate_avx2.sh)
#
# Needs a release build (`swift build -c release --product wirtinger`) and Python with torch,
# cplxmodule, numpy and scipy. Writes the JSON of both sides, the compare.py tables (cmp_*.txt), the
# sparse rows (sparse.txt) and `uptime` before each group into OUTDIR. About 5 minutes per tier.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 OUTDIR [avx2]" >&2; exit 2; }
out="$1"; mkdir -p "$out"
bin=.build/release/wirtinger
pre=()
if [ "${2:-}" = avx2 ]; then pre=(Benchmarks/emulate_avx2.sh); fi
run() { "${pre[@]}" "$@" > /dev/null; }
cmp() { python3 Benchmarks/compare.py "$1" "$2" --stat min_s > "$3"; }
lscpu > "$out/lscpu.txt"
for t in 1 2; do
    uptime > "$out/uptime_train_t$t.txt"
    run $bin bench --filter train.mlp,train.lenet5 --threads $t --budget 3 --json "$out/ours_train_t$t.json"
    run python3 Benchmarks/pytorch_reference.py --filter train.mlp,train.lenet5 --threads $t --budget 3 --json "$out/pt_train_t$t.json"
    run $bin bench --filter train.cplxmlp --threads $t --budget 5 --json "$out/ours_cplx_t$t.json"
    run python3 Benchmarks/pytorch_reference.py --filter train.cplxmlp --threads $t --budget 5 --json "$out/pt_cplx_t$t.json"
    cmp "$out/ours_train_t$t.json" "$out/pt_train_t$t.json" "$out/cmp_train_t$t.txt"
    cmp "$out/ours_cplx_t$t.json" "$out/pt_cplx_t$t.json" "$out/cmp_cplx_t$t.txt"
done
uptime > "$out/uptime_gemm.txt"
run $bin bench --filter gemm --budget 2 --json "$out/ours_gemm.json"
run python3 Benchmarks/pytorch_reference.py --filter gemm --budget 2 --json "$out/np_gemm.json"
cmp "$out/ours_gemm.json" "$out/np_gemm.json" "$out/cmp_gemm.txt"
run $bin bench --filter ei --threads 1 --budget 1 --json "$out/ours_ei.json"
run python3 Benchmarks/pytorch_reference.py --filter ei --threads 1 --budget 1 --json "$out/sp_ei.json"
cmp "$out/ours_ei.json" "$out/sp_ei.json" "$out/cmp_ei.txt"
"${pre[@]}" $bin bench --threads 1 --filter \
    sparse.linear784x400.s95,sparse.linear784x400.s99,sparse.mlp.s95,sparse.mlp.s99,sparse.cplxlinear784x400.s95,sparse.cplxlinear784x400.s99,sparse.lenet5 \
    > "$out/sparse.txt"
uptime >> "$out/uptime_gemm.txt"
