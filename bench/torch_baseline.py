"""PyTorch as the benchmarks' baseline, measured at its best.

glibc serves allocations above its mmap threshold (128 kB at start, raised as such blocks are
freed) with fresh mappings, so a PyTorch forward whose activations are a few hundred kB can map,
fault in and unmap them on every call. Whether it does depends on what the process allocated
before: the accelerometer-like window took 1.8 ms after an ONNX export in the same process and
8-12 ms (CPU time, mostly page faults) in a fresh one. steady_malloc() fixes both thresholds, so
that PyTorch always reuses its heap: the baseline is then the fast case, whatever ran before.
"""
import ctypes

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3


def steady_malloc():
    libc = ctypes.CDLL("libc.so.6")
    # 32 MiB is glibc's largest mmap threshold on 64-bit systems
    ok = libc.mallopt(M_MMAP_THRESHOLD, 32 << 20) and libc.mallopt(M_TRIM_THRESHOLD, 256 << 20)
    if not ok:
        raise RuntimeError("mallopt refused the thresholds")
