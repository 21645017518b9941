"""The streaming engine over every model of the executor's zoo (tests/py/modelzoo.py): at hops 1,
a misaligned one (A + 1) and W, exact and full equal PyTorch's windowed output at every window
(max |error| <= 1e-4 * max |reference| + 1e-5), and signal too where the plan says no layer sees
padding. Models with a head that fixes the length run at their own window."""
import os

import numpy as np
import torch

import modelzoo
from test_stream import close, run, windowed
from vigiltest import Checks, tmpdir


def main():
    c = Checks("stream-zoo")
    d = tmpdir()
    worst, names = 0.0, 0
    for name, module, shape in modelzoo.zoo():
        path = os.path.join(d, name + ".onnx")
        modelzoo.export(module, shape, path)
        window = shape[-1]
        _, info = run(path, "-", window, 1, "exact")
        if not c.check(isinstance(info, dict), "%s: %s" % (name, info)):
            continue
        names += 1
        align, phases = int(info["align"]), int(info["phases"])
        for hop in sorted({1, min(align + 1, window), window}):
            n = max(5, 2 * phases + 2)
            total = window + hop * (n - 1)
            x = torch.randn(*shape[:-1], total)
            xfile = os.path.join(d, "%s.%d.f32" % (name, hop))
            x[0].reshape(-1, total).T.contiguous().numpy().astype(np.float32).tofile(xfile)
            ref = windowed(module, x, window, hop, n)
            modes = ("exact", "full") + (("signal",) if info["signal_is_exact"] == "1" else ())
            for mode in modes:
                y, msg = run(path, xfile, window, hop, mode)
                if not c.check(y is not None and y.size == ref.size, "%s hop %d %s: %s" % (
                        name, hop, mode, msg)):
                    continue
                y = y.reshape(ref.shape)
                for k in range(n):
                    ok, err = close(y[k], ref[k])
                    worst = max(worst, err / max(1e-12, float(np.max(np.abs(ref[k])))))
                    if not c.check(ok, "%s hop %d %s: window %d differs by %g" % (
                            name, hop, mode, k, err)):
                        break
    print("%d zoo models streamed; worst relative error %.3g" % (names, worst))
    c.done()


if __name__ == "__main__":
    main()
