#!/usr/bin/python3
"""Common sensor and audio CNN families beyond issue 3's three models, window executor vs PyTorch:
where Vigil's kernels are weak shows here first (a slow path in an op that issue 3's models do not
use: 1-D depthwise convs, ConvTranspose, grouped 2-D convs, residual adds).

Usage: /usr/bin/python3 bench/arch_bench.py [BUILD_DIR] [REPEATS] [ROUNDS] [--base OTHER_BUILD]
(defaults: build/, 30 repeats, 5 rounds). --base also runs another build's bench_exec (an older
commit's, say) in the same rounds, for a before/after in one run.

Per model: median CPU time per window of PyTorch (1 thread, torch.no_grad(), eval mode) and of
bench/bench_exec (OpenBLAS on 1 thread), rounds alternating the two, medians over rounds of per-
round medians (as bench/exec_bench.py); each build's output is first checked against PyTorch's
(max |err| <= 1e-4 max |ref|).
"""
import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn

import exec_bench
import stream_models
import torch_baseline

C1, C2, BN1, BN2, R = nn.Conv1d, nn.Conv2d, nn.BatchNorm1d, nn.BatchNorm2d, nn.ReLU


class Residual1d(nn.Module):
    """A ResNet-1D basic block (k 7), with a strided 1 x 1 shortcut where the shape changes."""

    def __init__(self, ci, co, stride):
        super().__init__()
        self.body = nn.Sequential(C1(ci, co, 7, stride, 3), BN1(co), R(), C1(co, co, 7, 1, 3),
                                  BN1(co))
        self.short = (nn.Sequential(C1(ci, co, 1, stride), BN1(co))
                      if stride != 1 or ci != co else nn.Identity())

    def forward(self, x):
        return torch.relu(self.body(x) + self.short(x))


def resnet1d():
    """ECG-style ResNet-1D: 12-lead input of 2048 samples, stem k 15 stride 2, four blocks of
    64-256 channels, global average pool, dense 5."""
    return nn.Sequential(C1(12, 64, 15, 2, 7), BN1(64), R(), Residual1d(64, 64, 1),
                         Residual1d(64, 128, 2), Residual1d(128, 128, 1), Residual1d(128, 256, 2),
                         nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(256, 5)), (1, 12, 2048)


class Inception(nn.Module):
    """An InceptionTime module: a 1 x 1 bottleneck, three convs of k 9, 19, 39, and a max-pool
    branch, concatenated."""

    def __init__(self, ci):
        super().__init__()
        self.neck = C1(ci, 32, 1)
        self.convs = nn.ModuleList([C1(32, 32, k, padding=k // 2) for k in (9, 19, 39)])
        self.pool = nn.Sequential(nn.MaxPool1d(3, 1, 1), C1(ci, 32, 1))
        self.bn = BN1(128)

    def forward(self, x):
        n = self.neck(x)
        return torch.relu(self.bn(torch.cat([c(n) for c in self.convs] + [self.pool(x)], 1)))


def inception_time():
    """InceptionTime (Fawaz et al. 2020), three modules on 4 channels x 512 samples."""
    return nn.Sequential(Inception(4), Inception(128), Inception(128), nn.AdaptiveAvgPool1d(1),
                         nn.Flatten(), nn.Linear(128, 3)), (1, 4, 512)


def separable1d():
    """Depthwise-separable 1-D CNN (QuartzNet-like blocks): 8 channels x 1000 samples, four
    [depthwise k 9 dilated 1-8, BN, ReLU, pointwise 128, BN, ReLU] blocks."""
    layers = [C1(8, 128, 5, padding=2), R()]
    for d in (1, 2, 4, 8):
        layers += [C1(128, 128, 9, padding=4 * d, dilation=d, groups=128), BN1(128), R(),
                   C1(128, 128, 1), BN1(128), R()]
    return nn.Sequential(*layers, nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(128, 4)), \
        (1, 8, 1000)


def conv_autoencoder():
    """1-D conv autoencoder (reconstruction-error monitoring): 8 channels x 512 samples, encoder
    k 7 stride 2 to 32, 64, 128 channels, decoder ConvTranspose k 8 stride 2 back to 8."""
    return nn.Sequential(C1(8, 32, 7, 2, 3), R(), C1(32, 64, 7, 2, 3), R(), C1(64, 128, 7, 2, 3),
                         R(), nn.ConvTranspose1d(128, 64, 8, 2, 3), R(),
                         nn.ConvTranspose1d(64, 32, 8, 2, 3), R(),
                         nn.ConvTranspose1d(32, 8, 8, 2, 3)), (1, 8, 512)


def grouped2d():
    """A 2-D CNN on 64 bands x 200 frames with grouped and depthwise convs (ShuffleNet/CRNN-like
    front ends): 3 x 3 32, pools along frequency, a grouped 3 x 3 (4 groups), a depthwise 3 x 3,
    a frequency-dilated 3 x 3, pointwise 128, global average pool, dense 10."""
    return nn.Sequential(C2(1, 32, 3, padding=1), BN2(32), R(), nn.MaxPool2d((2, 1)),
                         C2(32, 64, 3, padding=1, groups=4), BN2(64), R(), nn.MaxPool2d((2, 1)),
                         C2(64, 64, 3, padding=1, groups=64), R(),
                         C2(64, 64, 3, padding=(2, 1), dilation=(2, 1)), R(), C2(64, 128, 1), R(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10)), (1, 1, 64, 200)


def tcn_classifier():
    """A TCN classifier (Bai et al. 2018's TemporalBlocks): 8 channels x 1024 samples, six blocks
    of 64 channels, kernel 3, dilations 1 to 32 (a receptive field of 253 samples), global
    average pool, dense 5."""
    blocks = [stream_models.TcnBlock(8 if i == 0 else 64, 64, 3, 2 ** i) for i in range(6)]
    return nn.Sequential(*blocks, nn.AdaptiveAvgPool1d(1), nn.Flatten(),
                         nn.Linear(64, 5)), (1, 8, 1024)


MODELS = (("ResNet-1D", resnet1d), ("InceptionTime", inception_time),
          ("depthwise-separable 1-D", separable1d), ("conv autoencoder 1-D", conv_autoencoder),
          ("grouped/dilated 2-D", grouped2d), ("TCN (dilated, 1-D)", tcn_classifier))


def vigil_ms(build, path, repeats):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([os.path.join(build, "bench", "bench_exec"), path, str(repeats)],
                         check=True, capture_output=True, text=True, env=env).stdout
    return float(next(ln.split()[1] for ln in out.splitlines() if ln.startswith("window_ms")))


def main():
    args = [a for a in sys.argv[1:]]
    base = None
    if "--base" in args:
        i = args.index("--base")
        base = args[i + 1]
        del args[i:i + 2]
    build = args[0] if args else os.path.join(os.path.dirname(exec_bench.HERE), "build")
    repeats = int(args[1]) if len(args) > 1 else 30
    rounds = int(args[2]) if len(args) > 2 else 5
    builds = [("this build", build)] + ([("base", base)] if base else [])
    torch_baseline.steady_malloc()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    work = os.path.join(build, "bench", "arch-models")
    os.makedirs(work, exist_ok=True)
    print("torch %s, 1 thread; OpenBLAS 1 thread; %d rounds of %d repeats: medians" % (
        torch.__version__, rounds, repeats))
    rows, ok = [], True
    for name, make in MODELS:
        module, shape = make()
        module = exec_bench.prepare(module, 1)
        path = os.path.join(work, name.replace("/", "-").replace(" ", "_") + ".onnx")
        x, ref = exec_bench.export(module, shape, path)
        fin = path + ".in"
        errs = []
        for _, b in builds:
            err = exec_bench.max_error(os.path.join(b, "tools", "vigil-model"), path, fin, ref, {})
            errs.append(err / float(np.max(np.abs(ref))))
            ok &= errs[-1] <= 1e-4
        pts, vs = [], [[] for _ in builds]
        for _ in range(rounds):
            pts.append(exec_bench.torch_ms(module, x, repeats))
            for k, (_, b) in enumerate(builds):
                vs[k].append(vigil_ms(b, path, repeats))
        rows.append((name, float(np.median(pts)), [float(np.median(v)) for v in vs], errs))
    print()
    head = "| model | PyTorch ms | Vigil ms | speed-up | max err / max |"
    if base:
        head = ("| model | PyTorch ms | Vigil ms | speed-up | base ms | base speed-up | "
                "this / base | max err / max |")
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for name, pt, v, errs in rows:
        if base:
            print("| %s | %.3f | %.3f | %.2fx | %.3f | %.2fx | %.2f | %.2g |" % (
                name, pt, v[0], pt / v[0], v[1], pt / v[1], v[0] / v[1], max(errs)))
        else:
            print("| %s | %.3f | %.3f | %.2fx | %.2g |" % (name, pt, v[0], pt / v[0], errs[0]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
