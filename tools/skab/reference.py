#!/usr/bin/python3
"""SKAB protocol in PyTorch alone (no GStreamer): train, score every window, flag, and report
per-row F1 / FAR / MAR over the chosen experiment files. The pipeline evaluation
(tools/skab/evaluate.py) uses the same training and compares its scores with these.

Usage: tools/skab/reference.py [--epochs N] [--arch aligned|skab] [--files valve1/0.csv ...]
"""
import argparse
import os
import sys

import numpy as np  # noqa: F401
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import skab  # noqa: E402
import model as skab_model  # noqa: E402


def run_file(path, epochs, seed=0, arch="aligned"):
    f = skab.load_skab(path)
    x, labels = f.values, f.anomaly
    mean, std = skab.scaler(x)
    xs = (x - mean) / std
    train_windows = skab.windows(xs[:skab.TRAIN_ROWS])
    ae = skab_model.train(train_windows, epochs=epochs, seed=seed, arch=arch)
    scores = skab_model.window_scores(ae, skab.windows(xs))
    n_train = len(train_windows)
    threshold = np.quantile(scores[:n_train], skab.QUANTILE) * skab.FACTOR
    return ae, scores, threshold, labels


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--files", nargs="*")
    ap.add_argument("--arch", default="aligned", choices=skab_model.ARCHS,
                    help="the autoencoder (tools/skab/model.py)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    files = ([os.path.join(skab.DATASET, f) for f in args.files] if args.files
             else skab.skab_files())
    pairs = {"skab": [], "causal": []}
    for path in files:
        _, scores, thr, labels = run_file(path, args.epochs, arch=args.arch)
        for rule in pairs:
            pairs[rule].append((labels, skab.window_flags(scores, thr, len(labels), rule=rule)))
        m = skab.evaluate(pairs["skab"][-1:], skip=0)
        print("%-14s threshold %.3f  F1 %.3f  FAR %5.1f %%  MAR %5.1f %%" % (
            os.path.relpath(path, skab.DATASET), thr, m["f1"], m["far"], m["mar"]), flush=True)
    print_summary(pairs, len(files))


def print_summary(pairs, n_files, label="PyTorch"):
    """SKAB's rule over all rows (as its published figures), then stricter views."""
    print("%s, %d files:" % (label, n_files))
    for rule, skip, what in (("skab", 0, "SKAB's rule, all rows (as published)"),
                             ("skab", skab.TRAIN_ROWS, "SKAB's rule, rows after the first 400"),
                             ("causal", skab.TRAIN_ROWS, "causal rule, rows after the first 400")):
        m = skab.evaluate(pairs[rule], skip=skip)
        print("  %-40s F1 %.3f  FAR %6.2f %%  MAR %6.2f %%" % (what, m["f1"], m["far"], m["mar"]))


if __name__ == "__main__":
    main()
