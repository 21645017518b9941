#!/usr/bin/python3
"""stft as a stream element: timestamps, frames-per-buffer, DISCONT, EOS tail, bus messages,
dominant periods, and refusals of impossible parameters and bad caps.

Asserts (exact unless stated): PTS of frame k is t0 + floor(k * hop * 1e9 / rate) for center=false
and true (t0 = PTS of the first input buffer), durations are the gaps to the next frame, the
framerate is rate/hop; frames-per-buffer groups frames with a short last buffer; a DISCONT buffer
starts a new run (values equal a fresh stream from there, PTS restart from the new buffer's PTS,
DISCONT flag on the first output of each run); with center=true the EOS tail adds the frames of the
right padding (1 + L // hop frames in all); `stft` messages carry the interval's timing and the mean
of its frames (rel. 1e-6); `stft-periods` finds the periods of synthetic multi-period signals, and
follows a change of period; a wisdom file is written and reused, a corrupt one refused; impossible parameters and bad caps fail with messages naming the cause
(out-of-range property values are refused by GObject with a warning naming the property).
"""
import os
import re
import shutil

import numpy as np

import stftutil
import vigiltest
from vigiltest import Checks

stftutil.reexec_with_gst_env()
c = Checks("stft-stream")
rng = np.random.default_rng(5)
SEC = 10 ** 9


def frame_times(t0, n, hop, rate):
    return [t0 + (k * hop * SEC) // rate for k in range(n)]


# ---- timestamps ----
for rate, hop, n_fft, center in [(16000, 100, 256, False), (44100, 512, 1024, True),
                                 (8000, 300, 256, False)]:
    x = rng.standard_normal(20000).astype(np.float32)
    props = "n-fft=%d hop=%d center=%s" % (n_fft, hop, str(center).lower())
    r = stftutil.run(x, rate, props, (1234, 99), pts0=3 * SEC)
    n = 1 + len(x) // hop if center else 1 + (len(x) - n_fft) // hop
    want = frame_times(3 * SEC, n + 1, hop, rate)
    c.check(len(r.pts) == n, "%s: %d frames, expected %d" % (props, len(r.pts), n))
    c.check(r.pts == want[:len(r.pts)], "%s: PTS differ from t0 + k*hop/rate" % props)
    durs = [b - a for a, b in zip(want, want[1:])]
    c.check(r.durations == durs[:len(r.durations)], "%s: durations differ" % props)
    c.check(r.discont[:1] == [True] and not any(r.discont[1:]), "%s: DISCONT flags %s" % (
        props, r.discont[:3]))
    g = np.gcd(rate, hop)
    c.check("framerate=(fraction)%d/%d" % (rate // g, hop // g) in (r.caps or ""),
            "%s: caps %s" % (props, r.caps))

# ---- frames-per-buffer ----
x = rng.standard_normal(10000).astype(np.float32)
one = stftutil.run(x, 16000, "n-fft=256 hop=128", (700,))
four = stftutil.run(x, 16000, "n-fft=256 hop=128 frames-per-buffer=4", (700,))
n = len(one.pts)
c.check([len(f) // 129 for f in four.frames] == [4] * (n // 4) + ([n % 4] if n % 4 else []),
        "frames-per-buffer=4 grouping: %s" % [len(f) // 129 for f in four.frames])
c.check(four.pts == one.pts[::4], "frames-per-buffer=4: PTS are not those of each first frame")
c.check(np.array_equal(one.all(), four.all()), "frames-per-buffer changed the values")
c.check(four.durations[0] == one.pts[4] - one.pts[0], "frames-per-buffer=4: duration")

# ---- DISCONT ----
for center in (False, True):
    x = rng.standard_normal(5000).astype(np.float32)
    props = "n-fft=256 hop=100 center=%s" % str(center).lower()
    r = stftutil.run(x, 16000, props, (500,), pts0=SEC, discont_at={2000: 7 * SEC})
    a = stftutil.run(x[:2000], 16000, props, (2000,), pts0=SEC)
    b = stftutil.run(x[2000:], 16000, props, (3000,), pts0=7 * SEC)
    c.check(np.array_equal(r.all(), np.concatenate([a.all(), b.all()])),
            "DISCONT %s: values differ from two fresh streams" % props)
    c.check(r.pts == a.pts + b.pts, "DISCONT %s: PTS do not restart at the new buffer" % props)
    c.check(r.discont == a.discont + b.discont and r.discont.count(True) == 2,
            "DISCONT %s: output DISCONT flags %s" % (props, r.discont.count(True)))
    if center:  # the first run's tail is flushed with its right padding
        c.check(len(a.pts) == 1 + 2000 // 100, "center: %d frames for 2000 samples" % len(a.pts))


# ---- stft messages ----
def parse_lists(text, field):
    """The numbers of each {...} list in field of a structure string."""
    m = re.search(r"\b" + field + r"=\([a-z]+\)(<.*?>|\{[^}]*\})", text)
    if not m:
        return []
    return [[float(re.sub(r"\([a-z]+\)", "", v)) for v in part.split(",")]
            for part in re.findall(r"\{([^}]*)\}", m.group(1))]


def field_u64(text, field):
    m = re.search(r"\b" + field + r"=\(g?uint(?:64)?\)(\d+)", text)
    return int(m.group(1)) if m else None


x = rng.standard_normal((10000, 2)).astype(np.float32)
r = stftutil.run(x, 16000, "n-fft=256 hop=100 post-messages=true interval=50000000 output=power",
                 (640,), pts0=SEC)
frames = stftutil.frames_of(r, 129 * 2).astype(np.float64)
msgs = [m for m in r.messages if m.startswith("stft,")]
per = 8  # 50 ms at 16000/100 = 160 frames/s
c.check(len(msgs) == -(-len(frames) // per), "%d stft messages for %d frames" % (len(msgs), len(frames)))
for i, m in enumerate(msgs):
    chunk = frames[i * per:(i + 1) * per]
    lists = parse_lists(m, "values")
    ts, dur = field_u64(m, "timestamp"), field_u64(m, "duration")
    c.check(ts == r.pts[i * per], "message %d timestamp %s, expected %s" % (i, ts, r.pts[i * per]))
    c.check(dur == sum(r.durations[i * per:(i + 1) * per]), "message %d duration %s" % (i, dur))
    c.check(field_u64(m, "running-time") == ts - 0 and field_u64(m, "stream-time") == ts,
            "message %d stream/running time: %s" % (i, m[:200]))
    c.check(len(lists) == 2 and all(len(v) == 129 for v in lists), "message %d: %d lists" % (i, len(lists)))
    if len(lists) == 2:
        got = np.array(lists).reshape(-1)
        c.check(stftutil.rel_err(got, chunk.mean(axis=0)) < 1e-6, "message %d: mean differs" % i)
    c.check("frames=(uint)%d" % len(chunk) in m, "message %d frames field" % i)

# ---- dominant periods (TimesNet-style) ----
rate = 1000
t = np.arange(8 * rate)
# Two channels, periods of 64 and 16 samples (bins 16 and 64 of n-fft 1024), and a weak period of
# 200 samples between bins (1024/200 = 5.12: read as bin 5, 204.8 samples).
ch0 = 1.0 * np.sin(2 * np.pi * t / 64) + 0.3 * np.sin(2 * np.pi * t / 200)
ch1 = 0.6 * np.sin(2 * np.pi * t / 16 + 1.0) + 0.3 * np.sin(2 * np.pi * t / 200 + 0.5)
x = np.stack([ch0, ch1], axis=1).astype(np.float32)
r = stftutil.run(x, rate, "n-fft=1024 hop=256 periods=3 interval=1000000000", (500,))
pm = [m for m in r.messages if m.startswith("stft-periods")]
c.check(len(pm) >= 7, "%d stft-periods messages" % len(pm))
c.check(not any(m.startswith("stft,") for m in r.messages), "stft messages without post-messages")
for m in pm:
    p = parse_lists(m, "periods-samples")
    secs = parse_lists(m, "periods")
    c.check(p and np.allclose(p[0], [64.0, 16.0, 204.8]), "periods %s, expected 64, 16, 204.8" % p)
    c.check(secs and p and np.allclose(secs[0], np.array(p[0]) / rate), "periods in seconds %s" % secs)

# A change of period: 50 samples (bin 20.48 -> 20 of 1024) then 25 (bin 40.96 -> 41).
x = np.concatenate([np.sin(2 * np.pi * t[:4 * rate] / 50), np.sin(2 * np.pi * t[:4 * rate] / 25)])
r = stftutil.run(x.astype(np.float32), rate, "n-fft=1024 hop=256 periods=1 interval=1000000000",
                 (1000,))
tops = [parse_lists(m, "periods-samples")[0][0] for m in r.messages if m.startswith("stft-periods")]
c.check(len(tops) >= 7 and np.allclose(tops[:3], 1024 / 20) and np.allclose(tops[-3:], 1024 / 41),
        "period change not followed: %s" % tops)

# ---- FFTW wisdom file: written after planning, read back; a corrupt one is refused ----
wdir = vigiltest.tmpdir()
wisdom = os.path.join(wdir, "wisdom")
x = rng.standard_normal(3000).astype(np.float32)
a = stftutil.run(x, 8000, "n-fft=384 hop=128 wisdom-file=%s" % wisdom, (1000,))
c.check(os.path.exists(wisdom) and open(wisdom).read().startswith("(fftw-3"),
        "wisdom file not written")
b = stftutil.run(x, 8000, "n-fft=384 hop=128 wisdom-file=%s" % wisdom, (1000,))
c.check(not b.errors and np.array_equal(a.all(), b.all()), "run with wisdom differs: %s" % b.errors)
with open(wisdom, "w") as f:
    f.write("not wisdom")
b = stftutil.run(x, 8000, "n-fft=384 hop=128 wisdom-file=%s" % wisdom, (1000,))
c.check(b.errors and "could not be read" in b.errors[0], "corrupt wisdom accepted: %s" % b.errors)
# a directory is not corrupt wisdom: the message says what it is (it said "delete it")
b = stftutil.run(x, 8000, "n-fft=384 hop=128 wisdom-file=%s" % wdir, (1000,))
c.check(b.errors and "is a directory" in b.errors[0] and "delete it" not in b.errors[0],
        "wisdom-file naming a directory: %s" % b.errors)
shutil.rmtree(wdir)

# ---- a property change applied while the src pad is flushing ----
# GstElement deactivates the src pads before the sink pads: during stft's PAUSED to READY change a
# buffer can be in the chain while the src pad flushes. If a property changed in PLAYING, the new
# caps cannot be sent then; that is FLUSHING, not NOT_NEGOTIATED (which made the source post
# "Internal data stream error ... not-negotiated" with no element saying why), and the caps go out
# with the next buffer once the pad is active again.
def flushing_reconfigure():
    Gst = stftutil.gst()
    p = Gst.parse_launch("stft name=st n-fft=256 hop=64 planner=estimate ! appsink name=sink "
                         "sync=false")
    st, sink = p.get_by_name("st"), p.get_by_name("sink")
    feed = Gst.Pad.new("feed", Gst.PadDirection.SRC)  # pushes straight into stft's chain
    feed.link(st.get_static_pad("sink"))
    p.set_state(Gst.State.PLAYING)
    feed.set_active(True)
    feed.push_event(Gst.Event.new_stream_start("s"))
    feed.push_event(Gst.Event.new_caps(Gst.Caps.from_string(
        "audio/x-raw,format=F32LE,layout=interleaved,rate=8000,channels=1")))
    seg = Gst.Segment()
    seg.init(Gst.Format.TIME)
    feed.push_event(Gst.Event.new_segment(seg))
    t = [0]

    def push(n):
        b = Gst.Buffer.new_wrapped(np.zeros(n, np.float32).tobytes())
        b.pts, b.duration = t[0] * SEC // 8000, n * SEC // 8000
        t[0] += n
        return feed.push(b)
    c.check(push(4096) == Gst.FlowReturn.OK, "first buffer refused")
    st.get_static_pad("src").set_active(False)
    st.set_property("hop", 32)
    ret = push(100)
    c.check(ret == Gst.FlowReturn.FLUSHING,
            "property change applied while the src pad flushes: %s, expected FLUSHING" % ret)
    st.get_static_pad("src").set_active(True)
    c.check(push(4096) == Gst.FlowReturn.OK, "buffer after the flush refused")
    rates = set()
    while True:
        smp = sink.emit("try-pull-sample", 0)
        if smp is None:
            break
        rates.add(smp.get_caps().get_structure(0).get_fraction("framerate")[1:])
    c.check((250, 1) in rates, "caps after the flush: framerates %s, expected 8000/32" % rates)
    p.set_state(Gst.State.NULL)


flushing_reconfigure()

# ---- refusals ----
def refused(props, needle, rate=8000, caps=None, chan=1):
    r = stftutil.run(np.zeros((4000, chan), np.float32), rate, props, (1000,), caps=caps)
    c.check(r.errors and needle in r.errors[0], "%s: expected an error with '%s', got %s" % (
        props or caps, needle, r.errors))
    # the refused caps are re-sent before every later buffer: the error is still posted once
    c.check(len(r.errors) == 1, "%s: %d errors posted: %s" % (props or caps, len(r.errors),
                                                              r.errors))


refused("output=mel n-fft=64 n-mels=40", "too many")
refused("output=mel fmax=5000", "Nyquist")
refused("output=mel fmin=3000 fmax=2000", "fmin")
refused("n-fft=256", "2 tensors", caps="other/tensors,format=static,num_tensors=2,"
        "types=(string)\"float32,float32\",dimensions=(string)\"1,1\",framerate=8000/1")
refused("n-fft=256", "constant input rate", caps="other/tensors,format=static,num_tensors=1,"
        "types=float32,dimensions=(string)1,framerate=0/1")
# caps that lack a field still reach the element (accept-caps by intersection), which names it
refused("n-fft=256", "'framerate' is missing", caps="other/tensors,format=static,num_tensors=1,"
        "types=float32,dimensions=(string)1")
refused("n-fft=2048", "lower n-fft", caps="other/tensors,format=static,num_tensors=1,"
        "types=float32,dimensions=(string)65536,framerate=8000/1")
refused("n-fft=256", "float32 only", caps="other/tensors,format=static,num_tensors=1,"
        "types=int16,dimensions=(string)1,framerate=8000/1")
# Out of the properties' ranges: GObject refuses the value with a warning naming the property (the
# property keeps its value); the kernel's own refusal of these is tested in test_stft_kernel.c.
for bad, prop in [("n-fft=1", "'n-fft'"), ("hop=0", "'hop'")]:
    g = vigiltest.gst_launch("audiotestsrc num-buffers=1 ! stft %s ! fakesink" % bad, check=False)
    err = g.stderr.decode(errors="replace")
    c.check("out of range" in err and prop in err, "%s not refused: %s" % (bad, err[-300:]))
g = vigiltest.gst_launch("audiotestsrc num-buffers=1 ! audio/x-raw,format=S32LE ! stft ! fakesink",
                         check=False)
c.check(g.returncode != 0, "S32LE audio was accepted")

c.done()
