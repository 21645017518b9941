#!/usr/bin/python3
"""SKAB end to end through the pipeline the issue names, on one experiment file:

  filesrc ! csvparse columns=<8 sensors> ! streamcnn window=60 hop=1 output=reconstruction-error
          ! anomalyscore method=threshold warmup=341 score-tensor=0 pass-input=true ! csvenc

with a Conv-AE trained (briefly: the check is equality, not accuracy) on the file's first 400 rows
and exported with its standardisation in the model's metadata. Asserts that every window's score
equals PyTorch's windowed inference on the standardised rows (max |err| <= 1e-4 x max |score|), that
the learned threshold is 4/3 of numpy's 0.999 quantile of the first 341 scores, and that the
timestamps are the ends of the windows. Run again with 64 rows per csvparse buffer and up to 64
windows per streamcnn buffer, the output CSV and the anomaly events (with their timestamps) must
not change."""
import csv
import os
import re
import subprocess
import sys

import numpy as np
import torch

from vigiltest import Checks, SOURCE, gst_env, skab_dir, tmpdir

sys.path.insert(0, os.path.join(SOURCE, "tools", "skab"))
import skab  # noqa: E402
import model as skab_model  # noqa: E402
import train_demo  # noqa: E402


def anomaly_messages(text):
    """The anomaly event messages that gst-launch-1.0 -m printed: their fields as a dict each."""
    events = []
    for line in text.splitlines():
        i = line.find("anomaly, ")
        if i < 0 or "event=" not in line:
            continue
        fields = {}
        for m in re.finditer(r"([a-z-]+)=\(([a-z0-9]+)\)([^,;]+)", line[i:]):
            name, kind, value = m.groups()
            fields[name] = int(value) if kind in ("guint64", "gint64") else value.strip()
        events.append(fields)
    return events


def main():
    c = Checks("skab-pipeline")
    torch.set_num_threads(1)
    path = os.path.join(skab_dir(), "valve2", "1.csv")
    f = skab.load_skab(path)
    mean, std = skab.scaler(f.values)
    xs = (f.values - mean) / std
    ae = skab_model.train(skab.windows(xs[:skab.TRAIN_ROWS]), epochs=3)
    d = tmpdir()
    onnx_path, out_csv = os.path.join(d, "ae.onnx"), os.path.join(d, "scores.csv")
    skab_model.export(ae, xs.shape[1], onnx_path)
    train_demo.add_metadata(onnx_path, mean, std)
    ref = skab_model.window_scores(ae, skab.windows(xs))
    n_train = skab.TRAIN_ROWS - skab.WINDOW + 1
    # SKAB's protocol takes rows as a contiguous sequence; this file has a 60 s hole in its times,
    # where a timed stream would restart streamcnn's window. Time the rows by rate instead.
    def pipeline(fpb, out):
        """The pipeline with fpb rows per csvparse buffer and fpb windows per streamcnn buffer at
        most; returns gst-launch's result (-m: bus messages on stdout)."""
        return subprocess.run(
            ["gst-launch-1.0", "-m", "filesrc", "location=" + path, "!", "csvparse",
             "columns=" + ",".join(f.columns), "timestamp-column=none", "rate=1/1",
             "frames-per-buffer=%d" % fpb,
             "!", "streamcnn", "model=" + onnx_path, "window=60", "hop=1",
             "output=reconstruction-error", "frames-per-buffer=%d" % fpb, "!", "anomalyscore",
             "name=score", "method=threshold", "quantile=0.999", "factor=1.3333333333",
             "warmup=%d" % n_train, "score-tensor=0", "pass-input=true", "!", "csvenc", "!",
             "filesink", "location=" + out], env=gst_env(), capture_output=True, text=True,
            timeout=300)

    r = pipeline(1, out_csv)
    if not c.check(r.returncode == 0, "pipeline failed: " + r.stderr[-2000:]):
        c.done()
    with open(out_csv) as fh:
        rows = list(csv.reader(fh))
    got = np.array([[float(v) for v in row] for row in rows[1:]])
    c.check(got.shape == (len(ref), 3 + len(f.columns)), "output shape %s" % (got.shape,))
    err = np.max(np.abs(got[:, 2] - ref)) / np.max(np.abs(ref))
    print("windows %d, max |score - PyTorch| / max |score| = %.2e" % (len(ref), err))
    c.check(err <= 1e-4, "pipeline scores differ from PyTorch: %.2e" % err)
    c.check(np.array_equal(got[:, 1], got[:, 2]), "threshold method: score is the recon sum")
    # rows at 1 s; a window's PTS is its end: window k covers rows k .. k + 59, so it ends (and its
    # output is stamped) at k + 60 s, when its last row is complete
    c.check(np.array_equal(got[:, 0], np.arange(skab.WINDOW, skab.WINDOW + len(ref))),
            "window timestamps are not the ends of the windows")
    events = anomaly_messages(r.stdout)
    print("%d anomaly messages, first %s" % (len(events), events[:1]))
    c.check(len(events) > 0, "no anomaly event on an anomalous file")
    # Multi-frame buffers (64 rows, then up to 64 windows per buffer): the same CSV text, so the
    # same per-frame times in csvenc, and the same anomaly events with the same timestamps.
    grouped_csv = os.path.join(d, "grouped.csv")
    r = pipeline(64, grouped_csv)
    if c.check(r.returncode == 0, "grouped pipeline failed: " + r.stderr[-2000:]):
        c.check(open(grouped_csv).read() == open(out_csv).read(),
                "frames-per-buffer=64 changed csvenc's output")
        grouped = anomaly_messages(r.stdout)
        c.check(grouped == events, "frames-per-buffer=64 changed the anomaly events:\n%s\n%s" % (
            grouped, events))
        for e in grouped:  # each on a row's time, as each frame of a grouped buffer is
            c.check(e["timestamp"] % 1000000000 == 0 and e["timestamp"] >= 60 * 1000000000,
                    "event timestamp %d is not the end of a window" % e["timestamp"])
    timed_rows(c, d)
    c.done()


def timed_rows(c, d):
    """Rows timed by their datetime column (1 s apart, sometimes 2 s: the bundled recording): a
    window's time is its last row's time plus the nominal second, so no two windows share a time
    (a late row once lasted its late interval, and its window ended where the next one's did), and
    64 rows and windows per buffer give the same CSV as one."""
    data = os.path.join(SOURCE, "data", "skab-valve1-3.csv")
    model = os.path.join(SOURCE, "models", "skab-conv-ae.onnx")
    texts = []
    for fpb in (1, 64):
        out = os.path.join(d, "timed-%d.csv" % fpb)
        r = subprocess.run(
            ["gst-launch-1.0", "-q", "filesrc", "location=" + data, "!", "csvparse",
             "columns=" + ",".join(skab.FEATURES), "frames-per-buffer=%d" % fpb, "!", "streamcnn",
             "model=" + model, "window=60", "hop=1", "output=reconstruction-error",
             "frames-per-buffer=%d" % fpb, "!", "csvenc", "!", "filesink", "location=" + out],
            env=gst_env(), capture_output=True, text=True, timeout=300)
        if not c.check(r.returncode == 0, "timed pipeline failed: " + r.stderr[-2000:]):
            return
        texts.append(open(out).read())
    times = [float(row.split(",")[0]) for row in texts[0].splitlines()[1:]]
    c.check(len(times) == len(set(times)) and times == sorted(times),
            "timed rows: window times repeat or go back (%d of %d distinct)" % (
                len(set(times)), len(times)))
    c.check(texts[0] == texts[1], "timed rows: frames-per-buffer=64 changed csvenc's output")
    print("timed rows: %d windows, distinct increasing times, same CSV at 1 and 64 per buffer" %
          len(times))


if __name__ == "__main__":
    main()
