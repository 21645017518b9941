#!/usr/bin/python3
"""Input standardisation carried in a model file's metadata (vigil.input_mean, vigil.input_std):
read and reported by vigil-model info when well formed; refused with a message naming the key when
the lists do not match the input's channels, a deviation is not positive, or one list is missing."""
import os
import subprocess

import onnx
import torch

from vigiltest import Checks, tmpdir, tool


def model_with(meta, path):
    net = torch.nn.Conv1d(3, 2, 3)
    torch.onnx.export(net, torch.zeros(1, 3, 16), path, opset_version=13)
    m = onnx.load(path)
    for k, v in meta.items():
        p = m.metadata_props.add()
        p.key, p.value = k, v
    onnx.save(m, path)
    return path


def info(path):
    return subprocess.run([tool("vigil-model"), "info", path], capture_output=True, text=True,
                          timeout=60)


def main():
    c = Checks("model-metadata")
    d = tmpdir()
    good = model_with({"vigil.input_mean": "1,2.5,-3", "vigil.input_std": "0.5, 2 ,1e-3"},
                      os.path.join(d, "good.onnx"))
    r = info(good)
    c.check(r.returncode == 0 and "mean: 1 2.5 -3" in r.stdout and "std:  0.5 2 0.001" in r.stdout,
            "good metadata not reported: %s %s" % (r.stdout, r.stderr))
    r = info(model_with({}, os.path.join(d, "none.onnx")))
    c.check(r.returncode == 0 and "standardisation" not in r.stdout, "no metadata: " + r.stdout)
    bad = {
        "few": ({"vigil.input_mean": "1,2", "vigil.input_std": "1,1,1"}, "has 2 values"),
        "many": ({"vigil.input_mean": "1,2,3,4", "vigil.input_std": "1,1,1"}, "more values"),
        "zero-std": ({"vigil.input_mean": "1,2,3", "vigil.input_std": "1,0,1"},
                     "channel 1 (counting from 0) has deviation 0 (must be > 0"),
        "subnormal-std": ({"vigil.input_mean": "1,2,3", "vigil.input_std": "1,1e-45,1"},
                          "smallest normal float"),
        "text": ({"vigil.input_mean": "1,x,3", "vigil.input_std": "1,1,1"},
                 "the value of channel 1 (counting from 0) is not a finite"),
        "nan": ({"vigil.input_mean": "1,2,nan", "vigil.input_std": "1,1,1"},
                "the value of channel 2 (counting from 0) is not a finite"),
        "no-std": ({"vigil.input_mean": "1,2,3"}, "without vigil.input_std"),
    }
    for name, (meta, words) in bad.items():
        r = info(model_with(meta, os.path.join(d, name + ".onnx")))
        c.check(r.returncode != 0 and words in (r.stderr + r.stdout),
                "%s: expected a refusal with '%s', got %d: %s" % (name, words, r.returncode,
                                                                  r.stderr + r.stdout))
    c.done()


if __name__ == "__main__":
    main()
