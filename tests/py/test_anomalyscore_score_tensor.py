#!/usr/bin/python3
"""anomalyscore score-tensor: with frames of two tensors ([1] and [3], as streamcnn's
reconstruction-error output), score-tensor=0 scores tensor 0 alone while pass-input still passes
both; an index past the frame's tensors is refused with a message naming both counts."""
import subprocess
import sys

import numpy as np

from vigiltest import Checks, gst_env

CHILD = r'''
import sys, json
import numpy as np
import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst
Gst.init(None)
score_tensor = int(sys.argv[1])
caps = "other/tensors,num_tensors=2,types=(string)\"float32,float32\",dimensions=(string)\"1,3\",framerate=1/1"
p = Gst.parse_launch("appsrc name=src format=time caps=%s ! anomalyscore method=threshold "
                     "threshold=2.5 pass-input=true score-tensor=%d ! appsink name=sink sync=false"
                     % (caps, score_tensor))
src, sink = p.get_by_name("src"), p.get_by_name("sink")
p.set_state(Gst.State.PLAYING)
rng = np.random.default_rng(1)
first = rng.uniform(0, 5, 40).astype(np.float32)
rest = rng.uniform(0, 9, (40, 3)).astype(np.float32)
for i in range(40):
    b = Gst.Buffer.new()
    # Buffer.new_wrapped keeps its own copy of the bytes; one memory per tensor (NNStreamer layout)
    b.append_memory(Gst.Buffer.new_wrapped(first[i:i+1].tobytes()).get_memory(0))
    b.append_memory(Gst.Buffer.new_wrapped(rest[i].tobytes()).get_memory(0))
    b.pts, b.duration = i * Gst.SECOND, Gst.SECOND
    src.emit("push-buffer", b)
src.emit("end-of-stream")
out = []
while True:
    s = sink.emit("try-pull-sample", 5 * Gst.SECOND)
    if s is None:
        break
    buf = s.get_buffer()
    vals = []
    for i in range(buf.n_memory()):
        mem = buf.peek_memory(i)
        ok, info = mem.map(Gst.MapFlags.READ)
        vals.append(np.frombuffer(bytes(info.data), dtype=np.float32).tolist())
        mem.unmap(info)
    out.append(vals)
msg = p.get_bus().pop_filtered(Gst.MessageType.ERROR)
err = msg.parse_error()[0].message if msg else ""
p.set_state(Gst.State.NULL)
print(json.dumps({"out": out, "first": first.tolist(), "rest": rest.tolist(), "error": err}))
'''


def run(score_tensor):
    import json
    r = subprocess.run([sys.executable, "-c", CHILD, str(score_tensor)], capture_output=True,
                       text=True, env=gst_env(), timeout=60)
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    c = Checks("anomalyscore score-tensor")
    r = run(0)
    out = r["out"]
    c.check(len(out) == 40, "expected 40 frames, got %d" % len(out))
    if out:
        scores = np.array([f[0][0] for f in out])
        c.check(np.array_equal(scores, np.array(r["first"], dtype=np.float32)),
                "score-tensor=0: the scores are not tensor 0's values")
        c.check(all(len(f) == 3 and len(f[1]) == 1 and len(f[2]) == 3 for f in out),
                "pass-input: each frame should hold the score, [1] and [3]")
        c.check(np.allclose([f[2] for f in out], r["rest"]), "tensor 1 not passed through")
    r = run(-1)
    if r["out"]:
        allmax = np.array([f[0][0] for f in r["out"]])
        want = np.maximum(np.array(r["first"]), np.array(r["rest"]).max(1)).astype(np.float32)
        c.check(np.array_equal(allmax, want), "score-tensor=-1: scores are not the max over all")
    r = run(2)
    c.check(r["out"] == [] and "score-tensor=2" in r["error"] and "2 tensor" in r["error"],
            "score-tensor=2 on 2 tensors: error %r" % r["error"])
    c.done()


if __name__ == "__main__":
    main()
