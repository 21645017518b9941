#!/usr/bin/python3
"""The rarer activations PyTorch exports as their own ONNX ops (Selu, Celu, Softplus and Mish's
Softplus, HardSigmoid, HardSwish at opset 14 and its HardSigmoid + Mul form at opset 13, Abs, Neg,
PRelu with one slope per channel and with one for all, Exp, Log, Sqrt, Reciprocal, Pow with the
exponents PyTorch computes by their own operations and others, Sign, nn.LPPool1d, which exports as
Pow, AveragePool, Sign, Abs, Relu, Mul, Pow, and LogSoftmax over the channels):
a conv stack with each, through `vigil-model run` at two lengths and the streaming engine
(tests/stream_check, exact mode, hop 3, every window) against PyTorch, max |error| <= 1e-4 *
max |reference|. Inputs span [-40, 40] so that Softplus's and Selu's far branches are reached."""
import os

import numpy as np
import torch
import torch.nn as nn

from modelcheck import run_matches, stream_matches
from vigiltest import Checks, tmpdir

c = Checks("activations")
D = tmpdir()


class Act(nn.Module):
    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, x):
        return self.f(x)


ACTS = {  # name: the activation for c channels
    "selu": lambda c: nn.SELU(), "celu": lambda c: nn.CELU(0.7),
    "softplus": lambda c: nn.Softplus(), "mish": lambda c: nn.Mish(),
    "hardsigmoid": lambda c: nn.Hardsigmoid(), "hardswish": lambda c: nn.Hardswish(),
    "abs": lambda c: Act(torch.abs), "neg": lambda c: Act(torch.neg),
    "prelu": lambda c: nn.PReLU(c), "prelu1": lambda c: nn.PReLU(),
    # elementwise maths on values kept in their domain (Abs, Add, Neg around them)
    "log": lambda c: Act(lambda x: torch.log(torch.abs(x) + 1.0)),
    "sqrt": lambda c: Act(lambda x: torch.sqrt(torch.abs(x))),
    "exp": lambda c: Act(lambda x: torch.exp(-torch.abs(x))),
    "reciprocal": lambda c: Act(lambda x: torch.reciprocal(torch.abs(x) + 1.0)),
    "square": lambda c: Act(lambda x: x ** 2), "cube": lambda c: Act(lambda x: x.pow(3) / 64),
    "powhalf": lambda c: Act(lambda x: torch.abs(x) ** 0.5),
    "rsqrt": lambda c: Act(lambda x: (torch.abs(x) + 1.0) ** -0.5),
    "pow15": lambda c: Act(lambda x: (torch.abs(x) + 1.0) ** 1.5),
    "powm2": lambda c: Act(lambda x: (torch.abs(x) + 1.0) ** -2),
    "sign": lambda c: Act(lambda x: torch.sign(x) + x),
    "lppool": lambda c: nn.Sequential(nn.LPPool1d(2, 3, stride=1), nn.ConstantPad1d((1, 1), 0.0)),
    "logsoftmax": lambda c: nn.LogSoftmax(dim=1),
}

torch.manual_seed(5)
for name, act in ACTS.items():
    model = nn.Sequential(nn.Conv1d(2, 6, 3, padding=1), act(6), nn.Conv1d(6, 4, 3), act(4),
                          nn.Conv1d(4, 2, 1)).eval()
    with torch.no_grad():
        model[0].weight.mul_(8.0)  # activations see values far from 0
        for m in model.modules():
            if isinstance(m, nn.PReLU):  # slopes of both signs, one per channel
                m.weight.copy_(torch.linspace(-0.5, 0.9, m.weight.numel()))
    for opset in (13, 14):
        path = os.path.join(D, "%s_%d.onnx" % (name, opset))
        with torch.no_grad():
            torch.onnx.export(model, torch.randn(1, 2, 32), path, opset_version=opset,
                              input_names=["x"], output_names=["y"])
        what = "%s (opset %d)" % (name, opset)
        for t in (32, 41):
            x = torch.from_numpy(np.random.default_rng(t).uniform(-5, 5, (1, 2, t))
                                 .astype(np.float32))
            run_matches(c, model, path, x, "%s, run at T %d" % (what, t))
        x = torch.from_numpy(np.random.default_rng(1).uniform(-5, 5, (1, 2, 47))
                             .astype(np.float32))
        stream_matches(c, model, path, x, 32, 3, "exact", "%s, streamed" % what)
c.done()
