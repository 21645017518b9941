#!/usr/bin/python3
"""Vigil's monitoring demo: a sensor recording through a trained autoencoder, anomaly events as they
are detected, the scores in CSV and a plot.

  filesrc ! csvparse columns=<the model's channels> ! streamcnn model=M window=60 hop=1
          output=reconstruction-error ! anomalyscore method=threshold warmup=341 score-tensor=0
          pass-input=true ! csvenc ! filesink

The model (models/skab-conv-ae.onnx, trained by tools/skab/train_demo.py on the recording's first
400 rows) carries its input standardisation, so the pipeline reads raw sensor rows. anomalyscore
learns its threshold over the first 341 windows (those inside the training rows) as 4/3 of their
0.999 quantile, SKAB's protocol, then posts an `anomaly` message when the score stays above it.

Usage: tools/monitor.py [--data CSV] [--model ONNX] [--out DIR] [--min-duration N]
Run from the source tree after tools/build (tools/demo does both).
"""
import argparse
import csv
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
os.environ.setdefault("GST_PLUGIN_PATH", os.path.join(SOURCE, "build", "plugins"))

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

WINDOW = 60
WARMUP = 400 - WINDOW + 1  # windows lying inside the training rows


def read_recording(path, columns):
    """Times (s from the first row, as csvparse stamps them), the chosen columns and the anomaly
    labels if present."""
    import datetime
    with open(path, newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    head = rows[0]
    idx = [head.index(c) for c in columns]
    values = np.array([[float(r[i]) for i in idx] for r in rows[1:]])
    stamps = [datetime.datetime.strptime(r[head.index("datetime")], "%Y-%m-%d %H:%M:%S")
              for r in rows[1:]]
    times = np.array([(t - stamps[0]).total_seconds() for t in stamps])
    labels = (np.array([float(r[head.index("anomaly")]) for r in rows[1:]]) > 0
              if "anomaly" in head else None)
    return times, values, labels


def model_columns(model):
    """The channel names the model was trained on (its vigil.columns metadata)."""
    import onnx
    for p in onnx.load(model).metadata_props:
        if p.key == "vigil.columns":
            return p.value.split(",")
    sys.exit("tools/monitor.py: %s has no vigil.columns metadata; name its channels" % model)


class Monitor:
    """Runs the pipeline, printing events and progress from the bus."""

    def __init__(self, text, n_windows):
        self.pipeline = Gst.parse_launch(text)
        self.score = self.pipeline.get_by_name("score")
        self.n_windows = n_windows
        self.events = []
        self.error = None
        self.loop = GLib.MainLoop()
        self.started = time.monotonic()
        self.last_progress = -1

    def run(self):
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_message)
        GLib.timeout_add(500, self.on_progress)
        self.pipeline.set_state(Gst.State.PLAYING)
        self.loop.run()
        self.pipeline.set_state(Gst.State.NULL)
        return self.error is None

    def on_progress(self):
        done = self.score.get_property("frames")
        pct = int(100 * done / max(1, self.n_windows))
        if pct != self.last_progress and pct < 100:
            print("  ... %3d %% (%d of %d windows)" % (pct, done, self.n_windows), flush=True)
            self.last_progress = pct
        return True

    def on_message(self, bus, msg):
        if msg.type == Gst.MessageType.EOS:
            self.loop.quit()
        elif msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            self.error = "%s: %s" % (msg.src.get_name(), err.message)
            print("error:", self.error, "\n", debug or "", file=sys.stderr)
            self.loop.quit()
        elif msg.type == Gst.MessageType.ELEMENT and msg.get_structure().get_name() == "anomaly":
            self.on_anomaly(msg.get_structure())

    def on_anomaly(self, s):
        t = s.get_value("timestamp") / Gst.SECOND
        if s.get_value("event") == "start":
            print("ANOMALY at %6.0f s: score %.3f above threshold %.3f" % (
                t, s.get_value("score"), s.get_value("threshold")), flush=True)
            self.events.append([t, None, None])
        else:
            length = s.get_value("duration") / Gst.SECOND
            print("  ended: started at %.0f s, lasted %.0f s, peak score %.3f" % (
                t, length, s.get_value("peak-score")), flush=True)
            if self.events:
                self.events[-1][1:] = [t + length, s.get_value("peak-score")]


def plot(path, recording, times, values, columns, labels, scores, threshold, events):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(11, 6.5), sharex=True)
    t = times
    z = (values - values[:400].mean(0)) / np.where(values[:400].std(0) > 0, values[:400].std(0), 1)
    for name in ("Volume Flow RateRMS", "Pressure", "Current", "Temperature"):
        if name in columns:
            ax1.plot(t, z[:, columns.index(name)], lw=0.8, label=name)
    ax1.set_ylabel("signal (standardised)")
    ax1.axvspan(t[0], t[399], color="0.9", label="training rows")
    if labels is not None:
        ax1.fill_between(t, ax1.get_ylim()[0], ax1.get_ylim()[1], where=labels, color="tab:red",
                         alpha=0.12, label="labelled anomaly")
    ax1.legend(loc="upper left", fontsize=8, ncol=3)
    st = scores[:, 0]
    ax2.plot(st, scores[:, 1], lw=0.9, color="k", label="anomaly score (reconstruction error)")
    ax2.axhline(threshold, color="tab:red", ls="--", lw=1, label="threshold %.2f" % threshold)
    for start, end, _ in events:
        ax2.axvspan(start, end if end is not None else st[-1], color="tab:orange", alpha=0.25)
    ax2.plot([], [], color="tab:orange", alpha=0.4, lw=6, label="detected events")
    ax2.set_xlabel("time (s)")
    ax2.set_ylabel("score")
    ax2.legend(loc="upper left", fontsize=8)
    fig.suptitle("Vigil: streamcnn + anomalyscore on %s" % os.path.basename(recording),
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    ap.add_argument("--data", default=os.path.join(SOURCE, "data", "skab-valve1-3.csv"))
    ap.add_argument("--model", default=os.path.join(SOURCE, "models", "skab-conv-ae.onnx"))
    ap.add_argument("--out", default=os.path.join(SOURCE, "out"))
    ap.add_argument("--min-duration", type=int, default=30,
                    help="windows above the threshold before an event starts (default 30)")
    args = ap.parse_args()
    Gst.init(None)
    os.makedirs(args.out, exist_ok=True)
    columns = model_columns(args.model)
    times, values, labels = read_recording(args.data, columns)
    scores_csv = os.path.join(args.out, "scores.csv")
    text = ("filesrc location=\"%s\" ! csvparse columns=\"%s\" ! streamcnn model=\"%s\" window=%d "
            "hop=1 output=reconstruction-error ! anomalyscore name=score method=threshold "
            "quantile=0.999 factor=1.3333333333 warmup=%d score-tensor=0 pass-input=true "
            "min-duration=%d ! csvenc ! filesink location=\"%s\"" % (
                args.data, ",".join(columns), args.model, WINDOW, WARMUP, args.min_duration,
                scores_csv))
    print("Vigil monitoring demo\n  recording: %s (%d rows, %d channels)\n  model:     %s\n"
          "  pipeline:  gst-launch-1.0 %s\n" % (args.data, len(values), len(columns), args.model,
                                                text))
    mon = Monitor(text, len(values) - WINDOW + 1)
    if not mon.run():
        return 1
    threshold = mon.score.get_property("current-threshold")
    with open(scores_csv) as f:
        scores = np.array([[float(v) for v in r] for r in list(csv.reader(f))[1:]])
    png = os.path.join(args.out, "monitor.png")
    plot(png, args.data, times, values, columns, labels, scores, threshold, mon.events)
    print("\n%d windows scored in %.2f s; threshold learned on the first %d windows: %.3f" % (
        len(scores), time.monotonic() - mon.started, WARMUP, threshold))
    print("%d anomaly event(s)." % len(mon.events))
    if labels is not None:
        marked = times[labels]
        print("The recording's labels mark an anomaly from %.0f s to %.0f s." % (marked[0],
                                                                                  marked[-1]))
    print("Scores: %s\nPlot:   %s" % (scores_csv, png))
    return 0


if __name__ == "__main__":
    sys.exit(main())
