#!/usr/bin/python3
"""Window executor benchmark: the three StreamiNNC-like models of issue 3 and two 2-D keyword-
spotting CNNs (plain and depthwise-separable), C executor vs PyTorch.

Usage: /usr/bin/python3 bench/exec_bench.py [--avx2] [BUILD_DIR] [REPEATS] [ROUNDS]
(BUILD_DIR defaults to build/; run `tools/build normal` first. Defaults: 50 repeats, 5 rounds.)
--avx2 measures both sides as on a CPU without AVX-512: Vigil with VIGIL_SIMD=avx2 (its AVX2
kernels) and PyTorch with DNNL_MAX_CPU_ISA=AVX2 (oneDNN's AVX2 convolutions; ATen's own kernels
are AVX2 in Debian's build anyway). The script re-executes itself with those set.

Per model: median time per window of PyTorch (1 thread, torch.no_grad(), eval mode) and of
bench/bench_exec (OpenBLAS on 1 thread) in the same run, their ratio, for each conv path: the
default (AVX-512 kernels with Winograd F(6,3) where the CPU has AVX-512), VIGIL_CONV=direct
(AVX-512 without Winograd), and the OpenBLAS baseline VIGIL_CONV=blas with the kernels Debian's
OpenBLAS picks and, on AVX-512 CPUs it does not know, with its SkylakeX kernels forced. Also the
conv layers' GFLOP/s (all of them, and those with >= 32 input and output channels; Winograd's
figures count the direct convolution's FLOPs, so they may exceed the FMA peak) beside
cblas_sgemm's GFLOP/s on a 1024^3 product (and the best of 256^3, 512^3, 1024^3) measured in the
bench_exec process. Rounds alternate PyTorch and the executor; figures are medians over rounds of
per-round medians. Times are CPU time of the computing thread (PyTorch and OpenBLAS both on 1
thread, so all the work runs there): the benchmark machine is shared, and wall time swings with
other processes' load. Each path's output is checked against PyTorch's first (max|err| <= 1e-4
max|ref|; "max abs err" is that path's own), and so is the output of the model without its last
layer or head ("trunk max err / max", relative), which the dense heads do not smooth out.
"""
import os
import subprocess
import sys
import time

if "--avx2" in sys.argv and os.environ.get("DNNL_MAX_CPU_ISA") != "AVX2":
    # oneDNN reads its ISA limit once, when torch loads: set it before the import
    os.execve(sys.executable, [sys.executable] + sys.argv,
              dict(os.environ, DNNL_MAX_CPU_ISA="AVX2", VIGIL_SIMD="avx2"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

import torch_baseline  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def eeg_like():
    """18 channels, window 1024: 3 x [Conv1d 128 k3 pad 1, BN, ReLU, MaxPool 4], Conv1d 128 k16,
    ReLU, Conv1d 2 k1."""
    layers, c = [], 18
    for _ in range(3):
        layers += [nn.Conv1d(c, 128, 3, padding=1), nn.BatchNorm1d(128), nn.ReLU(), nn.MaxPool1d(4)]
        c = 128
    layers += [nn.Conv1d(128, 128, 16), nn.ReLU(), nn.Conv1d(128, 2, 1)]
    return nn.Sequential(*layers), (1, 18, 1024)


class AccHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool1d(1)
        dims = [256, 128, 64, 32, 2]
        mods = []
        for i in range(4):
            mods.append(nn.Linear(dims[i], dims[i + 1]))
            if i < 3:
                mods.append(nn.ReLU())
        self.dense = nn.Sequential(*mods)

    def forward(self, x):
        return self.dense(torch.flatten(self.pool(x), 1))


def accel_like():
    """4 channels, window 960: 6 x [Conv1d k3 pad 1 (8..256 filters), BN, ReLU], global average
    pool, dense 256-128-64-32-2 with ReLU between."""
    layers, c = [], 4
    for o in (8, 16, 32, 64, 128, 256):
        layers += [nn.Conv1d(c, o, 3, padding=1), nn.BatchNorm1d(o), nn.ReLU()]
        c = o
    return nn.Sequential(*layers, AccHead()), (1, 4, 960)


class PpgHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(64, 1)

    def forward(self, x):
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool1d(x, 1), 1))


def ppg_like():
    """1 channel, window 256: 3 blocks of 3 x [Conv1d k5 dilation 2 pad 4, ReLU] with 32, 48, 64
    filters, blocks ending in AvgPool 4, 2, 2; global average pool; dense 64-1."""
    layers, c = [], 1
    for o, pool in ((32, 4), (48, 2), (64, 2)):
        for _ in range(3):
            layers += [nn.Conv1d(c, o, 5, dilation=2, padding=4), nn.ReLU()]
            c = o
        layers.append(nn.AvgPool1d(pool))
    return nn.Sequential(*layers, PpgHead()), (1, 1, 256)


def kws_like():
    """Beyond issue 3's three: a keyword-spotting CNN on 40 mel bands x 101 frames (1 s at 10 ms):
    Conv2d 3x3 32, BN, ReLU, MaxPool 2, Conv2d 3x3 64, BN, ReLU, MaxPool 2, 2 x [Conv2d 3x3 64, BN,
    ReLU], global average pool, dense 64-12."""
    def block(i, o):
        return [nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU()]
    return nn.Sequential(*block(1, 32), nn.MaxPool2d(2), *block(32, 64), nn.MaxPool2d(2),
                         *block(64, 64), *block(64, 64),
                         nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 12))), \
        (1, 1, 40, 101)


def ds_cnn_like():
    """A depthwise-separable keyword-spotting CNN (DS-CNN, Zhang et al. 2017) on the same input:
    Conv2d 64 (10 x 4, stride 2), BN, ReLU, 4 x [depthwise 3x3, BN, ReLU, pointwise 1x1, BN,
    ReLU], global average pool, dense 64-12."""
    layers = [nn.Conv2d(1, 64, (10, 4), stride=2, padding=(5, 1)), nn.BatchNorm2d(64), nn.ReLU()]
    for _ in range(4):
        layers += [nn.Conv2d(64, 64, 3, padding=1, groups=64), nn.BatchNorm2d(64), nn.ReLU(),
                   nn.Conv2d(64, 64, 1), nn.BatchNorm2d(64), nn.ReLU()]
    return nn.Sequential(*layers, nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                                nn.Linear(64, 12))), (1, 1, 40, 101)


def prepare(module, seed):
    g = torch.Generator().manual_seed(seed)
    for m in module.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
    return module.eval()


def export(module, shape, path):
    """Exports the module at a random input of this shape; writes the input (without the batch
    axis) to path.in; returns the input and PyTorch's output."""
    x = torch.randn(*shape)
    with torch.no_grad():
        torch.onnx.export(module, x, path, opset_version=13, do_constant_folding=True)
        ref = module(x).numpy()
    x[0].numpy().astype("<f4").tofile(path + ".in")
    return x, ref


def torch_ms(module, x, repeats):
    times = []
    with torch.no_grad():
        for _ in range(5):
            module(x)
        for _ in range(repeats):
            t0 = time.thread_time()
            module(x)
            times.append(time.thread_time() - t0)
    return 1e3 * float(np.median(times))


def max_error(vm, path, fin, ref, variant):
    """max |vigil-model run's output - ref| on the conv path `variant` (environment)."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    env.pop("VIGIL_CONV", None)
    env.update(variant)
    subprocess.run([vm, "run", path, fin, path + ".out"], check=True, env=env)
    return float(np.max(np.abs(np.fromfile(path + ".out", dtype="<f4") - ref.ravel())))


def openblas_corename():
    import ctypes
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode()
    except OSError:
        return "?"


def run_bench(bench, path, repeats, variant):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    env.pop("VIGIL_CONV", None)  # the default path unless the variant sets one
    env.update(variant)
    out = subprocess.run([bench, path, str(repeats)], check=True, capture_output=True, text=True,
                         env=env).stdout
    kv, lines = {}, []
    for line in out.splitlines():
        parts = line.split()
        if parts[0] in ("conv", "node"):
            lines.append(" ".join(parts[1:]))
        else:
            kv[parts[0]] = float(parts[1])
    return kv, lines


def main():
    avx2_only = "--avx2" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--avx2"]
    build = args[0] if len(args) > 0 else os.path.join(os.path.dirname(HERE), "build")
    repeats = int(args[1]) if len(args) > 1 else 50
    rounds = int(args[2]) if len(args) > 2 else 5
    torch_baseline.steady_malloc()
    bench = os.path.join(build, "bench", "bench_exec")
    vm = os.path.join(build, "tools", "vigil-model")
    torch.set_num_threads(1)
    torch.manual_seed(0)
    work = os.path.join(build, "bench", "exec-models")
    os.makedirs(work, exist_ok=True)
    # Debian 12's OpenBLAS 0.3.21 picks its kernels by CPU model; on CPUs it does not know (recent
    # AMD EPYC) it falls back to Haswell (AVX2) kernels even when AVX-512 is there. The baseline
    # (VIGIL_CONV=blas) is measured with both.
    corename = openblas_corename()
    avx512 = "avx512f" in open("/proc/cpuinfo").read().split() and not avx2_only
    variants = {"default": {}}
    if avx512:
        variants["AVX-512 direct (VIGIL_CONV=direct)"] = {"VIGIL_CONV": "direct"}
    if avx2_only:
        variants = {"AVX2 (VIGIL_SIMD=avx2)": {},
                    "AVX2 direct (VIGIL_SIMD=avx2 VIGIL_CONV=direct)": {"VIGIL_CONV": "direct"}}
    variants["OpenBLAS %s (VIGIL_CONV=blas)" % corename] = {"VIGIL_CONV": "blas"}
    if avx512 and corename != "SkylakeX":
        variants["OpenBLAS SkylakeX (VIGIL_CONV=blas)"] = {"VIGIL_CONV": "blas",
                                                         "OPENBLAS_CORETYPE": "SkylakeX"}
    print("torch %s, %d thread%s; OpenBLAS %s, 1 thread; %d rounds of %d repeats: medians" % (
        torch.__version__, torch.get_num_threads(),
        ", DNNL_MAX_CPU_ISA=AVX2" if avx2_only else "", corename, rounds, repeats))
    rows = []
    for name, make in (("EEG-like", eeg_like), ("accelerometer-like", accel_like),
                       ("PPG-like", ppg_like), ("KWS-like 2-D", kws_like),
                       ("DS-CNN-like 2-D", ds_cnn_like)):
        module, shape = make()
        module = prepare(module, 1)
        path = os.path.join(work, name + ".onnx")
        x, ref = export(module, shape, path)
        fin = path + ".in"
        # The dense heads shrink the trunk's rounding below float resolution (the accelerometer
        # model's two outputs come out bit-equal), so the trunk's own output is compared too.
        # (eval(): a slice is a new container in training mode, and export restores that mode to
        # every child, BatchNorm included.)
        trunk, tpath = module[:-1].eval(), path + ".trunk.onnx"
        with torch.no_grad():
            torch.onnx.export(trunk, x, tpath, opset_version=13, do_constant_folding=True)
            tref = trunk(x).numpy()
        errs = {}  # each conv path's output and trunk output against PyTorch's
        for label, variant in variants.items():
            err = max_error(vm, path, fin, ref, variant)
            rel = max_error(vm, tpath, fin, tref, variant) / float(np.max(np.abs(tref)))
            errs[label] = (err, rel, err <= 1e-4 * float(np.max(np.abs(ref))) and rel <= 1e-4)
        # Rounds alternate PyTorch and the executor so that load from other processes hits both.
        pts, kvs, lines = [], {k: [] for k in variants}, {}
        for _ in range(rounds):
            pts.append(torch_ms(module, x, repeats))
            for label, variant in variants.items():
                kv, lines[label] = run_bench(bench, path, repeats, variant)
                kvs[label].append(kv)
        pt = float(np.median(pts))
        for label in variants:
            for line in lines[label]:
                print("  %s [%s] %s" % (name, label, line))
            kv = {k: float(np.median([r[k] for r in kvs[label]])) for k in kvs[label][0]}
            rows.append((name, label, pt, kv) + errs[label])
    print()
    print("| model | conv path | PyTorch ms | Vigil ms | speed-up | conv GFLOP/s | "
          "conv >= 32 ch GFLOP/s | sgemm 1024^3 | sgemm best (256-1024) | >= 32 ch / 1024^3 | "
          ">= 32 ch / best | max abs err | trunk max err / max |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, kernels, pt, kv, err, rel, ok in rows:
        sg, best = kv["sgemm1024_gflops"], kv["sgemm_best_gflops"]
        print("| %s | %s | %.3f | %.3f | %.2fx | %.1f | %.1f | %.1f | %.1f | %.0f %% | %.0f %% | "
              "%.2g | %.2g%s |" % (
                  name, kernels, pt, kv["window_ms"], pt / kv["window_ms"], kv["conv_gflops"],
                  kv["conv32_gflops"], sg, best, 100 * kv["conv32_gflops"] / sg,
                  100 * kv["conv32_gflops"] / best, err, rel, "" if ok else " (MISMATCH)"))
    return 0 if all(r[6] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
