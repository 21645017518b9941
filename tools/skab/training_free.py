#!/usr/bin/python3
"""SKAB evaluation for Vigil: per-row F1, false-alarm rate (FAR) and missed-alarm rate (MAR) with
SKAB's flagging rule, and the training-free run (raw sensor channels -> anomalyscore, no model).

Reusable pieces (import this file; every function is plain numpy):
  load_skab(path)                  -> SkabFile(values [rows x 8], anomaly [rows], changepoint, columns)
  flag_rows(exceed, n_steps)       -> per-row flags: SKAB's rule on per-window exceedances
  metrics(true, pred)              -> dict(f1, far, mar, tp, fp, tn, fn), SKAB's binary metrics
  evaluate(pairs)                  -> metrics over several files' test rows, concatenated as SKAB does
  events_to_rows(events, n, period)-> flags from anomalyscore's `anomaly` start/end messages
  run_anomalyscore(values, props)  -> scores, events, current threshold (appsrc ! anomalyscore ! appsink)

SKAB's protocol (../shared/datasets/README.md): per experiment file, the first 400 rows are the
training rows and the rest the test rows; a window's score is compared with the threshold; a row r
is flagged when the windows ending at r and at the n_steps - 1 rows before it all exceed it (n_steps
= 60 for the Conv-AE). Per-row scores (one "window" per row, as in the training-free run) use
n_steps = 1. Metrics concatenate the test rows of all files: F1 = 2TP / (2TP + FP + FN),
FAR = FP / (FP + TN) in %, MAR = FN / (FN + TP) in %.

The pipeline with csvparse (`filesrc ! csvparse ! anomalyscore ! csvenc`) can replace
run_anomalyscore once csvparse exists; run_anomalyscore feeds the same frames through appsrc, one
row per frame, frame k at k seconds (SKAB rows are 1 s apart).

Command line (training-free run over valve1 and valve2):
  tools/skab/training_free.py [--build BUILD] [--flag score|events] [--csv] [anomalyscore properties...]
  (--csv: run filesrc ! csvparse ! anomalyscore ! csvenc with gst-launch-1.0, flag by events)
  e.g. tools/skab/training_free.py method=mad window=400 warmup=400 adapt=false
"""
import csv
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skab import (SOURCE, TRAIN_ROWS, SkabFile, evaluate, exceedances, flag_rows, load_skab,  # noqa: E402,F401
                  metrics, skab_files, window_flags)



def events_to_rows(events, n_rows, period_ns=10**9):
    """Flags rows covered by anomalyscore events: [start, start + frames) from each `end`, and
    from a `start` without an end, to the last row. events: dicts with event, timestamp, frames."""
    flags = np.zeros(n_rows, dtype=bool)
    open_start = None
    for ev in events:
        first = int(round(ev["timestamp"] / period_ns))
        if ev["event"] == "start":
            open_start = first
        else:
            flags[first:first + int(ev["frames"])] = True
            open_start = None
    if open_start is not None:
        flags[open_start:] = True
    return flags


def events_to_rows_by_time(events, times):
    """Like events_to_rows, for rows whose times (ns, ascending) are given: an event's first row is
    the row whose time equals its timestamp."""
    flags = np.zeros(len(times), dtype=bool)
    open_start = None
    for ev in events:
        first = int(np.searchsorted(times, ev["timestamp"]))
        if ev["event"] == "start":
            open_start = first
        else:
            flags[first:first + int(ev["frames"])] = True
            open_start = None
    if open_start is not None:
        flags[open_start:] = True
    return flags


def run_anomalyscore(values, props, build=None):
    """values (rows x channels, float32) through appsrc ! anomalyscore PROPS ! appsink, one row per
    frame at 1 frame/s. Returns (scores, events as dicts, current-threshold). The process must load
    the plugin (GST_PLUGIN_PATH; set from `build` when given)."""
    if build:
        os.environ.setdefault("GST_PLUGIN_PATH", os.path.join(build, "plugins"))
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    values = np.ascontiguousarray(values, dtype=np.float32)
    caps = ("other/tensors,format=static,num_tensors=1,types=float32,dimensions=%d,"
            "framerate=1/1" % values.shape[1])
    p = Gst.parse_launch("appsrc name=src format=time caps=%s ! anomalyscore name=a %s ! "
                         "appsink name=sink sync=false" % (caps, props))
    src, sink = p.get_by_name("src"), p.get_by_name("sink")
    p.set_state(Gst.State.PLAYING)
    step = 64
    for i in range(0, len(values), step):
        chunk = values[i:i + step]
        buf = Gst.Buffer.new_wrapped(chunk.tobytes())
        buf.pts, buf.duration = i * Gst.SECOND, len(chunk) * Gst.SECOND
        src.emit("push-buffer", buf)
    src.emit("end-of-stream")
    scores = []
    while True:
        sample = sink.emit("try-pull-sample", 10 * Gst.SECOND)
        if sample is None:
            break
        b = sample.get_buffer()
        scores.append(np.frombuffer(b.extract_dup(0, b.get_size()), dtype=np.float32))
    events, bus = [], p.get_bus()
    while True:
        m = bus.pop()
        if m is None:
            break
        if m.type == Gst.MessageType.ERROR:
            p.set_state(Gst.State.NULL)
            raise RuntimeError("anomalyscore %s: %s" % (props, m.parse_error()[0].message))
        st = m.get_structure() if m.type == Gst.MessageType.ELEMENT else None
        if st is not None and st.get_name() == "anomaly":
            ev = {"event": st.get_value("event"), "timestamp": st.get_value("timestamp")}
            if ev["event"] == "end":
                ev["frames"] = st.get_value("frames")
            events.append(ev)
    threshold = p.get_by_name("a").get_property("current-threshold")
    p.set_state(Gst.State.NULL)
    return np.concatenate(scores), events, threshold


SENSOR_COLUMNS = "1,2,3,4,5,6,7,8"  # csvparse's 0-based indices of SKAB's 8 sensors (0: datetime)


def parse_launch_messages(text):
    """`anomaly` messages from gst-launch-1.0 -m output, as dicts like run_anomalyscore's."""
    import re
    events = []
    for line in text.splitlines():
        if "anomaly, " not in line or "(element)" not in line:
            continue
        ev = {"event": re.search(r"event=\(string\)(\w+)", line).group(1),
              "timestamp": int(re.search(r"timestamp=\(guint64\)(\d+)", line).group(1))}
        if ev["event"] == "end":
            ev["frames"] = int(re.search(r"frames=\(guint64\)(\d+)", line).group(1))
        events.append(ev)
    return events


def run_csv_pipeline(path, props, out_csv, env=None):
    """The pipeline a user runs: filesrc ! csvparse ! anomalyscore PROPS ! csvenc ! filesink.
    Returns (times in ns, scores, events). Needs csvparse and csvenc (issue 6's SKAB section)."""
    import subprocess
    args = ["gst-launch-1.0", "-m", "filesrc", "location=" + path, "!", "csvparse",
            "columns=" + SENSOR_COLUMNS, "!", "anomalyscore"] + props.split() + [
            "!", "csvenc", "!", "filesink", "location=" + out_csv]
    r = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)
    if r.returncode != 0:
        raise RuntimeError("%s failed:\n%s" % (" ".join(args), r.stderr[-2000:]))
    with open(out_csv, newline="") as f:
        rows = list(csv.reader(f))[1:]
    times = np.array([round(float(row[0]) * 1e9) for row in rows], dtype=np.int64)
    scores = np.array([float(row[1]) for row in rows], dtype=np.float32)
    return times, scores, parse_launch_messages(r.stdout)


def training_free(props, flag="score", files=None, build=None, verbose=True, source="appsrc"):
    """Runs every file's raw sensor channels through anomalyscore and scores the test rows.
    flag=score: a row is flagged when its score exceeds the threshold (n_steps = 1);
    flag=events: rows inside anomalyscore's events (min-duration, hysteresis apply).
    source=appsrc feeds the parsed rows from Python; source=csv runs the user's pipeline
    (filesrc ! csvparse ! anomalyscore ! csvenc, gst-launch-1.0 -m), flagging by events only."""
    import tempfile
    pairs = []
    out_csv = os.path.join(tempfile.mkdtemp(prefix="skab-eval-"), "scores.csv")
    for path in files or skab_files():
        f = load_skab(path)
        if source == "csv":
            times, _, events = run_csv_pipeline(path, props, out_csv)
            pred = events_to_rows_by_time(events, times)
        else:
            scores, events, thr = run_anomalyscore(f.values, props, build)
            if flag == "events":
                pred = events_to_rows(events, len(scores))
            else:
                pred = flag_rows(exceedances(scores, thr), 1)
        pairs.append((f.anomaly, pred))
        if verbose:
            m = metrics(f.anomaly[TRAIN_ROWS:], pred[TRAIN_ROWS:])
            print("%-12s F1 %.2f  FAR %6.2f %%  MAR %6.2f %%" % (
                os.path.relpath(path, os.path.dirname(os.path.dirname(path))), m["f1"], m["far"],
                m["mar"]))
    return evaluate(pairs)


USAGE = """usage: training_free.py [--build DIR] [--flag score|events] [--csv] [PROPERTY=VALUE ...]
Runs anomalyscore with the given properties on the raw sensors of every SKAB valve experiment
(VIGIL_DATASETS/skab, by default ../shared/datasets/skab beside the clone) and prints SKAB's F1, FAR
and MAR. --build: the build directory holding plugins/ (default: build/ of this source tree);
--flag events: flag rows from anomalyscore's events instead of its per-row scores; --csv: read
the files through filesrc ! csvparse instead of appsrc."""


def main(argv):
    build, flag, source, props = None, "score", "appsrc", []
    it = iter(argv)
    for a in it:
        if a in ("-h", "--help"):
            print(USAGE)
            return
        if a == "--build":
            build = next(it)
        elif a == "--flag":
            flag = next(it)
        elif a == "--csv":
            source, flag = "csv", "events"
        else:
            props.append(a)
    if build is None:
        build = os.path.join(SOURCE, "build")
    os.environ.setdefault("GST_PLUGIN_PATH", os.path.join(build, "plugins"))
    m = training_free(" ".join(props), flag, build=build, source=source)
    print("all (%s, flag=%s): F1 %.3f  FAR %.2f %%  MAR %.2f %%  (tp %d fp %d tn %d fn %d)" % (
        " ".join(props), flag, m["f1"], m["far"], m["mar"], m["tp"], m["fp"], m["tn"], m["fn"]))


if __name__ == "__main__":
    main(sys.argv[1:])
