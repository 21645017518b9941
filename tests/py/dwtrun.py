"""Runs `appsrc ! dwt ... ! appsink` pipelines in a child process (which gets vigiltest.gst_env(),
so the sanitizer build works) and returns every output buffer: PTS, duration, caps and the float32
array of each memory (one per tensor).

A job is a dict: props (the dwt property string), caps (input caps string), dtype ('f32' or
's16'), chunks (list of numpy arrays of frames, each pushed as one buffer), discont (indices of
chunks flagged DISCONT), rate (frames per second, for timestamps; 0 for none).
"""
import os
import pickle
import subprocess
import sys
import tempfile

import numpy as np


def run_jobs(jobs, timeout=120):
    import vigiltest
    d = tempfile.mkdtemp(prefix="vigil-dwt-")
    src, dst = os.path.join(d, "jobs.pkl"), os.path.join(d, "out.pkl")
    with open(src, "wb") as f:
        pickle.dump(jobs, f)
    r = subprocess.run(["/usr/bin/python3", os.path.abspath(__file__), src, dst],
                       env=vigiltest.gst_env(), capture_output=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError("dwtrun child failed (%d):\n%s" % (r.returncode,
                                                             r.stderr.decode()[-4000:]))
    with open(dst, "rb") as f:
        return pickle.load(f)


def _child(src, dst):
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    with open(src, "rb") as f:
        jobs = pickle.load(f)
    results = []
    for job in jobs:
        desc = "appsrc name=src format=time caps=\"%s\" ! dwt %s ! appsink name=sink sync=false" % (
            job["caps"].replace('"', '\\"'), job["props"])
        pipe = Gst.parse_launch(desc)
        appsrc, sink = pipe.get_by_name("src"), pipe.get_by_name("sink")
        out = {"buffers": [], "caps": None, "error": None}

        def on_sample(s, out=out):
            sample = s.emit("pull-sample")
            buf = sample.get_buffer()
            if out["caps"] is None:
                out["caps"] = sample.get_caps().to_string()
            mems = []
            for i in range(buf.n_memory()):
                ok, info = buf.peek_memory(i).map(Gst.MapFlags.READ)
                mems.append(np.frombuffer(bytes(info.data), dtype=np.float32))
                buf.peek_memory(i).unmap(info)
            out["buffers"].append((buf.pts, buf.duration, mems))
            return Gst.FlowReturn.OK

        sink.set_property("emit-signals", True)
        sink.connect("new-sample", on_sample)
        pipe.set_state(Gst.State.PLAYING)
        rate, t = job.get("rate", 0), 0
        for k, chunk in enumerate(job["chunks"]):
            data = chunk.astype(np.int16 if job.get("dtype") == "s16" else np.float32).tobytes()
            buf = Gst.Buffer.new_wrapped(data)
            n = chunk.shape[0]
            if rate:
                buf.pts = t * Gst.SECOND // rate
                buf.duration = (t + n) * Gst.SECOND // rate - buf.pts
            if k in job.get("discont", ()):
                buf.set_flags(Gst.BufferFlags.DISCONT)
            t += n
            if appsrc.emit("push-buffer", buf) != Gst.FlowReturn.OK:
                break
        appsrc.emit("end-of-stream")
        msg = pipe.get_bus().timed_pop_filtered(30 * Gst.SECOND,
                                                Gst.MessageType.EOS | Gst.MessageType.ERROR)
        if msg is None:
            out["error"] = "timeout"
        elif msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            out["error"] = "%s | %s" % (err.message, dbg)
        pipe.set_state(Gst.State.NULL)
        results.append(out)
    with open(dst, "wb") as f:
        pickle.dump(results, f)


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2])
