#!/usr/bin/python3
"""Reductions over channels and frequency within each time step (ReduceMean, ReduceMax, ReduceMin,
ReduceSum, ReduceL2: CBAM-style spatial attention, x / x.norm(dim=1), F.normalize and its Expand),
over a plain value's axes (an embedding head normalised), and ReduceSum over time (x.sum(-1), a
global pool that does not divide), mean, max and sum over time only of a 2-D value,
torch.logsumexp over channels, F and time (and its infinities), InstanceNormalization and
GroupNorm (per window), a squeeze-and-excitation block of 1x1 convs on the pooled value,
x.std(-1) (ReduceProd of a Shape), 1-D and 2-D, at opsets 11, 13 and 17: against PyTorch through
`vigil-model run` at two lengths and the streaming engine (exact and full, signal for unpadded
models; hops 1, 3 and W/2, every window), max |error| <= 1e-4 * max |reference|. A reduction
over time and channels together is refused naming the axes."""
import os
import subprocess

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from modelcheck import run_matches, stream_matches
from vigiltest import Checks, tmpdir, tool

c = Checks("reduce")
D = tmpdir()


class SpatialAttention(nn.Module):
    """CBAM's spatial attention: the channel mean and max of each time step gate the features."""

    def __init__(self, ci, dims=1):
        super().__init__()
        conv = nn.Conv1d if dims == 1 else nn.Conv2d
        self.body = conv(ci, 6, 3, padding=1)
        self.gate = conv(2, 1, 3, padding=1)

    def forward(self, x):
        h = torch.relu(self.body(x))
        a = torch.cat([h.mean(1, keepdim=True), torch.amax(h, 1, keepdim=True)], dim=1)
        return h * torch.sigmoid(self.gate(a))


class Norms(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 5, 3)

    def forward(self, x):
        h = self.conv(x)
        l2 = h / h.norm(dim=1, keepdim=True)
        return torch.cat([l2, F.normalize(h, dim=1), h.sum(1, keepdim=True),
                          torch.amin(h, 1, keepdim=True)], dim=1)


class FreqMean(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3)

    def forward(self, x):
        h = torch.relu(self.conv(x))
        return torch.cat([h.mean(2, keepdim=True), h.mean((1, 2), keepdim=True)], dim=1)


class SumHead(nn.Module):
    """ReduceSum over time: the conv's output summed (through the fused pooling of the executor and
    the streaming engine's running sums), then a dense layer and an L2-normalised embedding."""

    def __init__(self):
        super().__init__()
        self.conv, self.fc = nn.Conv1d(3, 32, 3, padding=1), nn.Linear(32, 8)

    def forward(self, x):
        e = self.fc(torch.relu(self.conv(x)).sum(-1))
        return torch.cat([F.normalize(e, dim=1), e.mean(1, keepdim=True)], dim=1)


class InstanceNorms(nn.Module):
    """nn.InstanceNorm1d/2d (affine or not): statistics over the whole window, so the engine
    recomputes every window from there on (its plan says so), and equals PyTorch all the same."""

    def __init__(self, dims, affine):
        super().__init__()
        conv = nn.Conv1d if dims == 1 else nn.Conv2d
        norm = nn.InstanceNorm1d if dims == 1 else nn.InstanceNorm2d
        self.a, self.norm, self.b = conv(2, 6, 3), norm(6, affine=affine), conv(6, 2, 1)
        if affine:
            with torch.no_grad():
                self.norm.weight.uniform_(0.5, 1.5)
                self.norm.bias.uniform_(-1.0, 1.0)

    def forward(self, x):
        return self.b(torch.relu(self.norm(self.a(x))))


class GroupNorms(nn.Module):
    """nn.GroupNorm (exported as Reshape, InstanceNormalization, Reshape back, Mul, Add)."""

    def __init__(self, dims, groups):
        super().__init__()
        conv = nn.Conv1d if dims == 1 else nn.Conv2d
        self.a, self.norm, self.b = conv(2, 8, 3), nn.GroupNorm(groups, 8), conv(8, 2, 1)
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.uniform_(-1.0, 1.0)

    def forward(self, x):
        return self.b(torch.relu(self.norm(self.a(x))))


class SqueezeExcite(nn.Module):
    """A squeeze-and-excitation block written with 1x1 Conv1d on the pooled [1, C, 1] value."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv1d(3, 8, 3, padding=1)
        self.f1, self.f2 = nn.Conv1d(8, 4, 1), nn.Conv1d(4, 8, 1)

    def forward(self, x):
        h = torch.relu(self.a(x))
        g = torch.sigmoid(self.f2(torch.relu(self.f1(h.mean(-1, keepdim=True)))))
        return h * g + torch.amax(h, -1, keepdim=True)


class ChannelMeanOut(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 4, 3)

    def forward(self, x):
        return self.conv(x).mean(1)


class LogSumExp(nn.Module):
    """torch.logsumexp (ReduceLogSumExp, loaded as max + log(sum(exp(x - max)))): over channels
    (time-local), over time (global pools, then per window), over F and over (F, T) of 2-D."""

    def __init__(self, dims=1):
        super().__init__()
        conv = nn.Conv1d if dims == 1 else nn.Conv2d
        self.dims, self.a = dims, conv(dims, 4, 3, padding=1)

    def forward(self, x):
        h = self.a(x) * 4
        if self.dims == 1:
            return torch.cat([torch.logsumexp(h, 1, keepdim=True),
                              h - torch.logsumexp(h, -1, keepdim=True)], 1)
        return torch.cat([torch.logsumexp(h, 2) + torch.logsumexp(h, (2, 3)).unsqueeze(-1),
                          torch.logsumexp(h, 1)], 1)


class TimePool2d(nn.Module):
    """Mean, max and sum over time only of a [1, C, F, T] value (a Reshape to [1, C * F, T], the
    global pool, a Reshape back): into a dense head, or kept and subtracted from the features."""

    def __init__(self, keep):
        super().__init__()
        self.keep, self.a = keep, nn.Conv2d(2, 3, 3, padding=1)
        self.fc = nn.Linear(3 * 5 * 3, 4)

    def forward(self, x):
        h = torch.relu(self.a(x))
        if self.keep:
            return h - h.mean(-1, keepdim=True) + h.amax(-1, keepdim=True)
        return self.fc(torch.cat([h.mean(-1), h.amax(-1), h.sum(-1)], 2).flatten(1))


torch.manual_seed(13)
# name: (module, input shape, zero-padded, streamed)
models = {
    "attention": (SpatialAttention(3), (1, 3, 30), True, True),
    "attention2d": (SpatialAttention(2, 2), (1, 2, 6, 20), True, True),
    "norms": (Norms(), (1, 3, 30), False, True),
    "freqmean": (FreqMean(), (1, 2, 7, 20), False, True),
    "sumhead": (SumHead(), (1, 3, 30), True, True),
    "channelmean": (ChannelMeanOut(), (1, 3, 30), False, False),
    "instancenorm": (InstanceNorms(1, True), (1, 2, 30), False, True),
    "instancenorm_plain": (InstanceNorms(1, False), (1, 2, 30), False, True),
    "instancenorm2d": (InstanceNorms(2, True), (1, 2, 6, 20), False, True),
    "groupnorm": (GroupNorms(1, 2), (1, 2, 30), False, True),
    "groupnorm1": (GroupNorms(1, 1), (1, 2, 30), False, True),
    "groupnorm2d": (GroupNorms(2, 4), (1, 2, 6, 20), False, True),
    "squeeze_excite": (SqueezeExcite(), (1, 3, 30), True, True),
    "logsumexp": (LogSumExp(1), (1, 1, 30), True, True),
    "logsumexp2d": (LogSumExp(2), (1, 2, 4, 20), True, True),
    "timepool2d": (TimePool2d(False), (1, 2, 5, 20), True, True),
    "timepool2d_kept": (TimePool2d(True), (1, 2, 5, 20), True, True),
}
for name, (model, shape, padded, streamed) in models.items():
    model.eval()
    for opset in (11, 13, 17):
        path = os.path.join(D, "%s_%d.onnx" % (name, opset))
        with torch.no_grad():
            torch.onnx.export(model, torch.randn(*shape), path, opset_version=opset,
                              input_names=["x"], output_names=["y"])
        what = "%s (opset %d)" % (name, opset)
        for t in (shape[-1], shape[-1] + 7):
            run_matches(c, model, path, torch.randn(*shape[:-1], t) * 3,
                        "%s, run at T %d" % (what, t))
        if not streamed:
            continue
        w, n = shape[-1], 6
        for hop in (1, 3, w // 2):
            x = torch.randn(*shape[:-1], w + hop * (n - 1)) * 3
            for mode in ("exact", "full") + (() if padded else ("signal",)):
                stream_matches(c, model, path, x, w, hop, mode,
                               "%s, streamed, hop %d %s" % (what, hop, mode))


class PoolBroadcast(nn.Module):
    """h + AdaptiveMaxPool1d(1)(h): PyTorch exports the pool as a MaxPool over the exported
    length, one column, which the Add broadcasts along time: per window (not time-local), at the
    exported window only (at others Vigil warns that the pool covers the first 30 columns)."""

    def __init__(self):
        super().__init__()
        self.a, self.pool = nn.Conv1d(3, 4, 3, padding=1), nn.AdaptiveMaxPool1d(1)

    def forward(self, x):
        h = torch.relu(self.a(x))
        return h + self.pool(h)


model = PoolBroadcast().eval()
path = os.path.join(D, "pool_broadcast.onnx")
torch.onnx.export(model, torch.randn(1, 3, 30), path, opset_version=13)
run_matches(c, model, path, torch.randn(1, 3, 30), "pool broadcast along time, run")
for hop in (1, 7):
    for mode in ("exact", "full"):
        stream_matches(c, model, path, torch.randn(1, 3, 30 + 5 * hop), 30, hop, mode,
                       "pool broadcast along time, hop %d %s" % (hop, mode))


class StdHead(nn.Module):
    """x.std(-1) as a feature: its Bessel correction divides by T - 1, a count PyTorch exports as
    the ReduceProd of the dims a Shape reads, so the model runs at its exported length only."""

    def __init__(self):
        super().__init__()
        self.c, self.fc = nn.Conv1d(3, 8, 3), nn.Linear(16, 2)

    def forward(self, x):
        h = self.c(x)
        return self.fc(torch.cat([h.mean(-1), h.std(-1)], 1))


model = StdHead().eval()
path = os.path.join(D, "std.onnx")
torch.onnx.export(model, torch.randn(1, 3, 40), path, opset_version=13)
run_matches(c, model, path, torch.randn(1, 3, 40) * 3, "std head, run")
stream_matches(c, model, path, torch.randn(1, 3, 55) * 3, 40, 3, "exact", "std head, streamed")
r = subprocess.run([tool("vigil-model"), "info", path, "--length", "47"], capture_output=True,
                   text=True)
c.check(r.returncode == 1 and "runs only at the length it was loaded at, 40" in r.stderr,
        "std head at another length: %r" % r.stderr)


class TimeAndChannels(nn.Module):
    def forward(self, x):
        return x.mean((1, 2))


path = os.path.join(D, "refused.onnx")
torch.onnx.export(TimeAndChannels(), torch.randn(1, 3, 30), path, opset_version=13)
r = subprocess.run([tool("vigil-model"), "info", path], capture_output=True, text=True)
c.check(r.returncode == 1 and "'ReduceMean'" in r.stderr and "axes" in r.stderr,
        "mean over time and channels refused: %r" % r.stderr)


class LogSumExpInf(nn.Module):
    """logsumexp of log(relu(h)): columns and channels of -inf only give -inf, as in PyTorch
    (which sets an infinite maximum to 0 where max + log(sum(exp(x - max))) would give NaN)."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv1d(3, 2, 3)

    def forward(self, x):
        h = torch.log(torch.relu(self.a(x)))
        return torch.cat([torch.logsumexp(h, 1).flatten(), torch.logsumexp(h, -1).flatten(),
                          torch.logsumexp(h * -1e30, 1).flatten()])


model = LogSumExpInf().eval()
path = os.path.join(D, "logsumexp_inf.onnx")
torch.onnx.export(model, torch.randn(1, 3, 30), path, opset_version=14)
x = torch.randn(1, 3, 30)
x[0].numpy().tofile(path + ".in")
r = subprocess.run([tool("vigil-model"), "run", path, path + ".in", path + ".out"],
                   capture_output=True, text=True)
if c.check(r.returncode == 0, "logsumexp of infinities: %s" % r.stderr):
    got, ref = np.fromfile(path + ".out", np.float32), model(x).detach().numpy().ravel()
    fin = np.isfinite(ref)
    c.check(got.size == ref.size and np.isneginf(ref).any() and np.isposinf(ref).any() and
            np.array_equal(np.isneginf(got), np.isneginf(ref)) and
            np.array_equal(np.isposinf(got), np.isposinf(ref)) and
            np.abs(got[fin] - ref[fin]).max() <= 1e-4 * np.abs(ref[fin]).max(),
            "logsumexp of infinities: %s against %s" % (got, ref))
c.done()
