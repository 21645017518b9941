#!/usr/bin/python3
"""The ONNX loader against PyTorch: models exported by torch.onnx (Debian's python3-torch 1.13)
load, and `vigil-model info --length T` reports the output shape PyTorch computes for inputs of
length T (the exported length and others), the parameter count PyTorch reports, and folds
BatchNormalization into the conv before it.

Where `vigil-model run` is built (the window executor), each model also runs at each length and
must match PyTorch within max |error| <= 1e-4 x max |reference|: this checks what the loader hands
the executor (folded BatchNormalization with shared weights, pads from constant subgraphs,
reshapes re-applied at other lengths, opset-dependent attributes)."""
import os
import re
import subprocess
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from vigiltest import Checks, tool, tmpdir

warnings.filterwarnings("ignore")
torch.manual_seed(0)
VM = tool("vigil-model")


class Gelu1d(nn.Module):
    """Conv, BN, ReLU, dilated depthwise residual, MaxPool, AvgPool with padding (Pad +
    AveragePool), GELU (Div, Erf, Add, Mul), global pooling, dense head, softmax."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(4, 8, 3, padding=1)
        self.bn = nn.BatchNorm1d(8)
        self.dw = nn.Conv1d(8, 8, 3, dilation=2, padding=2, groups=8)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        y = F.relu(self.bn(self.c1(x)))
        y = y + self.dw(y)
        y = F.avg_pool1d(F.max_pool1d(y, 2), 3, stride=2, padding=1)
        y = F.gelu(y)
        y = F.adaptive_avg_pool1d(y, 1).flatten(1)
        return torch.softmax(self.fc(y), -1)


class Spec2d(nn.Module):
    """2-D trunk over [1, C, F, T] with strides along F, reshape to 1-D, transposed conv, concat,
    clip, leaky relu, tanh."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(2, 6, (3, 3), padding=(1, 1), stride=(2, 1))
        self.c2 = nn.Conv2d(6, 6, (1, 3), padding=(0, 2), dilation=(1, 2), groups=3)
        self.ct = nn.ConvTranspose1d(24, 5, 4, stride=2, padding=1)

    def forward(self, x):
        y = torch.sigmoid(self.c1(x))
        y = F.elu(self.c2(y))
        y = y.reshape(1, 24, y.shape[-1])
        z = self.ct(y)
        return torch.clamp(torch.cat([torch.tanh(z), F.leaky_relu(z, 0.2)], 1), -0.5, 0.5)


class Strided(nn.Module):
    """Strided and ceil-mode pools, pads, count_include_pad, transposed conv with output_padding,
    squeeze/unsqueeze, concatenated global pools, a dense head of two layers. (PyTorch 1.13
    exports adaptive max pooling as a MaxPool of fixed size, so GlobalMaxPool is tested in
    test_onnx_refuse.py with a hand-written graph.)"""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(3, 6, 5, stride=2, padding=2)
        self.ct = nn.ConvTranspose1d(6, 6, 3, stride=2, padding=1, output_padding=1)
        self.one = nn.Conv1d(6, 1, 1)
        self.c2 = nn.Conv2d(1, 2, (3, 3), padding=1)
        self.l1 = nn.Linear(12, 7)
        self.l2 = nn.Linear(7, 2)

    def forward(self, x):
        y = F.max_pool1d(F.relu(self.c1(x)), 3, stride=2, ceil_mode=True)
        y = F.avg_pool1d(self.ct(y), 2, stride=1, padding=1, count_include_pad=True)
        y = self.c2(self.one(y).unsqueeze(1)).squeeze(0).unsqueeze(0)  # [1, 2, 1, T]
        y = torch.cat([F.adaptive_avg_pool2d(F.relu(y), 1), F.adaptive_avg_pool2d(y, 1)], 1)
        y = y.flatten(1)
        y = torch.cat([y, torch.sigmoid(y), y], 1)
        return self.l2(torch.tanh(self.l1(y)))


class BnKept(nn.Module):
    """Exported without constant folding so that BatchNormalization reaches the loader. bn2 and
    bn3 follow two Conv nodes sharing one weight (each folds into its own copy); bn follows an Add
    and stays a BatchNormalization node."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv1d(2, 4, 3, padding=1)
        self.b = nn.Conv1d(2, 4, 1)
        self.bn = nn.BatchNorm1d(4)
        self.bn2 = nn.BatchNorm1d(4)
        self.bn3 = nn.BatchNorm1d(4)

    def forward(self, x):
        y = self.bn2(self.a(x)) + self.bn3(self.a(torch.tanh(x)))
        return self.bn(y + self.b(x))


class Plain(nn.Module):
    """No BN, no scalar constants: the parameter count must equal PyTorch's exactly."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv1d(5, 16, 7, padding=3)
        self.c2 = nn.Conv1d(16, 16, 3, groups=4)
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        y = F.relu(self.c2(F.relu(self.c(x))))
        return self.fc(F.adaptive_avg_pool1d(y, 1).flatten(1))


class Field(nn.Module):
    """A trunk whose receptive field autograd can measure: dilated conv, strided average pool,
    transposed conv, residual branch; smooth activations so no gradient vanishes exactly."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(2, 4, 5, dilation=2, padding=4)
        self.c2 = nn.Conv1d(4, 4, 3, padding=1)
        self.ct = nn.ConvTranspose1d(4, 3, 4, stride=2, padding=1)
        self.c3 = nn.Conv1d(3, 2, 3)

    def forward(self, x):
        y = torch.tanh(self.c1(x))
        y = F.avg_pool1d(y + self.c2(y), 3, stride=2)
        return self.c3(torch.tanh(self.ct(y)))


class Pads(nn.Module):
    """F.pad, nn.ZeroPad2d and nn.ConstantPad1d: PyTorch writes their pads as a subgraph of
    constant ops (ConstantOfShape, Concat, Reshape, Slice, Transpose, Cast) that the loader
    evaluates; causal padding of a 1-D conv; a reshape from 2-D to 1-D written with -1."""

    def __init__(self):
        super().__init__()
        self.c2 = nn.Conv2d(2, 3, (2, 3))
        self.c1 = nn.Conv1d(12, 4, 5)

    def forward(self, x):
        y = self.c2(nn.ZeroPad2d((1, 2, 0, 1))(x))
        y = y.reshape(1, 12, -1)
        y = self.c1(F.pad(y, (4, 0)))
        return nn.ConstantPad1d((0, 1), 0.5)(y)


class Reduce(nn.Module):
    """x.mean(-1) and x.amax(-1): ReduceMean/ReduceMax over time, loaded as global pools followed
    by a squeeze; x.mean((2, 3), keepdim=True) over [1, C, F, T]."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(2, 3, (2, 3))
        self.c1 = nn.Conv1d(6, 4, 3)
        self.fc = nn.Linear(7, 2)

    def forward(self, x):
        y = self.c(x)
        g = y.mean((2, 3), keepdim=True).flatten(1)  # [1, 3]
        z = self.c1(y.reshape(1, 6, -1))
        return self.fc(torch.cat([z.mean(-1) + z.amax(-1), g], 1))


PADS = ["[freq: pad 0+1; time: pad 1+2]", "[time: pad 4+0]", "[time: pad 0+1; value 0.5]"]


def torch_field(model, shape):
    """Widest span of input columns with a non-zero gradient for one output column (middle)."""
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    model = model.double()
    out = model(x)
    n = out.shape[-1]
    widest = 0
    for j in range(n // 2 - 8, n // 2 + 8):
        g, = torch.autograd.grad(out[..., j].sum(), x, retain_graph=True)
        cols = g.abs().sum(dim=tuple(range(g.dim() - 1))).nonzero().flatten()
        widest = max(widest, int(cols[-1] - cols[0] + 1))
    model.float()
    return widest


def randomize_bn(m):
    for mod in m.modules():
        if isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d)):
            mod.running_mean.uniform_(-1, 1)
            mod.running_var.uniform_(0.5, 2)
            mod.weight.data.uniform_(0.5, 1.5)
            mod.bias.data.uniform_(-1, 1)


class AvgPools(nn.Module):
    """AvgPool1d without padding, which PyTorch 1.13 exports as a Pad of zeros and an AveragePool
    (the loader drops the Pad: it copies its input), and with padding (its Pad stays)."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv1d(3, 6, 3)

    def forward(self, x):
        y = F.avg_pool1d(F.relu(self.c(x)), 2)
        return F.avg_pool1d(y, 3, stride=1, padding=1)


MODELS = [  # name, module, input shape, opsets, other lengths to check, exact parameter count
    ("gelu1d", Gelu1d(), (1, 4, 64), (11, 13, 14), (40, 64, 101), False),
    ("spec2d", Spec2d(), (1, 2, 8, 32), (11, 14), (9, 32, 77), True),
    ("strided", Strided(), (1, 3, 50), (11, 13), (23, 50, 64), True),
    ("bnkept", BnKept(), (1, 2, 20), (14,), (20, 33), False),
    ("plain", Plain(), (1, 5, 30), (14,), (30, 17), True),
    ("field", Field(), (1, 2, 96), (14,), (96, 50), True),
    ("pads", Pads(), (1, 2, 4, 20), (11, 14), (20, 7, 41), True),
    ("reduce", Reduce(), (1, 2, 3, 16), (11, 14), (16, 9, 33), True),
    ("avgpools", AvgPools(), (1, 3, 24), (11, 14), (24, 9, 50), True),
]


def has_run():
    r = subprocess.run([VM], capture_output=True, text=True)
    return "vigil-model run" in r.stderr


def run_error(path, model, shape, t, d):
    """Relative max error of `vigil-model run` against PyTorch on a random input of length t."""
    x = torch.randn(*shape[:-1], t)
    with torch.no_grad():
        ref = model(x).numpy().ravel()
    fin, fout = os.path.join(d, "in.f32"), os.path.join(d, "out.f32")
    x[0].numpy().astype("<f4").tofile(fin)
    r = subprocess.run([VM, "run", path, fin, fout], capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip()
    out = np.fromfile(fout, "<f4")
    if out.size != ref.size:
        return None, "%d values, PyTorch %d" % (out.size, ref.size)
    return float(np.abs(out - ref).max() / max(np.abs(ref).max(), 1e-30)), ""


def info(path, length=None):
    args = [VM, "info", path] + (["--length", str(length)] if length else [])
    return subprocess.run(args, capture_output=True, text=True)


def kernels_check(c, path, text):
    """info names the conv kernels this CPU runs, and VIGIL_SIMD changes them."""
    with open("/proc/cpuinfo") as f:
        flags = next((ln for ln in f if ln.startswith("flags")), "").split()
    simd = os.environ.get("VIGIL_SIMD")
    want = ("OpenBLAS" if simd == "none" else
            "AVX-512" if simd != "avx2" and "avx512f" in flags and "avx512vl" in flags else
            "AVX2" if "avx2" in flags and "fma" in flags else "OpenBLAS")
    c.check("1-D conv kernels on this CPU: %s\n" % want in text,
            "info: expected the %s kernels:\n%s" % (want, text))
    r = subprocess.run([VM, "info", path], capture_output=True, text=True,
                       env=dict(os.environ, VIGIL_SIMD="none"))
    c.check("1-D conv kernels on this CPU: OpenBLAS\n" in r.stdout,
            "info with VIGIL_SIMD=none:\n" + r.stdout)


def convt_kernels_check(c, d):
    """info names the ConvTranspose kernels: a 1-D one of one group on Vigil's micro-kernel where
    its SIMD kernels run, OpenBLAS for groups, without AVX2 and under VIGIL_CONV=blas."""
    model = nn.Sequential(nn.ConvTranspose1d(4, 6, 5, stride=2),
                          nn.ConvTranspose1d(6, 4, 3, groups=2)).eval()
    path = os.path.join(d, "convt_kernels.onnx")
    torch.onnx.export(model, torch.randn(1, 4, 20), path, opset_version=13)
    with open("/proc/cpuinfo") as f:
        flags = next((ln for ln in f if ln.startswith("flags")), "").split()
    simd = "avx2" in flags and "fma" in flags and os.environ.get("VIGIL_SIMD") != "none"
    uk, blas = "Vigil's micro-kernel, then a scatter-add", "OpenBLAS GEMM, then a scatter-add"
    for conv, first in (("", uk if simd else blas), ("blas", blas)):
        env = dict(os.environ, VIGIL_CONV=conv) if conv else os.environ
        r = subprocess.run([VM, "info", path], capture_output=True, text=True, env=env)
        got = re.findall(r"^ +\d+ T ConvTranspose .*; ([^;\]]+)\]$", r.stdout, re.M)
        c.check(got == [first, blas], "ConvTranspose kernels (VIGIL_CONV=%s): %s, expected %s"
                % (conv, got, [first, blas]))


def out_shape(text):
    m = re.search(r"^output: '[^']*' \[([0-9, ]*)\]", text, re.M)
    return tuple(int(v) for v in m.group(1).split(",")) if m else None


def main():
    c = Checks("onnx_load")
    d = tmpdir()
    run = has_run()
    worst = 0.0
    for name, model, shape, opsets, lengths, exact in MODELS:
        model.eval()
        randomize_bn(model)
        n_params = sum(p.numel() for p in model.parameters())
        for opset in opsets:
            path = os.path.join(d, "%s_%d.onnx" % (name, opset))
            torch.onnx.export(model, torch.randn(*shape), path, opset_version=opset,
                              do_constant_folding=(name != "bnkept"))
            for t in lengths:
                r = info(path, t)
                if not c.check(r.returncode == 0, "%s opset %d T=%d: exit %d: %s" % (
                        name, opset, t, r.returncode, r.stderr.strip())):
                    continue
                with torch.no_grad():
                    want = tuple(model(torch.randn(*shape[:-1], t)).shape)
                got = out_shape(r.stdout)
                c.check(got == want, "%s opset %d T=%d: output shape %s, PyTorch %s" % (
                    name, opset, t, got, want))
                if run:
                    e, msg = run_error(path, model, shape, t, d)
                    if c.check(e is not None and e <= 1e-4, "%s opset %d T=%d: run: %s" % (
                            name, opset, t, msg or "relative error %.3g" % e)):
                        worst = max(worst, e)
            r = info(path)
            params = re.search(r"^parameters: (\d+)", r.stdout, re.M)
            if exact:
                c.check(params and int(params.group(1)) == n_params, "%s: %s parameters, "
                        "PyTorch %d" % (name, params and params.group(1), n_params))
            if name == "field":
                kernels_check(c, path, r.stdout)
                rf = re.search(r"^receptive field along time: (\d+) input columns", r.stdout, re.M)
                want = torch_field(model, shape)
                c.check(rf and int(rf.group(1)) == want, "field: receptive field %s, autograd %d"
                        % (rf and rf.group(1), want))
            if name == "pads":
                for p in PADS:
                    c.check(p in r.stdout, "pads opset %d: no node with %s:\n%s" % (
                        opset, p, r.stdout))
            if name == "bnkept":
                # bn2 follows a conv used by nothing else: folded; bn follows an Add: kept
                kept = re.findall(r"^ +\d+ . BatchNormalization ", r.stdout, re.M)
                c.check(len(kept) == 1,
                        "bnkept: one BatchNormalization should remain:\n" + r.stdout)
            if name == "avgpools":
                pads = re.findall(r"^ +\d+ . Pad ", r.stdout, re.M)
                c.check(len(pads) == 1 and "pad 1+1" in r.stdout,
                        "avgpools opset %d: the Pad of zeros should be gone, the other kept:\n%s"
                        % (opset, r.stdout))
            if name == "gelu1d":
                for op in ("Pad", "AveragePool", "Erf", "Div", "GlobalAveragePool", "Gemm"):
                    c.check(re.search(r"\b%s\b" % op, r.stdout) is not None,
                            "gelu1d opset %d: no %s node listed" % (opset, op))
            print("%s opset %d: %s" % (name, opset, (r.stdout.splitlines() or [r.stderr])[-1]))
    convt_kernels_check(c, d)
    if run:
        print("worst relative error of vigil-model run against PyTorch: %.3g" % worst)
    else:
        print("vigil-model run is not built: outputs not compared")
    c.done()


if __name__ == "__main__":
    main()
