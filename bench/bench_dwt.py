#!/usr/bin/python3
"""dwt and swt against PyWavelets on 60 s of 48 kHz mono audio, medians of repeated runs, one
script, one process for the element and pywt (the kernel-only figures come from bench_dwt).

  element: filesrc (raw F32LE) blocksize=4096 ! rawaudioparse ! dwt ! fakesink, i.e. 1024-sample
           buffers, timed from PLAYING to EOS (pipeline built once per run, file in page cache);
  pywt:    pywt.wavedec(x, 'db4', mode='zero', level=5) on the whole array (float32 and float64
           input), and pywt.swt(x, 'db4', level=5) (needs a length multiple of 2^5: 60 s is).

Usage: /usr/bin/python3 bench/bench_dwt.py [build-dir] [repeats]
"""
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import pywt

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
REPEATS = int(sys.argv[2]) if len(sys.argv) > 2 else 7
os.environ["GST_PLUGIN_PATH"] = os.path.join(BUILD, "plugins")
os.environ["GST_REGISTRY"] = os.path.join(BUILD, "bench-registry.bin")

import gi  # noqa: E402
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

RATE, SECONDS, WAVELET, LEVELS = 48000, 60, "db4", 5


def element_runner(path, props):
    desc = ("filesrc location=%s blocksize=4096 ! rawaudioparse use-sink-caps=false "
            "format=pcm pcm-format=f32le sample-rate=%d num-channels=1 ! dwt %s ! "
            "fakesink sync=false" % (path, RATE, props))

    def run():
        pipe = Gst.parse_launch(desc)
        pipe.set_state(Gst.State.PLAYING)
        msg = pipe.get_bus().timed_pop_filtered(120 * Gst.SECOND,
                                                Gst.MessageType.EOS | Gst.MessageType.ERROR)
        pipe.set_state(Gst.State.NULL)
        if msg is None or msg.type != Gst.MessageType.EOS:
            raise RuntimeError("pipeline failed: %s" % (msg.parse_error() if msg else "timeout"))
    return run


def main():
    Gst.init(None)
    x = np.random.default_rng(0).standard_normal(RATE * SECONDS).astype(np.float32) * 0.25
    x64 = x.astype(np.float64)
    fd, path = tempfile.mkstemp(suffix=".f32")
    os.write(fd, x.tobytes())
    os.close(fd)
    try:
        props = "wavelet=%s levels=%d" % (WAVELET, LEVELS)
        variants = [
            ("dwt element (1024-sample buffers)", element_runner(path, props), "wavedec"),
            ("pywt.wavedec float32 (whole array)",
             lambda: pywt.wavedec(x, WAVELET, mode="zero", level=LEVELS), "wavedec"),
            ("pywt.wavedec float64 (whole array)",
             lambda: pywt.wavedec(x64, WAVELET, mode="zero", level=LEVELS), "wavedec"),
            ("swt element (1024-sample buffers)", element_runner(path, "transform=swt " + props),
             "swt"),
            ("pywt.swt float32 (whole array)", lambda: pywt.swt(x, WAVELET, level=LEVELS), "swt"),
            ("pywt.swt float64 (whole array)", lambda: pywt.swt(x64, WAVELET, level=LEVELS), "swt"),
        ]
        # Two schedules. "warm": each variant runs once untimed, then REPEATS times back to back
        # (large arrays reuse freed memory, no page faults: pywt's best case). "interleaved": each
        # round runs every variant once, so each pays for fresh memory as a one-off call would,
        # and load from other processes hits all variants alike. Ratios are medians over the
        # runs of (pywt float32 time / this time), pairing run r with run r.
        tables = []
        for schedule in ("warm", "interleaved"):
            times = {name: [] for name, _, _ in variants}
            if schedule == "warm":
                for name, fn, _ in variants:
                    fn()
                    for _ in range(REPEATS):
                        t0 = time.perf_counter()
                        fn()
                        times[name].append(time.perf_counter() - t0)
            else:
                for _ in range(REPEATS):
                    for name, fn, _ in variants:
                        t0 = time.perf_counter()
                        fn()
                        times[name].append(time.perf_counter() - t0)
            base = {"wavedec": times[variants[1][0]], "swt": times[variants[4][0]]}
            tables.append((schedule, [
                (name, float(np.median(times[name])),
                 float(np.median(np.array(base[kind]) / np.array(times[name]))))
                for name, _, kind in variants]))
        print("60 s of 48 kHz mono, %s levels=%d, %d runs per variant" % (WAVELET, LEVELS,
                                                                       REPEATS))
        for schedule, rows in tables:
            print("%-40s %10s %14s" % (schedule, "median ms", "pywt32 / this"))
            for name, t, ratio in rows:
                print("%-40s %10.1f %14.2f" % (name, t * 1e3, ratio))
        kernel = os.path.join(BUILD, "bench", "bench_dwt")
        if os.path.exists(kernel):
            print(subprocess.run([kernel, WAVELET, str(LEVELS), str(REPEATS)], capture_output=True,
                                 text=True).stdout.strip())
    finally:
        os.unlink(path)


if __name__ == "__main__":
    main()
