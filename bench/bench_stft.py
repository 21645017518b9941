#!/usr/bin/python3
"""stft benchmark (issue 5): 60 s of 48 kHz mono audio.

  A  gst-launch: filesrc ! wavparse ! stft n-fft=1024 hop=512 ! fakesink (default FFTW_MEASURE
     planning in every process; with a warm wisdom-file; with planner=estimate)
  B  gst-launch: filesrc ! wavparse ! spectrum bands=513 interval=<512 samples> ! fakesink
     (spectrum's own FFT of 2*513-2 = 1024 points, one per 512 samples, posting its messages)
  0  gst-launch: filesrc ! wavparse ! fakesink (the shared cost: process start, file, parsing)
  S  scipy.signal.stft(x, nperseg=1024, noverlap=512) in this process, plus np.abs
  K  the stft kernel alone (build/bench/bench_stft_kernel), same signal length and geometry
  G  the A and B pipelines in this process through GI, timed from PLAYING to EOS (no process
     start, no plugin loading, no FFT planning: the steady-state cost of the two elements)

Prints medians of RUNS runs (interleaved) and the ratios. Usage (from the source tree, after
tools/build normal):  /usr/bin/python3 bench/bench_stft.py [RUNS]
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import scipy.io.wavfile
import scipy.signal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("VIGIL_BUILD_DIR", os.path.join(ROOT, "build"))
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 7
RATE, SECONDS = 48000, 60
ENV = dict(os.environ, GST_PLUGIN_PATH=os.path.join(BUILD, "plugins"))


def launch_time(pipeline):
    t = time.perf_counter()
    subprocess.run(["gst-launch-1.0", "-q"] + pipeline.split(), env=ENV, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def gi_time(pipeline):
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    pipe = Gst.parse_launch(pipeline)
    pipe.set_state(Gst.State.PAUSED)
    pipe.get_state(Gst.CLOCK_TIME_NONE)  # prerolled: caps set, FFT planned
    t = time.perf_counter()
    pipe.set_state(Gst.State.PLAYING)
    msg = pipe.get_bus().timed_pop_filtered(Gst.CLOCK_TIME_NONE,
                                            Gst.MessageType.EOS | Gst.MessageType.ERROR)
    dt = time.perf_counter() - t
    pipe.set_state(Gst.State.NULL)
    assert msg.type == Gst.MessageType.EOS
    return dt


def main():
    os.environ["GST_PLUGIN_PATH"] = ENV["GST_PLUGIN_PATH"]
    tmp = tempfile.mkdtemp(prefix="vigil-bench-")
    wav = os.path.join(tmp, "noise.wav")
    rng = np.random.default_rng(1)
    t = np.arange(RATE * SECONDS) / RATE
    x = (0.1 * rng.standard_normal(len(t)) + 0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    scipy.io.wavfile.write(wav, RATE, x)
    src = "filesrc location=%s ! wavparse" % wav
    interval = (512 * 10 ** 9 + RATE - 1) // RATE  # ns of 512 samples, rounded up
    pipes = {
        "A stft": "%s ! stft n-fft=1024 hop=512 ! fakesink" % src,
        "A stft (planner=estimate)": "%s ! stft n-fft=1024 hop=512 planner=estimate ! fakesink" % src,
        "A stft (warm wisdom-file)": "%s ! stft n-fft=1024 hop=512 wisdom-file=%s ! fakesink" % (
            src, os.path.join(tmp, "wisdom")),
        "B spectrum": "%s ! spectrum bands=513 interval=%d ! fakesink" % (src, interval),
        "0 baseline": "%s ! fakesink" % src,
    }
    launch_time(pipes["A stft (warm wisdom-file)"])  # writes the wisdom file: not timed
    times = {k: [] for k in pipes}
    times.update({"S scipy.signal.stft": [], "K kernel": [], "K kernel (estimate plan)": [],
                  "G stft in-process": [], "G spectrum in-process": []})
    kernel = os.path.join(BUILD, "bench", "bench_stft_kernel")
    for _ in range(RUNS):
        for k, p in pipes.items():
            times[k].append(launch_time(p))
        t0 = time.perf_counter()
        _, _, Z = scipy.signal.stft(x, fs=RATE, nperseg=1024, noverlap=512)
        np.abs(Z)
        times["S scipy.signal.stft"].append(time.perf_counter() - t0)
        times["G stft in-process"].append(gi_time(pipes["A stft"]))
        times["G spectrum in-process"].append(gi_time(pipes["B spectrum"]))
    out = subprocess.run([kernel, str(RUNS)], capture_output=True, text=True, check=True).stdout
    times["K kernel"] = [float(out.split()[0]) / 1e3]
    out = subprocess.run([kernel, str(RUNS), "estimate"], capture_output=True, text=True,
                         check=True).stdout
    times["K kernel (estimate plan)"] = [float(out.split()[0]) / 1e3]
    med = {k: statistics.median(v) for k, v in times.items()}
    print("60 s of 48 kHz mono, n-fft 1024, hop 512; medians of %d runs" % RUNS)
    for k, v in med.items():
        print("  %-28s %8.1f ms" % (k, v * 1e3))
    a, b, base = med["A stft"], med["B spectrum"], med["0 baseline"]
    for k in ("A stft", "A stft (warm wisdom-file)", "A stft (planner=estimate)"):
        a = med[k]
        print("spectrum / %-25s whole process %.2fx, minus the shared baseline %.2fx" % (
            k[2:], b / a, (b - base) / max(a - base, 1e-9)))
    print("spectrum / stft (in-process pipelines, steady state): %.2fx" % (
        med["G spectrum in-process"] / med["G stft in-process"]))
    a = med["A stft"]
    print("scipy.signal.stft / stft (gst-launch, whole):      %.2fx" % (med["S scipy.signal.stft"] / a))
    print("scipy.signal.stft / stft (in-process pipeline):    %.2fx" % (
        med["S scipy.signal.stft"] / med["G stft in-process"]))
    print("scipy.signal.stft / stft kernel:                   %.2fx" % (
        med["S scipy.signal.stft"] / med["K kernel"]))


if __name__ == "__main__":
    main()
