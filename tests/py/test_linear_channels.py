#!/usr/bin/python3
"""nn.Linear over the channels of a time value, `fc(x.transpose(1, 2)).transpose(1, 2)` on
[1, C, T] and `fc(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)` on [1, C, F, T], which PyTorch
exports as Transpose, MatMul, Add, Transpose and the loader runs as a 1x1 Conv: with and without
bias, with element-wise ops (GELU's Div/Erf/Add/Mul, ReLU, Sigmoid, a scalar and a per-channel
scale, Softmax over the channels) before the Transpose back, stacked between convs, on the graph
input, in a residual. Each through `vigil-model run` at two lengths and the streaming engine
(tests/stream_check, exact and full, hops 1, 3 and W/2, every window) against PyTorch, max |error|
<= 1e-4 * max |reference|; `vigil-model info` shows the Linear as one Conv (its bias folded) and
counts PyTorch's parameters. nn.LayerNorm over channels (as PyTorch exports it before opset 17,
ReduceMean ... Add, and opset 17's LayerNormalization) alone and after a Linear, the same way.
Transposes that are not a Linear over channels or a LayerNorm are refused, naming the node."""
import os
import re
import subprocess

import torch
import torch.nn as nn

from modelcheck import run_matches, stream_matches
from vigiltest import SANITIZED, Checks, tmpdir, tool

c = Checks("linear_channels")
D = tmpdir()
VM = tool("vigil-model")


def export(name, model, shape, opset=14):
    path = os.path.join(D, name + ".onnx")
    model.eval()  # the exported module itself: torch.onnx.export restores its children's mode
    with torch.no_grad():
        torch.onnx.export(model, torch.randn(*shape), path, opset_version=opset,
                          input_names=["x"], output_names=["y"])
    return path


def info(path):
    return subprocess.run([VM, "info", path], capture_output=True, text=True, timeout=60)


class Lin(nn.Module):
    """conv (or nothing) -> Linear over channels, then `post` on the channels-last value, back
    to channels first -> conv (or nothing). 2-D when `perm` has four axes."""

    def __init__(self, c_in, c_out, bias=True, post=None, before=None, after=None,
                 perm=(0, 2, 1), back=(0, 2, 1), residual=False):
        super().__init__()
        self.before, self.after = before, after
        self.fc = nn.Linear(c_in, c_out, bias=bias)
        self.post, self.perm, self.back, self.residual = post, perm, back, residual

    def forward(self, x):
        h = self.before(x) if self.before is not None else x
        y = self.fc(h.permute(*self.perm))
        y = self.post(y) if self.post is not None else y
        y = y.permute(*self.back)
        y = y + h if self.residual else y
        return self.after(y) if self.after is not None else y


class Scale(nn.Module):
    """Multiplies by a constant: a scalar or one value per channel (the last axis)."""

    def __init__(self, k):
        super().__init__()
        self.register_buffer("k", k)

    def forward(self, x):
        return x * self.k


torch.manual_seed(5)
S = nn.Sequential
C1 = nn.Conv1d
GELU = "Div Erf Add Mul Mul"
LN = "ReduceMean Sub Pow ReduceMean Add Sqrt Div Mul Add"


def layer_norm(c):
    ln = nn.LayerNorm(c)
    with torch.no_grad():  # a scale and shift that are not 1 and 0
        ln.weight.uniform_(0.5, 1.5)
        ln.bias.uniform_(-1.0, 1.0)
    return ln


class LayerNormOver(nn.Module):
    """conv -> LayerNorm over the channels of each time step -> ReLU -> conv."""

    def __init__(self):
        super().__init__()
        self.conv, self.ln, self.out = C1(3, 6, 3, padding=1), layer_norm(6), C1(6, 2, 1)

    def forward(self, x):
        h = self.ln(self.conv(x).transpose(1, 2)).transpose(1, 2)
        return self.out(torch.relu(h))

MODELS = {  # name: (model, input shape, the ops `info` lists, constants that are not parameters)
    "bias": (Lin(4, 6, before=C1(3, 4, 3)), (1, 3, 24), "Conv Conv", 0),
    "no_bias": (Lin(4, 6, bias=False, before=C1(3, 4, 3)), (1, 3, 24), "Conv Conv", 0),
    "on_input": (Lin(3, 5), (1, 3, 24), "Conv", 0),
    "gelu": (Lin(4, 6, post=nn.GELU(), before=C1(3, 4, 3)), (1, 3, 24), "Conv Conv " + GELU, 3),
    "conv_linear_conv": (Lin(4, 8, post=nn.ReLU(), before=S(C1(3, 4, 3, padding=1), nn.ReLU()),
                             after=C1(8, 2, 5, padding=2)), (1, 3, 24),
                         "Conv Relu Conv Relu Conv", 0),
    "sigmoid_scaled": (Lin(4, 6, post=S(nn.Sigmoid(), Scale(torch.tensor(0.5))),
                           before=C1(3, 4, 3)), (1, 3, 24), "Conv Conv Sigmoid Mul", 1),
    "per_channel_scale": (Lin(4, 6, bias=False, post=Scale(torch.randn(6)), before=C1(3, 4, 3)),
                          (1, 3, 24), "Conv Conv Mul", 6),
    "softmax": (Lin(4, 6, post=nn.Softmax(dim=-1), before=C1(3, 4, 3)), (1, 3, 24),
                "Conv Conv Softmax", 0),
    "residual": (Lin(4, 4, post=nn.Tanh(), before=C1(3, 4, 3), after=C1(4, 2, 3),
                     residual=True), (1, 3, 24), "Conv Conv Tanh Add Conv", 0),
    "two_d": (Lin(4, 6, post=nn.ReLU(), before=nn.Conv2d(2, 4, 3, padding=1),
                  after=nn.Conv2d(6, 2, (3, 3)), perm=(0, 2, 3, 1), back=(0, 3, 1, 2)),
              (1, 2, 5, 20), "Conv Conv Relu Conv", 0),
    "layer_norm": (LayerNormOver(), (1, 3, 24), "Conv " + LN + " Relu Conv", 1),
    "linear_layer_norm": (Lin(4, 6, post=layer_norm(6), before=C1(3, 4, 3)), (1, 3, 24),
                          "Conv Conv " + LN, 1),
    "two_d_swap": (Lin(4, 6, post=nn.GELU(), before=nn.Conv2d(2, 4, 3),
                       perm=(0, 3, 2, 1), back=(0, 3, 2, 1)), (1, 2, 5, 20), "Conv Conv " + GELU,
                   3),
}
for name, (model, shape, ops, extra) in MODELS.items():
    path = export(name, model, shape)
    r = info(path)
    if c.check(r.returncode == 0, "%s: info: %s" % (name, r.stderr)):
        nodes = re.findall(r"^ +\d+ ([T ]) (\S+) +(\S+)", r.stdout, re.M)
        c.check(" ".join(n[1] for n in nodes) == ops and all(n[0] == "T" for n in nodes) and
                (name == "layer_norm" or
                 any(n[1] == "Conv" and n[2].endswith("fc/MatMul") for n in nodes)),
                "%s: the Linear is one Conv (bias folded), every node time-local, ops %s:\n%s" %
                (name, ops, r.stdout))
        params = sum(p.numel() for p in model.parameters()) + extra
        c.check(("parameters: %d\n" % params) in r.stdout,
                "%s: %d parameters (PyTorch's and %d in constants):\n%s" %
                (name, params, extra, r.stdout))
    for t in (shape[-1], shape[-1] + 7):
        run_matches(c, model, path, torch.randn(*shape[:-1], t), "%s, run at T %d" % (name, t))
    w, n = shape[-1], 6
    for hop in (1, 3, w // 2):
        x = torch.randn(*shape[:-1], w + hop * (n - 1))
        for mode in ("exact", "full"):
            stream_matches(c, model, path, x, w, hop, mode,
                           "%s, streamed, hop %d %s" % (name, hop, mode))


# opset 17 exports nn.LayerNorm as one LayerNormalization op, which the loader expands the same way
for name in ("layer_norm", "linear_layer_norm"):
    model, shape = MODELS[name][:2]
    path = export(name + "_17", model, shape, 17)
    for t in (shape[-1], shape[-1] + 7):
        run_matches(c, model, path, torch.randn(*shape[:-1], t) * 3,
                    "%s (opset 17), run at T %d" % (name, t))
    x = torch.randn(*shape[:-1], shape[-1] + 15) * 3
    stream_matches(c, model, path, x, shape[-1], 3, "exact", "%s (opset 17), streamed" % name)
    if SANITIZED:  # the loader named its nodes' values from stack buffers it kept in its name map
        env = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") +
                   ":detect_stack_use_after_return=1")
        r = subprocess.run([VM, "info", path], capture_output=True, text=True, timeout=60,
                           env=env)
        c.check(r.returncode == 0 and "Sanitizer" not in r.stderr,
                "%s (opset 17), loaded with stack-use-after-return checks: %s" % (name, r.stderr))


def refused(name, model, shape, *words, opset=14):
    r = info(export("refused_" + name, model, shape, opset))
    c.check(r.returncode == 1 and all(w in r.stderr for w in words),
            "%s: exit %d, %r (wants %s)" % (name, r.returncode, r.stderr, words))


class Fn(nn.Module):
    """f(self, before(x)), with the modules f uses registered as submodules."""

    def __init__(self, f, before, **mods):
        super().__init__()
        self.f, self.before = f, before
        for k, m in mods.items():
            setattr(self, k, m)

    def forward(self, x):
        return self.f(self, self.before(x))


# what reads the Transpose's output itself keeps the message of any Transpose of a computed value
refused("cumsum", Fn(lambda m, h: torch.cumsum(h.transpose(1, 2), -1).transpose(1, 2),
                     C1(3, 4, 3)),
        (1, 3, 24), "unsupported op 'Transpose'", "node '/Transpose'", "constants only",
        "'/before/Conv_output_0'")
refused("softmax_opset11", S(C1(3, 4, 3), nn.Softmax(dim=1)), (1, 3, 24),
        "unsupported op 'Transpose'", "constants only", "opset 11", opset=11)
refused("transposed_output", Fn(lambda m, h: h.transpose(1, 2), C1(3, 4, 3)), (1, 3, 24),
        "unsupported op 'Transpose'", "constants only")
# after the MatMul: the node that breaks the pattern, and what to write instead
refused("linear_cumsum",
        Fn(lambda m, h: torch.cumsum(m.fc(h.transpose(1, 2)), -1).transpose(1, 2), C1(3, 4, 3),
           fc=nn.Linear(4, 4)),
        (1, 3, 24), "unsupported op 'CumSum'", "node '/CumSum'",
        "after Transpose '/Transpose'", "nn.Conv1d(C_in, C_out, 1)")
# a LayerNorm over time (no Transpose) is a per-window op: its means are global pools
over_time = Fn(lambda m, h: m.ln(h), C1(3, 4, 3), ln=layer_norm(22)).eval()
run_matches(c, over_time, export("layer_norm_time", over_time, (1, 3, 24)), torch.randn(1, 3, 24),
            "LayerNorm over time, run")
per_time = torch.randn(22, 1)
refused("per_time_constant",
        Fn(lambda m, h: (m.fc(h.transpose(1, 2)) * per_time).transpose(1, 2), C1(3, 4, 3),
           fc=nn.Linear(4, 6)),
        (1, 3, 24), "constant (neither a scalar nor one value per channel)", "'Mul'",
        "nn.Conv1d(C_in, C_out, 1)")
refused("linear_output", Fn(lambda m, h: m.fc(h.transpose(1, 2)), C1(3, 4, 3),
                            fc=nn.Linear(4, 6)),
        (1, 3, 24), "graph output 'y' is channels last", "nn.Conv1d(C_in, C_out, 1)")
refused("wrong_back", Fn(lambda m, h: m.fc(h.permute(0, 2, 3, 1)).permute(0, 3, 2, 1),
                         nn.Conv2d(2, 4, 3), fc=nn.Linear(4, 6)),
        (1, 2, 5, 20), "perm (not the inverse", "'Transpose'", "nn.Conv2d")
c.done()
