"""The convolutional autoencoders for SKAB, in PyTorch, and their training.

Two architectures (`arch`), both 60 rows in and out:

- "aligned" (the default): a Conv-AE that streams exactly at no extra cost. Conv1D 64 filters,
  kernel 2, stride 2, ReLU; Conv1D 32, k2, s2, ReLU; ConvTranspose1D 32, k2, s2, ReLU;
  ConvTranspose1D 64, k2, s2, ReLU; a last 1x1 Conv1D back to the features: 60 -> 30 -> 15 -> 30 ->
  60. No layer pads, and every kernel equals its stride, so the transposed convolutions do not
  overlap: an output column depends only on its own 4-row block of the input, whatever window it is
  computed in. streamcnn's mode=exact then recomputes no edge band (`vigil-model plan --window 60
  --hop 1`: 35 232 FLOPs per hop against 560 160 per window, ratio 15.9) and equals windowed
  inference. On SKAB's protocol it scores as well as the benchmark's architecture (docs/benchmarks.md
  "SKAB end to end").
- "skab": the architecture as the benchmark describes it. Conv1D 32 filters, kernel 7, stride 2,
  "same" padding, ReLU; Conv1D 16, k7, s2, same, ReLU; Conv1DTranspose 16, k7, s2, ReLU;
  Conv1DTranspose 32, k7, s2, ReLU; a last Conv1DTranspose back to the features, k7. "Same" padding
  is padding 3 for kernel 7, and output_padding 1 makes each stride-2 transposed convolution double
  the length exactly: 60 -> 30 -> 15 -> 30 -> 60 -> 60. Zero padding at every layer makes the
  columns near the window's edges differ from window to window, so exact streaming recomputes them
  (FLOP ratio 1.8).

Dropout 0.2 after the first layer of each half, as in the benchmark's notebook (identity at
inference, so absent from the exported graph).
"""
import torch
from torch import nn

ARCHS = ("aligned", "skab")


class ConvAE(nn.Module):
    def __init__(self, channels, arch="aligned"):
        super().__init__()
        if arch == "skab":
            layers = [
                nn.Conv1d(channels, 32, 7, stride=2, padding=3), nn.ReLU(), nn.Dropout(0.2),
                nn.Conv1d(32, 16, 7, stride=2, padding=3), nn.ReLU(),
                nn.ConvTranspose1d(16, 16, 7, stride=2, padding=3, output_padding=1), nn.ReLU(),
                nn.Dropout(0.2),
                nn.ConvTranspose1d(16, 32, 7, stride=2, padding=3, output_padding=1), nn.ReLU(),
                nn.ConvTranspose1d(32, channels, 7, padding=3)]
        elif arch == "aligned":
            layers = [
                nn.Conv1d(channels, 64, 2, stride=2), nn.ReLU(), nn.Dropout(0.2),
                nn.Conv1d(64, 32, 2, stride=2), nn.ReLU(),
                nn.ConvTranspose1d(32, 32, 2, stride=2), nn.ReLU(), nn.Dropout(0.2),
                nn.ConvTranspose1d(32, 64, 2, stride=2), nn.ReLU(),
                nn.Conv1d(64, channels, 1)]
        else:
            raise ValueError("unknown architecture %r (one of %s)" % (arch, ", ".join(ARCHS)))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


def train(windows, epochs=100, batch=32, lr=1e-3, seed=0, patience=5, arch="aligned"):
    """Adam on MSE with early stopping on a validation split, as the benchmark's notebook.

    The validation windows are the LAST 10 % (Keras' validation_split takes them unshuffled). A
    random split would put windows in validation that overlap training windows by up to 59 rows:
    validation loss would then track training loss, early stopping would never fire, and the model
    would learn the training rows' noise (its error on later normal rows doubles).
    windows: float32 [n, C, 60]; arch: one of ARCHS. Returns the model in eval mode."""
    torch.manual_seed(seed)
    x = torch.from_numpy(windows)
    n_val = max(1, len(x) // 10)
    fit, val = x[:-n_val], x[-n_val:]
    model = ConvAE(x.shape[1], arch)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    best, best_state, waited = float("inf"), None, 0
    for _ in range(epochs):
        model.train()
        for i in torch.randperm(len(fit)).split(batch):
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(fit[i]), fit[i])
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            v = nn.functional.mse_loss(model(val), val).item()
        if v < best - 1e-7:
            best, waited = v, 0
            best_state = {k: t.clone() for k, t in model.state_dict().items()}
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    model.eval()
    return model


def export(model, channels, path, window=60):
    model.eval()
    torch.onnx.export(model, torch.zeros(1, channels, window), path, opset_version=13,
                      input_names=["x"], output_names=["y"], do_constant_folding=True)


def window_scores(model, windows):
    """The protocol's score per window: sum over features of the mean |x - x_hat| over the window."""
    with torch.no_grad():
        x = torch.from_numpy(windows)
        err = (model(x) - x).abs().mean(dim=2).sum(dim=1)
    return err.numpy()
