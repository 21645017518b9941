#!/usr/bin/python3
"""tools/skab/training_free.py and tools/skab/skab.py: SKAB's flagging rule and metrics on hand-computed cases, the file loader,
and the decoding of anomalyscore's events into row flags (through a real pipeline)."""
import importlib.util
import os
import subprocess
import sys

import numpy as np

import vigiltest

spec = importlib.util.spec_from_file_location(
    "training_free", os.path.join(vigiltest.SOURCE, "tools", "skab", "training_free.py"))
skab = importlib.util.module_from_spec(spec)
spec.loader.exec_module(skab)


def pipeline_child():
    c = vigiltest.Checks("skab_eval pipeline")
    rng = np.random.default_rng(3)
    v = rng.uniform(0, 1, size=(300, 2)).astype(np.float32)
    v[100:130, 1] += 3.0
    v[200:203, 0] += 3.0
    scores, events, thr = skab.run_anomalyscore(v, "method=threshold threshold=1.5 warmup=0")
    c.check(np.array_equal(scores, v.max(1)), "threshold scores are the channel max")
    c.check(thr == 1.5, "threshold %r" % thr)
    by_events = skab.events_to_rows(events, len(v))
    by_scores = skab.flag_rows(skab.exceedances(scores, thr), 1)
    c.check(np.array_equal(by_events, by_scores), "event rows %s vs score rows %s" % (
        np.flatnonzero(by_events), np.flatnonzero(by_scores)))
    c.check(by_events[100:130].all() and by_events[200:203].all() and by_events.sum() == 33,
            "flags %s" % np.flatnonzero(by_events))

    # gst-launch -m output parsed back into the same events (raw floats from filesrc, no times)
    raw = os.path.join(vigiltest.tmpdir(), "v.f32")
    v.tofile(raw)
    r = subprocess.run(["gst-launch-1.0", "-m", "filesrc", "location=" + raw, "blocksize=8", "!",
                        "other/tensors,format=static,num_tensors=1,types=float32,dimensions=2,"
                        "framerate=0/1", "!", "anomalyscore", "method=threshold", "threshold=1.5",
                        "warmup=0", "!", "fakesink"], capture_output=True, text=True, timeout=60)
    parsed = skab.parse_launch_messages(r.stdout)
    c.check(r.returncode == 0 and [e["event"] for e in parsed] == [e["event"] for e in events]
            and [e.get("frames") for e in parsed] == [e.get("frames") for e in events],
            "gst-launch -m events %s vs %s" % (parsed, events))

    # the user's pipeline (csvparse ! anomalyscore ! csvenc) equals the appsrc run
    path = os.path.join(vigiltest.skab_dir(), "valve1", "0.csv")
    if c.check(os.path.exists(path), "SKAB data missing at " + path):
        props = "method=likelihood warmup=400 adapt=false"
        f = skab.load_skab(path)
        want, want_events, _ = skab.run_anomalyscore(f.values, props)
        times, got, got_events = skab.run_csv_pipeline(
            path, props, os.path.join(vigiltest.tmpdir(), "scores.csv"), env=os.environ)
        c.check(np.array_equal(got, want), "csv pipeline scores differ from the appsrc run")
        c.check([e["event"] for e in got_events] == [e["event"] for e in want_events],
                "csv pipeline events differ")
        c.check(np.array_equal(skab.events_to_rows_by_time(got_events, times),
                               skab.events_to_rows(want_events, len(want))),
                "csv pipeline event rows differ")
    c.done()


def main():
    c = vigiltest.Checks("skab_eval")
    T, F = True, False
    # SKAB's rule with 3 steps: runs of exceedance 1,2,0,1,2,3,4 -> rows 5 and 6
    got = skab.flag_rows([T, T, F, T, T, T, T], 3)
    c.check(list(got) == [F, F, F, F, F, T, T], "flag_rows n=3: %s" % list(got))
    c.check(list(skab.flag_rows([T, F, T], 1)) == [T, F, T], "flag_rows n=1")
    c.check(not skab.flag_rows([T] * 59, 60).any(), "59 windows never flag with n=60")
    c.check(list(skab.flag_rows([T] * 61, 60)) == [F] * 59 + [T, T], "60 windows flag row 59")
    c.check(list(skab.exceedances([np.nan, 1.0, 2.0, 1.5], 1.5)) == [F, F, T, F],
            "exceedances: NaN and equality are not exceedances")
    # tp 2, fp 1, tn 2, fn 1: F1 = 4/6, FAR = 1/3, MAR = 1/3
    m = skab.metrics([1, 1, 0, 0, 1, 0], [1, 0, 1, 0, 1, 0])
    c.check((m["tp"], m["fp"], m["tn"], m["fn"]) == (2, 1, 2, 1), "confusion %s" % m)
    c.check(abs(m["f1"] - 2 / 3) < 1e-12 and abs(m["far"] - 100 / 3) < 1e-12
            and abs(m["mar"] - 100 / 3) < 1e-12, "rates %s" % m)
    # SKAB's notebook rule, window 3, 10 rows -> 8 windows (window i starts at row i); rows r in
    # [2, 6) are flagged when windows r-2 and r-1 both exceed: above = F T T T T F F F -> rows 3..5
    got = skab.window_flags([0, 2, 2, 2, 2, 0, 0, 0], 1.0, 10, window=3)
    c.check(list(np.flatnonzero(got)) == [3, 4, 5], "skab rule: %s" % list(np.flatnonzero(got)))
    # the causal rule on the same scores: window k ends at row k + 2; rows whose 3 windows ending
    # at r-2..r all exceed: windows 1..4 end at rows 3..6 -> rows 5 and 6
    got = skab.window_flags([0, 2, 2, 2, 2, 0, 0, 0], 1.0, 10, window=3, rule="causal")
    c.check(list(np.flatnonzero(got)) == [5, 6], "causal rule: %s" % list(np.flatnonzero(got)))
    m = skab.metrics([0, 0], [0, 0])
    c.check(np.isnan(m["f1"]) and m["far"] == 0.0 and np.isnan(m["mar"]), "no positives %s" % m)
    # evaluate skips the first rows of each file and concatenates: file a rows 2.., file b rows 2..
    m = skab.evaluate([([1, 1, 1, 0], [0, 0, 1, 1]), ([0, 0, 1, 1], [1, 1, 0, 1])], skip=2)
    c.check((m["tp"], m["fp"], m["tn"], m["fn"]) == (2, 1, 0, 1), "evaluate %s" % m)
    ev = [{"event": "start", "timestamp": 2 * 10**9}, {"event": "end", "timestamp": 2 * 10**9,
                                                        "frames": 3},
          {"event": "start", "timestamp": 8 * 10**9}]
    c.check(list(np.flatnonzero(skab.events_to_rows(ev, 10))) == [2, 3, 4, 8, 9], "events_to_rows")
    times = np.array([0, 1, 2, 4, 5, 6, 7, 8, 9, 10]) * 10**9  # row 3 is at 4 s
    ev2 = [{"event": "start", "timestamp": 4 * 10**9},
           {"event": "end", "timestamp": 4 * 10**9, "frames": 2}]
    c.check(list(np.flatnonzero(skab.events_to_rows_by_time(ev2, times))) == [3, 4],
            "events_to_rows_by_time")

    tmp = os.path.join(vigiltest.tmpdir(), "t.csv")
    with open(tmp, "w") as f:
        f.write("datetime;a;b;anomaly;changepoint\n2020-01-01 00:00:00;1.5;2;0.0;0.0\n"
                "2020-01-01 00:00:01;3;-4e-1;1.0;1.0\n")
    s = skab.load_skab(tmp)
    c.check(s.columns == ["a", "b"] and s.values.tolist() == [[1.5, 2.0], [3.0, -0.4000000059604645]]
            and s.anomaly.tolist() == [0, 1] and s.changepoint.tolist() == [0, 1], "load %s" % (s,))
    path = os.path.join(vigiltest.skab_dir(), "valve1", "0.csv")
    if os.path.exists(path):
        s = skab.load_skab(path)
        c.check(s.values.shape == (1147, 8) and int(s.anomaly.sum()) == 401,
                "valve1/0.csv: %s, %d anomalous rows" % (s.values.shape, s.anomaly.sum()))
        c.check(len(skab.skab_files(vigiltest.skab_dir())) == 20,
                "valve1 and valve2 hold 20 files")
    r = subprocess.run([sys.executable, os.path.abspath(__file__), "--child"],
                       env=vigiltest.gst_env(), timeout=120)
    c.check(r.returncode == 0, "pipeline part failed")
    c.done()


if __name__ == "__main__":
    pipeline_child() if "--child" in sys.argv else main()
