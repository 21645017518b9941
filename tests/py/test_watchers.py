#!/usr/bin/python3
"""The tutorial's bus watchers (examples/watch-anomalies.c and examples/watch_anomalies.py) report
exactly the anomaly of a signal whose answer is known: a step to 5.0 on rows 150..179 of a 1 row/s
stream with a fixed threshold of 1 is one event that starts at 150 s, lasts 30 s, peaks at 5."""
import os
import subprocess

from vigiltest import BUILD, SOURCE, Checks, gst_env, tmpdir


def main():
    c = Checks("watchers")
    path = os.path.join(tmpdir(), "step.csv")
    with open(path, "w") as f:
        f.write("time,value\n")
        for i in range(300):
            f.write("%d,%g\n" % (i, 5.0 if 150 <= i < 180 else 0.01 * (i % 7)))
    pipeline = ("filesrc location=%s ! csvparse ! anomalyscore method=threshold threshold=1 "
                "! fakesink" % path)
    programs = {
        "C": [os.path.join(BUILD, "examples", "watch-anomalies"), pipeline],
        "Python": ["/usr/bin/python3", os.path.join(SOURCE, "examples", "watch_anomalies.py"),
                   pipeline],
    }
    printed = {}
    for name, argv in programs.items():
        r = subprocess.run(argv, capture_output=True, text=True, env=gst_env(), timeout=120)
        lines = r.stdout.strip().splitlines()
        printed[name] = lines
        print(name, "watcher printed:", *lines, sep="\n  ")
        c.check(r.returncode == 0, "%s watcher exited %d: %s" % (name, r.returncode, r.stderr))
        c.check(len(lines) == 2, "%s watcher: expected 2 lines, got %d" % (name, len(lines)))
        if len(lines) == 2:
            c.check(lines[0].startswith("anomaly start at 150.000 s:") and "score 5 " in lines[0],
                    "%s watcher start line wrong: %s" % (name, lines[0]))
            c.check(lines[1].startswith("anomaly end") and "lasted 30.000 s" in lines[1] and
                    "peak score 5 " in lines[1], "%s watcher end line wrong: %s" % (name, lines[1]))
        bad = subprocess.run(argv[:-1] + ["filesrc location=/nonexistent ! csvparse ! fakesink"],
                             capture_output=True, text=True, env=gst_env(), timeout=60)
        c.check(bad.returncode == 1 and "error from" in bad.stderr,
                "%s watcher on a missing file: exit %d, stderr %r" % (
                    name, bad.returncode, bad.stderr[-300:]))
    # the tutorial shows one output for both programs
    c.check(printed["C"] == printed["Python"], "the C and Python watchers print differently:\n%s\n%s"
            % (printed["C"], printed["Python"]))
    c.done()


if __name__ == "__main__":
    main()
