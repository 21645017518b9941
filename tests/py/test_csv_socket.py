#!/usr/bin/python3
"""The live-socket example of docs/elements/csvparse.md, `tcpserversrc ! csvparse
timestamp-column=ts ! csvenc`: rows sent over TCP (loopback, a port the server picks) in pieces
that cut lines anywhere come out with their values and their times relative to the first row,
and the client closing the connection ends the stream (EOS reaches the sink)."""
import os
import random
import socket
import sys
import time

import vigiltest

# GStreamer loads the plugin in this process: in the sanitizer build it must start with the ASan
# runtime preloaded (vigiltest.gst_env), so the script runs itself again with it.
if os.environ.get("VIGIL_PRELOAD") and "LD_PRELOAD" not in os.environ:
    os.execve(sys.executable, [sys.executable] + sys.argv, vigiltest.gst_env())

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
from gi.repository import Gst, GstApp  # noqa: E402,F401

c = vigiltest.Checks("csv-socket")
Gst.init(None)
pipe = Gst.parse_launch("tcpserversrc name=src host=127.0.0.1 port=0 ! "
                        "csvparse timestamp-column=ts ! csvenc ! appsink name=sink sync=false")
src, sink = pipe.get_by_name("src"), pipe.get_by_name("sink")
pipe.set_state(Gst.State.PLAYING)
port = 0
for _ in range(200):  # the server listens once started
    port = src.get_property("current-port")
    if port > 0:
        break
    time.sleep(0.05)
c.check(port > 0, "tcpserversrc did not start listening")

rows = [(2.5 * i, i - 3.25, 1000.0 + i) for i in range(40)]
text = "ts,a,b\n" + "".join("2026-11-22T10:%02d:%06.3f,%g,%g\n" % (int(t // 60), t % 60, a, b)
                            for t, a, b in rows)
rng = random.Random(5)
with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
    data = text.encode()
    pos = 0
    while pos < len(data):  # pieces of 1-40 bytes, lines cut anywhere
        n = rng.randint(1, 40)
        s.sendall(data[pos:pos + n])
        pos += n
        time.sleep(0.001)

out = b""
while True:
    sample = sink.try_pull_sample(10 * Gst.SECOND)
    if sample is None:
        break
    buf = sample.get_buffer()
    out += buf.extract_dup(0, buf.get_size())
c.check(sink.is_eos(), "the stream did not end when the client closed the connection")
pipe.set_state(Gst.State.NULL)

lines = out.decode().splitlines()
c.check(lines[:1] == ["time,a,b"], "header: %r" % lines[:1])
got = [tuple(float(v) for v in ln.split(",")) for ln in lines[1:]]
c.check(len(got) == len(rows), "%d rows out, %d sent" % (len(got), len(rows)))
for g, (t, a, b) in zip(got, rows):
    if not c.check(abs(g[0] - t) < 1e-6 and g[1] == a and g[2] == b,
                   "row %r, expected %r" % (g, (t, a, b))):
        break
print("%d rows over TCP port %d, %d bytes of CSV back" % (len(got), port, len(out)))
c.done()
