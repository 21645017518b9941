"""streamcnn against PyTorch, through appsrc ! streamcnn ! appsink (GI) and gst-launch-1.0
(GstHarness has no constructor in GI: tests/unit/test_streamcnn_harness.c covers FLUSH there).

- audio (F32LE, S16LE) and tensor ("C", "F:C") input: every output frame equals PyTorch's output on
  the same window (max |error| <= 1e-4 * max |reference| + 1e-5), in exact, signal (unpadded model)
  and full modes, for aligned, misaligned and H = W hops;
- timestamps: PTS = end of the window, duration = H frames, src framerate = input rate / H;
- output=reconstruction-error: tensors [sum] and [C] equal numpy on PyTorch's reconstruction;
- DISCONT and a timestamp gap restart the window; FLUSH resets; EOS drops the partial hop;
- errors: missing and unreadable models, channel mismatch, impossible window and hop, a model that
  is no autoencoder for reconstruction-error, each with the message the docs promise;
- a whole `audiotestsrc ! streamcnn ! filesink` pipeline equals PyTorch on the recorded samples.
"""
import os
import subprocess
import sys

import numpy as np

if os.environ.get("VIGIL_TEST_CHILD") != "1":
    # The plugin may be sanitized: run this script again with the runtime preloaded.
    from vigiltest import gst_env
    sys.exit(subprocess.run([sys.executable] + sys.argv, env=gst_env({"VIGIL_TEST_CHILD": "1"}))
             .returncode)

import gi  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
from gi.repository import Gst, GstApp  # noqa: E402,F401

import streamzoo  # noqa: E402
from vigiltest import Checks, gst_launch, tmpdir, tool  # noqa: E402

Gst.init(None)
c = Checks("streamcnn")
D = tmpdir()
SECOND = Gst.SECOND


def close(a, ref):
    err = float(np.max(np.abs(a - ref))) if a.size else 0.0
    return err <= 1e-4 * float(np.max(np.abs(ref))) + 1e-5, err


def export(name, module, shape):
    path = os.path.join(D, name + ".onnx")
    streamzoo.export(module, shape, path)
    return path


def torch_windows(module, x, window, hop):
    """x: [C, (F,) T] numpy. Outputs of every complete window, flattened."""
    t = torch.from_numpy(x[None].astype(np.float32))
    n = (x.shape[-1] - window) // hop + 1
    with torch.no_grad():
        return np.stack([module(t[..., k * hop:k * hop + window]).numpy().reshape(-1)
                         for k in range(n)]) if n > 0 else np.zeros((0, 0))


class Harness:
    """appsrc ! ELEMENT ! appsink: push buffers, then pull every output up to EOS."""

    def __init__(self, desc, caps):
        self.pipe = Gst.parse_launch("appsrc name=src format=time caps=%s ! %s ! appsink name=sink "
                                     "sync=false" % (caps.replace(" ", ""), desc))
        self.src = self.pipe.get_by_name("src")
        self.sink = self.pipe.get_by_name("sink")
        self.pipe.set_state(Gst.State.PLAYING)

    def push(self, buf):
        return self.src.push_buffer(buf)

    def caps(self):
        return self.sink.get_static_pad("sink").get_current_caps()

    def pull_all(self):
        self.src.end_of_stream()
        outs = []
        while True:
            s = self.sink.try_pull_sample(10 * SECOND)
            if s is None:
                break
            b = s.get_buffer()
            ok, info = b.map(Gst.MapFlags.READ)
            outs.append((b.pts, b.duration, b.get_flags(),
                         np.frombuffer(info.data, np.float32).copy(),
                         [b.peek_memory(i).size for i in range(b.n_memory())]))
            b.unmap(info)
        self.caps_at_end = self.caps()
        self.pipe.set_state(Gst.State.NULL)
        return outs


def harness(desc, caps):
    return Harness(desc, caps)


def push(h, frames, pts, rate, flags=0):
    """frames: [n, values] float32 (or int16) array, time-major."""
    buf = Gst.Buffer.new_wrapped(frames.tobytes())
    buf.pts = pts
    buf.duration = int(frames.shape[0] * SECOND / rate)
    if flags:
        buf.set_flags(flags)
    return h.push(buf)


def pull_all(h):
    return h.pull_all()


def check_outputs(name, outs, ref):
    if not c.check(len(outs) == len(ref), "%s: %d outputs, expected %d" % (
            name, len(outs), len(ref))):
        return
    for k, o in enumerate(outs):
        ok, err = close(o[3], ref[k])
        if not c.check(ok, "%s: output %d differs by %g" % (name, k, err)):
            return


torch.manual_seed(7)
padded = nn.Sequential(nn.Conv1d(2, 4, 3, padding=1), nn.ReLU(),
                       nn.Conv1d(4, 3, 3, stride=2, padding=1))
valid = nn.Sequential(nn.Conv1d(2, 4, 3), nn.ReLU(), nn.Conv1d(4, 3, 5, dilation=2))
ae = streamzoo.skab_autoencoder(2)
gap = streamzoo.GapHead(nn.Sequential(nn.Conv1d(2, 6, 5, padding=2), nn.ReLU()), 6, 3)
conv2d = nn.Sequential(nn.Conv2d(2, 3, (3, 3), padding=(1, 1)), nn.ReLU(),
                       nn.Conv2d(3, 2, (4, 3), padding=(0, 1)))
models = {
    "padded": (padded, (1, 2, 32)), "valid": (valid, (1, 2, 32)), "ae": (ae, (1, 2, 60)),
    "gap": (gap, (1, 2, 40)), "conv2d": (conv2d, (1, 2, 4, 20)),
}
paths = {n: export(n, m.eval(), s) for n, (m, s) in models.items()}


def audio_case(name, window, hop, mode, fmt="F32LE", chunk=7, total=150):
    module, shape = models[name]
    rate = 100
    x = np.random.default_rng(hop).uniform(-1, 1, (total, shape[1])).astype(np.float32)
    if fmt == "S16LE":
        xi = (x * 32767).astype(np.int16)
        x = xi.astype(np.float32) / 32768.0
    h = harness("streamcnn model=%s window=%d hop=%d mode=%s" % (paths[name], window, hop, mode),
                "audio/x-raw,format=%s,layout=interleaved,rate=%d,channels=%d" % (
                    fmt, rate, shape[1]))
    for p in range(0, total, chunk):
        data = (xi if fmt == "S16LE" else x)[p:p + chunk]
        push(h, data, int(p * SECOND / rate), rate)
    outs = pull_all(h)
    ref = torch_windows(module, x.T, window, hop)
    what = "%s W=%d H=%d %s %s" % (name, window, hop, mode, fmt)
    check_outputs(what, outs, ref)
    # PTS = end of the window, duration = H frames, framerate = rate / H
    for k, o in enumerate(outs[:3]):
        c.check(o[0] == int((k * hop + window) * SECOND / rate),
                "%s: output %d PTS %d" % (what, k, o[0]))
        c.check(abs(o[1] - hop * SECOND / rate) <= 1, "%s: duration %d" % (what, o[1]))
    caps = h.caps_at_end
    s = caps.get_structure(0) if caps else None
    if c.check(s is not None, "%s: no src caps" % what):
        ok, n, d = s.get_fraction("framerate")
        c.check(ok and n * hop == rate * d, "%s: framerate %d/%d" % (what, n, d))
    return h


for name in ("padded", "valid", "ae", "gap"):
    w = models[name][1][-1]
    for hop in (1, 4, 5, w):
        for mode in ("exact", "full") + (("signal",) if name == "valid" else ()):
            audio_case(name, w, hop, mode)
audio_case("padded", 32, 3, "exact", fmt="S16LE")
audio_case("valid", 40, 6, "exact")  # a window longer than the exported one


# tensors input, F:C frames (2-D model)
def tensor_case():
    module, shape = models["conv2d"]
    C, F, W = shape[1], shape[2], shape[3]
    rate, total, hop = 50, 80, 3
    x = np.random.default_rng(1).standard_normal((total, C, F)).astype(np.float32)
    h = harness("streamcnn model=%s hop=%d" % (paths["conv2d"], hop),
                "other/tensors,format=static,num_tensors=1,types=float32,"
                "dimensions=(string)%d:%d,framerate=%d/1" % (F, C, rate))
    for p in range(0, total, 5):
        push(h, x[p:p + 5], int(p * SECOND / rate), rate)
    ref = torch_windows(module, np.transpose(x, (1, 2, 0)), W, hop)
    check_outputs("conv2d tensors F:C", pull_all(h), ref)


tensor_case()


def recon_case(metric):
    module, shape = models["ae"]
    C, W, hop, rate, total = shape[1], shape[2], 5, 100, 120
    x = np.random.default_rng(3).uniform(-1, 1, (total, C)).astype(np.float32)
    h = harness("streamcnn model=%s hop=%d output=reconstruction-error error-metric=%s" % (
        paths["ae"], hop, metric), "audio/x-raw,format=F32LE,layout=interleaved,rate=%d,"
        "channels=%d" % (rate, C))
    push(h, x, 0, rate)
    outs = pull_all(h)
    y = torch_windows(module, x.T, W, hop).reshape(-1, C, W)
    n = y.shape[0]
    c.check(len(outs) == n, "recon %s: %d outputs, expected %d" % (metric, len(outs), n))
    for k in range(min(n, len(outs))):
        xs = x[k * hop:k * hop + W].T
        e = np.abs(xs - y[k]) if metric == "mae" else (xs - y[k]) ** 2
        per = e.mean(axis=1)
        ref = np.concatenate([[per.sum()], per])
        c.check(outs[k][4] == [4, 4 * C], "recon: memories %s" % outs[k][4])
        ok, err = close(outs[k][3], ref)
        if not c.check(ok, "recon %s: window %d differs by %g" % (metric, k, err)):
            break


recon_case("mae")
recon_case("mse")


def discont_case():
    """A DISCONT buffer or a timestamp gap restarts the window: outputs after it equal a fresh
    stream started there (FLUSH: tests/unit/test_streamcnn_harness.c)."""
    module, shape = models["padded"]
    C, W, hop, rate = 2, 32, 4, 100
    x = np.random.default_rng(5).uniform(-1, 1, (100, C)).astype(np.float32)
    for how in ("discont", "gap"):
        h = harness("streamcnn model=%s hop=%d" % (paths["padded"], hop),
                    "audio/x-raw,format=F32LE,layout=interleaved,rate=%d,channels=%d" % (rate, C))
        push(h, x[:50], 0, rate)
        t1 = int(50 * SECOND / rate)
        flags = 0
        if how == "gap":
            t1 += SECOND  # one second of missing frames
        else:
            flags = Gst.BufferFlags.DISCONT
        push(h, x[50:], t1, rate, flags)
        outs = pull_all(h)
        before = [o for o in outs if o[0] <= int(50 * SECOND / rate)]
        after = [o for o in outs if o[0] > int(50 * SECOND / rate)]
        c.check(len(before) == (50 - W) // hop + 1, "%s: %d outputs before" % (how, len(before)))
        check_outputs("before " + how, before, torch_windows(module, x[:50].T, W, hop))
        check_outputs("after " + how, after, torch_windows(module, x[50:].T, W, hop))
        if after:
            c.check(after[0][0] == t1 + int(W * SECOND / rate),
                    "%s: first PTS after restart %d" % (how, after[0][0]))
            c.check(after[0][2] & Gst.BufferFlags.DISCONT, "%s: first output not DISCONT" % how)


discont_case()


def eos_case():
    out = os.path.join(D, "eos.raw")
    # 1000 frames, W 32, H 5: 194 complete windows; the 3 frames after the last one are dropped
    gst_launch("audiotestsrc num-buffers=10 samplesperbuffer=100 ! audio/x-raw,format=F32LE,"
               "rate=1000,channels=2 ! streamcnn model=%s hop=5 ! filesink location=%s" % (
                   paths["padded"], out))
    n = os.path.getsize(out) // (4 * 3 * 16)
    c.check(n == (1000 - 32) // 5 + 1, "EOS: %d outputs, expected %d" % (n, (1000 - 32) // 5 + 1))


eos_case()


def pipeline_case():
    """audiotestsrc ! tee: the same samples to a file and through streamcnn."""
    inp, out = os.path.join(D, "in.raw"), os.path.join(D, "out.raw")
    gst_launch("audiotestsrc wave=white-noise num-buffers=6 samplesperbuffer=50 ! "
               "audio/x-raw,format=F32LE,rate=1000,channels=2 ! tee name=t ! queue ! "
               "filesink location=%s t. ! queue ! streamcnn model=%s hop=7 mode=exact ! "
               "filesink location=%s" % (inp, paths["ae"], out))
    x = np.fromfile(inp, np.float32).reshape(-1, 2)
    ref = torch_windows(models["ae"][0], x.T, 60, 7)
    y = np.fromfile(out, np.float32).reshape(-1, ref.shape[1])
    check_outputs("audiotestsrc pipeline", [(0, 0, 0, r, []) for r in y], ref)


pipeline_case()


def error(pipeline, *needles):
    r = gst_launch(pipeline, check=False)
    err = r.stderr.decode(errors="replace") + r.stdout.decode(errors="replace")
    c.check(r.returncode != 0 and all(n in err for n in needles),
            "pipeline %r: expected an error with %s, got:\n%s" % (pipeline, needles, err[-800:]))


src = "audiotestsrc num-buffers=3 ! audio/x-raw,format=F32LE,rate=1000,channels=%d ! "
r = subprocess.run([tool("streamcnn_harness"), paths["padded"]], env=os.environ,
                   capture_output=True, text=True)
c.check(r.returncode == 0, "GstHarness (FLUSH, EOS, LATENCY, statistics):\n" + r.stdout + r.stderr)
error(src % 2 + "streamcnn model=/nonexistent/m.onnx ! fakesink", "/nonexistent/m.onnx",
      "does not exist")
junk = os.path.join(D, "junk.onnx")
with open(junk, "wb") as f:
    f.write(b"\x08\x07\x12\x04junk" * 10)
error(src % 2 + "streamcnn model=%s ! fakesink" % junk, junk, "Could not use model")
error(src % 2 + "streamcnn ! fakesink", "No model")
error(src % 3 + "streamcnn model=%s ! fakesink" % paths["padded"], "takes 2 channels",
      "stream has 3")
error(src % 2 + "streamcnn model=%s window=5 ! fakesink" % paths["valid"], "window 5",
      "valid windows: 11 or more")
error(src % 2 + "streamcnn model=%s hop=40 ! fakesink" % paths["padded"],
      "choose a hop from 1 to 32")
error(src % 2 + "streamcnn model=%s output=reconstruction-error ! fakesink" % paths["padded"],
      "reconstruction-error needs an autoencoder")
c.done()
