"""The window executor against PyTorch on every model of the zoo (tests/py/modelzoo.py).

Each model is exported to ONNX, run by PyTorch (float32, eval mode) on a random input and by
`vigil-model run` on the same input. Assertion, per model: the output shapes match and
max |vigil - torch| <= 1e-4 * max |torch| over the whole output. Prints the worst error of each
model and overall.
"""
import os
import subprocess
import sys

import numpy as np
import torch

import modelzoo
from vigiltest import Checks, tmpdir, tool

TOL = 1e-4


def main():
    c = Checks("test_executor")
    vm = tool("vigil-model")
    work = tmpdir()
    torch.manual_seed(7)
    worst_rel, worst_name = 0.0, ""
    for name, module, shape in modelzoo.zoo():
        path = os.path.join(work, name + ".onnx")
        modelzoo.export(module, shape, path)
        x = torch.randn(*shape)
        ref = modelzoo.reference(module, x).numpy().astype(np.float32)
        fin, fout = os.path.join(work, name + ".in.f32"), os.path.join(work, name + ".out.f32")
        x[0].numpy().astype("<f4").tofile(fin)
        r = subprocess.run([vm, "run", path, fin, fout], capture_output=True, text=True,
                           timeout=120)
        if not c.check(r.returncode == 0, "%s: vigil-model run failed (%d): %s" % (
                name, r.returncode, r.stderr.strip()[-2000:])):
            continue
        got = np.fromfile(fout, dtype="<f4")
        want = ref.reshape(ref.shape[1:]).ravel()  # batch axis dropped
        if not c.check(got.size == want.size, "%s: %d output values, PyTorch gives %d %s" % (
                name, got.size, want.size, list(ref.shape))):
            continue
        err = float(np.max(np.abs(got - want)))
        scale = float(np.max(np.abs(want)))
        rel = err / scale if scale > 0 else err
        print("%-26s out %-18s max|err| %.3g  max|ref| %.3g  ratio %.3g" % (
            name, list(ref.shape), err, scale, rel), flush=True)
        c.check(np.all(np.isfinite(got)) and err <= TOL * scale,
                "%s: max|err| %.3g > %g * max|ref| (%.3g)" % (name, err, TOL, scale))
        if rel > worst_rel:
            worst_rel, worst_name = rel, name
    print("worst max|err| / max|ref| over the zoo: %.3g (%s); tolerance %g" % (
        worst_rel, worst_name, TOL))
    c.done()


if __name__ == "__main__":
    sys.exit(main())
