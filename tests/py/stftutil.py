"""Helpers for the stft element's Python tests: run the element through appsrc/appsink (GI) and
build the numpy references.

Tests that use GI call `reexec_with_gst_env()` first: the process that loads the plugin must get
vigiltest.gst_env() (the sanitizer runtime preloaded in the sanitizer build).
"""
import os
import subprocess
import sys

import numpy as np
import scipy.signal

import vigiltest

WINDOWS = {"hann": "hann", "hamming": "hamming", "blackman": "blackman", "rectangular": "boxcar"}


def reexec_with_gst_env():
    if os.environ.get("VIGIL_STFT_CHILD") == "1":
        return
    r = subprocess.run([sys.executable] + sys.argv, env=vigiltest.gst_env({"VIGIL_STFT_CHILD": "1"}))
    sys.exit(r.returncode)


_gst = None


def gst():
    global _gst
    if _gst is None:
        import gi
        gi.require_version("Gst", "1.0")
        from gi.repository import Gst
        Gst.init(None)
        _gst = Gst
    return _gst


class Result:
    def __init__(self):
        self.frames = []      # one array per output buffer, shape (n, frame_values)
        self.pts = []
        self.durations = []
        self.discont = []
        self.caps = None
        self.messages = []    # element message structures, as strings
        self.errors = []      # error message texts

    def all(self):
        return np.concatenate(self.frames) if self.frames else np.zeros((0, 0), np.float32)


def run(x, rate, props="", chunks=(1000,), fmt="F32LE", pts0=0, discont_at=(), caps=None,
        timeout=60):
    """Feeds x (frames x channels) to `stft props` in buffers whose sizes cycle through chunks.

    Buffers start at pts0 (ns) and are stamped from the sample count; a buffer starting at a sample
    index in discont_at (a dict index -> new PTS, or a set) gets the DISCONT flag."""
    Gst = gst()
    x = np.asarray(x)
    if x.ndim == 1:
        x = x[:, None]
    channels = x.shape[1]
    if caps is None:
        caps = "audio/x-raw,format=%s,layout=interleaved,rate=%d,channels=%d" % (fmt, rate, channels)
        if channels > 2:  # unpositioned channels
            caps += ",channel-mask=(bitmask)0x0"
    data = (np.round(x * 32768).clip(-32768, 32767).astype("<i2") if fmt == "S16LE"
            else x.astype("<f4"))
    pipe = Gst.parse_launch("appsrc name=src format=time caps=%s ! stft name=stft %s ! "
                            "appsink name=sink sync=false wait-on-eos=false" % (caps.replace(" ", ""), props))
    src, sink = pipe.get_by_name("src"), pipe.get_by_name("sink")
    res = Result()
    pipe.set_state(Gst.State.PLAYING)
    pos, i, t_base, s_base = 0, 0, pts0, 0
    while pos < len(data):
        n = min(chunks[i % len(chunks)], len(data) - pos)
        buf = Gst.Buffer.new_wrapped(data[pos:pos + n].tobytes())
        if pos in discont_at:
            if isinstance(discont_at, dict):
                t_base, s_base = discont_at[pos], pos
            buf.set_flags(Gst.BufferFlags.DISCONT)
        buf.pts = t_base + (pos - s_base) * Gst.SECOND // rate
        buf.duration = n * Gst.SECOND // rate
        src.emit("push-buffer", buf)
        pos += n
        i += 1
    src.emit("end-of-stream")
    bus = pipe.get_bus()
    while True:
        msg = bus.timed_pop_filtered(timeout * Gst.SECOND, Gst.MessageType.EOS |
                                     Gst.MessageType.ERROR | Gst.MessageType.ELEMENT)
        if msg is None:
            res.errors.append("timeout")
            break
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            res.errors.append("%s | %s" % (err.message, dbg))
            # every push is done: any repeat of the error by the same element is on the bus
            while (more := bus.pop_filtered(Gst.MessageType.ERROR)) is not None:
                if more.src == msg.src:
                    err, dbg = more.parse_error()
                    res.errors.append("%s | %s" % (err.message, dbg))
            break
        if msg.type == Gst.MessageType.ELEMENT:
            res.messages.append(msg.get_structure().to_string())
            continue
        break
    while True:
        sample = sink.emit("try-pull-sample", 0)
        if sample is None:
            break
        buf = sample.get_buffer()
        if res.caps is None:
            res.caps = sample.get_caps().to_string()
        arr = np.frombuffer(buf.extract_dup(0, buf.get_size()), "<f4")
        res.frames.append(arr)
        res.pts.append(buf.pts)
        res.durations.append(buf.duration)
        res.discont.append(bool(buf.get_flags() & Gst.BufferFlags.DISCONT))
    pipe.set_state(Gst.State.NULL)
    return res


def frames_of(res, frame_values):
    return res.all().reshape(-1, frame_values)


def ref_spectra(x, n_fft, hop, window="hann", center=False):
    """Complex rfft of the windowed frames: array (frames, channels, bins), float64."""
    x = np.asarray(x, np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if center:
        x = np.pad(x, ((n_fft // 2, n_fft // 2), (0, 0)))
    w = scipy.signal.get_window(WINDOWS[window], n_fft)
    n = 1 + (len(x) - n_fft) // hop
    idx = np.arange(n)[:, None] * hop + np.arange(n_fft)[None, :]
    seg = x[idx]                       # (frames, n_fft, channels)
    return np.fft.rfft(seg * w[None, :, None], axis=1).transpose(0, 2, 1)


def mel_bank(rate, n_fft, n_mels, fmin=0.0, fmax=None):
    """Slaney mel filterbank with Slaney (area) normalisation, written from librosa's definition
    (librosa.filters.mel, htk=False, norm='slaney'), in float64."""
    fmax = rate / 2.0 if fmax is None else fmax

    def hz_to_mel(f):
        f = np.asarray(f, np.float64)
        lin = f / (200.0 / 3)
        log = 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
        return np.where(f >= 1000.0, log, lin)

    def mel_to_hz(m):
        m = np.asarray(m, np.float64)
        return np.where(m >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0)),
                        m * (200.0 / 3))

    fft_f = np.arange(n_fft // 2 + 1) * rate / n_fft
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    fdiff = np.diff(edges)
    ramps = edges[:, None] - fft_f[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    w = np.maximum(0.0, np.minimum(lower, upper))
    return w * (2.0 / (edges[2:] - edges[:-2]))[:, None]


def rel_err(got, ref):
    """max |got - ref| / max |ref|."""
    scale = float(np.max(np.abs(ref))) or 1.0
    return float(np.max(np.abs(np.asarray(got, np.float64) - ref))) / scale
