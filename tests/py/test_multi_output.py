#!/usr/bin/python3
"""Models of several outputs (a network with two heads, a time-valued output beside a per-window
one, outputs at two time scales, a 2-D model): `vigil-model run` writes them one after the other
in the graph's order, and the streaming engine hands them so to every window (exact, full, and
signal for unpadded models; hops 1, 3 and W/2), against PyTorch's outputs concatenated the same
way, max |error| <= 1e-4 * max |reference|. `vigil-model info` lists every output. Two outputs
that are the same value, and more than 16 outputs, are refused with a message."""
import os
import subprocess

import onnx
import torch
import torch.nn as nn
from onnx import TensorProto as TP
from onnx import helper as h
from onnx import numpy_helper

from modelcheck import Cat, run_matches, stream_matches
from vigiltest import Checks, tmpdir, tool

c = Checks("multi_output")
D = tmpdir()


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Conv1d(3, 8, 3), nn.ReLU(), nn.Conv1d(8, 8, 3), nn.ReLU())
        self.a, self.b = nn.Linear(8, 2), nn.Linear(8, 5)

    def forward(self, x):
        e = self.trunk(x).mean(-1)
        return self.a(e), torch.softmax(self.b(e), dim=1)


class TimeAndWindow(nn.Module):
    """A time-valued output (a denoised signal, say) beside a per-window score."""

    def __init__(self, padded):
        super().__init__()
        p = 1 if padded else 0
        self.enc = nn.Conv1d(2, 6, 3, padding=p)
        self.dec = nn.Conv1d(6, 2, 3, padding=p)
        self.score = nn.Linear(6, 1)

    def forward(self, x):
        h = torch.relu(self.enc(x))
        return self.dec(h), self.score(h.amax(-1))


class TwoScales(nn.Module):
    """Outputs at the input's rate and at half of it."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv1d(2, 4, 3)
        self.b = nn.Conv1d(4, 3, 4, stride=2)

    def forward(self, x):
        h = torch.relu(self.a(x))
        return self.b(h), h


class TwoD(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        h = torch.relu(self.conv(x))
        return self.fc(h.mean((2, 3))), h


torch.manual_seed(17)
# name: (model, input shape, zero-padded)
models = {
    "two_heads": (TwoHeads(), (1, 3, 30), False),
    "time_and_window": (TimeAndWindow(False), (1, 2, 30), False),
    "time_and_window_padded": (TimeAndWindow(True), (1, 2, 30), True),
    "two_scales": (TwoScales(), (1, 2, 31), False),
    "two_d": (TwoD(), (1, 2, 6, 20), False),
}
for name, (model, shape, padded) in models.items():
    model.eval()
    path = os.path.join(D, name + ".onnx")
    with torch.no_grad():
        torch.onnx.export(model, torch.randn(*shape), path, opset_version=13,
                          input_names=["x"], output_names=["first", "second"])
    r = subprocess.run([tool("vigil-model"), "info", path], capture_output=True, text=True)
    c.check(r.returncode == 0 and "output: 'first'" in r.stdout and
            "output: 'second'" in r.stdout and
            r.stdout.index("output: 'first'") < r.stdout.index("output: 'second'"),
            "%s: info lists both outputs in order:\n%s%s" % (name, r.stdout, r.stderr))
    ref = Cat(model).eval()
    for t in (shape[-1], shape[-1] + 8):
        run_matches(c, ref, path, torch.randn(*shape[:-1], t), "%s, run at T %d" % (name, t))
    w, n = shape[-1], 6
    for hop in (1, 3, w // 2):
        x = torch.randn(*shape[:-1], w + hop * (n - 1))
        for mode in ("exact", "full") + (() if padded else ("signal",)):
            stream_matches(c, ref, path, x, w, hop, mode,
                           "%s, streamed, hop %d %s" % (name, hop, mode))


def refused(name, outputs, words):
    nodes = [h.make_node("Conv", ["x", "W"], ["c"], name="conv"),
             h.make_node("Relu", ["c"], ["r"], name="relu"),
             h.make_node("Identity", ["r"], ["r2"], name="id")]
    w = numpy_helper.from_array(torch.randn(4, 2, 3).numpy(), "W")
    g = h.make_graph(nodes, name, [h.make_tensor_value_info("x", TP.FLOAT, [1, 2, 16])],
                     [h.make_tensor_value_info(o, TP.FLOAT, None) for o in outputs],
                     initializer=[w])
    path = os.path.join(D, name + ".onnx")
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 13)]), path)
    r = subprocess.run([tool("vigil-model"), "info", path], capture_output=True, text=True)
    c.check(r.returncode == 1 and all(s in r.stderr for s in words),
            "%s: exit %d, %r (wants %s)" % (name, r.returncode, r.stderr, words))


refused("same_value", ["r", "r2"], ["outputs 'r' and 'r2' are the same value"])
refused("too_many", ["c"] + ["r"] * 16, ["17 outputs", "1 to 16"])
c.done()
