#!/bin/sh
# Runs a command as if this host had AVX2 + FMA and no AVX-512, for both benchmark sides:
#
#   Benchmarks/emulate_avx2.sh .build/release/wirtinger bench --filter train. --threads 1 --json ours.json
#   Benchmarks/emulate_avx2.sh python3 Benchmarks/pytorch_reference.py --filter train. --threads 1 --json pt.json
#
# WIRTINGER_ISA=avx2          caps our kernel tier (`wirtinger bench` prints and records it).
# ATEN_CPU_CAPABILITY=avx2    PyTorch's own vectorised kernels (torch.backends.cpu.get_cpu_capability()).
# MKL_ENABLE_INSTRUCTIONS=AVX2  MKL's GEMM (torch.matmul, linear layers).
# ONEDNN_MAX_CPU_ISA=AVX2     oneDNN, which runs PyTorch's convolutions and ignores ATEN_CPU_CAPABILITY:
#                             without it they use jit:avx512_core (check with ONEDNN_VERBOSE=1).
# OPENBLAS_CORETYPE=Haswell   numpy's OpenBLAS (the GEMM reference rows).
#
# The emulation is not an AVX2-only host: clocks, caches and memory stay this machine's.
if [ $# -eq 0 ]; then
    echo "usage: $0 COMMAND [ARG...]" >&2
    exit 2
fi
export WIRTINGER_ISA=avx2
export ATEN_CPU_CAPABILITY=avx2
export MKL_ENABLE_INSTRUCTIONS=AVX2
export ONEDNN_MAX_CPU_ISA=AVX2
export OPENBLAS_CORETYPE=Haswell
exec "$@"
