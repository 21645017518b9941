#!/usr/bin/python3
"""The demo job (tools/monitor.py, which tools/demo runs) on the bundled recording: it exits 0,
reports an anomaly event that overlaps the recording's labelled anomaly (600 s to 1021 s), and
writes a scores CSV with one row per window and a PNG plot."""
import os
import re
import subprocess

from vigiltest import Checks, SOURCE, gst_env, tmpdir


def main():
    c = Checks("demo")
    out = tmpdir()
    r = subprocess.run(["/usr/bin/python3", os.path.join(SOURCE, "tools", "monitor.py"), "--out",
                        out], capture_output=True, text=True, env=gst_env(), timeout=300)
    print(r.stdout[-3000:])
    c.check(r.returncode == 0, "monitor.py failed: " + r.stderr[-2000:])
    starts = [float(m) for m in re.findall(r"ANOMALY at\s+([0-9.]+) s", r.stdout)]
    ends = re.findall(r"started at ([0-9.]+) s, lasted ([0-9.]+) s", r.stdout)
    c.check(len(starts) >= 1 and len(ends) == len(starts), "events: %s / %s" % (starts, ends))
    overlaps = [float(s) < 1021 and float(s) + float(d) > 600 for s, d in ends]
    c.check(any(overlaps), "no event overlaps the labelled anomaly (600-1021 s): %s" % ends)
    with open(os.path.join(out, "scores.csv")) as f:
        rows = f.read().strip().splitlines()
    c.check(len(rows) == 1 + 1089, "scores.csv has %d rows, expected 1089 windows" % (len(rows) - 1))
    png = os.path.join(out, "monitor.png")
    c.check(os.path.exists(png) and open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n", "no PNG plot")
    c.done()


if __name__ == "__main__":
    main()
