#!/usr/bin/python3
"""Common CNN architectures as people write them in PyTorch, exported and run against PyTorch:
ResNet-1D blocks with BatchNorm, attention pooling, mean/max and std heads, depthwise-separable
stacks, multi-scale branches, a U-Net with transposed convs and skips, WaveNet gates, GELU and
LayerNorm over channels, a ConvNeXt-style block, 2-D keyword-spotting CNNs, CRNN-style heads,
squeeze-and-excitation, TCN chomps with BatchNorm, strided stacks, dilated residuals,
upsampling skips, two-output heads, channel softmax and log-softmax, energy and L2 norms,
torch.where selects, maximum and minimum, and more. Each through `vigil-model run` at its window
(and at a longer one when the model does not depend on its length) and the streaming engine
(exact mode, hop 3, every window), max |error| <= 1e-4 * max |reference|. Two of them found bugs the op-by-op tests had missed: a squeeze-and-
excitation block of 1x1 convs on the pooled value (refused at run time) and a residual add of a
window-wide pool (wrong values). A third, a 2-D residual after a branch strided along time, gave
wrong values in windows so short that one input of the add had one column and the other two
(ONNX broadcasts it): such windows are now refused."""
import os
import subprocess

import torch
import torch.nn as nn
import torch.nn.functional as F

from modelcheck import Cat, run_matches, stream_matches
from vigiltest import Checks, tmpdir, tool

c = Checks("architectures")
D = tmpdir()
C1, C2 = nn.Conv1d, nn.Conv2d


class Lam(nn.Module):
    """f(self, x) with the given submodules registered."""

    def __init__(self, f, **mods):
        super().__init__()
        self.f = f
        for k, m in mods.items():
            setattr(self, k, m)

    def forward(self, x):
        return self.f(self, x)


def resblock(ch):
    return Lam(lambda s, x: F.relu(s.b2(s.c2(F.relu(s.b1(s.c1(x))))) + x),
               c1=C1(ch, ch, 3, padding=1), b1=nn.BatchNorm1d(ch),
               c2=C1(ch, ch, 3, padding=1), b2=nn.BatchNorm1d(ch))


def se(s, x):
    h = F.relu(s.a(x))
    return h * torch.sigmoid(s.f2(F.relu(s.f1(h.mean(-1, keepdim=True)))))


# name: (module, input shape, whether it runs at other lengths too)
ZOO = {
    "resnet": (nn.Sequential(C1(3, 16, 7, padding=3), nn.BatchNorm1d(16), nn.ReLU(),
                             nn.MaxPool1d(2), resblock(16), resblock(16), nn.AdaptiveAvgPool1d(1),
                             nn.Flatten(), nn.Linear(16, 4)), (1, 3, 64), True),
    "attention_pool": (Lam(lambda s, x: (torch.softmax(s.w(F.relu(s.c(x))), -1) *
                                         F.relu(s.c(x))).sum(-1), c=C1(3, 8, 3), w=C1(8, 1, 1)),
                       (1, 3, 40), True),
    "mean_max_head": (Lam(lambda s, x: s.fc(torch.cat([F.relu(s.c(x)).mean(-1),
                                                       F.relu(s.c(x)).amax(-1)], 1)),
                          c=C1(3, 8, 3), fc=nn.Linear(16, 2)), (1, 3, 40), True),
    "std_head": (Lam(lambda s, x: s.fc(torch.cat([s.c(x).mean(-1), s.c(x).std(-1)], 1)),
                     c=C1(3, 8, 3), fc=nn.Linear(16, 2)), (1, 3, 40), False),
    "depthwise_separable": (nn.Sequential(C1(4, 4, 5, groups=4, padding=2), C1(4, 16, 1),
                                          nn.BatchNorm1d(16), nn.ReLU6(),
                                          C1(16, 16, 5, groups=16, stride=2, padding=2),
                                          C1(16, 8, 1)), (1, 4, 48), True),
    "multiscale": (Lam(lambda s, x: torch.cat([s.a(x), s.b(x), s.d(x)], 1),
                       a=C1(2, 4, 3, padding=1), b=C1(2, 4, 5, padding=2),
                       d=C1(2, 4, 3, padding=2, dilation=2)), (1, 2, 40), True),
    "unet": (Lam(lambda s, x: s.o(torch.cat([F.relu(s.e(x)), s.up(F.relu(s.m(F.max_pool1d(
        F.relu(s.e(x)), 2))))], 1)), e=C1(2, 4, 3, padding=1), m=C1(4, 8, 3, padding=1),
        up=nn.ConvTranspose1d(8, 4, 2, stride=2), o=C1(8, 2, 1)), (1, 2, 40), True),
    "wavenet_gate": (Lam(lambda s, x: s.o(torch.tanh(s.fc(F.pad(x, (2, 0)))) *
                                          torch.sigmoid(s.g(F.pad(x, (2, 0))))) + x[:, :2],
                         fc=C1(2, 4, 2, dilation=2), g=C1(2, 4, 2, dilation=2), o=C1(4, 2, 1)),
                     (1, 2, 40), True),
    "gelu_layernorm": (Lam(lambda s, x: s.o(F.gelu(s.ln(s.c(x).transpose(1, 2)).transpose(1, 2))),
                           c=C1(2, 8, 3), ln=nn.LayerNorm(8), o=C1(8, 2, 1)), (1, 2, 40), True),
    "convnext_block": (Lam(lambda s, x: x + s.pw2(F.gelu(s.pw1(s.ln(s.dw(x).transpose(1, 2)))))
                           .transpose(1, 2), dw=C1(8, 8, 7, padding=3, groups=8),
                           ln=nn.LayerNorm(8), pw1=nn.Linear(8, 32), pw2=nn.Linear(32, 8)),
                       (1, 8, 40), True),
    "cnn2d": (nn.Sequential(C2(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                            C2(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                            nn.Flatten(), nn.Linear(16, 3)), (1, 1, 16, 32), True),
    "kws_cnn": (nn.Sequential(C2(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                              nn.MaxPool2d((2, 1)), C2(8, 8, 3, padding=1, groups=8), C2(8, 16, 1),
                              nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 5)),
                (1, 1, 16, 40), True),
    "crnn_head": (Lam(lambda s, x: s.fc(F.relu(s.c(x)).flatten(1, 2).transpose(1, 2))
                      .transpose(1, 2), c=C2(1, 4, 3, padding=1), fc=nn.Linear(4 * 8, 5)),
                  (1, 1, 8, 30), True),
    "freq_flatten_conv1d": (Lam(lambda s, x: s.c1(F.relu(s.c2(x)).flatten(1, 2)),
                                c2=C2(1, 4, 3, stride=(2, 1), padding=1), c1=C1(20, 3, 3)),
                            (1, 1, 10, 40), True),
    "squeeze_excite": (Lam(se, a=C1(3, 8, 3, padding=1), f1=C1(8, 4, 1), f2=C1(4, 8, 1)),
                       (1, 3, 40), True),
    "pool_residual": (Lam(lambda s, x: F.relu(s.a(x)) + s.p(F.relu(s.a(x))),
                          a=C1(3, 4, 3, padding=1), p=nn.AdaptiveMaxPool1d(1)), (1, 3, 40), False),
    "tcn_batchnorm": (Lam(lambda s, x: F.relu(s.b(s.c(x)[:, :, :-2])), c=C1(3, 8, 3, padding=2),
                          b=nn.BatchNorm1d(8)), (1, 3, 40), True),
    "strided_stack": (nn.Sequential(C1(3, 8, 5, stride=2, padding=2), nn.ReLU(),
                                    C1(8, 8, 5, stride=2, padding=2), nn.ReLU(),
                                    C1(8, 4, 3, stride=3)), (1, 3, 72), True),
    "pools": (nn.Sequential(C1(3, 8, 3), nn.MaxPool1d(3, stride=2), C1(8, 8, 3), nn.AvgPool1d(2),
                            nn.MaxPool1d(3, 2, ceil_mode=True, padding=1)), (1, 3, 41), True),
    "dilated_residual": (Lam(lambda s, x: x + s.b(F.relu(s.a(x))),
                             a=C1(4, 4, 3, dilation=4, padding=4), b=C1(4, 4, 1)),
                         (1, 4, 40), True),
    "upsample_skip": (Lam(lambda s, x: s.o(F.interpolate(F.relu(s.d(x)), scale_factor=2) + x),
                          d=C1(4, 4, 3, stride=2, padding=1), o=C1(4, 2, 1)), (1, 4, 40), True),
    "two_heads": (Lam(lambda s, x: (s.a(F.relu(s.c(x))), s.fc(F.relu(s.c(x)).mean(-1))),
                      c=C1(3, 6, 3), a=C1(6, 2, 1), fc=nn.Linear(6, 3)), (1, 3, 40), True),
    "transposed_autoencoder": (nn.Sequential(C1(3, 8, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
                                             C1(8, 16, 4, stride=2, padding=1), nn.Tanh(),
                                             nn.ConvTranspose1d(16, 8, 4, stride=2, padding=1),
                                             nn.ReLU(),
                                             nn.ConvTranspose1d(8, 3, 4, stride=2, padding=1)),
                               (1, 3, 48), True),
    "channel_softmaxes": (Lam(lambda s, x: torch.cat([F.softmax(s.c(x), dim=1),
                                                      F.log_softmax(s.c(x), dim=1)], 1),
                              c=C1(3, 4, 3)), (1, 3, 30), True),
    "energy_norms": (Lam(lambda s, x: torch.cat([torch.sum(s.c(x) ** 2, dim=1, keepdim=True),
                                                 s.c(x) / s.c(x).norm(dim=1, keepdim=True),
                                                 torch.clamp(s.c(x), 0.1, 2.0)], 1),
                         c=C1(3, 4, 3)), (1, 3, 30), True),
    "activations": (nn.Sequential(C1(3, 4, 3), nn.Hardswish(), C1(4, 4, 1), nn.Mish(),
                                  nn.GELU(approximate="tanh"), C1(4, 4, 1), nn.PReLU(4),
                                  nn.Hardtanh(), nn.Softsign(), nn.ELU(), nn.SiLU()),
                    (1, 3, 30), True),
    "reflect_replicate": (nn.Sequential(C1(3, 4, 3, padding=1, padding_mode="reflect"), nn.ReLU(),
                                        nn.ReflectionPad1d((3, 1)), C1(4, 4, 5),
                                        nn.ReplicationPad1d(2),
                                        C1(4, 2, 5, padding=2, padding_mode="replicate")),
                          (1, 3, 30), True),
    "reflect_2d": (nn.Sequential(C2(1, 4, 3, padding=1, padding_mode="reflect"), nn.ReLU(),
                                 C2(4, 2, 3, padding=1, padding_mode="replicate")),
                   (1, 1, 6, 20), True),
    "residual_time_stride_2d": (Lam(lambda s, x: F.relu(s.b(F.relu(s.a(x))) + s.sc(s.p(x))),
                                    a=C2(2, 4, 3, stride=(1, 2), padding=1),
                                    b=C2(4, 4, 3, padding=1), p=nn.AvgPool2d((1, 2)),
                                    sc=C2(2, 4, 1)), (1, 2, 8, 24), True),
    # torch.where of computed values and constants: Greater(OrEqual), LessOrEqual, Equal, Not
    # (h != 0), Where, the Cast of (h > 0.1).float(), and the double Where and Cast PyTorch
    # writes for where(c, 1.0, -1.0) + h; the exp in the branch not taken overflows to inf,
    # which must not leak
    "where_selects": (Lam(lambda s, x: (lambda h: torch.cat([
        torch.where(h > 0, h, 0.1 * h), torch.where(h > 0, h, torch.exp(h * 60) - 1),
        torch.where(h >= 0, 1.0, -1.0) + h, h * (h > 0.1).float(),
        torch.where(s.g(x) <= 0, h, s.b(x)), (F.relu(h) == 0).float(),
        torch.where(F.relu(h) != 0, h, -h)], 1))(s.a(x)),
        a=C1(3, 4, 3, padding=1), b=C1(3, 4, 3, padding=1), g=C1(3, 1, 3, padding=1)),
        (1, 3, 30), True),
    "maximum_minimum": (Lam(lambda s, x: torch.maximum(s.a(x), s.b(x)) +
                            torch.minimum(s.a(x), 2 * s.b(x)) -
                            torch.maximum(s.a(x), torch.tensor(0.3)) +
                            torch.minimum(s.a(x), s.t), a=C1(3, 4, 3), b=C1(3, 4, 3),
                            t=nn.Parameter(torch.randn(4, 1))), (1, 3, 30), True),
    "var_max_head": (Lam(lambda s, x: torch.cat([s.c(x).var(-1), torch.max(s.c(x), -1)[0]], 1),
                         c=C1(3, 4, 3)), (1, 3, 30), False),
}

torch.manual_seed(19)
for name, (model, shape, any_length) in ZOO.items():
    model.eval()
    path = os.path.join(D, name + ".onnx")
    with torch.no_grad():
        torch.onnx.export(model, torch.randn(*shape), path, opset_version=14)
    ref = Cat(model).eval() if name == "two_heads" else model
    for t in (shape[-1], shape[-1] + 12) if any_length else (shape[-1],):
        run_matches(c, ref, path, torch.randn(*shape[:-1], t) * 2, "%s, run at T %d" % (name, t))
    x = torch.randn(*shape[:-1], shape[-1] + 15) * 2
    stream_matches(c, ref, path, x, shape[-1], 3, "exact", "%s, streamed" % name)

# At T 3 the residual's strided branch keeps 2 columns and its pooled shortcut 1, which PyTorch
# broadcasts along time; the column-aligned add read past that column (wrong values), so such a
# window is refused, naming the add.
path = os.path.join(D, "residual_time_stride_2d.onnx")
torch.randn(2, 8, 3).numpy().tofile(path + ".short")
r = subprocess.run([tool("vigil-model"), "run", path, path + ".short", path + ".out"],
                   capture_output=True, text=True)
c.check(r.returncode == 1 and "does not broadcast a time input" in r.stderr,
        "short window: run exit %d: %s" % (r.returncode, r.stderr))
r = subprocess.run([tool("stream_check"), path, path + ".short", path + ".sout", "--window", "3",
                    "--hop", "1", "--mode", "exact"], capture_output=True, text=True)
c.check(r.returncode == 1 and "does not broadcast a time input" in r.stderr,
        "short window: stream_check exit %d: %s" % (r.returncode, r.stderr))
c.done()
