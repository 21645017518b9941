#!/usr/bin/python3
"""stft frames against numpy and scipy.

Asserts: magnitude/power/complex frames equal numpy's rfft of the periodic-windowed frames
(scipy.signal.get_window) for several n-fft, hop, window, center choices and buffer sizes that do
not divide the hop (mono, stereo, S16, tensor input, mixdown); complex frames equal
scipy.signal.stft(boundary='zeros', padded=False) times the window sum; a sine lands in its bin;
Parseval holds per frame. Tolerance: max error <= 2e-6 of the largest reference value (float32 FFT
of float32 input against float64 numpy; seen ~3e-7).
"""
import numpy as np
import scipy.signal

import stftutil
from vigiltest import Checks

stftutil.reexec_with_gst_env()
c = Checks("stft-numpy")
TOL = 2e-6
rng = np.random.default_rng(7)
worst = 0.0


def compare(name, got, ref, tol=TOL):
    global worst
    if not c.check(got.shape == ref.shape, "%s: shape %s, reference %s" % (name, got.shape, ref.shape)):
        return
    e = stftutil.rel_err(got, ref)
    worst = max(worst, e)
    c.check(e <= tol, "%s: relative error %.3g > %.1g" % (name, e, tol))


def channel_major(spec):
    """(frames, channels, bands) -> (frames, channels * bands): the bins:C tensor layout."""
    return spec.reshape(spec.shape[0], -1)


# Frames vs numpy for several geometries; chunk sizes chosen not to divide the hop.
cases = [
    # n_fft, hop, window, center, channels, chunks
    (512, 128, "hann", False, 1, (300, 77, 1000)),
    (512, 200, "hamming", True, 2, (123,)),
    (256, 256, "blackman", False, 1, (1, 999, 37)),
    (1024, 100, "rectangular", True, 1, (4096,)),
    (100, 33, "hann", True, 3, (50, 7)),      # n-fft not a power of two
    (64, 96, "hann", False, 1, (61,)),        # hop > n-fft: samples between frames skipped
]
for n_fft, hop, win, center, ch, chunks in cases:
    x = rng.standard_normal((6000, ch)).astype(np.float32)
    props = "n-fft=%d hop=%d window=%s center=%s" % (n_fft, hop, win, str(center).lower())
    name = "%s ch=%d chunks=%s" % (props, ch, chunks)
    ref = stftutil.ref_spectra(x, n_fft, hop, win, center)
    bins = n_fft // 2 + 1
    r = stftutil.run(x, 16000, props + " output=magnitude", chunks)
    c.check(not r.errors, "%s: %s" % (name, r.errors))
    compare(name + " magnitude", stftutil.frames_of(r, bins * ch), channel_major(np.abs(ref)))
    r = stftutil.run(x, 16000, props + " output=power", chunks[::-1])
    compare(name + " power", stftutil.frames_of(r, bins * ch), channel_major(np.abs(ref) ** 2))
    r = stftutil.run(x, 16000, props + " output=complex", chunks)
    cref = np.stack([ref.real, ref.imag], axis=-1).reshape(ref.shape[0], ch, 2 * bins)
    compare(name + " complex", stftutil.frames_of(r, 2 * bins * ch), channel_major(cref))
    dims = "%d:%d" % (2 * bins, ch) if ch > 1 else "%d" % (2 * bins)
    c.check("dimensions=(string)%s," % dims
            in (r.caps or ""), "%s: caps %s" % (name, r.caps))

# Any buffer sizes give identical output: 1-frame buffers vs one large buffer, bit for bit.
x = rng.standard_normal((3000, 2)).astype(np.float32)
a = stftutil.run(x, 8000, "n-fft=128 hop=48 center=true", (1,)).all()
b = stftutil.run(x, 8000, "n-fft=128 hop=48 center=true", (3000,)).all()
c.check(a.shape == b.shape and np.array_equal(a, b), "1-sample buffers differ from one buffer")

# scipy.signal.stft: Zxx = rfft(w * frame) / sum(w); boundary='zeros' is center=true.
x = rng.standard_normal(8000).astype(np.float32)
for n_fft, hop, win in [(256, 64, "hann"), (400, 160, "hamming")]:
    _, _, Z = scipy.signal.stft(x.astype(np.float64), nperseg=n_fft, noverlap=n_fft - hop,
                                window=stftutil.WINDOWS[win], boundary="zeros", padded=False,
                                detrend=False, return_onesided=True)
    Z = Z.T * scipy.signal.get_window(stftutil.WINDOWS[win], n_fft).sum()
    r = stftutil.run(x, 16000, "n-fft=%d hop=%d window=%s center=true output=complex" %
                     (n_fft, hop, win), (1234,))
    got = stftutil.frames_of(r, 2 * (n_fft // 2 + 1))
    ref = np.stack([Z.real, Z.imag], axis=-1).reshape(Z.shape[0], -1)
    compare("scipy.signal.stft n-fft=%d hop=%d %s" % (n_fft, hop, win), got, ref)

# A sine lands in its bin: 1 kHz at 16 kHz with n-fft 512 is bin 32 exactly.
t = np.arange(16000) / 16000.0
sine = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
r = stftutil.run(sine, 16000, "n-fft=512 hop=256", (441,))
mag = stftutil.frames_of(r, 257)
c.check(len(mag) > 0 and np.all(np.argmax(mag, axis=1) == 32), "1 kHz sine not in bin 32")
# Hann-windowed on-bin sine of amplitude A: |X| = A * n_fft / 4.
c.check(len(mag) > 0 and np.allclose(mag[:, 32], 0.5 * 512 / 4, rtol=1e-4),
        "sine peak %s, expected %g" % (mag[:3, 32], 0.5 * 512 / 4))

# Parseval with the rectangular window: sum x^2 = (|X0|^2 + 2 sum |Xk|^2 + |X_{N/2}|^2) / N.
x = rng.standard_normal(4096).astype(np.float32)
r = stftutil.run(x, 16000, "n-fft=256 hop=256 window=rectangular output=power", (500,))
p = stftutil.frames_of(r, 129).astype(np.float64)
energy_f = (p[:, 0] + 2 * p[:, 1:-1].sum(axis=1) + p[:, -1]) / 256
energy_t = (x.astype(np.float64).reshape(-1, 256) ** 2).sum(axis=1)
e = float(np.max(np.abs(energy_f - energy_t) / energy_t)) if len(p) == 16 else 1.0
c.check(len(p) == 16 and e < 1e-5, "Parseval: %d frames, relative error %.3g" % (len(p), e))

# S16 input reads as samples / 32768.
x = (rng.standard_normal((5000, 2)) * 0.2).clip(-0.99, 0.99)
xq = np.round(x * 32768) / 32768
r = stftutil.run(x, 16000, "n-fft=256 hop=100", (777,), fmt="S16LE")
compare("S16LE", stftutil.frames_of(r, 129 * 2),
        channel_major(np.abs(stftutil.ref_spectra(xq, 256, 100))))

# mixdown: the mean of the channels, one output channel.
x = rng.standard_normal((5000, 3)).astype(np.float32)
r = stftutil.run(x, 16000, "n-fft=256 hop=128 mixdown=true", (500,))
compare("mixdown", stftutil.frames_of(r, 129),
        channel_major(np.abs(stftutil.ref_spectra(x.mean(axis=1), 256, 128))), tol=5e-6)

# Tensor input "4:2" (8 signals): output bins:4:2, each value of the frame its own signal.
x = rng.standard_normal((3000, 8)).astype(np.float32)
caps = ("other/tensors,format=static,num_tensors=1,types=float32,"
        "dimensions=(string)4:2,framerate=1000/1")
r = stftutil.run(x, 1000, "n-fft=64 hop=16", (250,), caps=caps)
c.check("dimensions=(string)33:4:2" in (r.caps or ""), "tensor output caps %s" % r.caps)
c.check("framerate=(fraction)125/2" in (r.caps or ""), "tensor output framerate %s" % r.caps)
compare("tensor 4:2", stftutil.frames_of(r, 33 * 8),
        channel_major(np.abs(stftutil.ref_spectra(x, 64, 16))))

print("worst relative error: %.3g" % worst)
c.done()
