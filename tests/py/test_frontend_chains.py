#!/usr/bin/python3
"""The front ends chain into streamcnn (issue 5): `stft output=mel ! streamcnn` with a 2-D CNN on
log-mel frames of mono audio, and `dwt layout=packed ! streamcnn` with a 1-D CNN on wavelet frames.

Each front end's frames are recorded by csvenc in one run; the same chain into streamcnn in another
must equal PyTorch run on those frames, window by window (max |err| <= 1e-4 x max |ref|). A mono
log-mel frame arrives as `n-mels:1`, i.e. rank 1 once trailing 1s are dropped: streamcnn must read
it as one channel of n-mels bins for a model taking [1, 1, n-mels, T]."""
import csv
import os
import subprocess

import numpy as np
import scipy.io.wavfile
import torch
from torch import nn

from vigiltest import Checks, gst_env, tmpdir


def run(pipeline, out_csv):
    r = subprocess.run(["gst-launch-1.0", "-q"] + pipeline.split() + ["!", "csvenc", "!",
                       "filesink", "location=" + out_csv], env=gst_env(), capture_output=True,
                       text=True, timeout=300)
    if r.returncode != 0:
        raise RuntimeError(pipeline + ": " + r.stderr[-2000:])
    with open(out_csv) as f:
        return np.array([[float(v) for v in row] for row in list(csv.reader(f))[1:]])


def windows_ref(model, frames, shape, window, hop):
    """PyTorch on every window of frames (T, values); shape maps a window to the model input."""
    out = []
    with torch.no_grad():
        for k in range(0, len(frames) - window + 1, hop):
            x = torch.from_numpy(shape(frames[k:k + window]).astype(np.float32))
            out.append(model(x).numpy().ravel())
    return np.array(out)


def compare(c, name, got, ref):
    ok = c.check(got.shape[0] == ref.shape[0] and got.shape[1] - 1 == ref.shape[1],
                 "%s: %s outputs vs %s expected" % (name, got.shape, ref.shape))
    if ok:
        err = np.max(np.abs(got[:, 1:] - ref)) / np.max(np.abs(ref))
        print("%s: %d windows, max |err| / max |ref| = %.2e" % (name, len(ref), err))
        c.check(err <= 1e-4, "%s: streamcnn differs from PyTorch (%.2e)" % (name, err))


def main():
    c = Checks("frontend-chains")
    torch.manual_seed(0)
    d = tmpdir()
    rate = 16000
    t = np.arange(2 * rate) / rate
    rng = np.random.default_rng(0)
    audio = (0.5 * np.sin(2 * np.pi * 440 * t) + 0.3 * np.sin(2 * np.pi * 3000 * t * (1 + t)) +
             0.05 * rng.standard_normal(len(t))).astype(np.float32)
    wav = os.path.join(d, "audio.wav")
    scipy.io.wavfile.write(wav, rate, audio)
    src = "filesrc location=%s ! wavparse !" % wav

    # stft output=mel ! streamcnn: a 2-D CNN over (mel, time), one input channel
    stft = "stft n-fft=256 hop=128 output=mel n-mels=16"
    cnn2d = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(),
                          nn.Conv2d(4, 4, 3, stride=(2, 1)), nn.ReLU(),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3)).eval()
    m2d = os.path.join(d, "mel2d.onnx")
    torch.onnx.export(cnn2d, torch.zeros(1, 1, 16, 32), m2d, opset_version=13)
    frames = run("%s %s" % (src, stft), os.path.join(d, "mel.csv"))[:, 1:]
    got = run("%s %s ! streamcnn model=%s window=32 hop=8" % (src, stft, m2d),
              os.path.join(d, "mel-cnn.csv"))
    ref = windows_ref(cnn2d, frames, lambda w: w.T[None, None], 32, 8)
    compare(c, "stft output=mel ! streamcnn (2-D)", got, ref)

    # dwt layout=packed ! streamcnn: 8 coefficients per 8 samples, read as 8 channels by a 1-D CNN
    dwt = "dwt wavelet=db2 levels=3 layout=packed"
    cnn1d = nn.Sequential(nn.Conv1d(8, 6, 3, padding=1), nn.ReLU(), nn.Conv1d(6, 2, 3)).eval()
    m1d = os.path.join(d, "dwt1d.onnx")
    torch.onnx.export(cnn1d, torch.zeros(1, 8, 16), m1d, opset_version=13)
    frames = run("%s %s" % (src, dwt), os.path.join(d, "dwt.csv"))[:, 1:]
    got = run("%s %s ! streamcnn model=%s window=16 hop=4" % (src, dwt, m1d),
              os.path.join(d, "dwt-cnn.csv"))
    ref = windows_ref(cnn1d, frames, lambda w: w.T[None], 16, 4)
    compare(c, "dwt layout=packed ! streamcnn (1-D)", got, ref)
    c.done()


if __name__ == "__main__":
    main()
