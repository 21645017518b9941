"""The dwt element against PyWavelets.

transform=dwt: for many wavelets, levels and buffer sizes (1-frame buffers included), the frames
concatenated per tensor equal pywt.wavedec(x, w, mode='zero', level=J) coefficient for
coefficient (the tail frames pad with zeros past pywt's length, which is checked too); caps,
timestamps, S16 and tensor input, DISCONT (each segment is its own transform).
transform=swt: band j of frame i equals pywt.swt(x, w, level=J)[(i - D_j) mod N] with
D_j = (L/2)(2^j - 1), for every i >= (L-1)(2^j - 1), where the causal filters have filled and
the periodic wrap of pywt plays no part (docs/elements/dwt.md).
Bad settings and caps: clear errors.
"""
import numpy as np
import pywt

import dwtrun
import vigiltest

c = vigiltest.Checks("dwt")
rng = np.random.default_rng(5)
RATE = 48000
AUDIO = "audio/x-raw,format=%s,layout=interleaved,rate=48000,channels=%d,channel-mask=(bitmask)0"


def split(x, pattern):
    out, i, k = [], 0, 0
    while i < len(x):
        n = pattern[k % len(pattern)]
        out.append(x[i:i + n])
        i += n
        k += 1
    return out


def tensors_per_level(res, J, S):
    """Concatenates every buffer's memories per tensor: list t -> array [coef, signal]."""
    per = [[] for _ in range(J + 1)]
    for _, _, mems in res["buffers"]:
        for t in range(J + 1):
            w = 1 if t == 0 else 1 << (t - 1)
            per[t].append(mems[t].reshape(-1, S, w).transpose(0, 2, 1).reshape(-1, S))
    return [np.concatenate(p) if p else np.zeros((0, S)) for p in per]


# --- dwt against pywt.wavedec(mode='zero') ---------------------------------------------------
cases = []
for name, J, N in [("haar", 1, 37), ("db1", 3, 100), ("db2", 2, 301), ("db4", 5, 1000),
                   ("db7", 3, 129), ("db20", 2, 173), ("sym2", 4, 64), ("sym5", 3, 250),
                   ("sym8", 5, 999), ("sym20", 3, 300), ("coif1", 2, 77), ("coif3", 4, 513),
                   ("coif5", 3, 260), ("db4", 8, 700), ("db3", 1, 1)]:
    for pattern in ([N], [1], [3, 1, 17, 64, 5]):
        if pattern == [1] and N > 400:
            continue
        cases.append((name, J, N, pattern, 1))
cases.append(("db4", 3, 500, [256, 7], 2))
cases.append(("sym4", 2, 300, [1, 2, 50], 3))
jobs, refs = [], []
for name, J, N, pattern, S in cases:
    x = rng.standard_normal((N, S)).astype(np.float32)
    jobs.append({"props": "wavelet=%s levels=%d" % (name, J), "caps": AUDIO % ("F32LE", S),
                 "chunks": split(x, pattern), "rate": RATE})
    refs.append(x)
results = dwtrun.run_jobs(jobs)
worst = 0.0
for (name, J, N, pattern, S), x, res in zip(cases, refs, results):
    tag = "%s J=%d N=%d S=%d buffers %s" % (name, J, N, S, pattern)
    if not c.check(res["error"] is None, "%s: error %s" % (tag, res["error"])):
        continue
    got = tensors_per_level(res, J, S)
    for s in range(S):
        ref = pywt.wavedec(x[:, s].astype(np.float64), name, mode="zero", level=J)
        for t in range(J + 1):
            g = got[t][:, s]
            n = len(ref[t])
            if not c.check(len(g) >= n, "%s: tensor %d has %d coefficients, pywt %d" % (
                    tag, t, len(g), n)):
                continue
            err = np.max(np.abs(g[:n] - ref[t])) / max(1.0, np.max(np.abs(ref[t])))
            worst = max(worst, err)
            c.check(err < 2e-6, "%s: tensor %d differs from pywt by %.3g" % (tag, t, err))
            c.check(np.all(g[n:] == 0), "%s: tensor %d padding is not zero" % (tag, t))
            w = 1 if t == 0 else 1 << (t - 1)
            c.check(len(g) - n < w or t == 0 or len(g) == len(got[0][:, s]) * w,
                    "%s: tensor %d has spare frames" % (tag, t))
print("dwt: largest relative difference from pywt.wavedec: %.3g" % worst)

# Caps and timestamps of one case: db4, J=5, 1000 frames in buffers of 3, 1, 17, 64, 5.
i = cases.index(("db4", 5, 1000, [3, 1, 17, 64, 5], 1))
res = results[i]
# One channel: "k:1" is written "k" (trailing 1s carry no meaning, docs/tensors.md).
c.check('dimensions=(string)"1\\,1\\,2\\,4\\,8\\,16"' in res["caps"],
        "dwt caps dimensions: %s" % res["caps"])
c.check("framerate=(fraction)1500/1" in res["caps"], "dwt framerate: %s" % res["caps"])
frame = 0
ok_ts = True
for pts, dur, mems in res["buffers"]:
    n = len(mems[0])
    ok_ts &= pts == frame * 32 * 10**9 // RATE and abs(dur - n * 32 * 10**9 / RATE) <= 1
    frame += n
c.check(ok_ts, "dwt timestamps: frame b must start at b * 32 / 48000 s")
ref = pywt.wavedec(np.zeros(1000), "db4", "zero", level=5)
expect = max(-(-len(r) // (1 if t == 0 else 1 << (t - 1))) for t, r in enumerate(ref))
c.check(frame == expect, "dwt: %d frames in all, expected %d (1000 // 32 whole blocks + tail)" % (
    frame, expect))

# --- S16 and tensor input ----------------------------------------------------------------------
xi = rng.integers(-30000, 30000, size=(400, 2)).astype(np.int16)
xt = rng.standard_normal((300, 8)).astype(np.float32)  # tensor frames "4:2": F=4, C=2
jobs = [{"props": "wavelet=sym3 levels=3", "caps": AUDIO % ("S16LE", 2), "dtype": "s16",
         "chunks": split(xi, [100, 33]), "rate": RATE},
        {"props": "wavelet=coif2 levels=2",
         "caps": "other/tensors,format=static,num_tensors=1,types=float32,"
                 "dimensions=(string)4:2,framerate=100/1",
         "chunks": split(xt, [7]), "rate": 100}]
r16, rten = dwtrun.run_jobs(jobs)
for tag, res, x, J, name, S in (("S16", r16, xi / 32768.0, 3, "sym3", 2),
                                ("tensor 4:2", rten, xt, 2, "coif2", 8)):
    if not c.check(res["error"] is None, "%s: %s" % (tag, res["error"])):
        continue
    got = tensors_per_level(res, J, S)
    err = 0
    for s in range(S):
        ref = pywt.wavedec(x[:, s], name, mode="zero", level=J)
        for t in range(J + 1):
            err = max(err, np.max(np.abs(got[t][:len(ref[t]), s] - ref[t])))
    c.check(err < 1e-5, "%s input: differs from pywt by %.3g" % (tag, err))
c.check('dimensions=(string)"1:4:2\\,1:4:2\\,2:4:2"' in (rten["caps"] or "") and "framerate=(fraction)25/1" in (rten["caps"] or ""),
        "tensor input caps: %s" % rten["caps"])

# --- layout=packed: one tensor 2^J:C, cA_J, cD_J, ..., cD_1 one after the other per channel ----
x = rng.standard_normal((333, 2)).astype(np.float32)
res = dwtrun.run_jobs([{"props": "wavelet=sym4 levels=3 layout=packed",
                        "caps": AUDIO % ("F32LE", 2), "chunks": split(x, [5, 64]),
                        "rate": RATE}])[0]
ok = (res["error"] is None and "dimensions=(string)8:2" in res["caps"]
      and "num_tensors=(int)1" in res["caps"])
if ok:
    y = np.concatenate([m[0] for _, _, m in res["buffers"]]).reshape(-1, 2, 8)
    for s_ in range(2):
        ref = pywt.wavedec(x[:, s_], "sym4", mode="zero", level=3)
        parts = [y[:, s_, 0:1], y[:, s_, 1:2], y[:, s_, 2:4], y[:, s_, 4:8]]
        for t in range(4):
            g = parts[t].reshape(-1)
            ok &= bool(np.allclose(g[:len(ref[t])], ref[t], atol=1e-5) and
                       np.all(g[len(ref[t]):] == 0))
c.check(ok, "layout=packed differs from pywt.wavedec (caps %s, error %s)" % (res["caps"],
                                                                          res["error"]))

# --- variable rate (framerate=0/1): times from the buffers, durations unset -------------------
x = rng.standard_normal((200, 3)).astype(np.float32)
res = dwtrun.run_jobs([{"props": "wavelet=db2 levels=2",
                        "caps": "other/tensors,format=static,num_tensors=1,types=float32,"
                                "dimensions=3,framerate=0/1",
                        "chunks": split(x, [7, 30]), "rate": 100}])[0]
ok = res["error"] is None and "framerate=(fraction)0/1" in res["caps"]
frame = 0
for pts, dur, mems in (res["buffers"] if ok else []):
    ok &= abs(pts - frame * 4 * 10**7) <= 1 and dur == 2**64 - 1
    frame += len(mems[0]) // 3
c.check(ok, "variable rate: frame b must be at b * 4 / 100 s with no duration (%s)" % (
    res["error"] or [(b[0], b[1]) for b in res["buffers"][:4]]))

# --- chaining: the packed layout is a single tensor that another element can take --------------
r = vigiltest.gst_launch("audiotestsrc num-buffers=4 ! audio/x-raw,format=F32LE,channels=2 ! "
                         "dwt levels=3 layout=packed ! dwt transform=swt levels=2 ! fakesink",
                         check=False, timeout=60)
c.check(r.returncode == 0, "dwt layout=packed ! dwt transform=swt failed: %s" %
        r.stderr.decode(errors="replace")[-500:])

# --- DISCONT: each segment is transformed on its own ------------------------------------------
x = rng.standard_normal((300, 1)).astype(np.float32)
chunks = split(x, [50])
res = dwtrun.run_jobs([{"props": "wavelet=db3 levels=2", "caps": AUDIO % ("F32LE", 1),
                        "chunks": chunks, "discont": [3], "rate": RATE}])[0]
got = tensors_per_level(res, 2, 1)
ok = res["error"] is None
if ok:
    pos = [0] * 3
    for seg in (x[:150, 0], x[150:, 0]):
        ref = pywt.wavedec(seg, "db3", mode="zero", level=2)
        frames = max((len(ref[0])), -(-len(ref[1]) // 1), -(-len(ref[2]) // 2))
        for t in range(3):
            w = 1 if t == 0 else 1 << (t - 1)
            g = got[t][pos[t]:pos[t] + frames * w, 0]
            ok &= np.allclose(g[:len(ref[t])], ref[t], atol=1e-5) and np.all(g[len(ref[t]):] == 0)
            pos[t] += frames * w
c.check(ok, "DISCONT: the two segments are not transformed independently (%s)" % res["error"])

# --- swt against pywt.swt ----------------------------------------------------------------------
swt_cases = [("haar", 1, 64, [64]), ("db2", 3, 256, [1]), ("db4", 4, 512, [100, 3]),
             ("sym5", 3, 512, [512]), ("coif2", 2, 256, [17]), ("db4", 3, 256, [64]),
             ("sym8", 5, 1024, [300])]
jobs, refs = [], []
for name, J, N, pattern in swt_cases:
    x = rng.standard_normal((N, 1)).astype(np.float32)
    jobs.append({"props": "transform=swt wavelet=%s levels=%d" % (name, J),
                 "caps": AUDIO % ("F32LE", 1), "chunks": split(x, pattern), "rate": RATE})
    refs.append(x)
results = dwtrun.run_jobs(jobs)
worst, compared = 0.0, 0
for (name, J, N, pattern), x, res in zip(swt_cases, refs, results):
    tag = "swt %s J=%d N=%d buffers %s" % (name, J, N, pattern)
    if not c.check(res["error"] is None, "%s: %s" % (tag, res["error"])):
        continue
    y = np.concatenate([m[0] for _, _, m in res["buffers"]]).reshape(-1, J + 1)
    c.check(y.shape[0] == N, "%s: %d frames for %d input frames" % (tag, y.shape[0], N))
    ref = pywt.swt(x[:, 0].astype(np.float64), name, level=J)  # [(cA_J, cD_J), ..., (cA_1, cD_1)]
    L = pywt.Wavelet(name).dec_len
    for j in range(1, J + 1):
        cA, cD = ref[J - j]
        D, fill = (L // 2) * (2**j - 1), (L - 1) * (2**j - 1)
        i = np.arange(fill, N)
        if not c.check(len(i) > 0, "%s: level %d never fills" % (tag, j)):
            continue
        e = np.max(np.abs(y[i, J - j + 1] - cD[(i - D) % N])) / np.max(np.abs(cD))
        if j == J:
            e = max(e, np.max(np.abs(y[i, 0] - cA[(i - D) % N])) / np.max(np.abs(cA)))
        worst = max(worst, e)
        compared += len(i)
        c.check(e < 2e-6, "%s: level %d differs from pywt.swt by %.3g" % (tag, j, e))
    pts = [b[0] for b in res["buffers"]]
    c.check(pts[0] == 0 and all(p2 > p1 for p1, p2 in zip(pts, pts[1:])), "%s: PTS" % tag)
i = swt_cases.index(("db4", 4, 512, [100, 3]))
c.check("dimensions=(string)5," in results[i]["caps"],
        "swt caps: %s" % results[i]["caps"])
print("swt: largest relative difference from pywt.swt: %.3g over %d compared values" % (
    worst, compared))

# --- bad settings and caps ---------------------------------------------------------------------
bad = [("dwt wavelet=db21", "orders run from 1 to 20"),
       ("dwt wavelet=bior2.2", "unknown wavelet 'bior2.2'"),
       ("dwt transform=swt levels=13", "at most 12")]
for props, needle in bad:
    r = vigiltest.gst_launch("audiotestsrc num-buffers=2 ! audio/x-raw,format=F32LE ! %s ! "
                             "fakesink" % props, check=False, timeout=60)
    err = r.stderr.decode(errors="replace") + r.stdout.decode(errors="replace")
    c.check(r.returncode != 0 and needle in err, "%s: expected an error with '%s', got %r" % (
        props, needle, err[-600:]))
    c.check(err.count("ERROR: from element") == 1, "%s: the error was posted %d times" % (
        props, err.count("ERROR: from element")))
caps2 = ('other/tensors,format=static,num_tensors=2,types=(string)"float32,float32",'
         'dimensions=(string)"2,2",framerate=10/1')
res = dwtrun.run_jobs([{"props": "", "caps": caps2, "chunks": [np.zeros((1, 4))]}])[0]
c.check(res["error"] is not None and "2 tensors per frame" in res["error"],
        "two-tensor input: expected a clear caps error, got %r" % res["error"])
c.done()
