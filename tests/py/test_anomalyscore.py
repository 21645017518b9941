#!/usr/bin/python3
"""anomalyscore against numpy/scipy references, through a real pipeline (appsrc ! anomalyscore !
appsink, python3-gi).

Each method's per-frame scores are recomputed from their definitions (docs/elements/anomalyscore.md)
with numpy: statistics of the frames BEFORE each frame, channel scores combined by max/mean/L2.
A threshold run checks the learned threshold (numpy.quantile x factor) and the events.
The GStreamer part runs in a child process with vigiltest.gst_env() (the sanitizer build needs the
ASan runtime preloaded in the process that loads the plugin).
"""
import os
import subprocess
import sys

import numpy as np

import vigiltest

RATE = 100
K = 3


def make_signal(n=400, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, K)) * np.array([1.0, 0.5, 2.0]) + np.array([0.0, 10.0, -3.0])
    x[300:320] += np.array([20.0, 0.0, 0.0])  # a step on channel 0, above channel 1
    return x.astype(np.float32)


def floor_sd(sd, centre):
    return np.maximum(sd, 1e-6 * np.abs(centre) + 1e-12)


def ref_zscore(x, window):
    x = x.astype(np.float64)
    s = np.zeros_like(x)
    for t in range(1, len(x)):
        past = x[:t]
        if window == 0:
            m, v = past.mean(0), past.var(0)
        else:  # exponential weights of the header: w_0 = (1-a)^(t-1), w_i = a (1-a)^(t-1-i)
            a = 2.0 / (window + 1)
            w = a * (1 - a) ** np.arange(t - 1, -1, -1, dtype=np.float64)
            w[0] = (1 - a) ** (t - 1)
            m = (w[:, None] * past).sum(0)
            v = (w[:, None] * (past - m) ** 2).sum(0)
        s[t] = np.abs(x[t] - m) / floor_sd(np.sqrt(v), m)
    return s


def ref_mad(x, window):
    x = x.astype(np.float64)
    s = np.zeros_like(x)
    for t in range(1, len(x)):
        past = x[max(0, t - window):t]
        med = np.median(past, axis=0)
        mad = np.median(np.abs(past - med), axis=0)
        s[t] = np.abs(x[t] - med) / floor_sd(1.482602218505602 * mad, med)
    return s


def ref_likelihood(x, short, window):
    from scipy.special import erfc
    x32 = x.astype(np.float64)
    avg = np.array([x32[max(0, t - short + 1):t + 1].mean(0) for t in range(len(x))])
    s = np.full_like(x32, 0.5)
    for t in range(1, len(x)):
        hist = avg[max(0, t - window) if window else 0:t]
        m, sd = hist.mean(0), hist.std(0)
        z = (avg[t] - m) / floor_sd(sd, m)
        s[t] = 1.0 - 0.5 * erfc(np.abs(z) / np.sqrt(2.0))
    return s


def combine(s, how):
    return {"max": s.max(1), "mean": s.mean(1), "l2": np.sqrt((s ** 2).sum(1))}[how]


def run_pipeline(x, props, frames_per_buffer=5):
    """Pushes x (frames x K) through anomalyscore; returns (scores, messages as dicts, element)."""
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    caps = ("other/tensors,format=static,num_tensors=1,types=float32,dimensions=%d,"
            "framerate=%d/1" % (x.shape[1], RATE))
    p = Gst.parse_launch("appsrc name=src format=time caps=%s ! anomalyscore name=a %s ! "
                         "appsink name=sink sync=false emit-signals=false" % (caps, props))
    src, sink = p.get_by_name("src"), p.get_by_name("sink")
    p.set_state(Gst.State.PLAYING)
    period = Gst.SECOND // RATE
    for i in range(0, len(x), frames_per_buffer):
        chunk = np.ascontiguousarray(x[i:i + frames_per_buffer])
        buf = Gst.Buffer.new_wrapped(chunk.tobytes())
        buf.pts = i * period
        buf.duration = len(chunk) * period
        src.emit("push-buffer", buf)
    src.emit("end-of-stream")
    scores = []
    while True:
        sample = sink.emit("try-pull-sample", 5 * Gst.SECOND)
        if sample is None:
            break
        b = sample.get_buffer()
        scores.append(np.frombuffer(b.extract_dup(0, b.get_size()), dtype=np.float32))
    bus = p.get_bus()
    msgs = []
    while True:
        m = bus.pop()
        if m is None:
            break
        if m.type == Gst.MessageType.ERROR:
            raise RuntimeError(str(m.parse_error()))
        if m.type == Gst.MessageType.ELEMENT and m.get_structure().get_name() == "anomaly":
            st = m.get_structure()
            msgs.append({f: st.get_value(f) for f in
                         ("event", "timestamp", "duration", "score", "threshold")
                         + (("peak-score", "frames") if st.get_value("event") == "end" else ())})
    a = p.get_by_name("a")
    props_out = {k: a.get_property(k) for k in ("frames", "events", "current-threshold")}
    p.set_state(Gst.State.NULL)
    return (np.concatenate(scores) if scores else np.zeros(0)), msgs, props_out


def child():
    c = vigiltest.Checks("anomalyscore (numpy references)")
    x = make_signal()
    n = len(x)
    cases = [
        ("method=zscore window=0 combine=max", combine(ref_zscore(x, 0), "max")),
        ("method=zscore window=20 combine=mean", combine(ref_zscore(x, 20), "mean")),
        ("method=mad window=16 combine=l2", combine(ref_mad(x, 16), "l2")),
        ("method=likelihood short-window=5 window=40", combine(ref_likelihood(x, 5, 40), "max")),
        ("method=threshold threshold=100 combine=l2", combine(x.astype(np.float64), "l2")),
    ]
    for props, want in cases:
        got, _, _ = run_pipeline(x, props)
        c.check(len(got) == n, "%s: %d scores for %d frames" % (props, len(got), n))
        if len(got) != n:
            continue
        # float32 output; the first frames divide by tiny deviations and are skipped
        err = np.abs(got[2:] - want[2:]) / np.maximum(1.0, np.abs(want[2:]))
        print("%-45s max rel error %.2e" % (props, err.max()))
        c.check(err.max() < 2e-5, "%s: max relative error %.3g at frame %d"
                % (props, err.max(), int(err.argmax()) + 2))

    # threshold learned over 200 warmup frames of channel-max scores; the step fires one event
    warm = 200
    got, msgs, props = run_pipeline(x, "method=threshold warmup=%d quantile=0.99 factor=1.2" % warm)
    want_thr = 1.2 * np.quantile(x[:warm].max(1).astype(np.float64), 0.99)
    c.check(abs(props["current-threshold"] - want_thr) < 1e-6 * abs(want_thr),
            "learned threshold %r, numpy %r" % (props["current-threshold"], want_thr))
    above = x.max(1).astype(np.float64) > want_thr
    above[:warm] = False
    # reference events: runs of frames above the threshold after the warmup
    edges = np.flatnonzero(np.diff(np.concatenate([[0], above.astype(int), [0]])))
    runs = list(zip(edges[::2], edges[1::2]))
    starts = [m for m in msgs if m["event"] == "start"]
    ends = [m for m in msgs if m["event"] == "end"]
    c.check(len(starts) == len(runs) and len(ends) == len(runs),
            "%d starts, %d ends, numpy %d runs" % (len(starts), len(ends), len(runs)))
    period = 10**9 // RATE
    for (a, b), s, e in zip(runs, starts, ends):
        c.check(s["timestamp"] == a * period, "start at %d ns, numpy frame %d" % (s["timestamp"], a))
        c.check(e["frames"] == b - a and e["duration"] == (b - a) * period,
                "end: %d frames, numpy %d" % (e["frames"], b - a))
        c.check(abs(e["peak-score"] - x[a:b].max()) < 1e-6, "peak %r vs %r"
                % (e["peak-score"], x[a:b].max()))
    c.check(props["events"] == len(runs), "events counter %d" % props["events"])
    c.check(any(a >= 300 for a, _ in runs), "the step at frame 300 fires")
    c.done()


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    r = subprocess.run([sys.executable, os.path.abspath(__file__), "--child"],
                       env=vigiltest.gst_env(), timeout=300)
    sys.exit(r.returncode)
