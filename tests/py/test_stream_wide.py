"""The streaming engine on models with as many channels as the benchmark's, against PyTorch.

tests/py/test_stream.py's models have at most 16 channels: their convs never reach the vector
chunks of kernels/ops/conv_small.c (16 to 128 output channels a chunk), which compute the 1-4 new
columns of a hop, the edge bands of exact mode, and whole windows of up to 128 columns. Here:
- hops 1, 2, 3 and 4, so the first layer computes 1-4 new columns per hop (blocks of 1-4 columns),
  the strided layers less than one per hop (stream classes);
- long streams (hop 1: 6 x W windows), so every history slides past its slack and moves its live
  columns to the front several times (vg_history_reserve);
- a reset in the middle of a stream;
- output channel counts of 128 (one chunk of 8 vectors), 112 (4 + 2 + 1), 48 (2 + 1), 37 (2 and
  a scalar tail of 5) and 56 per group (two groups), a GlobalAveragePool + Linear head (running
  sums, a one-row Gemm) and a time-valued output.
- deferred taps (kernels/stream/vg_defer.h, SIMD kernels only): by default on the 256 kB conv of
  wide_deep, and with VIGIL_DEFER=always on every conv whose stream adds one column per hop;
  `vigil-model plan` names a deferred conv exactly when the stream defers (wide_leftpad: a window
  shorter than the conv's padding, where nothing can be deferred), and counts its weights per hop
  against the taps a column reads inside the signal (fewer at signal mode's padded right edge).
exact and full must equal PyTorch's windowed inference at every window (max |error| <= 1e-4 *
max |reference| + 1e-5, as test_stream.py); signal too for the unpadded model, and on the first
window for the padded one.
"""
import os
import subprocess

import numpy as np
import torch
import torch.nn as nn

import streamzoo
from test_stream import simd_kernels, close, run, windowed
from vigiltest import Checks, tmpdir, tool


class GapLinear(nn.Module):
    def __init__(self, trunk, c, n):
        super().__init__()
        self.trunk, self.fc = trunk, nn.Linear(c, n)

    def forward(self, x):
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool1d(self.trunk(x), 1), 1))


def models():
    """(name, module, input shape, padded)."""
    torch.manual_seed(77)
    padded = GapLinear(nn.Sequential(
        nn.Conv1d(5, 48, 3, padding=1), nn.ReLU(),
        nn.Conv1d(48, 128, 5, dilation=2, padding=4), nn.ReLU(), nn.MaxPool1d(2),
        nn.Conv1d(128, 37, 3, padding=1), nn.ReLU()), 37, 3)
    valid = nn.Sequential(
        nn.Conv1d(4, 64, 3), nn.ReLU(),
        nn.Conv1d(64, 112, 4, stride=2, groups=2), nn.ReLU(),
        nn.Conv1d(112, 112, 3), nn.Tanh(),
        nn.Conv1d(112, 16, 5))
    # a conv of 256 kB of weights after a pool: at hops 1, 2 and 4 its stream adds one column per
    # hop, so streams defer its older taps by default (kernels/stream/vg_defer.h)
    deep = nn.Sequential(
        nn.Conv1d(3, 64, 3, padding=1), nn.ReLU(), nn.MaxPool1d(4),
        nn.Conv1d(64, 128, 8), nn.ReLU(),
        nn.Conv1d(128, 2, 1))
    # the same at a window shorter than the deep conv's padding: its first taps read the padding
    # before the window, so nothing can be deferred, and the plan must not say otherwise
    leftpad = nn.Sequential(
        nn.Conv1d(4, 64, 3, padding=1), nn.ReLU(),
        nn.Conv1d(64, 128, 16, dilation=3, padding=22))
    return [("wide_padded", padded, (1, 5, 64), True), ("wide_valid", valid, (1, 4, 48), False),
            ("wide_deep", deep, (1, 3, 64), True), ("wide_leftpad", leftpad, (1, 4, 16), True)]


def deferred_checks(c, path, xfile, window, hop, ref, outs, padded):
    """Deferred taps on every conv that qualifies (VIGIL_DEFER=always ignores the weights' size):
    exact still equals PyTorch at every window, and signal equals signal without them (for the
    padded model windowed inference is no reference there: it is the padding at the window's end
    that a deferred tap must never have read). Returns the columns finished from deferred taps."""
    total = 0
    for mode in ("exact", "signal"):
        y, info = run(path, xfile, window, hop, mode, env={"VIGIL_DEFER": "always"})
        if not c.check(y is not None and y.size == ref.size and mode in outs,
                       "hop %d %s, deferred taps: %s" % (hop, mode, info)):
            continue
        y = y.reshape(ref.shape)
        total += int(info["deferred"])
        want = ref if mode == "exact" or not padded else outs["signal"]
        for k in range(len(ref)):
            ok, err = close(y[k], want[k])
            if not c.check(ok, "hop %d %s, deferred taps: window %d differs by %g" % (
                    hop, mode, k, err)):
                break
    return total


def plan_check(c, path, window, mode, deferred):
    """`vigil-model plan` names a deferred conv exactly when the stream deferred taps (hop 1)."""
    r = subprocess.run([tool("vigil-model"), "plan", path, "--window", str(window), "--hop", "1",
                        "--mode", mode], capture_output=True, text=True)
    lines = [ln for ln in r.stdout.splitlines() if "taps 0-" in ln]
    listed = "weights read per hop with deferred taps" in r.stdout
    c.check(r.returncode == 0 and (len(lines) > 0) == listed == (deferred > 0),
            "%s %s: the plan lists %d deferred convs, the stream deferred %d columns: %s %s" % (
                os.path.basename(path), mode, len(lines), deferred, r.stdout[-600:], r.stderr))
    return lines


def plan_real_taps_check(c, path):
    """The plan counts a deferred conv's weights against the taps a column reads inside the
    signal: wide_padded's k5 dilation-2 conv reads 3 (its last 2 taps read only the padding past
    signal mode's right edge), all 5 in exact mode; its last k3 conv 2 and 3."""
    want = {"signal": ("not 3 (the others read only padding)", "not 2 (the others read only"),
            "exact": ("not 5\n", "not 3\n")}
    for mode, texts in want.items():
        r = subprocess.run([tool("vigil-model"), "plan", path, "--window", "64", "--hop", "1",
                            "--mode", mode], capture_output=True, text=True,
                           env=dict(os.environ, VIGIL_DEFER="always"))
        for text in texts:
            c.check(text in r.stdout, "wide_padded %s plan lacks %r: %s %s" % (
                mode, text, r.stdout[-900:], r.stderr))


def main():
    c = Checks("stream-wide")
    d = tmpdir()
    deferred = by_default = 0
    for name, module, shape, padded in models():
        module.eval()
        path = os.path.join(d, name + ".onnx")
        streamzoo.export(module, shape, path)
        window = shape[-1]
        if name == "wide_padded" and simd_kernels():
            plan_real_taps_check(c, path)
        for hop in (1, 2, 3, 4):
            n = 6 * window if hop == 1 else 2 * window
            total = window + hop * (n - 1)
            x = torch.randn(*shape[:-1], total)
            xfile = os.path.join(d, "%s.%d.f32" % (name, hop))
            x[0].T.contiguous().numpy().astype(np.float32).tofile(xfile)
            ref = windowed(module, x, window, hop, n)
            outs = {}
            for mode in ("exact", "full", "signal"):
                y, msg = run(path, xfile, window, hop, mode)
                if not c.check(y is not None and y.size == ref.size, "%s hop %d %s: %s" % (
                        name, hop, mode, msg)):
                    continue
                y = y.reshape(ref.shape)
                outs[mode] = y
                by_default += int(msg["deferred"])
                if hop == 1 and mode != "full" and simd_kernels():
                    for ln in plan_check(c, path, window, mode, int(msg["deferred"])):
                        print("%s %s: %s" % (name, mode, ln.strip()))
                checked = 1 if mode == "signal" and padded else n
                for k in range(checked):
                    ok, err = close(y[k], ref[k])
                    if not c.check(ok, "%s hop %d %s: window %d differs by %g (max |ref| %g)" % (
                            name, hop, mode, k, err, np.max(np.abs(ref[k])))):
                        break
            if simd_kernels():
                deferred += deferred_checks(c, path, xfile, window, hop, ref, outs, padded)
            if hop in (1, 3) and "exact" in outs:
                y, msg = run(path, xfile, window, hop, "exact",
                             ["--reset-after", str(window + 7 * hop + 2), "--chunk", "5"])
                c.check(y is not None and np.array_equal(y.reshape(ref.shape), outs["exact"]),
                        "%s hop %d: a reset does not restart the stream cleanly (%s)" % (
                            name, hop, msg))
        print("%s: window %d, hops 1-4 checked" % (name, window), flush=True)
    if simd_kernels():
        print("columns finished from deferred taps: %d by default, %d with VIGIL_DEFER=always" % (
            by_default, deferred))
        c.check(deferred > 1000, "deferred taps ran for %d columns only" % deferred)
        c.check(by_default > 100, "deferred taps ran by default for %d columns only" % by_default)
    else:
        print("no SIMD kernels: the deferred taps (SIMD kernels only) were not checked")
    c.done()


if __name__ == "__main__":
    main()
