#!/usr/bin/python3
"""csvparse ! csvenc on awkward inputs, through whole gst-launch-1.0 pipelines.

Each case writes a file, runs `filesrc ! csvparse ... ! csvenc ! filesink` and compares the rows
with what Python computes from the same text (csv module, datetime, numpy float32): BOM, CRLF, no
final newline, 1-byte buffers, the three delimiters, plain-seconds and ISO 8601 times with offsets,
a rate without timestamps, columns by name and index, NaN on and off, malformed rows dropped
without shifting the others, extreme float32 values, a hostile line without newline (memory stays
bounded), and the errors a user must see.
"""
import csv
import datetime
import io
import os
import random
import resource
import subprocess
import sys
from decimal import Decimal

import numpy as np

import vigiltest

checks = vigiltest.Checks("csv-awkward")
tmp = vigiltest.tmpdir()
counter = [0]


def write(data):
    counter[0] += 1
    path = os.path.join(tmp, "in%d.csv" % counter[0])
    with open(path, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    return path


def run(data, props="", blocksize=None, check=True):
    """Runs the pipeline on data; returns (header, [(time_ns or None, [float32...])...])."""
    src = write(data)
    out = os.path.join(tmp, "out.csv")
    if os.path.exists(out):
        os.remove(out)
    pipeline = ["filesrc", "location=" + src] + (["blocksize=%d" % blocksize] if blocksize else [])
    pipeline += ["!", "csvparse"] + props.split() + ["!", "csvenc", "!", "filesink",
                                                     "location=" + out]
    r = vigiltest.gst_launch(pipeline, timeout=120, check=check)
    if not check:
        return r
    with open(out, newline="") as f:
        rows = list(csv.reader(f))
    body = [(int(Decimal(row[0]) * 10**9) if row[0] else None,
             [np.float32(float(c)) for c in row[1:]]) for row in rows[1:]]
    return rows[0], body


def same_values(a, b):
    a = np.array(a, dtype=np.float32)
    b = np.array(b, dtype=np.float32)
    return a.shape == b.shape and bool(np.all((a.view(np.uint32) == b.view(np.uint32)) |
                                              (np.isnan(a) & np.isnan(b))))


def expect(name, got, header, rows):
    """rows: [(time in seconds as str or Decimal, [values as str])]."""
    got_header, got_rows = got
    checks.check(got_header == header, "%s: header %s, expected %s" % (name, got_header, header))
    want = [(int(Decimal(t) * 10**9), [np.float32(float(v)) for v in vals]) for t, vals in rows]
    if not checks.check(len(got_rows) == len(want),
                        "%s: %d rows, expected %d" % (name, len(got_rows), len(want))):
        return
    for i, ((gt, gv), (wt, wv)) in enumerate(zip(got_rows, want)):
        checks.check(gt == wt, "%s: row %d time %s ns, expected %s" % (name, i, gt, wt))
        checks.check(same_values(gv, wv), "%s: row %d values %s, expected %s" % (name, i, gv, wv))


# BOM, CRLF, no final newline, 1-byte buffers, plain seconds.
text = "\ufefftime,a,b\r\n0,1.5,2\r\n0.25,3,4\r\n1.000000001,5,6"
for bs in (1, 2, 7, None):
    expect("bom-crlf blocksize=%s" % bs, run(text, blocksize=bs), ["time", "a", "b"],
           [("0", ["1.5", "2"]), ("0.25", ["3", "4"]), ("1.000000001", ["5", "6"])])

# A spreadsheet export: BOM, a comment preamble, a sep= line, quoted names, slashed dates, CRLF.
text = ("\ufeff# exported by a logger\r\nsep=;\r\n\"Date Time\";\"T, in C\";\"P\"\r\n"
        "2024/01/02 03:04:05;\"20,5\";1\r\n2024/01/02 03:04:06;21.5;2\r\n")
expect("spreadsheet export", run(text, "timestamp-column=0 columns=1,2", blocksize=4),
       ["time", "T, in C", "P"], [("1", ["21.5", "2"])])

# A units row under the header is part of the header, not a row: rate times start after it.
text = "T;P\ndegC;bar\n1;2\n3;4\n"
expect("units row", run(text, "rate=2/1"), ["time", "T", "P"],
       [("0", ["1", "2"]), ("0.5", ["3", "4"])])

# The three delimiters, detected, and forced.
for delim, prop in ((",", "comma"), (";", "semicolon"), ("\t", "tab")):
    t = delim.join(["timestamp", "x", "y"]) + "\n" + delim.join(["10", "1", "-2"]) + "\n" + \
        delim.join(["12", "3e2", ".5"]) + "\n"
    for props in ("", "delimiter=" + prop):
        expect("delimiter %r %s" % (delim, props), run(t, props), ["time", "x", "y"],
               [("0", ["1", "-2"]), ("2", ["300", "0.5"])])

# A rate without timestamps (row i at i / rate), with multi-frame buffers; dropped rows keep
# their slot, so later rows are not shifted.
t = "a;b\n1;2\n3;4\n5\n7;8\nx;1\n11;12\n13;14\n"
want = [("0", ["1", "2"]), ("0.25", ["3", "4"]), ("0.75", ["7", "8"]), ("1.25", ["11", "12"]),
        ("1.5", ["13", "14"])]
for props in ("rate=4/1", "rate=4/1 frames-per-buffer=3"):
    expect("rate " + props, run(t, props, blocksize=3), ["time", "a", "b"], want)

# Columns by name, by index, repeated; the timestamp column by index.
t = "when,temp,label,press\n2020-01-01 00:00:00,20.5,ok,1013\n2020-01-01 00:00:10,21,ok,1012\n"
expect("columns by name/index", run(t, "columns=press,1 timestamp-column=0"),
       ["time", "press", "temp"], [("0", ["1013", "20.5"]), ("10", ["1012", "21"])])
expect("columns default skips text", run(t, "timestamp-column=when"),
       ["time", "temp", "press"], [("0", ["20.5", "1013"]), ("10", ["21", "1012"])])

# NaN off: rows with empty or nan cells are dropped; on: they become NaN.
nan_text = t = "time,a,b\n0,1,2\n1,,3\n2,nan,4\n3,5,6\n"
expect("nan off", run(t), ["time", "a", "b"], [("0", ["1", "2"]), ("3", ["5", "6"])])
expect("nan on", run(t, "allow-nan=true"), ["time", "a", "b"],
       [("0", ["1", "2"]), ("1", ["nan", "3"]), ("2", ["nan", "4"]), ("3", ["5", "6"])])

# Malformed rows among timed rows: wrong cell count, text, bad or backward time, a quoted cell.
malformed = t = ("datetime;v;w\n"
     "2021-06-01T12:00:00Z;1;2\n"
     "2021-06-01T12:00:01Z;1;2;3\n"
     "2021-06-01T12:00:02Z;abc;2\n"
     "2021-06-31T12:00:03Z;1;2\n"
     "2021-06-01T11:00:00Z;1;2\n"
     "2021-06-01T12:00:04Z;\"4\";5\n"
     "2021-06-01T14:00:05.5+02:00;6;7\n")
expect("malformed rows", run(t, blocksize=5), ["time", "v", "w"],
       [("0", ["1", "2"]), ("4", ["4", "5"]), ("5.5", ["6", "7"])])

# Random rows: extreme float32 values, ISO times with fractions and offsets, mixed line ends,
# irregular spacing with multi-frame buffers. Reference: Python's csv and datetime.
rng = random.Random(7)
specials = ["0", "-0", "1e-45", "1.17549435e-38", "3.40282347e+38", "-3.4e38", "1e-40",
            "123456789", "0.1", "1e39", "-inf", "16777217", "2.5E-3"]
t0 = datetime.datetime(2019, 12, 31, 23, 59, 58, tzinfo=datetime.timezone.utc)
lines, rows, t, first = ["stamp,a,b,c"], [], t0, None
for i in range(300):
    t += datetime.timedelta(microseconds=rng.choice([250000, 250000, 250000, 500000, 7000000,
                                                     rng.randrange(1, 10**6)]))
    tz = datetime.timezone(datetime.timedelta(minutes=rng.choice([0, 60, -330, 345])))
    stamp = t.astimezone(tz).isoformat(sep=rng.choice("T "))
    vals = [rng.choice(specials) if rng.random() < 0.3 else repr(float(np.float32(rng.gauss(0, 10 ** rng.randint(-8, 8)))))
            for _ in range(3)]
    lines.append(",".join([stamp] + vals))
    first = first or t
    rows.append((str(Decimal((t - first) // datetime.timedelta(microseconds=1)) / 10**6), vals))
data = "".join(l + rng.choice(["\n", "\r\n"]) for l in lines)
for props in ("timestamp-column=stamp", "timestamp-column=stamp frames-per-buffer=5"):
    expect("random rows " + props, run(data, props, blocksize=rng.choice([1, 13, 4096])),
           ["time", "a", "b", "c"], rows)

# A hostile line of 8 MiB without a newline between good rows: dropped, memory stays bounded.
def peak_rss_kb(data):
    src = write(data)
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    r = subprocess.run([sys.executable, "-c", code, "gst-launch-1.0", "-q", "filesrc",
                        "location=" + src, "!", "csvparse", "!", "csvenc", "!", "fakesink"],
                       env=vigiltest.gst_env(), capture_output=True, text=True, timeout=120)
    checks.check(r.returncode == 0, "hostile run failed: %s" % r.stderr[-2000:])
    return int(r.stdout.strip() or 0)


hostile = "a,b\n1,2\n" + "9" * (8 << 20) + "\n3,4\n"
expect("hostile long line", run(hostile), ["time", "a", "b"], [("0", ["1", "2"]), ("2", ["3", "4"])])
# Baseline: the same 8 MiB in 511-byte lines (same data volume, so the same allocator and sanitizer
# quarantine overheads); the one long line must not cost more than the 1 MiB line limit.
small = peak_rss_kb("a,b\n1,2\n" + ("x" * 511 + "\n") * (16 << 10))
big = peak_rss_kb("a,b\n1,2\n" + "x" * (8 << 20))
print("peak RSS: %d KiB with 8 MiB of short lines, %d KiB with one 8 MiB line" % (small, big))
checks.check(big - small < 3 * 1024, "an 8 MiB line raised peak RSS by %d KiB" % (big - small))

# Errors a user must see, with the reason, and the dropped-rows count. gst-launch-1.0 1.22 can hang
# when two errors arrive while prerolling, so these cases run the pipeline from GI in a child
# process (which also loads the sanitized plugin correctly) and read the bus.
GI_RUNNER = r"""
import sys
import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst
Gst.init(None)
p = Gst.parse_launch(sys.argv[1])
p.set_state(Gst.State.PLAYING)
msg = p.get_bus().timed_pop_filtered(60 * Gst.SECOND, Gst.MessageType.ERROR | Gst.MessageType.EOS)
if msg is None:
    print("TIMEOUT")
elif msg.type == Gst.MessageType.ERROR:
    print("ERROR " + msg.parse_error()[0].message)
else:
    print("EOS %d" % p.get_by_name("p").get_property("dropped-rows"))
p.set_state(Gst.State.NULL)
"""


def run_gi(data, props):
    pipeline = "filesrc location=%s ! csvparse name=p %s ! csvenc ! fakesink" % (write(data), props)
    r = subprocess.run([sys.executable, "-c", GI_RUNNER, pipeline], env=vigiltest.gst_env(),
                       capture_output=True, text=True, timeout=120)
    return r.stdout.strip()


for data, props, needle in (("", "", "no header row"),
                            ("\n \n", "", "no header row"),
                            ("1,2\n3,4\n", "", "needs a header row"),
                            ("a,b\n1,2\n", "columns=a,zz", "'zz' is neither a header name"),
                            ("a,b\n1,2\n", "columns=5", "'5' is neither a header name"),
                            ("a,b\n1,2\n", "timestamp-column=t", "timestamp-column 't'"),
                            ("time;name\n1;x\n", "", "no numeric column")):
    out = run_gi(data, props)
    checks.check(out.startswith("ERROR") and needle in out,
                 "error case %r %s: got %r, expected an error with %r" % (data[:20], props, out, needle))
for data, props, want in ((malformed, "", 4), (nan_text, "", 2), (nan_text, "allow-nan=true", 0),
                          ("a;b\n1;2\n3;4\n", "", 0), (hostile, "", 1)):
    out = run_gi(data, props)
    checks.check(out == "EOS %d" % want, "dropped rows: got %r, expected EOS %d" % (out, want))

# Every row dropped (the timestamp column read as data: no row has a number there): csvparse sends
# caps but no segment; csvenc still writes its header, after a segment of its own (no "data flow
# before segment" warning).
r = run("datetime,v\n2020-01-01 00:00:00,1\n2020-01-01 00:00:01,2\n", "columns=0",
        check=False)
err = r.stderr.decode(errors="replace")
with open(os.path.join(tmp, "out.csv")) as f:
    text = f.read()
checks.check(r.returncode == 0 and text == "time,datetime\n" and "WARNING" not in err,
             "all rows dropped: rc %d, output %r, stderr %r" % (r.returncode, text, err[-500:]))

checks.done()
