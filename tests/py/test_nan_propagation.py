#!/usr/bin/python3
"""NaN in the data reaches the output exactly as in windowed PyTorch inference, never hidden behind
a plausible number, and stops affecting outputs once it has left the window: streamcnn in exact and
full modes over a stream with one NaN, through ReLU, Clip (Hardtanh), MaxPool and a running-sum
GlobalAveragePool head. A window's output must be NaN if and only if PyTorch's is, and equal
otherwise. Then the window executor over a window of two Winograd chunks, one of them holding a NaN
or an infinity (found by the input transform, that chunk alone takes the direct kernel; with a
global average pool fused into the conv, its columns must still reach the sum). Then stft: every
output kind of a frame that holds the NaN is NaN (dB and mel too, not their floor), and the other
frames are finite."""
import csv
import os
import subprocess

import numpy as np
import torch
from torch import nn

from vigiltest import Checks, gst_env, tmpdir, tool


def main():
    c = Checks("nan-propagation")
    torch.manual_seed(0)
    d = tmpdir()
    # name: (model, window, hop). "winograd": its 16 -> 32 conv is in Winograd's domain (hop spans
    # of 16 columns run F(4,3), whole windows F(6,3)), whose tiles must not carry a NaN to outputs
    # that do not read it; its per-column output shows any that would.
    models = {
        "relu-gap": (nn.Sequential(nn.Conv1d(2, 4, 3, padding=1), nn.ReLU(),
                                   nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(4, 1)), 32, 1),
        "clip-maxpool": (nn.Sequential(nn.Conv1d(2, 4, 3), nn.Hardtanh(-0.5, 0.5),
                                       nn.MaxPool1d(2), nn.Conv1d(4, 1, 3)), 32, 1),
        "winograd": (nn.Sequential(nn.Conv1d(2, 16, 3), nn.ReLU(), nn.Conv1d(16, 32, 3, padding=1),
                                   nn.ReLU(), nn.Conv1d(32, 2, 3)), 64, 16),
    }
    x = np.random.default_rng(0).standard_normal((300, 2)).astype(np.float32)
    x[100, 1] = np.nan
    data = os.path.join(d, "nan.csv")
    with open(data, "w") as f:
        f.write("a,b\n")
        for row in x:
            f.write(",".join("nan" if np.isnan(v) else "%.9g" % v for v in row) + "\n")
    for name, (model, window, hop) in models.items():
        model.eval()
        path = os.path.join(d, name + ".onnx")
        torch.onnx.export(model, torch.zeros(1, 2, window), path, opset_version=13)
        with torch.no_grad():
            ref = np.array([model(torch.from_numpy(x[k:k + window].T[None].copy())).numpy().ravel()
                            for k in range(0, len(x) - window + 1, hop)])
        for mode in ("exact", "full"):
            out = os.path.join(d, "%s-%s.csv" % (name, mode))
            r = subprocess.run(["gst-launch-1.0", "-q", "filesrc", "location=" + data, "!",
                                "csvparse", "rate=100/1", "allow-nan=true", "!", "streamcnn",
                                "model=" + path, "window=%d" % window, "hop=%d" % hop, "mode=" + mode,
                                "!", "csvenc", "!", "filesink", "location=" + out],
                               env=gst_env(), capture_output=True, text=True, timeout=120)
            if not c.check(r.returncode == 0, "%s %s failed: %s" % (name, mode, r.stderr)):
                continue
            with open(out) as f:
                got = np.array([[float(v) for v in row[1:]] for row in list(csv.reader(f))[1:]])
            if not c.check(got.shape == ref.shape, "%s %s: shape %s vs %s" % (
                    name, mode, got.shape, ref.shape)):
                continue
            differ = np.flatnonzero((np.isnan(got) != np.isnan(ref)).any(axis=1))
            c.check(len(differ) == 0, "%s %s: NaN differs from PyTorch at windows %s" % (
                name, mode, differ[:10]))
            c.check(np.isnan(ref).any(), "%s: the reference has no NaN window" % name)
            fin = ~np.isnan(ref) & ~np.isnan(got)
            err = np.max(np.abs(got[fin] - ref[fin])) / np.max(np.abs(ref[fin]))
            c.check(err <= 1e-4, "%s %s: finite outputs differ (%.2e)" % (name, mode, err))
            print("%s %s: %d NaN windows as PyTorch, finite max rel err %.1e" % (
                name, mode, np.isnan(ref).any(axis=1).sum(), err))
    winograd_chunks(c, d)
    stft_nan(c, data, d)
    c.done()


def winograd_chunks(c, d):
    """A 128 -> 32 conv over 2000 columns: F(6,3) in chunks of 252 tiles (1512 columns)."""
    trunk = nn.Sequential(nn.Conv1d(2, 128, 3, padding=1), nn.ReLU(),
                          nn.Conv1d(128, 32, 3, padding=1), nn.ReLU())
    models = {"columns": trunk, "pooled": nn.Sequential(trunk, nn.AdaptiveAvgPool1d(1))}
    for name, model in models.items():
        model.eval()
        path = os.path.join(d, "chunks-%s.onnx" % name)
        torch.onnx.export(model, torch.zeros(1, 2, 2000), path, opset_version=13)
        for col, value in ((1800, np.nan), (1800, np.inf), (40, -np.inf), (None, 0)):
            x = np.random.default_rng(1).standard_normal((2, 2000)).astype(np.float32)
            if col is not None:
                x[1, col] = value
            x.tofile(path + ".in")
            r = subprocess.run([tool("vigil-model"), "run", path, path + ".in", path + ".out"],
                               capture_output=True, text=True)
            what = "chunks %s, %s at column %s" % (name, value, col)
            if not c.check(r.returncode == 0, "%s: %s" % (what, r.stderr)):
                continue
            got = np.fromfile(path + ".out", "<f4")
            with torch.no_grad():
                ref = model(torch.from_numpy(x)[None]).numpy().ravel()
            same = (np.isnan(got) == np.isnan(ref)) & (np.isinf(got) == np.isinf(ref))
            c.check(got.size == ref.size and same.all(), "%s: NaN/inf at %d values where PyTorch "
                    "has none or the reverse" % (what, np.sum(~same) if got.size == ref.size else -1))
            c.check(col is None or not np.isfinite(ref).all(), "%s: reference all finite" % what)
            fin = np.isfinite(ref) & np.isfinite(got)
            err = np.max(np.abs(got[fin] - ref[fin]), initial=0) / np.max(np.abs(ref[fin]),
                                                                          initial=1)
            c.check(err <= 1e-4, "%s: finite outputs differ (%.2e)" % (what, err))
            print("%s: %d non-finite as PyTorch, finite max rel err %.1e" % (
                what, np.sum(~np.isfinite(ref)), err))


def stft_nan(c, data, d):
    """stft frames of 16 samples, hop 16, over the same stream: sample 100 of channel b is NaN, so
    frame 6 (samples 96-111) holds it and must be NaN in every value of channel b."""
    for output in ("magnitude", "power", "db", "mel n-mels=4"):
        out = os.path.join(d, "stft-%s.csv" % output.split()[0])
        r = subprocess.run(["gst-launch-1.0", "-q", "filesrc", "location=" + data, "!", "csvparse",
                            "rate=100/1", "allow-nan=true", "!", "stft", "n-fft=16", "hop=16",
                            "window=rectangular", "planner=estimate"] + ("output=" + output).split()
                           + ["!", "csvenc", "!", "filesink", "location=" + out],
                           env=gst_env(), capture_output=True, text=True, timeout=120)
        if not c.check(r.returncode == 0, "stft %s failed: %s" % (output, r.stderr)):
            continue
        with open(out) as f:
            got = np.array([[float(v) for v in row[1:]] for row in list(csv.reader(f))[1:]])
        per = got.shape[1] // 2  # values of channel a, then of channel b (bins:C layout)
        bad = np.isnan(got).any(axis=1)
        c.check(list(np.flatnonzero(bad)) == [6], "stft %s: NaN frames %s, expected [6]" % (
            output, np.flatnonzero(bad)))
        c.check(np.isnan(got[6]).sum() >= per, "stft %s: frame 6 has %d NaN values of %d" % (
            output, np.isnan(got[6]).sum(), got.shape[1]))
        print("stft %s: NaN in frame 6 only" % output)


if __name__ == "__main__":
    main()
