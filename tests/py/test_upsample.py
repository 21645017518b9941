#!/usr/bin/python3
"""nn.Upsample(scale_factor=s) in its default mode (ONNX Resize: nearest, asymmetric, floor),
which the loader runs as a depthwise ConvTranspose of ones (kernel = stride = s), and in linear
and bilinear modes (align_corners=False: half-pixel coordinates), run as an edge Pad and a
depthwise ConvTranspose of the interpolation's tent: 1-D and 2-D models, a strided autoencoder
that upsamples back, against PyTorch through `vigil-model run` at two lengths and the streaming
engine (exact and full, hops 1, 3 and W/2, every window), max |error| <= 1e-4 * max |reference|.
align_corners=True, other modes, `size=` and fractional factors are refused naming what is
supported."""
import os
import subprocess

import torch
import torch.nn as nn

from modelcheck import run_matches, stream_matches
from vigiltest import Checks, tmpdir, tool

c = Checks("upsample")
D = tmpdir()


def export(name, model, shape, opset=13):
    path = os.path.join(D, name + ".onnx")
    with torch.no_grad():
        torch.onnx.export(model, torch.randn(*shape), path, opset_version=opset,
                          input_names=["x"], output_names=["y"])
    return path


torch.manual_seed(9)
S = nn.Sequential
models = {
    "up2": (S(nn.Conv1d(2, 4, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),
              nn.Conv1d(4, 2, 3, padding=1)), (1, 2, 24)),
    "up3": (S(nn.Conv1d(2, 4, 3), nn.Upsample(scale_factor=3), nn.Conv1d(4, 2, 5)), (1, 2, 24)),
    "autoencoder": (S(nn.Conv1d(2, 8, 3, stride=2, padding=1), nn.ReLU(),
                      nn.Conv1d(8, 8, 3, stride=2, padding=1), nn.ReLU(),
                      nn.Upsample(scale_factor=2), nn.Conv1d(8, 8, 3, padding=1), nn.ReLU(),
                      nn.Upsample(scale_factor=2), nn.Conv1d(8, 2, 3, padding=1)), (1, 2, 32)),
    "up2d": (S(nn.Conv2d(2, 3, 3, padding=1), nn.Upsample(scale_factor=(2, 3)),
               nn.Conv2d(3, 2, 3)), (1, 2, 6, 20)),
    # linear modes: an edge Pad and a transposed conv of the tent (per window from the Pad on)
    "linear2": (S(nn.Conv1d(2, 3, 3), nn.Upsample(scale_factor=2, mode="linear"),
                  nn.Conv1d(3, 2, 1)), (1, 2, 20)),
    "linear3": (S(nn.Conv1d(2, 3, 3), nn.Upsample(scale_factor=3, mode="linear")), (1, 2, 20)),
    "bilinear": (S(nn.Conv2d(1, 3, 3), nn.Upsample(scale_factor=(2, 3), mode="bilinear")),
                 (1, 1, 6, 16)),
    "bilinear_time": (S(nn.Conv2d(1, 3, 3), nn.Upsample(scale_factor=(1, 2), mode="bilinear")),
                      (1, 1, 6, 16)),
}
for name, (model, shape) in models.items():
    model.eval()
    for opset in (11, 13):
        path = export("%s_%d" % (name, opset), model, shape, opset)
        what = "%s (opset %d)" % (name, opset)
        for t in (shape[-1], shape[-1] + 7):
            run_matches(c, model, path, torch.randn(*shape[:-1], t),
                        "%s, run at T %d" % (what, t))
        w, n = shape[-1], 6
        for hop in (1, 3, w // 2):
            x = torch.randn(*shape[:-1], w + hop * (n - 1))
            for mode in ("exact", "full"):
                stream_matches(c, model, path, x, w, hop, mode,
                               "%s, streamed, hop %d %s" % (what, hop, mode))

for name, up, words in (("align_corners", nn.Upsample(scale_factor=2, mode="linear",
                                                      align_corners=True), "half-pixel"),
                        ("size", nn.Upsample(size=48), "sizes input"),
                        ("fraction", nn.Upsample(scale_factor=1.5), "integer factors")):
    path = export("refused_" + name, S(nn.Conv1d(2, 2, 1), up).eval(), (1, 2, 24))
    r = subprocess.run([tool("vigil-model"), "info", path], capture_output=True, text=True)
    c.check(r.returncode == 1 and "'Resize'" in r.stderr and words in r.stderr,
            "Upsample %s: exit %d, %r" % (name, r.returncode, r.stderr))
c.done()
