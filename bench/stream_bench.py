#!/usr/bin/python3
"""Streaming engine benchmark (docs/benchmarks.md, "Streaming engine").

    /usr/bin/python3 bench/stream_bench.py [BUILD_DIR] [ROUNDS] [MODEL,...]

For the three StreamiNNC model shapes, and a TCN (stream_models.EXTRA), at the paper's window/hop
(the TCN: W/4) and at W/16 and W/64: per-hop
time of exact, signal and full modes and PyTorch's per-window time (1 thread, no_grad), in
ROUNDS rounds (default 3) that alternate them, each figure the median over its rounds (a round's
figure: the engine's amortised time per hop, the mean without the slowest 1 % of hops, so that a
deferred-tap pass every few hops counts; PyTorch's median window); the
speed-ups beside the ideal W/H and the plan's FLOP ratio; a whole pipeline
(audiotestsrc ! streamcnn ! fakesink); and peak RSS over one minute and one hour of stream.
MODEL,... (e.g. `tcn`) runs the first table for those models only.
"""
import os
import subprocess
import sys
import tempfile
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stream_models  # noqa: E402
import torch_baseline  # noqa: E402

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
BENCH = os.path.join(BUILD, "bench", "stream_bench")
ONLY = sys.argv[3].split(",") if len(sys.argv) > 3 else None


def torch_window_us(module, shape, reps=30):
    torch.set_num_threads(1)
    x = torch.randn(*shape)
    ts = []
    with torch.no_grad():
        for _ in range(5):
            module(x)
        for _ in range(reps):
            t0 = time.perf_counter()
            module(x)
            ts.append((time.perf_counter() - t0) * 1e6)
    ts.sort()
    return ts[len(ts) // 2]


def engine(path, window, hop, mode, hops):
    r = subprocess.run([BENCH, path, "--window", str(window), "--hop", str(hop), "--mode", mode,
                        "--hops", str(hops)], capture_output=True, text=True, check=True)
    return dict(kv.split("=") for kv in r.stdout.split())


def pipeline(path, shape, window, hop, mode, hops=1000):
    """Wall time per hop of audiotestsrc ! streamcnn ! fakesink (one buffer per hop): the
    difference between runs of 2*hops and hops buffers, so start-up and model loading cancel;
    median of three such differences. mode None: the source alone (audiotestsrc ! fakesink),
    whose time the other figures include."""
    env = dict(os.environ, GST_PLUGIN_PATH=os.path.join(BUILD, "plugins"))
    ts = []
    for n in (hops, 2 * hops) * 3:
        cmd = ["gst-launch-1.0", "-q", "audiotestsrc", "wave=pink-noise", "num-buffers=%d" % n,
               "samplesperbuffer=%d" % hop, "!",
               "audio/x-raw,format=F32LE,rate=1000,channels=%d" % shape[1], "!"]
        if mode:
            cmd += ["streamcnn", "model=" + path, "window=%d" % window, "hop=%d" % hop,
                    "mode=" + mode, "!"]
        cmd.append("fakesink")
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, check=True)
        ts.append(time.perf_counter() - t0)
    diffs = sorted(ts[i + 1] - ts[i] for i in range(0, 6, 2))
    return diffs[1] / hops * 1e6


def signal_nrmse(path, shape, hop, windows=40):
    """NRMSE = RMSE / (max - min) of signal mode's outputs against exact mode's (= windowed
    inference) over `windows` windows of a smooth random stream (pink-ish: cumulative sums of
    noise, high-passed), the paper's deviation measure."""
    import numpy as np
    w = shape[-1]
    total = w + hop * (windows - 1)
    rng = np.random.default_rng(0)
    x = np.cumsum(rng.standard_normal((total, shape[1])), axis=0)
    x -= np.convolve(np.ones(64) / 64, x[:, 0], "same")[:, None]
    xf = path + ".in.f32"
    x.astype(np.float32).tofile(xf)
    outs = {}
    for mode in ("exact", "signal"):
        subprocess.run([os.path.join(BUILD, "tests", "stream_check"), path, xf, xf + "." + mode,
                        "--window", str(w), "--hop", str(hop), "--mode", mode,
                        "--chunk", str(hop)], check=True, capture_output=True)
        outs[mode] = np.fromfile(xf + "." + mode, np.float32)
    ref, y = outs["exact"], outs["signal"]
    rmse = float(np.sqrt(np.mean((y - ref) ** 2)))
    return rmse / float(ref.max() - ref.min()), rmse / float(np.sqrt(np.mean(ref ** 2)))


def main():
    torch_baseline.steady_malloc()
    d = tempfile.mkdtemp(prefix="vigil-bench-")
    print("| model | W | H | W/H | plan FLOP ratio | full us | exact us | signal us | "
          "full/exact | full/signal | signal vs 0.8 ratio | exact/signal | PyTorch us/window | "
          "PyTorch/exact |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    paths = {}
    for name, make in list(stream_models.MODELS.items()) + list(stream_models.EXTRA.items()):
        if ONLY and name not in ONLY:
            continue
        torch.manual_seed(0)
        module, shape, paper_hop = make()
        path = os.path.join(d, name + ".onnx")
        stream_models.export(module, shape, path)
        if name in stream_models.MODELS:  # the tables below: the three shapes
            paths[name] = (path, shape, paper_hop)
        w = shape[-1]
        module.eval()
        for hop in (paper_hop, w // 16, w // 64):
            # rounds alternate PyTorch and the three modes, so that a burst of load on the shared
            # machine hits them alike; each figure is the median over its rounds
            runs = {"pt": [], "full": [], "exact": [], "signal": []}
            for _ in range(ROUNDS):
                runs["pt"].append(torch_window_us(module, shape))
                # fine hops run more hops, so that each run lasts long enough (0.1-0.5 s) for the
                # shared machine's millisecond interruptions to average out
                hops = 960 * max(1, (w // hop) // 4)
                for mode, hops in (("full", 100), ("exact", hops), ("signal", hops)):
                    r = engine(path, w, hop, mode, hops)
                    runs[mode].append(float(r["amortised_us"]))
                    if mode == "exact":
                        ratio = float(r["flop_ratio"])
                    elif mode == "signal":
                        sratio = float(r["flop_ratio"])
            pt, f, e, s = (sorted(v)[len(v) // 2] for v in
                           (runs["pt"], runs["full"], runs["exact"], runs["signal"]))
            print("| %s | %d | %d | %.0f | %.1f (signal %.1f) | %.0f | %.0f | %.0f | %.1f | %.1f |"
                  " %s | %.2f | %.0f | %.1f |" % (
                      name, w, hop, w / hop, ratio, sratio, f, e, s, f / e, f / s,
                      "ok" if f / s >= 0.8 * sratio else "below", e / s, pt, pt / e))
    if ONLY:
        return
    print()
    print("| pipeline (audiotestsrc ! streamcnn ! fakesink) | W | H | exact us/hop | "
          "signal us/hop | full us/hop | source alone us/hop |")
    print("|---|---|---|---|---|---|---|")
    for name, (path, shape, hop) in paths.items():
        us = [pipeline(path, shape, shape[-1], hop, mode)
              for mode in ("exact", "signal", "full", None)]
        print("| %s | %d | %d | %.0f | %.0f | %.0f | %.0f |" % ((name, shape[-1], hop) + tuple(us)))
    print()
    print("| exact mode, paper's hop | W | H | median us | amortised us | mean us | p99 us |")
    print("|---|---|---|---|---|---|---|")
    for name, (path, shape, hop) in paths.items():
        r = engine(path, shape[-1], hop, "exact", 1000)
        print("| %s | %d | %d | %s | %s | %s | %s |" % (
            name, shape[-1], hop, r["median_us"], r["amortised_us"], r["mean_us"], r["p99_us"]))
    print()
    for name, (path, shape, hop) in paths.items():
        nrmse, rel = signal_nrmse(path, shape, hop)
        print("signal vs exact %s W=%d H=%d: NRMSE %.2f %% (RMSE / RMS of the output %.2f %%)"
              % (name, shape[-1], hop, 100 * nrmse, 100 * rel))
    print()
    path, shape, hop = paths["ppg"]
    rate = 64  # PPG at 64 Hz: one minute = 60 hops of 64 frames, one hour = 3600
    for label, hops in (("1 min", 60 * rate // hop), ("1 h", 3600 * rate // hop)):
        # peak RSS varies by about 130 kB between identical runs: the shared libraries' pages
        # it counts (libc, OpenBLAS); the process's own memory (anonymous and shared) does not
        rs = [engine(path, shape[-1], hop, "exact", hops) for _ in range(3)]
        print("ppg exact, %s of stream (%d hops): peak RSS %s kB, own memory at the end %s kB"
              % (label, hops, " / ".join(r["rss_kb"] for r in rs),
                 " / ".join(r["own_kb"] for r in rs)))


if __name__ == "__main__":
    main()
