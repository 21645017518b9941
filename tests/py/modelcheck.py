"""Checks of a model file against its PyTorch module, shared by the model tests: `vigil-model run`
on one input, and the streaming engine (tests/stream_check) on every window of a stream. Both
compare with max |error| <= 1e-4 * max |reference|."""
import subprocess

import numpy as np
import torch

from vigiltest import tool


class Cat(torch.nn.Module):
    """The reference of a model of several outputs: them flattened, one after the other, as
    `vigil-model run`, the streaming engine and streamcnn give them."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return torch.cat([o.reshape(-1) for o in self.model(x)])


def close(c, got, ref, what):
    err = float(np.max(np.abs(got - ref))) if got.size == ref.size else float("inf")
    c.check(err <= 1e-4 * float(np.max(np.abs(ref))),
            "%s: %d values (PyTorch %d), max |error| %g" % (what, got.size, ref.size, err))


def run_matches(c, model, path, x, what):
    """vigil-model run of x (a [1, C, (F,) T] tensor) against model(x)."""
    x[0].numpy().astype("<f4").tofile(path + ".in")
    r = subprocess.run([tool("vigil-model"), "run", path, path + ".in", path + ".out"],
                       capture_output=True, text=True)
    if c.check(r.returncode == 0, "%s: run: %s" % (what, r.stderr)):
        with torch.no_grad():
            close(c, np.fromfile(path + ".out", "<f4"), model(x).numpy().ravel(), what)


def stream_matches(c, model, path, x, window, hop, mode, what):
    """The stream x ([1, C, (F,) T]) through stream_check: every window against model(window)."""
    x[0].reshape(-1, x.shape[-1]).T.contiguous().numpy().tofile(path + ".stream")
    r = subprocess.run([tool("stream_check"), path, path + ".stream", path + ".sout", "--window",
                        str(window), "--hop", str(hop), "--mode", mode], capture_output=True,
                       text=True)
    if c.check(r.returncode == 0, "%s: stream_check: %s" % (what, r.stderr)):
        n = (x.shape[-1] - window) // hop + 1
        with torch.no_grad():
            ref = np.concatenate([model(x[..., k * hop:k * hop + window]).numpy().ravel()
                                  for k in range(n)])
        close(c, np.fromfile(path + ".sout", "<f4"), ref, what)
