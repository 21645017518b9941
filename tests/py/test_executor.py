"""The window executor against PyTorch on every model of the zoo (tests/py/modelzoo.py), and
against numpy on hand-made ONNX graphs for what PyTorch does not export (Gemm with transA, alpha
and beta, MatMul on a [M, K] value, constants broadcast along F, Concat and Softmax over F and over
dense features).

Each model is exported to ONNX (opset 13, every third model opset 14), run by PyTorch (float32, eval mode) on a random input and by
`vigil-model run` on the same input. Assertion, per model: the output shapes match and
max |vigil - torch| <= 1e-4 * max |torch| over the whole output. Prints the worst error of each
model and overall.
"""
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
import torch

import modelzoo
from vigiltest import Checks, tmpdir, tool

TOL = 1e-4


def _softmax(v, axis):
    e = np.exp(v - v.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def handmade():
    """(name, onnx ModelProto, input array [1, ...], reference function of the input)."""
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(3)

    def const(name, a):
        return numpy_helper.from_array(np.asarray(a, dtype=np.float32), name)

    def model(name, nodes, inits, in_shape, out_shape):
        g = helper.make_graph(nodes, name,
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)],
                              inits)
        return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])

    out = []
    b1, c1 = rng.standard_normal((4, 6)), rng.standard_normal(6)
    b2, c2 = rng.standard_normal((5, 6)), rng.standard_normal((1, 5))
    b3, c3 = rng.standard_normal((1, 3)), rng.standard_normal((4, 3))
    w, k, sh = rng.standard_normal((3, 2)), rng.standard_normal((1, 13)), rng.standard_normal(13)
    nodes = [helper.make_node("GlobalAveragePool", ["x"], ["p"]),
             helper.make_node("Flatten", ["p"], ["a"], axis=1),
             helper.make_node("Gemm", ["a", "b1", "c1"], ["g1"], alpha=0.5, beta=2.0),
             helper.make_node("Gemm", ["g1", "b2", "c2"], ["g2"], transB=1),
             helper.make_node("Gemm", ["a", "b3", "c3"], ["g3"], transA=1),
             helper.make_node("MatMul", ["g3", "w"], ["m"]),
             helper.make_node("Reshape", ["m", "shape"], ["r"]),
             helper.make_node("Concat", ["g2", "r"], ["cat"], axis=1),
             helper.make_node("Mul", ["cat", "k"], ["mk"]),
             helper.make_node("Sub", ["sh", "mk"], ["s"]),
             helper.make_node("Softmax", ["s"], ["y"], axis=1)]
    inits = [const("b1", b1), const("c1", c1), const("b2", b2), const("c2", c2),
             const("b3", b3), const("c3", c3), const("w", w), const("k", k), const("sh", sh),
             numpy_helper.from_array(np.array([1, 8], dtype=np.int64), "shape")]

    def ref_dense(x):
        a = x.astype(np.float64).mean(axis=2)  # [1, 4]
        g1 = 0.5 * a @ b1 + 2.0 * c1
        g2 = g1 @ b2.T + c2
        g3 = a.T @ b3 + c3
        cat = np.concatenate([g2, (g3 @ w).reshape(1, 8)], axis=1)
        return _softmax(sh - cat * k, 1)
    out.append(("hand_gemm_matmul_concat", model("dense", nodes, inits, [1, 4, 16], [1, 13]),
                rng.standard_normal((1, 4, 16)), ref_dense))

    # One row with transA (A stored [K, 1]) and transB: the matrix-vector path of Gemm.
    b4, c4 = rng.standard_normal((5, 4)), rng.standard_normal(5)
    nodes = [helper.make_node("GlobalAveragePool", ["x"], ["p"]),
             helper.make_node("Reshape", ["p", "shape"], ["a"]),
             helper.make_node("Gemm", ["a", "b4", "c4"], ["y"], alpha=0.7, beta=1.5, transA=1,
                              transB=1)]
    inits = [const("b4", b4), const("c4", c4),
             numpy_helper.from_array(np.array([4, 1], dtype=np.int64), "shape")]

    def ref_row(x):
        return 0.7 * x.astype(np.float64).mean(axis=2) @ b4.T + 1.5 * c4
    out.append(("hand_gemm_row_trans", model("row", nodes, inits, [1, 4, 16], [1, 5]),
                rng.standard_normal((1, 4, 16)), ref_row))

    f_scale, c_shift = rng.standard_normal((3, 1)), rng.standard_normal((2, 1, 1))
    nodes = [helper.make_node("Mul", ["x", "fs"], ["m"]),
             helper.make_node("Sub", ["cs", "m"], ["s"]),
             helper.make_node("Softmax", ["s"], ["sm"], axis=1),
             helper.make_node("Concat", ["sm", "s"], ["y"], axis=2)]
    inits = [const("fs", f_scale), const("cs", c_shift)]

    def ref_freq(x):
        s = c_shift - x.astype(np.float64) * f_scale
        return np.concatenate([_softmax(s, 1), s], axis=2)
    out.append(("hand_freq_broadcast", model("freq", nodes, inits, [1, 2, 3, 8], [1, 2, 6, 8]),
                rng.standard_normal((1, 2, 3, 8)), ref_freq))
    return out


def compare(c, name, vm, work, path, x, ref):
    """Runs vigil-model on x ([1, ...]) and checks against ref; returns max|err| / max|ref|."""
    fin, fout = os.path.join(work, name + ".in.f32"), os.path.join(work, name + ".out.f32")
    x[0].astype("<f4").tofile(fin)
    r = subprocess.run([vm, "run", path, fin, fout], capture_output=True, text=True, timeout=120)
    if not c.check(r.returncode == 0, "%s: vigil-model run failed (%d): %s" % (
            name, r.returncode, r.stderr.strip()[-2000:])):
        return 0.0
    got = np.fromfile(fout, dtype="<f4")
    want = ref.reshape(ref.shape[1:]).ravel()  # batch axis dropped
    if not c.check(got.size == want.size, "%s: %d output values, the reference has %d %s" % (
            name, got.size, want.size, list(ref.shape))):
        return 0.0
    err = float(np.max(np.abs(got - want)))
    scale = float(np.max(np.abs(want)))
    rel = err / scale if scale > 0 else err
    print("%-26s out %-18s max|err| %.3g  max|ref| %.3g  ratio %.3g" % (
        name, list(ref.shape), err, scale, rel), flush=True)
    c.check(np.all(np.isfinite(got)) and err <= TOL * scale,
            "%s: max|err| %.3g > %g * max|ref| (%.3g)" % (name, err, TOL, scale))
    return rel


def main():
    c = Checks("test_executor")
    vm = tool("vigil-model")
    work = tmpdir()
    torch.manual_seed(7)
    worst_rel, worst_name = 0.0, ""
    for i, (name, module, shape) in enumerate(modelzoo.zoo()):
        path = os.path.join(work, name + ".onnx")
        modelzoo.export(module, shape, path, opset=14 if i % 3 == 2 else 13)
        x = torch.randn(*shape)
        ref = modelzoo.reference(module, x).numpy().astype(np.float32)
        rel = compare(c, name, vm, work, path, x.numpy(), ref)
        if rel > worst_rel:
            worst_rel, worst_name = rel, name
    for name, proto, x, ref_fn in handmade():
        path = os.path.join(work, name + ".onnx")
        onnx.save(proto, path)
        x = x.astype(np.float32)
        rel = compare(c, name, vm, work, path, x, ref_fn(x))
        if rel > worst_rel:
            worst_rel, worst_name = rel, name
    print("worst max|err| / max|ref| over the zoo: %.3g (%s); tolerance %g" % (
        worst_rel, worst_name, TOL))
    shutil.rmtree(work, ignore_errors=True)
    c.done()


if __name__ == "__main__":
    sys.exit(main())
