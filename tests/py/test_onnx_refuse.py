#!/usr/bin/python3
"""The ONNX loader on hand-written graphs (onnx.helper): what it must refuse, with a message naming
the op, node and opset or what is malformed; truncated and corrupted files (refused, never a crash
or a sanitizer report); and a few valid graphs PyTorch does not export, whose output shapes must
match ONNX's own shape inference. Also `vigil-model plan`'s arguments: W and H default as
streamcnn's properties (the model's length, W/4), and a W or H that is not a whole number is
refused, not read as 0 (the default) or as its leading digits."""
import random
import subprocess

import numpy as np
import onnx
from onnx import TensorProto as TP
from onnx import helper as h
from onnx import numpy_helper

from vigiltest import Checks, tool, tmpdir

VM = tool("vigil-model")
D = tmpdir()
c = Checks("onnx_refuse")


def model(nodes, inits=(), inputs=None, outputs=None, opset=14):
    inputs = inputs if inputs is not None else [h.make_tensor_value_info("x", TP.FLOAT,
                                                                         [1, 4, 16])]
    outputs = outputs if outputs is not None else [h.make_tensor_value_info("y", TP.FLOAT, None)]
    g = h.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    return h.make_model(g, opset_imports=[h.make_opsetid("", opset)])


def f32(name, shape, seed=0):
    return numpy_helper.from_array(
        np.random.default_rng(seed).standard_normal(shape).astype(np.float32), name)


def raw_tensor(name, dims, dtype=TP.FLOAT, floats=()):
    """A TensorProto written field by field, sizes unchecked (onnx.helper would refuse)."""
    t = TP()
    t.name = name
    t.data_type = dtype
    t.dims.extend(dims)
    t.float_data.extend(floats)
    return t


def i64(name, values):
    return numpy_helper.from_array(np.array(values, np.int64), name)


def run(data, name):
    path = "%s/%s.onnx" % (D, name)
    with open(path, "wb") as f:
        f.write(data)
    return subprocess.run([VM, "info", path], capture_output=True, text=True,
                          errors="replace", timeout=60)


def clean(r, what):
    """No crash, no sanitizer report; a refusal says why on one line."""
    ok = r.returncode in (0, 1) and "Sanitizer" not in r.stderr and "runtime error" not in r.stderr
    c.check(ok, "%s: exit %d, stderr:\n%s" % (what, r.returncode, r.stderr[-3000:]))
    if r.returncode == 1:
        c.check(r.stderr.startswith("vigil-model: ") and len(r.stderr.strip()) > 20,
                "%s: refusal without a message: %r" % (what, r.stderr))
    return ok


def refused(m, name, *words):
    data = m if isinstance(m, bytes) else m.SerializeToString()
    r = run(data, name)
    if clean(r, name) and c.check(r.returncode == 1, "%s: not refused:\n%s" % (name, r.stdout)):
        for w in words:
            c.check(w in r.stderr, "%s: message lacks %r: %s" % (name, w, r.stderr.strip()))


W = f32("W", [8, 4, 3])
conv = h.make_node("Conv", ["x", "W"], ["a"], name="conv")
relu = h.make_node("Relu", ["a"], ["y"], name="relu")
good = model([conv, relu], [W])


def unsupported_ops():
    lstm = model([h.make_node("LSTM", ["x", "W", "W"], ["y"], name="lstm_1", hidden_size=8)],
                 [W])
    refused(lstm, "lstm", "unsupported op 'LSTM'", "node 'lstm_1'", "opset 14")
    refused(model([h.make_node("Transpose", ["x"], ["y"], name="t")], opset=13), "transpose",
            "unsupported op 'Transpose'", "node 't'", "opset 13")
    # Shape of a computed value is its shape at the length the model is loaded at (exports with
    # dynamic_axes compute sizes so). Reshaping to it keeps time last: re-applied at any length.
    # Arithmetic on the length read ties the model to that length.
    shape = model([h.make_node("Shape", ["x"], ["s"], name="shp"),
                   h.make_node("Reshape", ["x", "s"], ["y"], name="r")])
    r = run(shape.SerializeToString(), "shape")
    c.check(r.returncode == 0 and "'y' [1, 4, 16]" in r.stdout, "Shape of the input at its own "
            "length: exit %d\n%s%s" % (r.returncode, r.stdout, r.stderr))
    r = subprocess.run([VM, "info", "%s/shape.onnx" % D, "--length", "20"], capture_output=True,
                       text=True, timeout=60)
    c.check(r.returncode == 0 and "'y' [1, 4, 20]" in r.stdout, "Reshape to the input's Shape "
            "at another length: exit %d, %r" % (r.returncode, r.stderr))
    idx = numpy_helper.from_array(np.array(2, np.int64), "i")
    scaled = model([h.make_node("Shape", ["x"], ["s"], name="shp"),
                    h.make_node("Gather", ["s", "i"], ["t"], name="g"),
                    h.make_node("Cast", ["t"], ["tf"], name="cast", to=TP.FLOAT),
                    h.make_node("Mul", ["x", "tf"], ["y"], name="m")], [idx])
    r = run(scaled.SerializeToString(), "shape_mul")
    c.check(r.returncode == 0 and "'y' [1, 4, 16]" in r.stdout, "x * T at its own length: exit "
            "%d\n%s%s" % (r.returncode, r.stdout, r.stderr))
    r = subprocess.run([VM, "info", "%s/shape_mul.onnx" % D, "--length", "20"],
                       capture_output=True, text=True, timeout=60)
    c.check(r.returncode == 1 and "Shape node 'shp'" in r.stderr and "16 columns, not 20" in
            r.stderr, "x * T at another length: exit %d, %r" % (r.returncode, r.stderr))
    custom = model([h.make_node("Relu", ["x"], ["y"], name="cr", domain="com.example")])
    refused(custom, "domain", "'Relu'", "com.example", "cr")
    # reflect and edge pads load (test_architectures.py); opset 19's wrap does not
    pad = model([h.make_node("Pad", ["x", "p"], ["y"], name="pr", mode="wrap")],
                [i64("p", [0, 0, 1, 0, 0, 1])])
    refused(pad, "pad_wrap", "mode", "'Pad'", "pr")
    # reflection needs more entries than the pad: 20 columns reflected by 20 is refused
    pad = model([h.make_node("Pad", ["x", "p"], ["y"], name="pr", mode="reflect")],
                [i64("p", [0, 0, 20, 0, 0, 0])])
    refused(pad, "pad_reflect_too_wide", "reflect padding of 20", "pr")
    mp = model([h.make_node("MaxPool", ["x"], ["y", "idx"], name="mpi", kernel_shape=[2])],
               outputs=[h.make_tensor_value_info("y", TP.FLOAT, None)])
    refused(mp, "maxpool_indices", "second output", "mpi")
    legacy_add = model([h.make_node("Add", ["x", "b"], ["y"], name="la", broadcast=1, axis=1)],
                       [f32("b", [4])], opset=6)
    refused(legacy_add, "legacy_axis_add", "legacy 'axis'", "'Add'", "la", "opset 6")
    bn = model([h.make_node("BatchNormalization", ["x", "s", "o", "mu", "v"], ["y"], name="bn0",
                            spatial=0)],
               [f32("s", [4, 16], 1), f32("o", [4, 16], 2), f32("mu", [4, 16], 3),
                numpy_helper.from_array(np.ones((4, 16), np.float32), "v")], opset=7)
    refused(bn, "bn_spatial0", "spatial=0", "'BatchNormalization'", "bn0", "opset 7")
    sm = model([h.make_node("Softmax", ["x"], ["y"], name="sm", axis=1)], opset=11)
    refused(sm, "softmax_opset11", "Softmax", "sm", "opset 11")
    same = model([h.make_node("Conv", ["x", "W"], ["y"], name="cs", auto_pad="SAME_UPPER",
                              strides=[2])], [W])
    refused(same, "same_stride", "auto_pad", "cs")
    selfw = model([h.make_node("Conv", ["x", "x"], ["y"], name="cx")])
    refused(selfw, "conv_weights_from_input", "non-constant weights", "cx")
    # slices of computed values are copies of contiguous entries (test_slice.py): a step is not
    sl = model([h.make_node("Slice", ["x", "s", "e", "a", "st"], ["y"], name="sl")],
               [i64("s", [0]), i64("e", [4]), i64("a", [1]), i64("st", [2])])
    refused(sl, "slice_step_of_input", "'Slice'", "sl", "sliced in steps of 1")
    # a model for [1, T, C] input that transposes it: the message says what layout to export
    tr = model([h.make_node("Transpose", ["x"], ["t"], name="tr", perm=[0, 2, 1]),
                h.make_node("Conv", ["t", "W"], ["y"], name="ct")], [f32("W", [8, 4, 3])],
               inputs=[h.make_tensor_value_info("x", TP.FLOAT, [1, 16, 4])])
    refused(tr, "transpose_of_input", "'Transpose'", "tr", "graph input 'x'",
            "[1, C, T] or [1, C, F, T] with time last")
    # an Expand of a computed value to an absurd shape: its ones are bounded before allocation
    big = 1 << 24
    ex = model([h.make_node("Expand", ["x", "s"], ["y"], name="ex")],
               [i64("s", [1, big, big, big, big, 16])])
    refused(ex, "expand_absurd", "constants exceed")
    # over channels within each time step, or over time (a global pool), but not both at once
    rm = model([h.make_node("ReduceMean", ["x"], ["y"], name="rm", axes=[1, 2])])
    refused(rm, "reducemean_channels_time", "'ReduceMean'", "rm", "axes")
    resh = model([h.make_node("Relu", ["x"], ["r"]),
                  h.make_node("Reshape", ["x", "r"], ["y"], name="rs")])
    refused(resh, "reshape_runtime_shape", "rs")
    # an attribute the op does not take (here as a later opset might add one) is refused by name
    ap = model([h.make_node("AveragePool", ["x"], ["y"], name="apx", kernel_shape=[2],
                            antialias=1)])
    refused(ap, "avgpool_unknown_attr", "attribute 'antialias'", "'AveragePool'", "apx")
    cm = model([h.make_node("Conv", ["x", "W"], ["y"], name="cc", ceil_mode=1)], [W])
    refused(cm, "conv_ceil_mode", "attribute 'ceil_mode'", "'Conv'", "cc")
    # ... also in the ops evaluated on constants at load time
    def cast_shape(**attrs):
        return model([h.make_node("Cast", ["s"], ["s2"], name="cst", **attrs),
                      h.make_node("Reshape", ["x", "s2"], ["y"], name="rs2")],
                     [i64("s", [1, 4, 16])], opset=19)
    refused(cast_shape(to=7, saturate=1), "cast_unknown_attr", "attribute 'saturate'", "'Cast'",
            "cst")
    refused(cast_shape(to=8), "cast_to_string", "target type 8", "'Cast'", "cst")
    r = run(cast_shape(to=7).SerializeToString(), "cast_to_int64")
    c.check(r.returncode == 0, "Cast of a constant shape to int64 refused: %s" % r.stderr.strip())
    # a computed value casts to float (and a comparison's to bool) as itself; to an integer
    # type it would truncate, which Vigil does not compute
    refused(model([h.make_node("Cast", ["x"], ["y"], name="cx", to=7)]), "cast_computed_int",
            "'Cast'", "cx", "constants only")
    refused(model([h.make_node("Cast", ["x"], ["y"], name="cb", to=9)]), "cast_computed_bool",
            "'Cast'", "cb", "constants only")
    training_mode_exports()
    # opset 5's consumed_inputs (an optimisation hint) is not refused
    old_relu = model([h.make_node("Relu", ["x"], ["y"], name="r5", consumed_inputs=[0])],
                     opset=5)
    r = run(old_relu.SerializeToString(), "relu_consumed_inputs")
    c.check(r.returncode == 0, "Relu with consumed_inputs refused: %s" % r.stderr.strip())


def training_mode_exports():
    """What torch.onnx.export writes for a model in training mode (model.train() with
    training=TrainingMode.TRAINING or PRESERVE): a BatchNormalization with its running-statistics
    outputs, a Dropout whose training_mode input is a bool Constant. Refused, saying what to do;
    a Dropout whose training_mode is false is inference (Identity). A float16 model
    (model.half()) and a float64 one (model.double()) are refused naming the type."""
    stats = [f32("s", [4], 1), f32("o", [4], 2), f32("mu", [4], 3),
             numpy_helper.from_array(np.ones(4, np.float32), "v")]
    bn = model([h.make_node("BatchNormalization", ["x", "s", "o", "mu", "v"], ["y", "rm", "rv"],
                            name="bnt", momentum=0.9)], stats, opset=14)
    refused(bn, "bn_training_outputs", "'BatchNormalization'", "bnt", "model.eval()")
    bn15 = model([h.make_node("BatchNormalization", ["x", "s", "o", "mu", "v"], ["y"],
                              name="bnt15", training_mode=1)], stats, opset=15)
    refused(bn15, "bn_training_mode", "training_mode=1", "bnt15", "model.eval()")

    def dropout(train):
        return model([h.make_node("Constant", [], ["r"], value=numpy_helper.from_array(
                          np.array(0.3, np.float32))),
                      h.make_node("Constant", [], ["tm"], value=numpy_helper.from_array(
                          np.array(train, np.bool_))),
                      conv, h.make_node("Dropout", ["a", "r", "tm"], ["y", "mask"], name="dt")],
                     [W], opset=13)
    refused(dropout(True), "dropout_training", "training_mode", "'Dropout'", "dt", "model.eval()")
    r = run(dropout(False).SerializeToString(), "dropout_inference")
    c.check(r.returncode == 0, "Dropout with training_mode false refused: %s" % r.stderr.strip())
    half = numpy_helper.from_array(np.ones((8, 4, 3), np.float16), "W")
    refused(model([conv, relu], [half]), "float16_weights", "float16", "model.float()")
    refused(model([conv, relu], [W], inputs=[h.make_tensor_value_info("x", TP.DOUBLE,
                                                                     [1, 4, 16])]),
            "float64_input", "float64", "model.float()")


def malformed_graphs():
    cyc = model([conv, h.make_node("Relu", ["y"], ["b"], name="r1"),
                 h.make_node("Add", ["a", "b"], ["y"], name="add")], [W])
    refused(cyc, "cycle", "cycle")
    refused(model([h.make_node("Relu", ["nowhere"], ["y"], name="dr")]), "dangling",
            "nowhere", "dr")
    refused(model([conv, relu]), "missing_initializer", "'W'", "conv")
    twice = model([conv, h.make_node("Relu", ["x"], ["a"], name="r2"), relu], [W])
    refused(twice, "defined_twice", "'a'", "twice")
    bad = f32("W", [8, 4, 3])
    bad.raw_data = bad.raw_data[:-4]
    refused(model([conv, relu], [bad]), "raw_size", "W", "bytes")
    bad = raw_tensor("W", [8, 4, 3], floats=[1.0] * 95)
    refused(model([conv, relu], [bad]), "float_data_size", "W", "95")
    huge = raw_tensor("W", [1 << 20, 1 << 20, 3])
    refused(model([conv, relu], [huge]), "absurd_initializer", "W")
    neg = raw_tensor("W", [8, -4, 3])
    refused(model([conv, relu], [neg]), "negative_dim", "W")
    ext = f32("W", [8, 4, 3])
    ext.data_location = TP.EXTERNAL
    refused(model([conv, relu], [ext]), "external_data", "external")
    strs = raw_tensor("W", [1], TP.STRING)
    refused(model([conv, relu], [strs]), "string_tensor", "data type")
    inputs = [h.make_tensor_value_info("x", TP.FLOAT, [1, 4, 16]),
              h.make_tensor_value_info("x2", TP.FLOAT, [1, 4, 16])]
    refused(model([h.make_node("Add", ["x", "x2"], ["y"])], inputs=inputs), "two_inputs",
            "more than one input", "export_params=True")
    for name, elem, dims, word in (("int_input", TP.INT64, [1, 4, 16], "float32"),
                                   ("rank2_input", TP.FLOAT, [4, 16], "[1, C, T]"),
                                   ("rank5_input", TP.FLOAT, [1, 2, 3, 4, 5], "[1, C, T]"),
                                   ("batch2_input", TP.FLOAT, [2, 4, 16], "batch"),
                                   ("symbolic_time", TP.FLOAT, [1, 4, "T"], "dynamic time "
                                    "axis ('T'): give the window length"),
                                   ("symbolic_channels", TP.FLOAT, [1, "C", 16], "fixed channels"),
                                   ("huge_time", TP.FLOAT, [1, 4, 1 << 40], "size")):
        inp = [h.make_tensor_value_info("x", elem, dims)]
        refused(model([h.make_node("Relu", ["x"], ["y"])], inputs=inp), name, word)
    long_k = model([conv, relu], [f32("W", [8, 4, 17])])
    refused(long_k, "kernel_longer_than_input", "does not fit", "conv")
    refused(model([conv, relu], [f32("W", [8, 3, 3])]), "channel_mismatch", "channels")
    refused(model([h.make_node("Relu", ["x"], ["a"])]), "output_undefined", "'y'")
    refused(model([h.make_node("Identity", ["x"], ["y"])]), "output_is_input", "input itself")
    # several outputs load (test_multi_output.py); each must be computed from the input
    two_out = model([conv, relu], [W], outputs=[h.make_tensor_value_info("y", TP.FLOAT, None),
                                                h.make_tensor_value_info("x", TP.FLOAT, None)])
    refused(two_out, "second_output_is_input", "graph output 'x'", "input itself")
    no_opset = good.SerializeToString()
    m = onnx.ModelProto()
    m.ParseFromString(no_opset)
    del m.opset_import[:]
    refused(m, "no_opset", "opset")
    refused(b"", "empty", "empty")
    refused(b"\x08\x07\x12", "three_bytes", "not a valid ONNX")
    refused(bytes(range(256)) * 4, "garbage", "ONNX")
    # an attribute holding a graph holding a node holding an attribute ... 5000 levels deep
    nested = b""
    for _ in range(5000):  # AttributeProto.g (field 6) <- NodeProto.attribute (5) <- GraphProto.node (1)
        node = b"\x2a" + varint(len(nested)) + nested
        graph = b"\x0a" + varint(len(node)) + node
        nested = b"\x32" + varint(len(graph)) + graph
    deep = b"\x3a" + varint(len(graph)) + graph  # ModelProto.graph
    refused(deep, "deep_nesting", "nested")


def varint(n):
    out = b""
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out += bytes([byte | 0x80])
        else:
            return out + bytes([byte])


def truncated_and_corrupted():
    data = good.SerializeToString()
    r = run(data, "good")
    c.check(r.returncode == 0, "the uncorrupted model loads: " + r.stderr)
    cuts = sorted(set(list(range(0, len(data), max(1, len(data) // 60))) + [len(data) - 1]))
    for cut in cuts:
        r = run(data[:cut], "cut")
        if clean(r, "cut at %d of %d" % (cut, len(data))):
            c.check(r.returncode == 1, "cut at %d of %d: loads" % (cut, len(data)))
    rng = random.Random(3)
    for i in range(60):
        b = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        clean(run(bytes(b), "corrupt"), "corruption %d" % i)


def shape_of(r):
    import re
    m = re.search(r"^output: '[^']*' \[([0-9, ]*)\]", r.stdout, re.M)
    return [int(v) for v in m.group(1).split(",")] if m else None


def valid_graphs():
    """Ops and opset forms torch does not produce; ONNX's shape inference is the reference."""
    x2 = [h.make_tensor_value_info("x", TP.FLOAT, [1, 4, 6, 16])]
    cases = [
        ("globalmaxpool", model([h.make_node("GlobalMaxPool", ["x"], ["y"])]), None),
        ("reducemax_keepdims0", model([h.make_node("ReduceMax", ["x"], ["y"], axes=[-1],
                                                   keepdims=0)]), None),
        ("reducemean_2d", model([h.make_node("ReduceMean", ["x"], ["y"], axes=[3, 2])],
                                inputs=x2), None),
        ("clip_attrs", model([h.make_node("Clip", ["x"], ["y"], min=-1.0, max=1.0)], opset=6),
         None),
        ("pad_attrs", model([h.make_node("Pad", ["x"], ["y"], pads=[0, 0, 2, 0, 0, 3],
                                         value=1.5)], opset=2), None),
        ("squeeze_all", model([h.make_node("GlobalAveragePool", ["x"], ["g"]),
                               h.make_node("Squeeze", ["g"], ["y"])], opset=11), [4]),
        ("unsqueeze_attr", model([h.make_node("Unsqueeze", ["x"], ["y"], axes=[0, -1])],
                                 opset=11), None),
        ("unsqueeze_input", model([h.make_node("Unsqueeze", ["x", "ax"], ["y"])],
                                  [i64("ax", [2])], opset=13), None),
        ("flatten_gemm_transb", model([h.make_node("Flatten", ["x"], ["f"], axis=1),
                                       h.make_node("Gemm", ["f", "G"], ["y"], transB=1,
                                                   alpha=0.5)], [f32("G", [3, 64])]), None),
        ("matmul_const", model([h.make_node("MatMul", ["M", "x"], ["y"])], [f32("M", [5, 4])]),
         None),
        ("matmul_time", model([h.make_node("MatMul", ["x", "M"], ["y"])], [f32("M", [16, 3])]),
         None),
        ("broadcast_const", model([h.make_node("Mul", ["x", "s"], ["y"])],
                                  [f32("s", [4, 1])]), None),
        ("constant_node", model([h.make_node("Constant", [], ["k"], value_floats=[1, 2, 3, 4]),
                                 h.make_node("Unsqueeze", ["k", "ax"], ["k2"]),
                                 h.make_node("Sub", ["x", "k2"], ["y"])],
                                [i64("ax", [1])]), [1, 4, 16]),
        ("identity_dropout", model([h.make_node("Identity", ["x"], ["i"]),
                                    h.make_node("Relu", ["i"], ["r"]),
                                    h.make_node("Dropout", ["r"], ["y"])]), None),
        ("reshape_rules", model([h.make_node("Reshape", ["x", "s"], ["y"])],
                                [i64("s", [0, 2, -1, 16])]), None),
        ("softmax13", model([h.make_node("Softmax", ["x"], ["y"], axis=1)], opset=13), None),
        ("conv2d_same_lower", model([h.make_node("Conv", ["x", "K"], ["y"], auto_pad="SAME_LOWER",
                                                 strides=[2, 1])], [f32("K", [3, 4, 2, 4])],
                                    inputs=x2), None),
        ("convtranspose_2d", model([h.make_node("ConvTranspose", ["x", "K", "B"], ["y"],
                                                strides=[1, 3], pads=[1, 0, 1, 2], group=2,
                                                output_padding=[0, 1])],
                                   [f32("K", [4, 3, 3, 4]), f32("B", [6])], inputs=x2), None),
        ("avgpool_2d_ceil", model([h.make_node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3],
                                               strides=[2, 2], ceil_mode=1, pads=[1, 0, 1, 0])],
                                  inputs=x2), None),
        ("concat_neg_axis", model([h.make_node("Concat", ["x", "x"], ["y"], axis=-2)]), None),
        ("batchnorm_unfolded", model([h.make_node("BatchNormalization",
                                                  ["x", "s", "b", "m", "v"], ["y"])],
                                     [f32("s", [4]), f32("b", [4], 1), f32("m", [4], 2),
                                      numpy_helper.from_array(np.ones(4, np.float32), "v")]),
         None),
    ]
    for name, m, by_hand in cases:  # by hand where ONNX's inference gives no shape
        want = by_hand or [d.dim_value for d in onnx.shape_inference.infer_shapes(m).graph
                           .output[0].type.tensor_type.shape.dim]
        r = run(m.SerializeToString(), name)
        if clean(r, name) and c.check(r.returncode == 0, "%s: refused: %s" % (name, r.stderr)):
            c.check(shape_of(r) == want, "%s: shape %s, ONNX %s" % (name, shape_of(r), want))


def plan_arguments():
    path = D + "/plan_args.onnx"
    onnx.save(model([h.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[3])],
                    [f32("w", [2, 4, 3])]), path)
    for args, want in (([], "window 16  hop 4  mode exact"),
                       (["--window", "40"], "window 40  hop 10"),
                       (["--window", "3"], "window 3  hop 1"),
                       (["--hop", "5"], "window 16  hop 5")):
        r = subprocess.run([VM, "plan", path] + args, capture_output=True, text=True)
        c.check(r.returncode == 0 and want in r.stdout, "plan %s: want '%s': %d %s%s" % (
            args, want, r.returncode, r.stdout[:200], r.stderr))
    for args in (["--window", "abc"], ["--hop", "3x"], ["--hop", ""], ["--window", "16.5"],
                 ["--window", "99999999999999999999"]):
        r = subprocess.run([VM, "plan", path] + args, capture_output=True, text=True)
        c.check(r.returncode == 2 and "'%s' is not a whole number" % args[1] in r.stderr and
                not r.stdout, "plan %s: %d %s%s" % (args, r.returncode, r.stdout[:200], r.stderr))


unsupported_ops()
malformed_graphs()
truncated_and_corrupted()
valid_graphs()
plan_arguments()
c.done()
