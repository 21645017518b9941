#!/usr/bin/python3
"""Slice and Split of computed values: temporal conv networks whose causal convs crop their right
padding (Chomp1d, `h[:, :, :-p]`, with weight_norm), gated activations (F.glu, torch.chunk,
torch.split, `h[:, :C]`), 2-D slices of channels and frequency, a ConvTranspose cropped back,
a dense head sliced (after a LogSoftmax), one time step or channel picked (Gather), and models
exported with a dynamic time axis. Each against PyTorch through
`vigil-model run` at two lengths and the streaming engine (exact and full; signal for models
without padding; hops 1, 3 and W/2, every window), max |error| <= 1e-4 * max |reference|. Crops
written with absolute bounds tie the model to its length (refused at another, naming the Slice);
steps along time (`h[..., ::2]`) decimate; other steps and splits of the time axis are refused with
what to do."""
import os
import subprocess

import torch
import torch.nn as nn
import torch.nn.functional as F

from modelcheck import run_matches, stream_matches
from vigiltest import Checks, tmpdir, tool

c = Checks("slice")
D = tmpdir()


def export(name, model, shape, opset=13, dynamic=False):
    path = os.path.join(D, name + ".onnx")
    axes = {"x": {len(shape) - 1: "t"}, "y": {}} if dynamic else None
    with torch.no_grad():
        torch.onnx.export(model, torch.randn(*shape), path, opset_version=opset,
                          input_names=["x"], output_names=["y"], dynamic_axes=axes)
    return path


class Chomp(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        return x[:, :, :-self.p].contiguous()


class TcnBlock(nn.Module):
    """locuslab/TCN's TemporalBlock: two causal dilated convs (pad both sides, chomp the right),
    weight_norm, a 1x1 conv on the residual when the widths differ."""

    def __init__(self, ci, co, k, d):
        super().__init__()
        p = (k - 1) * d
        self.net = nn.Sequential(
            nn.utils.weight_norm(nn.Conv1d(ci, co, k, padding=p, dilation=d)), Chomp(p), nn.ReLU(),
            nn.utils.weight_norm(nn.Conv1d(co, co, k, padding=p, dilation=d)), Chomp(p), nn.ReLU())
        self.down = nn.Conv1d(ci, co, 1) if ci != co else None

    def forward(self, x):
        return F.relu(self.net(x) + (x if self.down is None else self.down(x)))


class Glu(nn.Module):
    def __init__(self, ci, co, how):
        super().__init__()
        self.conv, self.how = nn.Conv1d(ci, 2 * co, 3), how

    def forward(self, x):
        h = self.conv(x)
        if self.how == "glu":
            return F.glu(h, dim=1)
        if self.how == "chunk":
            a, b = h.chunk(2, dim=1)
        elif self.how == "split":
            a, b, g = torch.split(h, [2, 2, h.shape[1] - 4], dim=1)
            return torch.cat([torch.tanh(a), b], dim=1) * torch.sigmoid(g)
        else:
            c = h.shape[1] // 2
            a, b = h[:, :c], h[:, c:]
        return torch.tanh(a) * torch.sigmoid(b)


class Slice2d(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 6, 3, padding=1)
        self.out = nn.Conv2d(4, 3, (2, 3))

    def forward(self, x):
        return self.out(torch.relu(self.conv(x)[:, 1:5, 1:-1]))


class CropBack(nn.Module):
    """A strided autoencoder whose transposed conv gives one column too many, cropped off."""

    def __init__(self):
        super().__init__()
        self.enc = nn.Conv1d(2, 6, 4, stride=2)
        self.dec = nn.ConvTranspose1d(6, 2, 5, stride=2)

    def forward(self, x):
        return self.dec(torch.relu(self.enc(x)))[:, :, 1:-1]


class HeadSlice(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv, self.fc = nn.Conv1d(3, 8, 3), nn.Linear(8, 5)

    def forward(self, x):
        return torch.log_softmax(self.fc(self.conv(x).mean(-1)), dim=1)[:, 1:4]


class LeftCrop(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 4, 3, padding=2)

    def forward(self, x):
        return self.conv(x)[:, :, 3:]


class Decimate(nn.Module):
    """Every second column, then every third from the second to the last but one."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Conv1d(3, 4, 3, padding=1), nn.Conv1d(4, 2, 3)

    def forward(self, x):
        h = torch.relu(self.a(x))[:, :, ::2]
        return self.b(h)[:, :, 1:-1:3]


class Pick(nn.Module):
    """Gather of one index: a channel of each time step, then the last time step (a per-window
    output, tied to the model's length)."""

    def __init__(self, last):
        super().__init__()
        self.conv, self.last = nn.Conv1d(3, 4, 3), last

    def forward(self, x):
        h = self.conv(x)
        g = torch.sigmoid(h[:, 0:1] + h[:, 2].unsqueeze(1)) * h
        return g[:, :, -1] if self.last else g[:, :, 0]


class InputSlice(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 4, 3)

    def forward(self, x):
        return self.conv(x[:, 1:3])


torch.manual_seed(11)
S = nn.Sequential
# name: (module, input shape, zero-padded)
models = {
    "tcn": (S(TcnBlock(3, 8, 3, 1), TcnBlock(8, 8, 3, 2), TcnBlock(8, 4, 3, 4)), (1, 3, 40), True),
    "glu": (S(Glu(3, 4, "glu"), Glu(4, 4, "glu")), (1, 3, 30), False),
    "chunk": (Glu(3, 4, "chunk"), (1, 3, 30), False),
    "split": (Glu(3, 4, "split"), (1, 3, 30), False),
    "index": (Glu(3, 4, "index"), (1, 3, 30), False),
    "slice2d": (Slice2d(), (1, 2, 7, 20), True),
    "cropback": (CropBack(), (1, 2, 30), True),  # a transposed conv's edges are partial sums
    "headslice": (HeadSlice(), (1, 3, 30), False),
    "leftcrop": (LeftCrop(), (1, 3, 30), True),
    "inputslice": (InputSlice(), (1, 4, 30), False),
    "decimate": (Decimate(), (1, 3, 36), True),
}
for name, (model, shape, padded) in models.items():
    model.eval()
    for opset, dynamic in ((11, False), (13, False), (13, True)):
        path = export("%s_%d%s" % (name, opset, "d" if dynamic else ""), model, shape, opset,
                      dynamic)
        what = "%s (opset %d%s)" % (name, opset, ", dynamic" if dynamic else "")
        for t in (shape[-1], shape[-1] + 7):
            run_matches(c, model, path, torch.randn(*shape[:-1], t),
                        "%s, run at T %d" % (what, t))
        if name == "headslice" or (dynamic and opset == 13 and name not in ("tcn", "chunk")):
            continue
        w, n = shape[-1], 6
        for hop in (1, 3, w // 2):
            x = torch.randn(*shape[:-1], w + hop * (n - 1))
            for mode in ("exact", "full") + (() if padded else ("signal",)):
                stream_matches(c, model, path, x, w, hop, mode,
                               "%s, streamed, hop %d %s" % (what, hop, mode))


def info(path, *args):
    return subprocess.run([tool("vigil-model"), "info", path] + list(args), capture_output=True,
                          text=True)


# one time step picked (h[:, :, -1], h[:, :, 0]): at the exported window, run and streamed (one
# output per hop); at another length refused naming the Gather (the column it names moves)
for last in (True, False):
    model, name = Pick(last).eval(), "pick_last" if last else "pick_first"
    for opset in (11, 13):
        path = export("%s_%d" % (name, opset), model, (1, 3, 30), opset)
        run_matches(c, model, path, torch.randn(1, 3, 30), "%s (opset %d), run" % (name, opset))
        for hop in (1, 4):
            for mode in ("exact", "full"):
                stream_matches(c, model, path, torch.randn(1, 3, 30 + 5 * hop), 30, hop, mode,
                               "%s (opset %d), hop %d %s" % (name, opset, hop, mode))
        r = info(path, "--length", "37")
        c.check(r.returncode == 1 and "picks a time step" in r.stderr,
                "%s at another length: %r" % (name, r.stderr))


# the chomps fold into the convs' pads: padded on the left only, no crop left to run
r = info(os.path.join(D, "tcn_13.onnx"))
pads = [line.split("pad ")[1].split(";")[0] for line in r.stdout.splitlines() if " Conv " in line]
c.check(r.returncode == 0 and " Pad " not in r.stdout and
        sorted(set(pads)) == ["0+0", "2+0", "4+0", "8+0"],
        "tcn: chomps folded into the conv pads: %s" % pads)


class Fixed(nn.Module):
    def __init__(self, crop):
        super().__init__()
        self.conv, self.crop = nn.Conv1d(2, 3, 3, padding=1), crop

    def forward(self, x):
        return self.crop(self.conv(x))


# absolute bounds: exact at the export's length, refused at another, naming the Slice
for name, crop in (("end30", lambda h: h[:, :, :30]), ("last10", lambda h: h[:, :, -10:])):
    model = Fixed(crop).eval()
    path = export("abs_" + name, model, (1, 2, 40))
    run_matches(c, model, path, torch.randn(1, 2, 40), "absolute crop %s at T 40" % name)
    r = info(path, "--length", "47")
    c.check(r.returncode == 1 and "Slice" in r.stderr and "absolute bounds" in r.stderr and
            "40 columns" in r.stderr, "absolute crop %s at 47: %r" % (name, r.stderr))

for name, crop, words in (("step", lambda h: h[:, ::2], "sliced in steps of 1"),
                          ("timesplit", lambda h: torch.split(h, 20, dim=2)[0],
                           "split of the time axis")):
    r = info(export("refused_" + name, Fixed(crop).eval(), (1, 2, 40)))
    c.check(r.returncode == 1 and words in r.stderr, "%s refused: %r" % (name, r.stderr))
c.done()
