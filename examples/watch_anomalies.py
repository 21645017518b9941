#!/usr/bin/python3
"""watch_anomalies: runs a pipeline and prints every `anomaly` message that anomalyscore posts.

Usage: examples/watch_anomalies.py 'PIPELINE DESCRIPTION'
The Python half of docs/tutorials/sensor-monitoring.md (GStreamer through python3-gi).
"""
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402


def describe(s):
    """One line for an anomaly message structure. `timestamp` is when the event started; an end
    event's `duration` is how long it lasted."""
    ts = s.get_value("timestamp") / Gst.SECOND
    threshold = s.get_value("threshold")
    if s.get_value("event") == "end":
        return "anomaly end: started at %.3f s, lasted %.3f s, peak score %.4g (threshold %.4g)" % (
            ts, s.get_value("duration") / Gst.SECOND, s.get_value("peak-score"), threshold)
    return "anomaly start at %.3f s: score %.4g (threshold %.4g)" % (
        ts, s.get_value("score"), threshold)


def main():
    if len(sys.argv) != 2:
        print("usage: %s 'PIPELINE DESCRIPTION'" % sys.argv[0], file=sys.stderr)
        return 2
    Gst.init(None)
    try:
        pipeline = Gst.parse_launch(sys.argv[1])
    except gi.repository.GLib.Error as e:
        print("could not build the pipeline:", e.message, file=sys.stderr)
        return 2
    pipeline.set_state(Gst.State.PLAYING)
    bus = pipeline.get_bus()
    status = None
    while status is None:
        msg = bus.timed_pop(Gst.CLOCK_TIME_NONE)
        if msg.type == Gst.MessageType.EOS:
            status = 0
        elif msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            print("error from %s: %s\n%s" % (msg.src.get_name(), err.message, debug or ""),
                  file=sys.stderr)
            status = 1
        elif msg.type == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            if s is not None and s.get_name() == "anomaly":
                print(describe(s), flush=True)
    pipeline.set_state(Gst.State.NULL)
    return status


if __name__ == "__main__":
    sys.exit(main())
