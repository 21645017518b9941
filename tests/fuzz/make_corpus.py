#!/usr/bin/python3
"""Writes the seed corpus of the ONNX loader's fuzzer (tests/fuzz/corpus/): a few tiny models
that together use every op Vigil loads. The unit tests load them too (test_model_shape.c checks
their shapes and the BatchNormalization folding by hand), so the weights follow simple formulas:
element i of a tensor of a given seed is ((i * 7 + seed) % 11 - 5) / 8.

Run with Debian's python3 (python3-onnx): /usr/bin/python3 tests/fuzz/make_corpus.py
"""
import os

import numpy as np
import onnx
from onnx import TensorProto as TP
from onnx import helper as h
from onnx import numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def weights(name, shape, seed, positive=False):
    n = int(np.prod(shape))
    v = ((np.arange(n) * 7 + seed) % 11 - 5) / 8.0
    if positive:
        v = np.abs(v) + 0.5
    return numpy_helper.from_array(v.reshape(shape).astype(np.float32), name)


def ints(name, values):
    return numpy_helper.from_array(np.array(values, np.int64), name)


def save(name, nodes, inits, in_shape, opset=14):
    g = h.make_graph(nodes, name, [h.make_tensor_value_info("x", TP.FLOAT, in_shape)],
                     [h.make_tensor_value_info("y", TP.FLOAT, None)], initializer=inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)], producer_name="vigil-corpus")
    onnx.save(m, os.path.join(OUT, name + ".onnx"))


def main():
    os.makedirs(OUT, exist_ok=True)
    n = h.make_node
    # conv_relu: [1, 2, 16] -> Conv(3 filters, k 3, pad 1, stride 2) -> Relu -> [1, 3, 8]
    save("conv_relu", [n("Conv", ["x", "W", "B"], ["a"], pads=[1, 1], strides=[2], name="conv"),
                       n("Relu", ["a"], ["y"], name="relu")],
         [weights("W", [3, 2, 3], 1), weights("B", [3], 2)], [1, 2, 16])
    # conv_bn_shared: two convs sharing W (k 3, no pad: [1, 2, 12] -> [1, 4, 10]), each followed
    # by its own BN; the sum goes through a third BN that cannot be folded.
    bn = [weights("s%d" % i, [4], 10 + i) for i in range(3)] + \
         [weights("b%d" % i, [4], 20 + i) for i in range(3)] + \
         [weights("m%d" % i, [4], 30 + i) for i in range(3)] + \
         [weights("v%d" % i, [4], 40 + i, positive=True) for i in range(3)]
    save("conv_bn_shared",
         [n("Conv", ["x", "W"], ["c0"], name="conv0"),
          n("Tanh", ["x"], ["t"], name="tanh"),
          n("Conv", ["t", "W", "B"], ["c1"], name="conv1"),
          n("BatchNormalization", ["c0", "s0", "b0", "m0", "v0"], ["n0"], name="bn0",
            epsilon=1e-3),
          n("BatchNormalization", ["c1", "s1", "b1", "m1", "v1"], ["n1"], name="bn1"),
          n("Add", ["n0", "n1"], ["sum"], name="add"),
          n("BatchNormalization", ["sum", "s2", "b2", "m2", "v2"], ["y"], name="bn2")],
         [weights("W", [4, 2, 3], 3), weights("B", [4], 4)] + bn, [1, 2, 12])
    # pool_head: [1, 3, 20] -> Pad(2, 1) -> AveragePool(k 3, s 2) -> MaxPool(k 2, ceil) ->
    # LeakyRelu -> GlobalAveragePool -> Flatten -> Gemm(transB) -> Softmax -> [1, 5]
    save("pool_head",
         [n("Pad", ["x", "pads"], ["p"], name="pad"),
          n("AveragePool", ["p"], ["ap"], kernel_shape=[3], strides=[2], name="avg"),
          n("MaxPool", ["ap"], ["mp"], kernel_shape=[2], strides=[2], ceil_mode=1, name="max"),
          n("LeakyRelu", ["mp"], ["lr"], alpha=0.1, name="lrelu"),
          n("GlobalAveragePool", ["lr"], ["g"], name="gap"),
          n("Flatten", ["g"], ["f"], name="flat"),
          n("Gemm", ["f", "G", "C"], ["d"], transB=1, name="dense"),
          n("Softmax", ["d"], ["y"], name="softmax")],
         [ints("pads", [0, 0, 2, 0, 0, 1]), weights("G", [5, 3], 5), weights("C", [5], 6)],
         [1, 3, 20])
    # spec2d: [1, 2, 6, 10] -> Conv2d(4, k (3, 3), stride (2, 1), pads (1, 1, 1, 1)) ->
    # Sigmoid -> Reshape [1, 12, 10] -> ConvTranspose(3, k 4, s 2, p 1) -> Concat(Elu, Clip)
    # -> [1, 6, 20]
    save("spec2d",
         [n("Conv", ["x", "K"], ["c"], strides=[2, 1], pads=[1, 1, 1, 1], name="conv2d"),
          n("Sigmoid", ["c"], ["s"], name="sig"),
          n("Reshape", ["s", "shape"], ["r"], name="reshape"),
          n("ConvTranspose", ["r", "T", "TB"], ["u"], strides=[2], pads=[1, 1], name="up"),
          n("Elu", ["u"], ["e"], name="elu"),
          n("Clip", ["u", "lo", "hi"], ["cl"], name="clip"),
          n("Concat", ["e", "cl"], ["y"], axis=1, name="cat")],
         [weights("K", [4, 2, 3, 3], 7), ints("shape", [1, 12, 10]), weights("T", [12, 3, 4], 8),
          weights("TB", [3], 9), numpy_helper.from_array(np.array(-0.5, np.float32), "lo"),
          numpy_helper.from_array(np.array(0.5, np.float32), "hi")], [1, 2, 6, 10])
    # gelu_matmul: [1, 4, 8] -> GELU as PyTorch exports it (Div, Erf, Add, Mul, Mul) with
    # Constant nodes -> Unsqueeze(1) -> Squeeze(1) -> MatMul with [8, 2] -> Identity -> [1, 4, 2]
    save("gelu_matmul",
         [n("Constant", [], ["sqrt2"], value=h.make_tensor("v", TP.FLOAT, [], [1.4142135]),
            name="c_sqrt2"),
          n("Constant", [], ["one"], value=h.make_tensor("v", TP.FLOAT, [], [1.0]), name="c1"),
          n("Constant", [], ["half"], value=h.make_tensor("v", TP.FLOAT, [], [0.5]), name="c05"),
          n("Div", ["x", "sqrt2"], ["d"], name="div"),
          n("Erf", ["d"], ["e"], name="erf"),
          n("Add", ["e", "one"], ["a"], name="add"),
          n("Mul", ["x", "a"], ["m"], name="mul"),
          n("Mul", ["m", "half"], ["g"], name="mul2"),
          n("Unsqueeze", ["g", "ax"], ["u"], name="unsq"),
          n("Squeeze", ["u", "ax"], ["s"], name="sq"),
          n("MatMul", ["s", "M"], ["mm"], name="matmul"),
          n("Identity", ["mm"], ["y"], name="id")],
         [ints("ax", [1]), weights("M", [8, 2], 11)], [1, 4, 8])
    # const_pad: the pads of Pad computed the way PyTorch exports F.pad(x, (2, 1)) (ConstantOfShape,
    # Concat, Reshape, Slice with step -1, Transpose, Reshape, Cast), then Conv k 3, then a Reshape
    # whose target [1, 2, -1] comes from Shape and Gather of the weights: [1, 3, T] -> [1, 2, T + 1]
    big = -(2**63 - 1)
    save("const_pad",
         [n("ConstantOfShape", ["four"], ["zeros"], value=h.make_tensor("v", TP.INT64, [1], [0]),
            name="cos"),
          n("Concat", ["pads21", "zeros"], ["cat"], axis=0, name="cat"),
          n("Reshape", ["cat", "m1_2"], ["pairs"], name="pairs"),
          n("Slice", ["pairs", "m1", "big", "zero", "m1"], ["rev"], name="slice"),
          n("Transpose", ["rev"], ["tr"], perm=[1, 0], name="transpose"),
          n("Reshape", ["tr", "m1"], ["flat"], name="flat"),
          n("Cast", ["flat"], ["pads"], to=TP.INT64, name="cast"),
          n("Pad", ["x", "pads"], ["p"], name="pad"),
          n("Conv", ["p", "W"], ["c"], name="conv"),
          n("Shape", ["W"], ["wshape"], name="shape"),
          n("Gather", ["wshape", "zero"], ["m"], axis=0, name="gather"),
          n("Concat", ["one", "m", "m1"], ["target"], axis=0, name="target"),
          n("Reshape", ["c", "target"], ["y"], name="reshape")],
         [ints("four", [4]), ints("pads21", [2, 1]), ints("m1_2", [-1, 2]), ints("m1", [-1]),
          ints("big", [big]), ints("zero", [0]), ints("one", [1]), weights("W", [2, 3, 3], 12)],
         [1, 3, 12])
    # slice_split: [1, 4, 12] -> Conv k 3 pads 2+2 (8 channels) -> Slice of the time axis (a TCN's
    # chomp, folded into the conv's pads) -> Split of the channels 3 + 5 -> Slice of channels
    # 0:3 of the second part -> Sigmoid -> Mul (a gate): [1, 3, 12]
    save("slice_split",
         [n("Conv", ["x", "W"], ["c"], pads=[2, 2], name="conv"),
          n("Slice", ["c", "zero", "m2", "two"], ["ch"], name="chomp"),
          n("Split", ["ch", "parts"], ["a", "b"], axis=1, name="split"),
          n("Slice", ["b", "zero", "three", "one"], ["b3"], name="head"),
          n("Sigmoid", ["b3"], ["g"], name="sigmoid"),
          n("Mul", ["a", "g"], ["y"], name="gate")],
         [weights("W", [8, 4, 3], 13), ints("zero", [0]), ints("m2", [-2]), ints("two", [2]),
          ints("parts", [3, 5]), ints("three", [3]), ints("one", [1])], [1, 4, 12])


if __name__ == "__main__":
    main()
