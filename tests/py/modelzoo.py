"""A zoo of small PyTorch models covering the ops Vigil runs, for tests and the streaming engine.

`zoo()` returns a list of `(name, module, input_shape)`: modules in eval mode with deterministic
weights (BatchNorm layers get non-trivial running statistics), input shapes [1, C, T] (1-D) or
[1, C, F, T] (2-D), time last. `export(module, input_shape, path)` writes the ONNX file the way
Vigil expects (opset 13, fixed shapes, constant folding). Needs Debian's /usr/bin/python3 with
python3-torch and python3-onnx.

Covered: Conv 1-D/2-D (valid and same padding, strides, dilations, groups, depthwise, channel
multipliers, wide convs), ConvTranspose 1-D/2-D (strides, pads, output_padding, dilation, groups),
BatchNorm folded and unfolded (after an activation, and on dense features), residual adds,
concatenations, Pad, MaxPool/AvgPool (pads, ceil_mode, count_include_pad; AvgPool1d exports as
Pad + AveragePool; ceil_mode windows longer than their input), global pools, GELU
(Div/Erf/Add/Mul), LeakyRelu, Sigmoid, Tanh, Clip, Elu, Softmax over channels and over dense
features, Dropout, Flatten/Reshape, dense heads (Gemm, MatMul + Add), element-wise ops with
constants and gating products.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

OPSET = 13


def _stats(module, seed):
    """Non-trivial BatchNorm statistics and affine parameters, eval mode, deterministic."""
    g = torch.Generator().manual_seed(seed)
    for m in module.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g) * 0.5)
            m.running_var.copy_(torch.rand(n, generator=g) * 1.5 + 0.25)
            m.weight.data.copy_(torch.randn(n, generator=g) * 0.5 + 1.0)
            m.bias.data.copy_(torch.randn(n, generator=g) * 0.3)
    return module.eval()


class Seq(nn.Sequential):
    pass


class Residual(nn.Module):
    def __init__(self, c, k=3, dilation=1):
        super().__init__()
        p = dilation * (k - 1) // 2
        self.a = nn.Conv1d(c, c, k, padding=p, dilation=dilation)
        self.bn = nn.BatchNorm1d(c)
        self.b = nn.Conv1d(c, c, k, padding=p, dilation=dilation)

    def forward(self, x):
        return F.relu(x + self.b(F.relu(self.bn(self.a(x)))))


class Inception(nn.Module):
    """Branches of different kernels concatenated over channels."""

    def __init__(self, c, o, two_d=False):
        super().__init__()
        conv = nn.Conv2d if two_d else nn.Conv1d
        self.b1 = conv(c, o, 1)
        self.b3 = conv(c, o, 3, padding=1)
        self.b5 = conv(c, o, 5, padding=2)
        self.mix = conv(3 * o, o, 1)

    def forward(self, x):
        y = torch.cat([self.b1(x), F.gelu(self.b3(x)), torch.tanh(self.b5(x))], dim=1)
        return self.mix(y)


class Gated(nn.Module):
    """WaveNet-style gate: tanh(conv) * sigmoid(conv), plus constants broadcast over time."""

    def __init__(self, c, o):
        super().__init__()
        self.f = nn.Conv1d(c, o, 3, padding=2, dilation=2)
        self.g = nn.Conv1d(c, o, 3, padding=2, dilation=2)
        self.scale = nn.Parameter(torch.randn(o, 1))
        self.shift = nn.Parameter(torch.randn(1, o, 1))

    def forward(self, x):
        y = torch.tanh(self.f(x)) * torch.sigmoid(self.g(x))
        return (y * self.scale - self.shift) / 1.5 + 0.25


class _ConstPadFn(torch.autograd.Function):
    """F.pad exported as one ONNX Pad with constant pads, to test Pad on its own. (PyTorch 1.13
    writes F.pad's pads as a ConstantOfShape/Concat/Slice/... subgraph that its constant folding
    leaves in place and Vigil's loader folds: TorchPad covers that form.)"""

    @staticmethod
    def forward(ctx, x, pads, value):
        return F.pad(x, pads, value=value)

    @staticmethod
    def symbolic(g, x, pads, value):
        rank = 4 if len(pads) > 2 else 3
        begin, end = [0] * rank, [0] * rank
        for i in range(len(pads) // 2):  # torch lists the last axis first
            begin[rank - 1 - i], end[rank - 1 - i] = pads[2 * i], pads[2 * i + 1]
        return g.op("Pad", x, g.op("Constant", value_t=torch.tensor(begin + end)),
                    g.op("Constant", value_t=torch.tensor(float(value))), mode_s="constant")


class TorchPad(nn.Module):
    """F.pad as PyTorch exports it (pads computed by a constant subgraph the loader folds)."""

    def __init__(self, pads, value):
        super().__init__()
        self.pads, self.value = tuple(pads), value

    def forward(self, x):
        return F.pad(x, self.pads, value=self.value)


class ConstPad(nn.Module):
    def __init__(self, pads, value):
        super().__init__()
        self.pads, self.value = tuple(pads), value

    def forward(self, x):
        return _ConstPadFn.apply(x, self.pads, self.value)


class Head(nn.Module):
    """Global pooling then dense layers."""

    def __init__(self, c, hidden, out, pool="avg", two_d=False, softmax=False, bn=False):
        super().__init__()
        if two_d:
            self.pool = nn.AdaptiveAvgPool2d(1) if pool == "avg" else nn.AdaptiveMaxPool2d(1)
        else:
            self.pool = nn.AdaptiveAvgPool1d(1) if pool == "avg" else nn.AdaptiveMaxPool1d(1)
        self.fc1 = nn.Linear(c, hidden)
        self.bn = nn.BatchNorm1d(hidden) if bn else nn.Identity()
        self.drop = nn.Dropout(0.3)
        self.fc2 = nn.Linear(hidden, out)
        self.softmax = softmax

    def forward(self, x):
        y = torch.flatten(self.pool(x), 1)
        y = self.drop(F.relu(self.bn(self.fc1(y))))
        y = self.fc2(y)
        return F.softmax(y, dim=1) if self.softmax else y


class MatMulHead(nn.Module):
    def __init__(self, c, out):
        super().__init__()
        self.w = nn.Parameter(torch.randn(c, out) * 0.2)
        self.b = nn.Parameter(torch.randn(out))

    def forward(self, x):
        y = torch.flatten(F.adaptive_avg_pool1d(x, 1), 1)
        return torch.matmul(y, self.w) + self.b


class FlattenDense(nn.Module):
    def __init__(self, features, out):
        super().__init__()
        self.fc = nn.Linear(features, out)

    def forward(self, x):
        return torch.sigmoid(self.fc(torch.flatten(x, 1)))


class FreqToChannels(nn.Module):
    """[1, C, F, T] -> [1, C*F, T]: a column-local reshape, then 1-D convs."""

    def __init__(self, c, f, o):
        super().__init__()
        self.conv = nn.Conv1d(c * f, o, 3, padding=1)

    def forward(self, x):
        return self.conv(x.reshape(x.shape[0], -1, x.shape[-1]))


class ConstFirst(nn.Module):
    """Constants on the left of Sub and Div: 1 - y, num / (1.5 + sigmoid(y)) with num [C, 1].
    (A scalar numerator would export as Reciprocal and Mul.)"""

    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv1d(c, c, 3, padding=1)
        self.num = nn.Parameter(torch.rand(c, 1) + 1.0)

    def forward(self, x):
        y = self.conv(x)
        return (1.0 - y) * (self.num / (1.5 + torch.sigmoid(y))) - 0.5


class FreqMix(nn.Module):
    """2-D: branches concatenated along F, a softmax over F, a per-(c, f) scale."""

    def __init__(self, c, f):
        super().__init__()
        self.a = nn.Conv2d(c, 4, 3, padding=1)
        self.b = nn.Conv2d(c, 4, (1, 3), padding=(0, 1))
        self.scale = nn.Parameter(torch.randn(4, 2 * f, 1))

    def forward(self, x):
        y = torch.cat([self.a(x), torch.relu(self.b(x))], dim=2)
        return torch.softmax(y, dim=2) * self.scale


class Unsqueezed(nn.Module):
    """[1, C, T] -> [1, C, 1, T] -> Conv2d along time -> [1, C', T'] (Unsqueeze and Squeeze)."""

    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, 4, (1, 3), padding=(0, 2), dilation=(1, 2))
        self.out = nn.Conv1d(4, 2, 1)

    def forward(self, x):
        return self.out(torch.squeeze(self.conv(torch.unsqueeze(x, 2)), 2))


class ReduceHead(nn.Module):
    """x.mean(-1) and x.amax(-1) (ReduceMean / ReduceMax over time) into a dense layer."""

    def __init__(self, c, out):
        super().__init__()
        self.fc = nn.Linear(2 * c, out)

    def forward(self, x):
        return self.fc(torch.cat([x.mean(-1), x.amax(-1)], dim=1))


class SqueezeExcite(nn.Module):
    """x * sigmoid(dense(mean over time)): a binary op between a time value and a plain one."""

    def __init__(self, c):
        super().__init__()
        self.fc1 = nn.Linear(c, c // 2)
        self.fc2 = nn.Linear(c // 2, c)

    def forward(self, x):
        w = torch.sigmoid(self.fc2(torch.relu(self.fc1(x.mean(-1)))))
        return x * w.unsqueeze(-1)


class PoolPairs(nn.Module):
    """Global average pools right after k3 convs (the executor runs such a conv and its pool in one
    call, vg_ops_forward_pooled): after a Relu with other readers (not paired), after a conv alone,
    after a conv and its Relu, with channel counts that fill partial blocks of 32."""

    def __init__(self, c):
        super().__init__()
        self.c1 = nn.Conv1d(c, 24, 3, padding=1)
        self.c2 = nn.Conv1d(24, 40, 3, padding=1)
        self.c3 = nn.Conv1d(40, 48, 3, padding=1)
        self.c4 = nn.Conv1d(40, 36, 3, padding=1)
        self.fc = nn.Linear(40 + 48 + 36, 3)

    def forward(self, x):
        b = F.relu(self.c2(F.relu(self.c1(x))))
        pools = [F.adaptive_avg_pool1d(y, 1) for y in (b, self.c3(b), F.relu(self.c4(b)))]
        return self.fc(torch.flatten(torch.cat(pools, dim=1), 1))


class WideConcat(nn.Module):
    """Concats of more inputs than 16, along channels in the trunk (20 conv branches) and in the
    head (18 pooled branches): nodes with many inputs, which the streaming engine once sized its
    per-node tables for 16 of."""

    def __init__(self, c, n=20):
        super().__init__()
        self.branches = nn.ModuleList([nn.Conv1d(c, 1, 3, padding=1) for _ in range(n)])
        self.mix = nn.Conv1d(n, 4, 1)
        self.fc = nn.Linear(18, 3)

    def forward(self, x):
        b = [conv(x) for conv in self.branches]
        y = F.adaptive_avg_pool1d(F.relu(self.mix(torch.cat(b, dim=1))), 1).flatten(1)
        z = torch.cat([F.adaptive_avg_pool1d(v, 1) for v in b[:18]], dim=1).flatten(1)
        return torch.cat([self.fc(z), y], dim=1)


class TimeScale(nn.Module):
    """A constant that varies along time (a fixed window weighting): not time-local."""

    def __init__(self, c, t):
        super().__init__()
        self.w = nn.Parameter(torch.rand(c, t) + 0.5)

    def forward(self, x):
        return x * self.w


def zoo():
    """The models, deterministic: (name, module in eval mode, input shape)."""
    torch.manual_seed(1234)
    m = []

    def add(name, module, shape):
        m.append((name, _stats(module, len(m) + 1), shape))

    # ---- 1-D trunks ----
    add("conv_valid_relu", Seq(nn.Conv1d(3, 8, 5), nn.ReLU(), nn.Conv1d(8, 4, 3)), (1, 3, 64))
    add("conv_same_bn", Seq(nn.Conv1d(4, 8, 3, padding=1), nn.BatchNorm1d(8), nn.ReLU(),
                            nn.Conv1d(8, 4, 3, padding=1)), (1, 4, 50))
    add("conv_stride_dilation", Seq(nn.Conv1d(2, 16, 5, stride=2, dilation=2, padding=3), nn.Tanh(),
                                    nn.Conv1d(16, 8, 3, stride=3), nn.ELU(0.7)), (1, 2, 97))
    add("conv_groups_depthwise", Seq(nn.Conv1d(8, 16, 3, groups=4, padding=1), nn.LeakyReLU(0.1),
                                     nn.Conv1d(16, 16, 5, groups=16, padding=2),
                                     nn.Conv1d(16, 4, 1)), (1, 8, 40))
    add("depthwise_multiplier", Seq(nn.Conv1d(4, 12, 3, groups=4, stride=2),
                                    nn.Conv1d(12, 6, 2, dilation=3)), (1, 4, 45))
    add("wide_taps", Seq(nn.Conv1d(40, 48, 3, padding=1), nn.ReLU(),
                         nn.Conv1d(48, 64, 4, stride=2, dilation=3, padding=2), nn.ELU(),
                         nn.Conv1d(64, 40, 7, padding=6, dilation=2, groups=2)), (1, 40, 80))
    add("residual", Seq(nn.Conv1d(3, 8, 1), Residual(8), Residual(8, 3, 2)), (1, 3, 60))
    add("inception_concat", Seq(nn.Conv1d(2, 6, 3), Inception(6, 5)), (1, 2, 48))
    add("bn_unfolded", Seq(nn.Conv1d(3, 6, 3), nn.ReLU(), nn.BatchNorm1d(6), nn.Sigmoid(),
                           nn.Conv1d(6, 3, 1)), (1, 3, 33))
    add("conv_transpose", Seq(nn.Conv1d(3, 8, 3, padding=1),
                              nn.ConvTranspose1d(8, 4, 4, stride=2, padding=1), nn.ReLU(),
                              nn.ConvTranspose1d(4, 6, 3, stride=3, output_padding=1, dilation=2),
                              nn.ConvTranspose1d(6, 6, 3, stride=2, groups=3)), (1, 3, 20))
    add("maxpools", Seq(nn.Conv1d(2, 8, 3), nn.MaxPool1d(3, stride=2, padding=1),
                        nn.MaxPool1d(2, ceil_mode=True), nn.Conv1d(8, 4, 1),
                        nn.MaxPool1d(3, stride=2, dilation=2)), (1, 2, 71))
    add("avgpools", Seq(nn.Conv1d(2, 6, 3), nn.AvgPool1d(3, stride=2, padding=1),
                        nn.AvgPool1d(4, ceil_mode=True),
                        nn.AvgPool1d(3, stride=2, padding=1, count_include_pad=False,
                                     ceil_mode=True)), (1, 2, 83))
    add("gelu", Seq(nn.Conv1d(3, 8, 3, padding=1), nn.GELU(), nn.Conv1d(8, 3, 3)), (1, 3, 40))
    add("clip_softmax", Seq(nn.Conv1d(3, 6, 3, padding=1), nn.Hardtanh(-0.5, 0.8),
                            nn.Conv1d(6, 5, 1), nn.ReLU6(), nn.Softmax(dim=1)), (1, 3, 36))
    add("pad_constant", Seq(ConstPad((2, 3), 0.5), nn.Conv1d(3, 4, 3), nn.Dropout(0.2)), (1, 3, 30))
    add("gated_constants", Seq(Gated(3, 8), nn.Conv1d(8, 2, 1)), (1, 3, 50))
    # ---- 1-D with heads ----
    add("head_avg_dense", Seq(nn.Conv1d(4, 16, 5, stride=2), nn.BatchNorm1d(16), nn.ReLU(),
                              nn.Conv1d(16, 32, 3, padding=1), nn.ReLU(),
                              Head(32, 24, 3)), (1, 4, 128))
    add("head_max_softmax", Seq(nn.Conv1d(2, 12, 3, dilation=2), nn.Tanh(),
                                Head(12, 10, 4, pool="max", softmax=True)), (1, 2, 64))
    add("head_dense_bn", Seq(nn.Conv1d(3, 16, 3), nn.ReLU(), Head(16, 12, 2, bn=True)),
        (1, 3, 40))
    add("conv_pool_pairs", PoolPairs(6), (1, 6, 90))
    add("wide_concat", WideConcat(3), (1, 3, 30))
    add("head_matmul", Seq(nn.Conv1d(3, 10, 3, padding=1), nn.ReLU(), MatMulHead(10, 5)),
        (1, 3, 32))
    add("flatten_dense", Seq(nn.Conv1d(2, 4, 5, stride=3), nn.ReLU(), FlattenDense(4 * 10, 6)),
        (1, 2, 32))
    add("eeg_small", Seq(nn.Conv1d(6, 32, 3, padding=1), nn.BatchNorm1d(32), nn.ReLU(),
                         nn.MaxPool1d(4), nn.Conv1d(32, 32, 3, padding=1), nn.BatchNorm1d(32),
                         nn.ReLU(), nn.MaxPool1d(4), nn.Conv1d(32, 32, 8), nn.ReLU(),
                         nn.Conv1d(32, 2, 1)), (1, 6, 256))
    add("ppg_small", Seq(nn.Conv1d(1, 16, 5, dilation=2, padding=4), nn.ReLU(),
                         nn.Conv1d(16, 16, 5, dilation=2, padding=4), nn.ReLU(), nn.AvgPool1d(4),
                         nn.Conv1d(16, 24, 5, dilation=2, padding=4), nn.ReLU(), nn.AvgPool1d(2),
                         Head(24, 16, 1)), (1, 1, 128))
    # ---- 2-D ----
    add("conv2d_same_bn", Seq(nn.Conv2d(2, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                              nn.Conv2d(8, 4, (3, 5), stride=(2, 1), padding=(1, 2))),
        (1, 2, 16, 24))
    add("conv2d_dilation_groups", Seq(nn.Conv2d(3, 6, 3, dilation=2), nn.ELU(),
                                      nn.Conv2d(6, 6, 3, groups=3),
                                      nn.Conv2d(6, 6, 3, groups=6, padding=1), nn.LeakyReLU(0.2)),
        (1, 3, 14, 20))
    add("conv2d_pools", Seq(nn.Conv2d(1, 8, (5, 3), stride=2, padding=(2, 1)), nn.ReLU(),
                            nn.MaxPool2d(2), nn.AvgPool2d((2, 3), stride=(2, 1), padding=(1, 1)),
                            nn.MaxPool2d(3, stride=2, ceil_mode=True)), (1, 1, 32, 40))
    add("conv2d_transpose", Seq(nn.Conv2d(2, 4, 3, padding=1),
                                nn.ConvTranspose2d(4, 3, (3, 4), stride=2, padding=1), nn.Tanh(),
                                nn.ConvTranspose2d(3, 4, 3, stride=(1, 2), output_padding=(0, 1),
                                                   groups=1)), (1, 2, 6, 10))
    add("conv2d_head", Seq(nn.Conv2d(1, 8, 3, stride=(2, 1)), nn.BatchNorm2d(8), nn.ReLU(),
                           Inception(8, 6, two_d=True), Head(6, 8, 3, two_d=True)),
        (1, 1, 12, 30))
    add("conv2d_pad_maxhead", Seq(ConstPad((1, 2, 0, 1), -0.25), nn.Conv2d(2, 5, 3), nn.Sigmoid(),
                                  Head(5, 6, 2, pool="max", two_d=True, softmax=True)),
        (1, 2, 8, 18))
    add("conv2d_to_1d", Seq(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), FreqToChannels(4, 8, 6),
                            nn.ReLU(), nn.Conv1d(6, 3, 3)), (1, 1, 8, 26))
    add("conv2d_flatten_dense", Seq(nn.Conv2d(2, 3, 3, stride=2), nn.ReLU(),
                                    FlattenDense(3 * 3 * 5, 4)), (1, 2, 8, 12))
    # 1-D depthwise-separable: 64 channels in registers and a tail of 16, dilated; a multiplier
    add("depthwise_separable_1d", Seq(nn.Conv1d(3, 80, 3, padding=1), nn.ReLU(),
                                      nn.Conv1d(80, 80, 9, padding=8, dilation=2, groups=80),
                                      nn.BatchNorm1d(80), nn.ReLU(), nn.Conv1d(80, 80, 1), nn.ReLU(),
                                      nn.Conv1d(80, 160, 5, stride=2, groups=80)), (1, 3, 64))
    # frequency windows that tile the axis (kernel = stride): one flat pass over the column
    add("pool2d_tiled_freq", Seq(nn.Conv2d(2, 6, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
                                 nn.MaxPool2d(3), nn.AvgPool2d((4, 2))), (1, 2, 48, 36))
    add("pool2d_tiled_freq_max4", Seq(nn.Conv2d(2, 6, 3, padding=1), nn.Tanh(),
                                      nn.MaxPool2d((4, 1)), nn.AvgPool2d(3, stride=(3, 1))),
        (1, 2, 24, 20))
    # ---- more combinations ----
    add("const_first_sub_div", Seq(nn.Conv1d(2, 5, 3), ConstFirst(5)), (1, 2, 30))
    add("conv2d_freq_concat_softmax", Seq(FreqMix(2, 6), nn.Conv2d(4, 2, 3)), (1, 2, 6, 20))
    add("pool2d_dilation_ceil", Seq(nn.Conv2d(2, 3, 3, padding=1),
                                    nn.MaxPool2d(3, stride=2, padding=1, dilation=(1, 2)),
                                    nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False,
                                                 ceil_mode=True)), (1, 2, 13, 29))
    add("conv_transpose_pad_dilation_groups",
        Seq(nn.ConvTranspose1d(6, 4, 5, stride=3, padding=2, dilation=2, groups=2,
                               output_padding=1), nn.ELU(), nn.Conv1d(4, 3, 3, stride=2)),
        (1, 6, 17))
    add("strided_stack_head", Seq(nn.Conv1d(5, 32, 7, stride=2, padding=3), nn.BatchNorm1d(32),
                                  nn.ReLU(), nn.Conv1d(32, 64, 5, stride=2, padding=2),
                                  nn.BatchNorm1d(64), nn.ReLU(), nn.MaxPool1d(2),
                                  nn.Conv1d(64, 64, 3, padding=2, dilation=2), nn.ReLU(),
                                  Head(64, 32, 5, softmax=True)), (1, 5, 200))
    # ---- heads that act along time ----
    add("softmax_over_time", Seq(nn.Conv1d(3, 4, 3, padding=1), nn.Softmax(dim=2)), (1, 3, 24))
    add("linear_over_time", Seq(nn.Conv1d(2, 4, 5), nn.ReLU(), nn.Linear(28, 6), nn.Tanh(),
                                nn.Flatten(), nn.Linear(24, 3)), (1, 2, 32))
    add("unsqueeze_conv2d_squeeze", Seq(nn.Conv1d(3, 6, 3), Unsqueezed(6)), (1, 3, 40))
    add("conv2d_bn_unfolded", Seq(nn.Conv2d(2, 4, 3, padding=(0, 1)), nn.ReLU(), nn.BatchNorm2d(4),
                                  nn.Conv2d(4, 2, 1)), (1, 2, 7, 16))
    add("head_reduce_mean_max", Seq(nn.Conv1d(3, 8, 3), nn.ReLU(), ReduceHead(8, 3)), (1, 3, 30))
    add("squeeze_excitation", Seq(nn.Conv1d(3, 8, 3, padding=1), nn.ReLU(), SqueezeExcite(8),
                                  nn.Conv1d(8, 2, 3)), (1, 3, 40))
    add("time_varying_constant", Seq(nn.Conv1d(2, 4, 3), TimeScale(4, 30), nn.Conv1d(4, 2, 1)),
        (1, 2, 32))
    add("fpad_as_exported", Seq(TorchPad((1, 4), -0.3), nn.Conv1d(3, 4, 3, stride=2)), (1, 3, 27))
    add("zeropad2d_as_exported", Seq(nn.ZeroPad2d((2, 1, 1, 0)), nn.Conv2d(2, 3, 3), nn.ReLU()),
        (1, 2, 6, 15))
    # ---- ceil_mode pools whose window is longer than their input: one column, as in PyTorch ----
    add("ceil_pool_short", Seq(nn.Conv1d(2, 4, 6, stride=2, padding=2), nn.ReLU(),
                               nn.MaxPool1d(4, stride=2, dilation=2, ceil_mode=True),
                               nn.AvgPool1d(2, ceil_mode=True), nn.Conv1d(4, 3, 1)), (1, 2, 12))
    add("ceil_pool2d_short_freq", Seq(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(),
                                      nn.MaxPool2d((4, 3), stride=(3, 2), ceil_mode=True),
                                      nn.AvgPool2d((2, 1), ceil_mode=True)), (1, 2, 2, 9))
    return m


def export(module, input_shape, path, opset=OPSET):
    """Exports to ONNX with fixed shapes; returns the example input used."""
    x = torch.randn(*input_shape)
    with torch.no_grad():
        torch.onnx.export(module, x, path, opset_version=opset, input_names=["x"],
                          output_names=["y"], do_constant_folding=True)
    return x


def reference(module, x):
    with torch.no_grad():
        return module(x)
