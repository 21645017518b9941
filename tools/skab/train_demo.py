#!/usr/bin/python3
"""Trains the demo's model: a convolutional autoencoder (tools/skab/model.py, the "aligned"
architecture unless --arch says otherwise) on the first 400 rows (normal operation) of
data/skab-valve1-3.csv, exported to models/skab-conv-ae.onnx.

The model file carries its input standardisation (the training rows' mean and deviation per channel)
as ONNX metadata `vigil.input_mean` and `vigil.input_std`, comma-separated in channel order, so that
a pipeline feeds it raw sensor rows; streamcnn standardises them before the network and computes the
reconstruction error in standardised units, as the model was trained. `vigil.columns` names the
channels in order. Deterministic: same seed, same model.

Usage: tools/skab/train_demo.py [--arch aligned|skab] [OUT.onnx]
"""
import argparse
import os
import sys

import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import skab  # noqa: E402
import model as skab_model  # noqa: E402

DATA = os.path.join(skab.SOURCE, "data", "skab-valve1-3.csv")


def add_metadata(path, mean, std):
    m = onnx.load(path)
    for key, values in (("vigil.input_mean", mean), ("vigil.input_std", std)):
        p = m.metadata_props.add()
        p.key = key
        p.value = ",".join("%.9g" % v for v in values)
    p = m.metadata_props.add()
    p.key = "vigil.columns"
    p.value = ",".join(skab.FEATURES)
    onnx.save(m, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?", default=os.path.join(skab.SOURCE, "models",
                                                           "skab-conv-ae.onnx"))
    ap.add_argument("--arch", default="aligned", choices=skab_model.ARCHS)
    args = ap.parse_args()
    out = args.out
    torch.set_num_threads(1)
    x = skab.load_skab(DATA).values
    mean, std = skab.scaler(x)
    ae = skab_model.train(skab.windows((x[:skab.TRAIN_ROWS] - mean) / std), seed=0,
                          arch=args.arch)
    skab_model.export(ae, x.shape[1], out)
    add_metadata(out, mean, std)
    print("trained on the first %d rows of %s; wrote %s" % (skab.TRAIN_ROWS, DATA, out))


if __name__ == "__main__":
    main()
