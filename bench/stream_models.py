"""The three model shapes of StreamiNNC's applications (issue 3's benchmark), in PyTorch, and a
temporal conv network (EXTRA) of the kind streaming sensor models often are."""
import torch
import torch.nn as nn


class Gap(nn.Module):
    """Global average pool over time (exports as GlobalAveragePool + Flatten)."""

    def forward(self, x):
        return torch.flatten(nn.functional.adaptive_avg_pool1d(x, 1), 1)


def bn(c):
    b = nn.BatchNorm1d(c)
    b.running_mean.uniform_(-0.2, 0.2)
    b.running_var.uniform_(0.5, 1.5)
    return b


def eeg():
    """18 channels, window 1024: 3 x [Conv1d 128 k3 pad 1, BN, ReLU, MaxPool 4], Conv1d 128 k16,
    ReLU, Conv1d 2 k1."""
    layers, c = [], 18
    for _ in range(3):
        layers += [nn.Conv1d(c, 128, 3, padding=1), bn(128), nn.ReLU(), nn.MaxPool1d(4)]
        c = 128
    layers += [nn.Conv1d(128, 128, 16), nn.ReLU(), nn.Conv1d(128, 2, 1)]
    return nn.Sequential(*layers), (1, 18, 1024), 256


def accel():
    """4 channels, window 960: 6 x [Conv1d k3 pad 1 (8..256 filters), BN, ReLU], global average
    pool, dense 256-128-64-32-2 with ReLU between."""
    layers, c = [], 4
    for f in (8, 16, 32, 64, 128, 256):
        layers += [nn.Conv1d(c, f, 3, padding=1), bn(f), nn.ReLU()]
        c = f
    layers += [Gap(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
               nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 2)]
    return nn.Sequential(*layers), (1, 4, 960), 160


def ppg():
    """1 channel, window 256: 3 blocks of 3 x [Conv1d k5 dilation 2 pad 4, ReLU] (32, 48, 64
    filters), the blocks ending in AvgPool 4, 2, 2; global average pool; dense 64-1."""
    layers, c = [], 1
    for f, pool in ((32, 4), (48, 2), (64, 2)):
        for _ in range(3):
            layers += [nn.Conv1d(c, f, 5, dilation=2, padding=4), nn.ReLU()]
            c = f
        layers += [nn.AvgPool1d(pool)]
    layers += [Gap(), nn.Linear(64, 1)]
    return nn.Sequential(*layers), (1, 1, 256), 64


class Chomp(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        return x[:, :, :-self.p].contiguous()


class TcnBlock(nn.Module):
    """locuslab/TCN's TemporalBlock: two causal dilated convs (both sides padded, the right side
    chomped: the loader folds the chomp into the conv's pads), a 1x1 conv on the residual when the
    widths differ."""

    def __init__(self, ci, co, k, d):
        super().__init__()
        p = (k - 1) * d
        self.net = nn.Sequential(nn.Conv1d(ci, co, k, padding=p, dilation=d), Chomp(p), nn.ReLU(),
                                 nn.Conv1d(co, co, k, padding=p, dilation=d), Chomp(p), nn.ReLU())
        self.down = nn.Conv1d(ci, co, 1) if ci != co else None

    def forward(self, x):
        return nn.functional.relu(self.net(x) + (x if self.down is None else self.down(x)))


def tcn():
    """3 channels, window 256: 4 TCN blocks of 64 channels, kernel 3, dilations 1, 2, 4, 8 (a
    receptive field of 61 columns); the output is a time value (every column of the window)."""
    blocks = [TcnBlock(3 if i == 0 else 64, 64, 3, 2 ** i) for i in range(4)]
    return nn.Sequential(*blocks), (1, 3, 256), 64


MODELS = {"eeg": eeg, "accel": accel, "ppg": ppg}
EXTRA = {"tcn": tcn}


def export(module, shape, path):
    module.eval()
    with torch.no_grad():
        torch.onnx.export(module, torch.randn(*shape), path, input_names=["x"],
                          output_names=["y"], opset_version=13)
