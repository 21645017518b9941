"""The streaming engine over every model of the executor's zoo (tests/py/modelzoo.py): at hops 1,
a misaligned one (A + 1) and W, exact and full equal PyTorch's windowed output at every window
(max |error| <= 1e-4 * max |reference| + 1e-5), and signal too where the plan says no layer sees
padding. Models with a head that fixes the length run at their own window."""
import os

import modelzoo
from test_stream import hop_matches, run
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
            worst = max(worst, hop_matches(c, d, name, path, module, shape, window, hop, n, info))
    print("%d zoo models streamed; worst relative error %.3g" % (names, worst))
    c.done()


if __name__ == "__main__":
    main()
