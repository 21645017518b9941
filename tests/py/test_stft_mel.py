#!/usr/bin/python3
"""stft output=db and output=mel against numpy references.

db:  10 log10(max(|X|^2, 10^(floor/10))) of numpy's rfft.
mel: 10 log10(max(M |X|^2, 10^(floor/10))) with M the Slaney mel bank (Slaney scale, area
     normalisation), built in stftutil.mel_bank from librosa's definition (librosa itself is not
     installed), for several n-mels / fmin / fmax / rates.
Tolerance: 2e-3 dB absolute (float32 power and float32 filter weights; seen ~4e-4 dB).
Also: a silent input reads exactly the floor; the mel bank's first band starts at fmin.
"""
import numpy as np

import stftutil
from vigiltest import Checks

stftutil.reexec_with_gst_env()
c = Checks("stft-mel")
TOL_DB = 2e-3
rng = np.random.default_rng(11)
worst = 0.0


def db(p, floor):
    return 10 * np.log10(np.maximum(p, 10 ** (floor / 10)))


def compare(name, got, ref):
    global worst
    if not c.check(got.shape == ref.shape, "%s: shape %s, reference %s" % (name, got.shape, ref.shape)):
        return
    e = float(np.max(np.abs(got - ref)))
    worst = max(worst, e)
    c.check(e <= TOL_DB, "%s: max error %.3g dB > %g" % (name, e, TOL_DB))


x = rng.standard_normal((8000, 2)).astype(np.float32)
# db, with the default floor and with a floor high enough to clip part of the spectrum.
for floor in (-100.0, 20.0):
    r = stftutil.run(x, 16000, "n-fft=256 hop=100 output=db db-floor=%g" % floor, (999,))
    ref = db(np.abs(stftutil.ref_spectra(x, 256, 100)) ** 2, floor)
    compare("db floor=%g" % floor, stftutil.frames_of(r, 129 * 2), ref.reshape(ref.shape[0], -1))
    if floor > 0:
        got = stftutil.frames_of(r, 129 * 2)
        c.check(got.size and np.min(got) == np.float32(floor), "floor not applied: min %g" % np.min(got))

# mel for several banks.
for rate, n_fft, hop, n_mels, fmin, fmax in [(16000, 512, 160, 40, 0.0, None),
                                            (22050, 1024, 256, 64, 50.0, 8000.0),
                                            (48000, 2048, 512, 128, 0.0, 24000.0),
                                            (8000, 256, 80, 20, 300.0, 3400.0)]:
    props = "n-fft=%d hop=%d output=mel n-mels=%d fmin=%g" % (n_fft, hop, n_mels, fmin)
    if fmax is not None:
        props += " fmax=%g" % fmax
    r = stftutil.run(x, rate, props, (777, 1500))
    c.check(not r.errors, "%s: %s" % (props, r.errors))
    M = stftutil.mel_bank(rate, n_fft, n_mels, fmin, fmax)
    P = np.abs(stftutil.ref_spectra(x, n_fft, hop)) ** 2          # (frames, C, bins)
    ref = db(np.einsum("mk,fck->fcm", M, P), -100.0)
    compare("mel rate=%d %s" % (rate, props), stftutil.frames_of(r, n_mels * 2),
            ref.reshape(ref.shape[0], -1))
    c.check("dimensions=(string)%d:2," % n_mels in (r.caps or ""), "mel caps %s" % r.caps)

# Silence reads the floor exactly.
r = stftutil.run(np.zeros(4000, np.float32), 16000, "n-fft=256 hop=128 output=mel n-mels=32 "
                 "db-floor=-80", (1000,))
got = r.all()
c.check(got.size > 0 and np.all(got == np.float32(-80.0)), "silence does not read the floor")

print("worst error: %.3g dB" % worst)
c.done()
