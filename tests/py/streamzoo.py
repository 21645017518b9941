"""Models for the streaming engine's tests: time-axis combinations (stride, pooling, dilation,
padding, transposed convolutions, residual adds, concatenations, Pad, heads) in 1-D and 2-D.

Each entry builds a torch module and says the input shape; `export` writes the ONNX file.
Run with Debian's /usr/bin/python3 (python3-torch, python3-onnx).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Seq(nn.Sequential):
    pass


class Residual(nn.Module):
    def __init__(self, c, k, d):
        super().__init__()
        self.a = nn.Conv1d(c, c, k, padding=(k - 1) * d // 2, dilation=d)
        self.b = nn.Conv1d(c, c, 1)

    def forward(self, x):
        return x + self.b(torch.relu(self.a(x)))


class Branches(nn.Module):
    """Two branches of different receptive fields, concatenated over channels."""

    def __init__(self, c, pad):
        super().__init__()
        self.a = nn.Conv1d(c, 3, 3, padding=1 if pad else 0)
        self.b = nn.Conv1d(c, 2, 5, padding=2 if pad else 0)
        self.pad = pad

    def forward(self, x):
        a = self.a(x)
        b = self.b(x)
        if not self.pad:
            a = a[:, :, 1:-1]  # align valid outputs: not time-local in ONNX (Slice), so avoided
        return torch.cat([a, b], 1)


class _PadFn(torch.autograd.Function):
    """F.pad exported as one ONNX Pad with constant pads (PyTorch 1.13 exports F.pad through
    ConstantOfShape/Slice/Transpose, which Vigil does not load)."""

    @staticmethod
    def forward(ctx, x, begin, end, value):
        return F.pad(x, (begin, end), value=value)

    @staticmethod
    def symbolic(g, x, begin, end, value):
        pads = g.op("Constant", value_t=torch.tensor([0, 0, begin, 0, 0, end]))
        return g.op("Pad", x, pads, g.op("Constant", value_t=torch.tensor(value)),
                    mode_s="constant")


class PadConv(nn.Module):
    """Pad (2 before, 1 after, value 0.5) then a valid conv: the padding is a Pad node."""

    def __init__(self, c):
        super().__init__()
        self.c = nn.Conv1d(c, 4, 4)

    def forward(self, x):
        return torch.tanh(self.c(_PadFn.apply(x, 2, 1, 0.5)))


class GapHead(nn.Module):
    def __init__(self, trunk, c, n):
        super().__init__()
        self.trunk = trunk
        self.fc = nn.Linear(c, n)

    def forward(self, x):
        y = self.trunk(x)
        y = F.adaptive_avg_pool1d(y, 1) if y.dim() == 3 else F.adaptive_avg_pool2d(y, 1)
        return self.fc(torch.flatten(y, 1))


class FlatHead(nn.Module):
    def __init__(self, trunk, n_in, n):
        super().__init__()
        self.trunk = trunk
        self.fc = nn.Linear(n_in, n)

    def forward(self, x):
        return torch.softmax(self.fc(torch.flatten(self.trunk(x), 1)), 1)


class SEGate(nn.Module):
    """Squeeze-and-excitation: a time value gated by a per-window value (refused by the engine)."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv1d(2, 4, 3, padding=1)
        self.o = nn.Conv1d(4, 2, 3)

    def forward(self, x):
        y = torch.relu(self.c(x))
        return self.o(y * torch.sigmoid(F.adaptive_avg_pool1d(y, 1)))


def skab_autoencoder(c=8):
    """The SKAB autoencoder shape: two stride-2 convs, two stride-2 transposed convs (W = 60)."""
    return Seq(nn.Conv1d(c, 16, 3, stride=2, padding=1), nn.ReLU(),
               nn.Conv1d(16, 8, 3, stride=2, padding=1), nn.ReLU(),
               nn.ConvTranspose1d(8, 16, 4, stride=2, padding=1), nn.ReLU(),
               nn.ConvTranspose1d(16, c, 4, stride=2, padding=1))


def models():
    """(name, module, input shape [1, C, (F,) T], padded) for every test model."""
    torch.manual_seed(1234)
    bn = nn.BatchNorm1d(6)
    bn.running_mean.uniform_(-0.5, 0.5)
    bn.running_var.uniform_(0.5, 2.0)
    return [
        ("valid_chain", Seq(nn.Conv1d(3, 6, 3), nn.ReLU(), nn.Conv1d(6, 4, 5, dilation=2),
                            nn.Sigmoid(), nn.Conv1d(4, 2, 1)), (1, 3, 40), False),
        ("same_chain", Seq(nn.Conv1d(3, 6, 3, padding=1), bn, nn.ReLU(),
                           nn.Conv1d(6, 5, 5, padding=4, dilation=2), nn.LeakyReLU(0.1),
                           nn.Conv1d(5, 2, 3, padding=1)), (1, 3, 32), True),
        ("strided_pool", Seq(nn.Conv1d(2, 6, 3, stride=2, padding=1), nn.ReLU(),
                             nn.MaxPool1d(2), nn.Conv1d(6, 4, 3, padding=1), nn.ELU(),
                             nn.AvgPool1d(3, stride=1, padding=1)), (1, 2, 48), True),
        ("valid_strided", Seq(nn.Conv1d(2, 5, 4, stride=2), nn.ReLU(), nn.MaxPool1d(3, 3),
                              nn.Conv1d(5, 3, 3)), (1, 2, 60), False),
        ("skab_ae", skab_autoencoder(4), (1, 4, 60), True),
        ("residual", Seq(nn.Conv1d(2, 4, 1), Residual(4, 3, 2), nn.ReLU(), Residual(4, 5, 1)),
         (1, 2, 36), True),
        ("branches", Seq(nn.Conv1d(2, 4, 3, padding=1), Branches(4, True)), (1, 2, 30), True),
        ("pad_conv", PadConv(3), (1, 3, 25), True),
        ("gap_head", GapHead(Seq(nn.Conv1d(3, 8, 5, padding=2), nn.ReLU(),
                                 nn.Conv1d(8, 8, 3, stride=2, padding=1), nn.ReLU()), 8, 3),
         (1, 3, 64), True),
        ("flat_head", FlatHead(Seq(nn.Conv1d(2, 4, 3), nn.ReLU(), nn.MaxPool1d(2)), 4 * 15, 5),
         (1, 2, 32), False),
        ("conv2d", Seq(nn.Conv2d(2, 4, (3, 3), padding=(1, 1)), nn.ReLU(),
                       nn.Conv2d(4, 3, (2, 3), stride=(1, 2), padding=(0, 1))), (1, 2, 5, 24),
         True),
        ("conv2d_valid", Seq(nn.Conv2d(1, 3, (3, 5)), nn.Tanh(), nn.MaxPool2d((1, 2)),
                             nn.Conv2d(3, 2, (1, 3), dilation=(1, 2))), (1, 1, 4, 40), False),
        ("convt_ceil", Seq(nn.Conv1d(2, 4, 3, stride=3), nn.ReLU(),
                           nn.ConvTranspose1d(4, 3, 3, stride=3), nn.ReLU(),
                           nn.MaxPool1d(2, ceil_mode=True)), (1, 2, 45), True),
        # found by an acceptance sweep: at W 2 the padded conv has no clean column, while the last
        # output column (output_padding, beyond every kernel footprint) reads none at all and was
        # planned as a stream over an input without one (exact mode crashed)
        ("convt_gap", Seq(nn.Conv1d(1, 1, 3, padding=1),
                          nn.ConvTranspose1d(1, 1, 2, stride=3, output_padding=1)), (1, 1, 2),
         True),
    ]


def export(module, shape, path):
    module.eval()
    x = torch.randn(*shape)
    with torch.no_grad():
        torch.onnx.export(module, x, path, input_names=["x"], output_names=["y"],
                          opset_version=13)


class MeanHead(nn.Module):
    """Padded and dilated convs, a mean over time and a dense layer; the flatten reads the batch
    size (x.view(x.size(0), -1)), which a dynamic_axes export computes with Shape and Gather."""
    def __init__(self, c=3):
        super().__init__()
        self.c1, self.c2 = nn.Conv1d(c, 16, 5, padding=2), nn.Conv1d(16, 8, 3, dilation=2)
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        h = torch.relu(self.c2(torch.relu(self.c1(x)))).mean(-1)
        return self.fc(h.view(h.size(0), -1))


class FoldFreq(nn.Module):
    """A 2-D conv over [1, C, F, T], its channels and frequencies folded into one axis by sizes
    read from the value (reshape(size(0), -1, size(-1))), then a 1-D conv: the export computes the
    target shape from the time axis, which binds the model to the length it is loaded at."""
    def __init__(self, c=2, f=8):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(c, 4, 3, padding=1), nn.Conv1d(4 * f, 5, 3)

    def forward(self, x):
        h = torch.relu(self.c1(x))
        return self.c2(h.reshape(h.size(0), -1, h.size(-1)))


def export_dynamic(module, shape, path):
    """As export, with batch and time dynamic (dynamic_axes), as variable-length models are."""
    module.eval()
    with torch.no_grad():
        torch.onnx.export(module, torch.randn(*shape), path, input_names=["x"],
                          output_names=["y"], opset_version=13,
                          dynamic_axes={"x": {0: "batch", len(shape) - 1: "time"},
                                        "y": {0: "batch"}})


class LengthScaled(nn.Module):
    """A conv, then the sum over time written as mean(-1) * size(-1): the length read from the
    shape enters the arithmetic, so a length-bound constant (Shape -> Gather -> Mul)."""
    def __init__(self, c=3):
        super().__init__()
        self.conv = nn.Conv1d(c, 4, 3)

    def forward(self, x):
        h = torch.relu(self.conv(x))
        return h.mean(-1) * h.size(-1)
