#!/usr/bin/python3
"""The convs' own kernels against PyTorch: the 2-D ones (kernels/ops/conv2_simd.c,
conv2_depthwise.c, conv2_freq.c: grouped and frequency-dilated convs) and the 1-D Winograd
transforms for 5 and 7 taps (F(4,5), F(2,7) in conv_simd.c, beside F(6,3)), run
on one window and streamed (exact and signal modes), on AVX-512 and with the AVX2 kernels
(VIGIL_SIMD=avx2), and the OpenBLAS path they replaced (VIGIL_CONV=blas): convs of one group with
strides, padding and dilation along time, stride and padding along frequency, 1 x k and k x 1
kernels, channel counts that are not multiples of a block, 3 x 3 convs in Winograd's domain
(F(6,3) along time in a window; a NaN or an infinity in its input takes the direct kernel);
depthwise convs of 64 channels (whole
register blocks, the blocked transpose), of 24 (padded channels) and with a channel multiplier,
strided along frequency; each followed by a ReLU (fused into the conv) and a BatchNorm. The 1-D
models also stream with hops of 25 columns and more, whose spans run the 8-point transforms on
the kept histories (their outlier check). max |error| <= 1e-4 * max |reference|."""
import os
import re
import subprocess

import numpy as np
import torch
import torch.nn as nn

from modelcheck import run_matches, stream_matches
from vigiltest import Checks, tmpdir, tool

c = Checks("conv-paths")
D = tmpdir()
C1, C2, BN, R = nn.Conv1d, nn.Conv2d, nn.BatchNorm2d, nn.ReLU


def bn(ch, norm=BN):
    b = norm(ch)
    b.running_mean.uniform_(-0.2, 0.2)
    b.running_var.uniform_(0.5, 1.5)
    return b


torch.manual_seed(0)
# name: (module, input shape [1, C, (F,) T], whether its padding makes signal mode deviate)
ZOO = {
    # 1-D: 7 taps of 32 -> 64 channels (F(2,7)), 5 taps (F(4,5), also dilated: one transform per
    # phase), 3 taps (F(6,3), also dilated), and convs outside Winograd's domain (4 input channels; 7 taps of
    # 32 x 16 channels, too few for F(2,7))
    "winograd_k5_k7": (nn.Sequential(C1(4, 32, 7, padding=3), bn(32, nn.BatchNorm1d), R(),
                                     C1(32, 64, 7, padding=3), bn(64, nn.BatchNorm1d), R(),
                                     C1(64, 32, 5, padding=2), R(), C1(32, 32, 3, padding=1),
                                     R(), C1(32, 32, 3, padding=2, dilation=2), R(),
                                     C1(32, 16, 7, padding=3)), (1, 4, 90), True),
    "winograd_unpadded": (nn.Sequential(C1(3, 16, 3), R(), C1(16, 40, 5, dilation=2), R(),
                                        C1(40, 64, 7), R(), C1(64, 8, 5)), (1, 3, 80), False),
    "dense_3x3": (nn.Sequential(C2(1, 20, 3, padding=1), bn(20), R(),
                                C2(20, 40, 3, stride=(2, 1), padding=(1, 0)), R(),
                                C2(40, 33, (1, 5), dilation=(1, 2), padding=(0, 4)), R()),
                  (1, 1, 12, 40), True),
    "winograd_3x3": (nn.Sequential(C2(2, 16, 3, padding=1), R(), C2(16, 48, 3, padding=1), bn(48),
                                   R(), C2(48, 32, 3, padding=(0, 1)), R()), (1, 2, 7, 30), True),
    "time_strides": (nn.Sequential(C2(2, 16, (3, 4), stride=(1, 2), padding=(2, 1)), R(),
                                   C2(16, 8, (5, 1), padding=(2, 0))), (1, 2, 9, 36), True),
    "unpadded": (nn.Sequential(C2(3, 32, 3), R(), C2(32, 17, (2, 3), dilation=(1, 2)), R()),
                 (1, 3, 10, 30), False),
    "depthwise_64": (nn.Sequential(C2(1, 64, 3, padding=1), R(),
                                   C2(64, 64, 3, padding=1, groups=64), bn(64), R(),
                                   C2(64, 64, 1), R()), (1, 1, 10, 24), True),
    "depthwise_24": (nn.Sequential(C2(2, 24, 3, padding=1), R(),
                                   C2(24, 24, (3, 5), stride=(2, 1), padding=(1, 2), groups=24),
                                   R(), C2(24, 24, 3, groups=24)), (1, 2, 13, 30), True),
    "depthwise_multiplier": (nn.Sequential(C2(3, 6, 3, padding=1), R(),
                                           C2(6, 12, 3, stride=(2, 1), padding=1, groups=6), R(),
                                           C2(12, 12, (2, 3), dilation=(2, 1), groups=6)),
                             (1, 3, 11, 26), True),
    # conv2_freq.c: four output channels of one group share their loads (8 per group), three
    # vectors of frequencies (F 40) and a partial one, a channel count that leaves a partial
    # block of four, groups of two channels, stride and dilation along frequency together
    "grouped": (nn.Sequential(C2(4, 16, 3, padding=1, groups=2), bn(16), R(),
                              C2(16, 22, (3, 2), stride=(1, 2), padding=(1, 0), groups=2), R(),
                              C2(22, 11, 3, stride=(2, 1), dilation=(2, 1), padding=(2, 1),
                                 groups=11), R()),
                (1, 4, 40, 24), True),
    "freq_dilated": (nn.Sequential(C2(2, 8, 3, padding=(2, 1), dilation=(2, 1)), R(),
                                   C2(8, 5, (3, 3), stride=(3, 1), dilation=(3, 2), padding=(1, 2))),
                     (1, 2, 37, 20), True),
}
# The kernel `vigil-model info` says each conv runs, per variant: the dispatch in conv.c, so that
# the variants above test the paths they name. Vigil's micro-kernel needs AVX2 + FMA (or AVX-512).
with open("/proc/cpuinfo") as f:
    FLAGS = next((ln for ln in f if ln.startswith("flags")), "").split()
SIMD = "avx2" in FLAGS and "fma" in FLAGS
BLAS, UK, FREQ = "OpenBLAS, im2col GEMMs", "Vigil's micro-kernel", "vectorised along frequency"
WINO2 = "Winograd F(6,3) along time on Vigil's micro-kernel"
WINO3 = "Winograd F(6,3) and F(4,3) on Vigil's micro-kernel"
WINO5, WINO7 = "Winograd F(4,5) on Vigil's micro-kernel", "Winograd F(2,7) on Vigil's micro-kernel"
WINO3D = "Winograd F(6,3) on Vigil's micro-kernel"  # dilated: F(4,3) is not used
TAPS = "OpenBLAS, one GEMM per tap"
DEPTH = "depthwise, vectorised over channels"
KERNELS = {  # model: (kernels by default and with VIGIL_SIMD=avx2, with VIGIL_CONV=blas)
    "winograd_k5_k7": ([UK, WINO7, WINO5, WINO3, WINO3D, UK],
                       [BLAS, TAPS, TAPS, TAPS, TAPS, TAPS]),
    "winograd_unpadded": ([UK, WINO5, WINO7, UK], [BLAS, BLAS, TAPS, TAPS]),
    "winograd_3x3": ([UK, WINO2, WINO2], [BLAS] * 3),
    "depthwise_64": ([UK, DEPTH, UK], [BLAS, DEPTH, BLAS]),
    "depthwise_multiplier": ([UK, FREQ, FREQ], [BLAS, FREQ, BLAS]),
    "grouped": ([FREQ] * 3, [BLAS] * 3),
    "freq_dilated": ([FREQ] * 2, [BLAS] * 2),
}


def kernels_match(c, name, path, variant):
    if name not in KERNELS:
        return
    want = KERNELS[name][variant == "blas"]
    if not SIMD:  # the OpenBLAS kernels where the default runs a SIMD one
        want = [b if k in (UK, WINO2, WINO3, WINO3D, WINO5, WINO7) else k
                for k, b in zip(want, KERNELS[name][1])]
    r = subprocess.run([tool("vigil-model"), "info", path], capture_output=True, text=True)
    got = re.findall(r"^ +\d+ T Conv .*; ([^;\]]+)\]$", r.stdout, re.M)
    c.check(got == want, "%s (%s): info names the kernels %s, expected %s" %
            (name, variant, got, want))
    # a Relu right after a conv is fused into it unless OpenBLAS runs the conv
    lines = [ln for ln in r.stdout.splitlines() if re.match(r" +\d+ T (Conv|Relu) ", ln)]
    for prev, ln in zip(lines, lines[1:]):
        if " T Relu " in ln and " T Conv " in prev:
            want_fused = not prev.endswith(("; %s]" % BLAS, "; %s]" % TAPS))
            c.check(ln.endswith("[fused into the conv before it]") == want_fused,
                    "%s (%s): expected the Relu %sfused:\n%s\n%s" %
                    (name, variant, "" if want_fused else "not ", prev, ln))


for variant, env in (("default", {}), ("avx2", {"VIGIL_SIMD": "avx2"}),
                     ("blas", {"VIGIL_CONV": "blas"})):
    os.environ.pop("VIGIL_SIMD", None)
    os.environ.pop("VIGIL_CONV", None)
    os.environ.update(env)
    for name, (model, shape, padded) in ZOO.items():
        model.eval()
        path = os.path.join(D, name + ".onnx")
        with torch.no_grad():
            torch.onnx.export(model, torch.randn(*shape), path, opset_version=13)
        what = "%s (%s)" % (name, variant)
        kernels_match(c, name, path, variant)
        run_matches(c, model, path, torch.randn(*shape) * 2, what + ", run")
        hops = (1, 4, 25, 31) if len(shape) == 3 else (1, 4)
        x = torch.randn(*shape[:-1], shape[-1] + 3 * hops[-1]) * 2
        for hop in hops:
            stream_matches(c, model, path, x, shape[-1], hop, "exact",
                           "%s, exact hop %d" % (what, hop))
        if not padded:
            stream_matches(c, model, path, x, shape[-1], 3, "signal", what + ", signal hop 3")

# A NaN and an infinity through the Winograd 3 x 3 convs and the 1-D 7-, 5- and 3-tap ones: where
# PyTorch's output is NaN or infinite Vigil's must be, and the rest equal (the chunk that holds
# them runs the direct kernel).
os.environ.pop("VIGIL_SIMD", None)
os.environ.pop("VIGIL_CONV", None)
for name, at in (("winograd_3x3", (0, 1, 3, 17)), ("winograd_k5_k7", (0, 1, 37))):
    model, shape, _ = ZOO[name]
    path = os.path.join(D, name + ".onnx")
    torch.onnx.export(model, torch.randn(*shape), path, opset_version=13)
    for value in (float("nan"), float("inf")):
        x = torch.randn(*shape)
        x[at] = value
        x[0].numpy().astype("<f4").tofile(path + ".in")
        r = subprocess.run([tool("vigil-model"), "run", path, path + ".in", path + ".out"],
                           capture_output=True, text=True)
        if not c.check(r.returncode == 0, "%s with %s: %s" % (name, value, r.stderr)):
            continue
        got = np.fromfile(path + ".out", "<f4")
        with torch.no_grad():
            ref = model(x).numpy().ravel()
        bad = ~np.isfinite(ref)
        c.check(bad.any() and not bad.all() and np.array_equal(bad, ~np.isfinite(got)) and
                np.array_equal(np.isnan(ref), np.isnan(got)),
                "%s with %s: non-finite outputs differ from PyTorch's" % (name, value))
        err = np.max(np.abs(got[~bad] - ref[~bad])) / np.max(np.abs(ref[~bad]))
        c.check(err <= 1e-4, "%s with %s: finite outputs differ (%.2e)" % (name, value, err))
c.done()
