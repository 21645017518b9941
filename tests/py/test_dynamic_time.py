#!/usr/bin/python3
"""Models exported with a dynamic time axis (torch.onnx.export(..., dynamic_axes=...)), the usual
export of a variable-length network, through vigil-model:

- `info` without a length refuses, naming the axis and asking for the window; with `--length` it
  reports the model at that length and says the axis is dynamic;
- `run` takes T from IN's size and equals PyTorch at several lengths, including one shorter and
  one much longer than the export's example input; the graph's shape arithmetic (Shape, Gather,
  Reshape on computed values) is evaluated at that length;
- a size read from the time axis ties the model to the length it was loaded at when it enters
  arithmetic (LengthScaled: `info --length` at another length of a fixed-length export is refused
  with the node named), not when it only feeds a reshape that keeps time last (FoldFreq), nor
  when the sizes read do not change with the length (MeanHead's batch after the mean);
- `plan` takes --window as the length, and refuses without one.

streamcnn with such models is in test_streamcnn.py (its window property is the length).
"""
import os
import subprocess

import numpy as np
import torch

import modelcheck
import streamzoo
from vigiltest import Checks, tmpdir, tool

VM = tool("vigil-model")
D = tmpdir()
c = Checks("dynamic_time")


def vm(*args):
    return subprocess.run([VM] + list(args), capture_output=True, text=True, timeout=120)


def run_matches(module, path, shape, what):
    """vigil-model run on a random input of `shape` ([1, C, (F,) T]) against PyTorch."""
    x = torch.from_numpy(np.random.default_rng(shape[-1]).standard_normal(shape)
                         .astype(np.float32))
    modelcheck.run_matches(c, module, path, x, "%s T=%d" % (what, shape[-1]))


torch.manual_seed(3)
mean = streamzoo.MeanHead().eval()
mean_path = os.path.join(D, "mean.onnx")
streamzoo.export_dynamic(mean, (1, 3, 64), mean_path)

r = vm("info", mean_path)
c.check(r.returncode == 1 and "dynamic time axis ('time')" in r.stderr and
        "--length" in r.stderr and "'window' property" in r.stderr,
        "info without a length: exit %d, %r" % (r.returncode, r.stderr))
r = vm("info", mean_path, "--length", "100")
c.check(r.returncode == 0 and "[1, 3, 100] (time is the last axis, dynamic in the file: loaded "
        "at 100)" in r.stdout, "info --length 100: exit %d\n%s%s" % (r.returncode, r.stdout,
                                                                     r.stderr))
for t in (5, 37, 64, 300, 2000):
    run_matches(mean, mean_path, (1, 3, t), "MeanHead")

r = vm("plan", mean_path, "--window", "64", "--hop", "8")
c.check(r.returncode == 0 and "window 64  hop 8" in r.stdout,
        "plan --window 64: exit %d\n%s%s" % (r.returncode, r.stdout, r.stderr))
r = vm("plan", mean_path, "--window", "4")
c.check(r.returncode == 1 and "at length 4 (its time axis is dynamic)" in r.stderr and
        "does not fit" in r.stderr, "plan --window 4 (too short): exit %d, %r" % (r.returncode,
                                                                                  r.stderr))
r = vm("plan", mean_path, "--hop", "8")
c.check(r.returncode == 1 and "dynamic time axis" in r.stderr,
        "plan without a window: exit %d, %r" % (r.returncode, r.stderr))

fold = streamzoo.FoldFreq().eval()
fold_path = os.path.join(D, "fold.onnx")
streamzoo.export_dynamic(fold, (1, 2, 8, 40), fold_path)
for t in (3, 40, 77):
    run_matches(fold, fold_path, (1, 2, 8, t), "FoldFreq")
r = vm("info", fold_path, "--length", "50")
c.check(r.returncode == 0 and "[1, 5, 48]" in r.stdout,
        "FoldFreq info --length 50: exit %d\n%s%s" % (r.returncode, r.stdout, r.stderr))

# Exported with a fixed length (dynamic batch only): its reshape reads the time axis only for the
# target's last entry, which a reshape that keeps time last re-applies at every length: it runs at
# other lengths too.
fixed_path = os.path.join(D, "fold_fixed.onnx")
with torch.no_grad():
    torch.onnx.export(fold, torch.randn(1, 2, 8, 40), fixed_path, input_names=["x"],
                      output_names=["y"], opset_version=13, dynamic_axes={"x": {0: "batch"}})
for t in (40, 50):
    run_matches(fold, fixed_path, (1, 2, 8, t), "FoldFreq, fixed length 40")

# LengthScaled multiplies by the length it reads: a fixed-length export is tied to its length
# (refused elsewhere, naming the Shape node), a dynamic one runs at every length.
scaled = streamzoo.LengthScaled().eval()
scaled_fixed, scaled_dyn = os.path.join(D, "scaled_fixed.onnx"), os.path.join(D, "scaled.onnx")
with torch.no_grad():
    torch.onnx.export(scaled, torch.randn(1, 3, 40), scaled_fixed, input_names=["x"],
                      output_names=["y"], opset_version=13, dynamic_axes={"x": {0: "batch"}})
streamzoo.export_dynamic(scaled, (1, 3, 40), scaled_dyn)
run_matches(scaled, scaled_fixed, (1, 3, 40), "LengthScaled, fixed length 40")
r = vm("info", scaled_fixed, "--length", "50")
c.check(r.returncode == 1 and "runs only at the length it was loaded at, 40 columns, not 50" in
        r.stderr and "Shape node" in r.stderr,
        "fixed-length LengthScaled at 50: exit %d, %r" % (r.returncode, r.stderr))
for t in (9, 40, 50, 333):
    run_matches(scaled, scaled_dyn, (1, 3, t), "LengthScaled, dynamic")

# MeanHead's Shape reads the batch of a value pooled over time, which no length changes: exported
# with a fixed length (dynamic batch only), it still runs at any length.
mean_fixed = os.path.join(D, "mean_fixed.onnx")
with torch.no_grad():
    torch.onnx.export(mean, torch.randn(1, 3, 64), mean_fixed, input_names=["x"],
                      output_names=["y"], opset_version=13, dynamic_axes={"x": {0: "batch"}})
for t in (64, 90):
    run_matches(mean, mean_fixed, (1, 3, t), "MeanHead, fixed length 64")
c.done()
