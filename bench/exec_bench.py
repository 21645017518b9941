#!/usr/bin/python3
"""Window executor benchmark: the three StreamiNNC-like models, C executor vs PyTorch.

Usage: /usr/bin/python3 bench/exec_bench.py [BUILD_DIR] [REPEATS]
(BUILD_DIR defaults to build/; run `tools/build normal` first.)

Per model: median time per window of PyTorch (1 thread, torch.no_grad(), eval mode) and of
bench/bench_exec (OpenBLAS on 1 thread) in the same run, their ratio, the conv layers' GFLOP/s
(all of them, and those with >= 32 input and output channels) beside cblas_sgemm's GFLOP/s on a
1024^3 product measured in the bench_exec process. The executor's output is checked against
PyTorch's first (max|err| <= 1e-4 max|ref|).
"""
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn

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


def prepare(module, seed):
    g = torch.Generator().manual_seed(seed)
    for m in module.modules():
        if isinstance(m, nn.BatchNorm1d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
    return module.eval()


def torch_ms(module, x, repeats):
    times = []
    with torch.no_grad():
        for _ in range(5):
            module(x)
        for _ in range(repeats):
            t0 = time.perf_counter()
            module(x)
            times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(HERE), "build")
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    bench = os.path.join(build, "bench", "bench_exec")
    vm = os.path.join(build, "tools", "vigil-model")
    torch.set_num_threads(1)
    torch.manual_seed(0)
    work = os.path.join(build, "bench", "exec-models")
    os.makedirs(work, exist_ok=True)
    print("torch %s, %d thread; OpenBLAS 1 thread; %d repeats, medians" % (
        torch.__version__, torch.get_num_threads(), repeats))
    rows = []
    for name, make in (("EEG-like", eeg_like), ("accelerometer-like", accel_like),
                       ("PPG-like", ppg_like)):
        module, shape = make()
        module = prepare(module, 1)
        path = os.path.join(work, name + ".onnx")
        x = torch.randn(*shape)
        with torch.no_grad():
            torch.onnx.export(module, x, path, opset_version=13, do_constant_folding=True)
            ref = module(x).numpy()
        fin, fout = path + ".in", path + ".out"
        x[0].numpy().astype("<f4").tofile(fin)
        subprocess.run([vm, "run", path, fin, fout], check=True)
        got = np.fromfile(fout, dtype="<f4")
        err = float(np.max(np.abs(got - ref.ravel())))
        ok = err <= 1e-4 * float(np.max(np.abs(ref)))
        pt = torch_ms(module, x, repeats)
        out = subprocess.run([bench, path, str(repeats)], check=True, capture_output=True,
                             text=True).stdout
        kv = {}
        for line in out.splitlines():
            parts = line.split()
            if parts[0] in ("conv", "node"):
                print("  %s %s" % (name, " ".join(parts[1:])))
            else:
                kv[parts[0]] = float(parts[1])
        rows.append((name, pt, kv, err, ok))
    print()
    print("| model | PyTorch ms/window | Vigil ms/window | speed-up | conv GFLOP/s (all) | "
          "conv GFLOP/s (>= 32 ch) | sgemm 1024^3 GFLOP/s | >=32 ch / sgemm | max abs err |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, pt, kv, err, ok in rows:
        sg = kv["sgemm1024_gflops"]
        print("| %s | %.3f | %.3f | %.2fx | %.1f | %.1f | %.1f | %.0f %% | %.2g%s |" % (
            name, pt, kv["window_ms"], pt / kv["window_ms"], kv["conv_gflops"],
            kv["conv32_gflops"], sg, 100 * kv["conv32_gflops"] / sg if sg else 0, err,
            "" if ok else " (MISMATCH)"))
    return 0 if all(r[4] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
