"""streamcnn against PyTorch, through appsrc ! streamcnn ! appsink (GI), GstHarness
(tests/streamcnn_harness.c) and gst-launch-1.0.

- audio (F32LE, S16LE) and tensor ("F:C") input: every output frame equals PyTorch's output on
  the same window (max |error| <= 1e-4 * max |reference| + 1e-5), in exact, signal (unpadded model)
  and full modes, for hops 1, 4, 5 and H = W, and a window longer than the exported one;
- timestamps: PTS = end of the window, duration = H frames, src framerate = input rate / H;
- frames-per-buffer: the windows of one input buffer grouped (model and reconstruction-error
  output, with a DISCONT): same frames, each frame's time PTS + i * duration / n the end of its
  window exactly, grouping by input buffer;
- output=reconstruction-error: tensors [sum] and [C] equal numpy on PyTorch's reconstruction;
- DISCONT and a timestamp gap restart the window; FLUSH resets, EOS drops the partial hop, LATENCY
  adds nothing (GstHarness); EOS through gst-launch gives floor((N - W) / H) + 1 outputs;
- models exported with a dynamic time axis (1-D with a mean head, 2-D whose reshape reads the
  time axis, one that multiplies by the length it reads) at a window other than the export's
  example length, in exact and full modes;
- errors: missing and unreadable models, no model, channel mismatch, impossible window and hop, a
  model that is no autoencoder for reconstruction-error, a dynamic time axis without a window,
  each with the message the docs promise;
- whole pipelines equal PyTorch: `audiotestsrc ! tee ! streamcnn ! filesink` on the recorded
  samples, and `filesrc ! csvparse rate=100/1 ! streamcnn ! csvenc ! filesink` on a CSV file.

PyTorch runs in this process; GStreamer runs in a worker process (this script with --worker) that
gets the sanitizer runtime preloaded in the sanitized build (libtorch does not run under it).
"""
import os
import pickle
import subprocess
import sys

import numpy as np

SECOND = 1000000000


def worker(jobs_path, results_path):
    """Runs every job: {'desc', 'caps', 'pushes'} through appsrc ! desc ! appsink, or
    {'error': pipeline} until its first ERROR message."""
    import gi
    gi.require_version("Gst", "1.0")
    gi.require_version("GstApp", "1.0")
    from gi.repository import Gst, GstApp  # noqa: F401
    Gst.init(None)
    results = []
    for job in pickle.load(open(jobs_path, "rb")):
        if "error" in job:
            pipe = Gst.parse_launch(job["error"])
            pipe.set_state(Gst.State.PLAYING)
            msg = pipe.get_bus().timed_pop_filtered(20 * SECOND, Gst.MessageType.ERROR |
                                                    Gst.MessageType.EOS)
            text = ""
            if msg and msg.type == Gst.MessageType.ERROR:
                e, dbg = msg.parse_error()
                text = "%s\n%s" % (e.message, dbg)
            pipe.set_state(Gst.State.NULL)
            results.append(text)
            continue
        pipe = Gst.parse_launch("appsrc name=src format=time caps=%s ! %s ! appsink name=sink "
                                "sync=false" % (job["caps"].replace(" ", ""), job["desc"]))
        src, sink = pipe.get_by_name("src"), pipe.get_by_name("sink")
        pipe.set_state(Gst.State.PLAYING)
        for data, pts, dur, flags in job["pushes"]:
            buf = Gst.Buffer.new_wrapped(data)
            buf.pts, buf.duration = pts, dur
            if flags:
                buf.set_flags(Gst.BufferFlags.DISCONT)
            src.push_buffer(buf)
        src.end_of_stream()
        outs = []
        while True:
            s = sink.try_pull_sample(20 * SECOND)
            if s is None:
                break
            b = s.get_buffer()
            ok, info = b.map(Gst.MapFlags.READ)
            outs.append((b.pts, b.duration, bool(b.get_flags() & Gst.BufferFlags.DISCONT),
                         np.frombuffer(info.data, np.float32).copy(),
                         [b.peek_memory(i).size for i in range(b.n_memory())]))
            b.unmap(info)
        caps = sink.get_static_pad("sink").get_current_caps()
        rate = None
        if caps:
            ok, n, d = caps.get_structure(0).get_fraction("framerate")
            rate = (n, d) if ok else None
        pipe.set_state(Gst.State.NULL)
        results.append((outs, rate))
    pickle.dump(results, open(results_path, "wb"))


if len(sys.argv) > 1 and sys.argv[1] == "--worker":
    worker(sys.argv[2], sys.argv[3])
    sys.exit(0)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

import streamzoo  # noqa: E402
from modelcheck import Cat  # noqa: E402
from vigiltest import Checks, gst_env, gst_launch, tmpdir, tool  # noqa: E402

c = Checks("streamcnn")
D = tmpdir()


def close(a, ref):
    if a.shape != ref.shape:
        return False, float("inf")
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
        return [module(t[..., k * hop:k * hop + window]).numpy().reshape(-1) for k in range(n)]


def push(frames, first, rate, discont=False, pts=None):
    """One appsrc buffer of time-major frames starting at frame `first`."""
    return (frames.tobytes(), int(first * SECOND / rate) if pts is None else pts,
            int(frames.shape[0] * SECOND / rate), discont)


def check_outputs(name, outs, ref):
    if not c.check(len(outs) == len(ref), "%s: %d outputs, expected %d" % (
            name, len(outs), len(ref))):
        return
    for k, o in enumerate(outs):
        ok, err = close(o[3], ref[k])
        if not c.check(ok, "%s: output %d differs by %g" % (name, k, err)):
            return


torch.manual_seed(7)
models = {
    "padded": (nn.Sequential(nn.Conv1d(2, 4, 3, padding=1), nn.ReLU(),
                             nn.Conv1d(4, 3, 3, stride=2, padding=1)), (1, 2, 32)),
    "valid": (nn.Sequential(nn.Conv1d(2, 4, 3), nn.ReLU(), nn.Conv1d(4, 3, 5, dilation=2)),
              (1, 2, 32)),
    "ae": (streamzoo.skab_autoencoder(2), (1, 2, 60)),
    "gap": (streamzoo.GapHead(nn.Sequential(nn.Conv1d(2, 6, 5, padding=2), nn.ReLU()), 6, 3),
            (1, 2, 40)),
    "conv2d": (nn.Sequential(nn.Conv2d(2, 3, (3, 3), padding=(1, 1)), nn.ReLU(),
                             nn.Conv2d(3, 2, (4, 3), padding=(0, 1))), (1, 2, 4, 20)),
}
for m, _ in models.values():
    m.eval()
paths = {n: export(n, m, s) for n, (m, s) in models.items()}
AUDIO = "audio/x-raw,format=%s,layout=interleaved,rate=%d,channels=%d"
jobs, checks = [], []  # checks[i](result of jobs[i])


def audio_case(name, window, hop, mode, fmt="F32LE", chunk=7, total=150):
    module, shape = models[name]
    rate = 100
    x = np.random.default_rng(hop).uniform(-1, 1, (total, shape[1])).astype(np.float32)
    data = x
    if fmt == "S16LE":
        data = (x * 32767).astype(np.int16)
        x = data.astype(np.float32) / 32768.0
    jobs.append({"desc": "streamcnn model=%s window=%d hop=%d mode=%s" % (
        paths[name], window, hop, mode), "caps": AUDIO % (fmt, rate, shape[1]),
        "pushes": [push(data[p:p + chunk], p, rate) for p in range(0, total, chunk)]})
    ref = torch_windows(module, x.T, window, hop)
    what = "%s W=%d H=%d %s %s" % (name, window, hop, mode, fmt)

    def check(result):
        outs, fr = result
        check_outputs(what, outs, ref)
        for k, o in enumerate(outs[:3]):
            c.check(o[0] == int((k * hop + window) * SECOND / rate),
                    "%s: output %d PTS %d" % (what, k, o[0]))
            c.check(abs(o[1] - hop * SECOND / rate) <= 1, "%s: duration %d" % (what, o[1]))
        c.check(fr is not None and fr[0] * hop == rate * fr[1], "%s: framerate %s" % (what, fr))
    checks.append(check)


for name in ("padded", "valid", "ae", "gap"):
    w = models[name][1][-1]
    for hop in (1, 4, 5, w):
        for mode in ("exact", "full") + (("signal",) if name == "valid" else ()):
            audio_case(name, w, hop, mode)
audio_case("padded", 32, 3, "exact", fmt="S16LE")
audio_case("valid", 40, 6, "exact")  # a window longer than the exported one


class TwoOutputs(nn.Module):
    """A time-valued output beside a per-window one: streamcnn sends one tensor for each."""

    def __init__(self):
        super().__init__()
        self.conv, self.out, self.fc = nn.Conv1d(2, 4, 3), nn.Conv1d(4, 3, 3), nn.Linear(4, 2)

    def forward(self, x):
        h = torch.relu(self.conv(x))
        return self.out(h), self.fc(h.mean(-1))


torch.manual_seed(12)
two = TwoOutputs().eval()
paths["two"] = export("two", two, (1, 2, 32))
models["two"] = (Cat(two).eval(), (1, 2, 32))
for mode in ("exact", "full"):
    audio_case("two", 32, 3, mode)
    # one memory per tensor: frames of [3, 28] (the time-valued output), then of [2]
    checks[-1] = (lambda f: lambda r: (f(r), [c.check(
        o[4] == [4 * 3 * 28, 4 * 2], "two outputs: memories %s" % o[4]) for o in r[0][:2]]))(
        checks[-1])


# Models exported with a dynamic time axis: the window property gives the length (here not the
# export's example length), the graph's shape arithmetic is evaluated at it.
torch.manual_seed(11)
for name, module, shape in (("dyn_mean", streamzoo.MeanHead(2), (1, 2, 40)),
                            ("dyn_fold", streamzoo.FoldFreq(2, 4), (1, 2, 4, 30)),
                            ("dyn_scaled", streamzoo.LengthScaled(2), (1, 2, 40))):
    models[name] = (module.eval(), shape)
    paths[name] = os.path.join(D, name + ".onnx")
    streamzoo.export_dynamic(module, shape, paths[name])


def dynamic_case(name, window, hop, mode):
    module, shape = models[name]
    inner, rate, total = tuple(shape[1:-1]), 100, 120
    x = np.random.default_rng(window + hop).standard_normal((total,) + inner).astype(np.float32)
    caps = AUDIO % ("F32LE", rate, inner[0]) if len(inner) == 1 else (
        "other/tensors,format=static,num_tensors=1,types=float32,dimensions=(string)%d:%d,"
        "framerate=%d/1" % (inner[1], inner[0], rate))
    jobs.append({"desc": "streamcnn model=%s window=%d hop=%d mode=%s" % (
        paths[name], window, hop, mode), "caps": caps,
        "pushes": [push(x[p:p + 9], p, rate) for p in range(0, total, 9)]})
    ref = torch_windows(module, np.moveaxis(x, 0, -1), window, hop)
    what = "%s (dynamic time axis) W=%d H=%d %s" % (name, window, hop, mode)
    checks.append(lambda r: check_outputs(what, r[0], ref))


for hop in (1, 5, 48):
    dynamic_case("dyn_mean", 48, hop, "exact")
dynamic_case("dyn_mean", 48, 5, "full")
dynamic_case("dyn_fold", 24, 3, "exact")
dynamic_case("dyn_fold", 24, 3, "full")
dynamic_case("dyn_scaled", 30, 4, "exact")  # multiplies by the length: loaded at the window


def tensor_case():
    """other/tensors frames of F:C values into a 2-D model."""
    module, shape = models["conv2d"]
    C, F, W = shape[1], shape[2], shape[3]
    rate, total, hop = 50, 80, 3
    x = np.random.default_rng(1).standard_normal((total, C, F)).astype(np.float32)
    jobs.append({"desc": "streamcnn model=%s hop=%d" % (paths["conv2d"], hop),
                 "caps": "other/tensors,format=static,num_tensors=1,types=float32,"
                 "dimensions=(string)%d:%d,framerate=%d/1" % (F, C, rate),
                 "pushes": [push(x[p:p + 5], p, rate) for p in range(0, total, 5)]})
    ref = torch_windows(module, np.transpose(x, (1, 2, 0)), W, hop)
    checks.append(lambda r: check_outputs("conv2d tensors F:C", r[0], ref))


tensor_case()


def recon_case(metric):
    module, shape = models["ae"]
    C, W, hop, rate, total = shape[1], shape[2], 5, 100, 120
    x = np.random.default_rng(3).uniform(-1, 1, (total, C)).astype(np.float32)
    jobs.append({"desc": "streamcnn model=%s hop=%d output=reconstruction-error error-metric=%s"
                 % (paths["ae"], hop, metric), "caps": AUDIO % ("F32LE", rate, C),
                 "pushes": [push(x, 0, rate)]})
    y = np.array(torch_windows(module, x.T, W, hop)).reshape(-1, C, W)
    ref = []
    for k in range(y.shape[0]):
        xs = x[k * hop:k * hop + W].T
        e = np.abs(xs - y[k]) if metric == "mae" else (xs - y[k]) ** 2
        per = e.mean(axis=1)
        ref.append(np.concatenate([[per.sum()], per]).astype(np.float32))

    def check(result):
        outs = result[0]
        check_outputs("reconstruction-error " + metric, outs, ref)
        if outs:
            c.check(outs[0][4] == [4, 4 * C], "recon: memories %s" % outs[0][4])
    checks.append(check)


recon_case("mae")
recon_case("mse")


def discont_case(how):
    """A DISCONT buffer or a timestamp gap restarts the window: outputs after it equal a fresh
    stream started there."""
    module, shape = models["padded"]
    C, W, hop, rate = 2, 32, 4, 100
    x = np.random.default_rng(5).uniform(-1, 1, (100, C)).astype(np.float32)
    t1 = int(50 * SECOND / rate) + (SECOND if how == "gap" else 0)
    jobs.append({"desc": "streamcnn model=%s hop=%d" % (paths["padded"], hop),
                 "caps": AUDIO % ("F32LE", rate, C),
                 "pushes": [push(x[:50], 0, rate), push(x[50:], 50, rate, how == "discont", t1)]})
    ref_before = torch_windows(module, x[:50].T, W, hop)
    ref_after = torch_windows(module, x[50:].T, W, hop)

    def check(result):
        outs = result[0]
        split = int(50 * SECOND / rate)
        before = [o for o in outs if o[0] <= split]
        after = [o for o in outs if o[0] > split]
        check_outputs("before " + how, before, ref_before)
        check_outputs("after " + how, after, ref_after)
        if after:
            c.check(after[0][0] == t1 + int(W * SECOND / rate),
                    "%s: first PTS after restart %d" % (how, after[0][0]))
            c.check(after[0][2], "%s: first output after restart is not DISCONT" % how)
    checks.append(check)


discont_case("discont")
discont_case("gap")


def grouped_case(output, hop, chunk, fpb, discont_at=None):
    """frames-per-buffer=fpb: the windows one input buffer completes go out in buffers of at most
    fpb frames. Frames equal PyTorch's windows in order; each buffer's PTS is the exact end of its
    first window and frame i's time PTS + i * duration / n the exact end of window offset + i; no
    buffer holds windows of two input buffers."""
    module, shape = models["ae"]
    C, W, rate, total = shape[1], shape[2], 100, 150
    x = np.random.default_rng(11).uniform(-1, 1, (total, C)).astype(np.float32)
    recon = output == "reconstruction-error"
    pushes = [push(x[p:p + chunk], p, rate, discont=p == discont_at) for p in range(0, total, chunk)]
    jobs.append({"desc": "streamcnn model=%s hop=%d output=%s frames-per-buffer=%d" % (
        paths["ae"], hop, output, fpb), "caps": AUDIO % ("F32LE", rate, C), "pushes": pushes})
    what = "frames-per-buffer=%d %s H=%d chunk %d%s" % (
        fpb, output, hop, chunk, " discont at %d" % discont_at if discont_at else "")
    # the windows (start frame) each input buffer completes, restarting at the DISCONT
    groups, origin = [], 0
    for p in range(0, total, chunk):
        if p == discont_at:
            origin = p
        end = min(p + chunk, total)
        ks = [s for s in range(origin, end - W + 1, hop) if s + W > p]
        groups += [ks[i:i + fpb] for i in range(0, len(ks), fpb)]
    ref_of = {}
    for o in sorted({g0 for g in groups for g0 in g}):
        y = module(torch.from_numpy(x[o:o + W].T[None].copy())).detach().numpy()[0]
        if recon:
            per = np.abs(x[o:o + W].T - y).mean(axis=1)
            ref_of[o] = np.concatenate([[per.sum()], per]).astype(np.float32)
        else:
            ref_of[o] = y.reshape(-1)
    frame_values = 1 + C if recon else C * W

    def check(result):
        outs = result[0]
        if not c.check([len(o[3]) // frame_values for o in outs] == [len(g) for g in groups],
                       "%s: frames per buffer %s, expected %s" % (
                           what, [len(o[3]) // frame_values for o in outs],
                           [len(g) for g in groups])):
            return
        for o, g in zip(outs, groups):
            n = len(g)
            if recon:  # one memory per tensor: n sums, then n frames of C errors
                c.check(o[4] == [4 * n, 4 * C * n], "%s: memories %s" % (what, o[4]))
                frames = np.concatenate([o[3][:n, None], o[3][n:].reshape(n, C)], axis=1)
            else:
                frames = o[3].reshape(n, -1)
            for i, start in enumerate(g):
                ok, err = close(frames[i], ref_of[start])
                c.check(ok, "%s: window at %d differs by %g" % (what, start, err))
                t = o[0] + i * o[1] // n  # the frame's time, as downstream elements compute it
                c.check(t == (start + W) * SECOND // rate,
                        "%s: frame %d of a buffer at %d, window end %d" % (
                            what, i, t, (start + W) * SECOND // rate))
            c.check(o[1] == n * hop * SECOND // rate, "%s: duration %d for %d frames" % (
                what, o[1], n))
            c.check(o[2] == (g[0] in (0, discont_at)), "%s: DISCONT %s on the buffer of window %d"
                    % (what, o[2], g[0]))
    checks.append(check)


grouped_case("model", 1, 25, 8)
grouped_case("model", 3, 40, 100)
grouped_case("reconstruction-error", 1, 17, 5)
grouped_case("reconstruction-error", 2, 30, 64, discont_at=90)

src = "audiotestsrc num-buffers=3 ! audio/x-raw,format=F32LE,rate=1000,channels=%d ! "
junk = os.path.join(D, "junk.onnx")
with open(junk, "wb") as f:
    f.write(b"\x08\x07\x12\x04junk" * 10)
csv3 = os.path.join(D, "three.csv")
with open(csv3, "w") as f:
    f.write("a,b,c\n" + "".join("%d,%d,%d\n" % (i, -i, 2 * i) for i in range(64)))
errors = [
    (src % 2 + "streamcnn model=/nonexistent/m.onnx ! fakesink", ["/nonexistent/m.onnx",
                                                                  "does not exist"]),
    (src % 2 + "streamcnn model=%s ! fakesink" % junk, [junk, "Could not use model"]),
    (src % 2 + "streamcnn ! fakesink", ["No model"]),
    (src % 3 + "streamcnn model=%s ! fakesink" % paths["padded"], ["takes 2 channels",
                                                                   "stream has 3"]),
    # a 2-D model fed frames of 3 values: the message names both axes it takes
    ("filesrc location=%s ! csvparse rate=100/1 ! streamcnn model=%s ! fakesink" % (
        csv3, paths["conv2d"]), ["Frame mismatch", "2 channels x %d values" % models["conv2d"][1][2],
                                 "the stream has 3 x 1"]),
    (src % 2 + "streamcnn model=%s window=5 ! fakesink" % paths["valid"], [
        "window 5", "valid windows: 11 or more"]),
    (src % 2 + "streamcnn model=%s hop=40 ! fakesink" % paths["padded"], [
        "choose a hop from 1 to 32"]),
    (src % 2 + "streamcnn model=%s output=reconstruction-error ! fakesink" % paths["padded"], [
        "reconstruction-error needs an autoencoder"]),
    (src % 2 + "streamcnn model=%s output=reconstruction-error ! fakesink" % paths["two"], [
        "reconstruction-error needs an autoencoder"]),
    (src % 2 + "streamcnn model=%s ! fakesink" % paths["dyn_mean"], [
        paths["dyn_mean"], "dynamic time axis ('time')", "'window' property"]),
]
for pipeline, needles in errors:
    jobs.append({"error": pipeline})
    checks.append(lambda text, p=pipeline, n=needles: c.check(
        all(s in text for s in n), "%r: expected an error with %s, got: %r" % (p, n, text)))

jobs_path, results_path = os.path.join(D, "jobs.pkl"), os.path.join(D, "results.pkl")
pickle.dump(jobs, open(jobs_path, "wb"))
r = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", jobs_path,
                    results_path], env=gst_env(), timeout=500)
if c.check(r.returncode == 0 and os.path.exists(results_path), "the GStreamer worker failed"):
    for check, result in zip(checks, pickle.load(open(results_path, "rb"))):
        check(result)

# GstHarness: FLUSH, EOS, LATENCY, statistics
r = subprocess.run([tool("streamcnn_harness"), paths["padded"]], env=gst_env(),
                   capture_output=True, text=True)
c.check(r.returncode == 0, "GstHarness (FLUSH, EOS, LATENCY, statistics, data before caps):\n" + r.stdout + r.stderr)

# EOS through gst-launch: 1000 frames, W 32, H 5: 194 windows; the 3 frames after them are dropped
out = os.path.join(D, "eos.raw")
gst_launch("audiotestsrc num-buffers=10 samplesperbuffer=100 ! audio/x-raw,format=F32LE,"
           "rate=1000,channels=2 ! streamcnn model=%s hop=5 ! filesink location=%s" % (
               paths["padded"], out))
n = os.path.getsize(out) // (4 * 3 * 16)
c.check(n == (1000 - 32) // 5 + 1, "EOS: %d outputs, expected %d" % (n, (1000 - 32) // 5 + 1))

# A pool over the whole exported input (PyTorch's export of AdaptiveMaxPool1d(1)) streamed at
# another window: one WARNING message naming it; none at the exported length.
class MaxHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv, self.fc = nn.Conv1d(2, 4, 3), nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(nn.functional.adaptive_max_pool1d(torch.relu(self.conv(x)), 1).flatten(1))


maxhead = export("maxhead", MaxHead().eval(), (1, 2, 32))
for window, expect in ((48, 1), (32, 0)):
    r = subprocess.run(["gst-launch-1.0", "audiotestsrc", "num-buffers=4", "!",
                        "audio/x-raw,format=F32LE,rate=1000,channels=2", "!", "streamcnn",
                        "model=" + maxhead, "window=%d" % window, "hop=4", "!", "fakesink"],
                       env=gst_env(), capture_output=True, text=True, timeout=120)
    warnings = [ln for ln in (r.stdout + r.stderr).splitlines() if ln.startswith("WARNING: from")]
    c.check(r.returncode == 0 and len(warnings) == expect and
            all("AdaptiveMaxPool1d" in w and "window %d" % window in w for w in warnings),
            "whole-input pool at window %d: %d warnings, expected %d:\n%s%s" % (
                window, len(warnings), expect, r.stdout, r.stderr))

# audiotestsrc ! tee: the same samples to a file and through streamcnn
inp, out = os.path.join(D, "in.raw"), os.path.join(D, "out.raw")
gst_launch("audiotestsrc wave=white-noise num-buffers=6 samplesperbuffer=50 ! "
           "audio/x-raw,format=F32LE,rate=1000,channels=2 ! tee name=t ! queue ! "
           "filesink location=%s t. ! queue ! streamcnn model=%s hop=7 mode=exact ! "
           "filesink location=%s" % (inp, paths["ae"], out))
x = np.fromfile(inp, np.float32).reshape(-1, 2)
ref = torch_windows(models["ae"][0], x.T, 60, 7)
y = np.fromfile(out, np.float32).reshape(-1, 120)
check_outputs("audiotestsrc pipeline", [(0, 0, 0, row, []) for row in y], ref)

# filesrc ! csvparse rate=100/1 ! streamcnn ! csvenc ! filesink: rows in, one row per hop out
csv_in, csv_out = os.path.join(D, "in.csv"), os.path.join(D, "out.csv")
x = np.random.default_rng(9).uniform(-2, 2, (90, 2)).astype(np.float32)
with open(csv_in, "w") as f:
    f.write("a,b\n" + "".join("%.9g,%.9g\n" % tuple(r) for r in x))
gst_launch("filesrc location=%s ! csvparse rate=100/1 ! streamcnn model=%s hop=6 ! csvenc ! "
           "filesink location=%s" % (csv_in, paths["padded"], csv_out))
rows = [line.split(",") for line in open(csv_out).read().splitlines()[1:]]
ref = torch_windows(models["padded"][0], x.T, 32, 6)
check_outputs("csvparse ! streamcnn ! csvenc", [
    (0, 0, 0, np.array([float(v) for v in r[1:]], np.float32), []) for r in rows], ref)
c.check(len(rows) > 0 and abs(float(rows[0][0]) - 0.32) < 1e-9,
        "csv: first output time %s, expected 0.32 (end of the first window)" % (
            rows[0][0] if rows else None))
c.done()
