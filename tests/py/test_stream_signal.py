"""Signal mode on zero-padded models, every window, against an emulation written here.

Signal mode (docs/elements/streamcnn.md) computes each layer's column once, in the first window
that holds it, with that window's zero padding past its ends, and reuses it in every later window.
For a chain of stride-1 Conv1d and pointwise layers that is simple to emulate with numpy: per
layer, a table of columns by absolute index, filled window by window; a column's inputs outside
the current window [0, len) read 0. test_stream.py and test_stream_zoo.py check signal mode on
padded models at the first window only (later windows differ from windowed inference by design).
Models: the kernel paths of a hop's right edge (AVX-512 direct chunks of 1-14 rows, two equal
chunks for 15-27 columns, multi-block one-row calls; OpenBLAS elsewhere), padding on either side,
dilation, wider padding than the kernel's reach; and random chains of such convs. Tolerance as
test_stream.py."""
import os

import numpy as np
import torch
import torch.nn as nn

import streamzoo
from test_stream import close, run
from vigiltest import Checks, tmpdir


def emulate(convs, x, window, hop, n):
    """convs: [(weight [Co, Ci, K], bias, dilation, pad_begin, pad_end, relu)] of stride 1;
    x: [C, T] float64. Returns [n, Co * len_last] in ONNX order ([C, T] per window)."""
    tables = [{} for _ in convs]
    outs = []
    for k in range(n):
        cur = {j: x[:, k * hop + j] for j in range(window)}  # window column -> vector
        length = window
        for li, (w, b, d, pb, pe, relu) in enumerate(convs):
            kt = w.shape[2]
            out_len = length + pb + pe - d * (kt - 1)
            nxt = {}
            for j in range(out_len):
                key = k * hop + j  # stride 1: column j of window k is column j + H of window k - 1
                if key not in tables[li]:
                    acc = b.astype(np.float64).copy()
                    for t in range(kt):
                        c = j - pb + t * d
                        if 0 <= c < length:
                            acc += w[:, :, t].astype(np.float64) @ cur[c]
                    tables[li][key] = np.maximum(acc, 0) if relu else acc
                nxt[j] = tables[li][key]
            cur, length = nxt, out_len
        outs.append(np.stack([cur[j] for j in range(length)], axis=1).reshape(-1))
    return np.stack(outs)


def layers(module):
    """The emulation's description of a Sequential of stride-1 Conv1d and ReLU."""
    mods, convs = list(module), []
    for i, m in enumerate(mods):
        if isinstance(m, nn.Conv1d):
            relu = i + 1 < len(mods) and isinstance(mods[i + 1], nn.ReLU)
            convs.append((m.weight.detach().double().numpy(), m.bias.detach().double().numpy(),
                          m.dilation[0], m.padding[0], m.padding[0], relu))
    return convs


def models():
    torch.manual_seed(11)
    chain = nn.Sequential(nn.Conv1d(4, 32, 5, dilation=2, padding=4), nn.ReLU(),
                          nn.Conv1d(32, 48, 3, padding=1), nn.ReLU(),
                          nn.Conv1d(48, 40, 5, dilation=2, padding=4))
    wide_pad = nn.Sequential(nn.Conv1d(3, 64, 3, padding=3), nn.ReLU(),
                             nn.Conv1d(64, 24, 7, padding=3))
    ppg_block = nn.Sequential(nn.Conv1d(1, 32, 5, dilation=2, padding=4), nn.ReLU(),
                              nn.Conv1d(32, 32, 5, dilation=2, padding=4), nn.ReLU(),
                              nn.Conv1d(32, 64, 5, dilation=2, padding=4), nn.ReLU())
    fixed = [("chain", chain, 4, 64, (1, 3, 16, 20, 64)),
             ("wide_pad", wide_pad, 3, 48, (1, 5, 17)), ("ppg_block", ppg_block, 1, 96, (4, 16, 27))]
    # random chains: channels across the kernels' block sizes, kernels 1-7, dilations 1-3,
    # paddings from none to past the kernel's reach
    rng = np.random.default_rng(7)
    for i in range(6):
        c_in = int(rng.choice([1, 2, 5, 16]))
        layers_, c = [], c_in
        for _ in range(int(rng.integers(1, 4))):
            co, k, d = int(rng.choice([8, 17, 32, 48, 64, 96])), int(rng.integers(1, 8)), \
                int(rng.integers(1, 4))
            pad = int(rng.integers(0, d * (k - 1) + 3))
            layers_ += [nn.Conv1d(c, co, k, dilation=d, padding=pad), nn.ReLU()]
            c = co
        window = int(rng.integers(24, 80))
        hops = sorted({1, int(rng.integers(2, 9)), int(rng.integers(12, 28))})
        fixed.append(("random%d" % i, nn.Sequential(*layers_[:-1]), c_in, window, tuple(hops)))
    return fixed


def main():
    c = Checks("stream-signal")
    d = tmpdir()
    worst = 0.0
    for name, module, channels, window, hops in models():
        module.eval()
        path = os.path.join(d, name + ".onnx")
        streamzoo.export(module, (1, channels, window), path)
        convs = layers(module)
        for hop in hops:
            n = max(6, 3 * window // hop + 2) if hop < window else 4
            x = torch.randn(channels, window + hop * (n - 1))
            xfile = os.path.join(d, "%s.%d.f32" % (name, hop))
            x.T.contiguous().numpy().astype(np.float32).tofile(xfile)
            ref = emulate(convs, x.double().numpy(), window, hop, n)
            y, msg = run(path, xfile, window, hop, "signal")
            if not c.check(y is not None and y.size == ref.size, "%s hop %d: %s" % (
                    name, hop, msg)):
                continue
            y = y.reshape(ref.shape)
            for k in range(n):
                ok, err = close(y[k], ref[k])
                worst = max(worst, err / max(1e-12, np.max(np.abs(ref[k]))))
                if not c.check(ok, "%s hop %d: window %d differs from the emulation by %g" % (
                        name, hop, k, err)):
                    break
            if hop == window or not any(cv[3] for cv in convs):
                continue  # nothing is reused, or no padding: signal mode is windowed inference
            # and it is not windowed inference (else this test would not test signal mode)
            with torch.no_grad():
                last = module(x[None, :, (n - 1) * hop:(n - 1) * hop + window]).numpy().ravel()
            c.check(not close(y[-1], last)[0], "%s hop %d: signal equals windowed inference" % (
                name, hop))
        print("%s: window %d, hops %s" % (name, window, hops), flush=True)
    print("worst relative error against the emulation: %.3g" % worst)
    c.done()


if __name__ == "__main__":
    main()
