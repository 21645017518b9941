"""SKAB files and the benchmark's protocol (../shared/datasets/README.md).

Facts of the protocol used here: per experiment file, fit the scaler and the model on the first 400
rows; windows of 60 rows, hop 1; the score of a window is the sum over features of the mean absolute
reconstruction error; the threshold is 4/3 of the 0.999 quantile of the training windows' scores; a
row is flagged when the windows ending at it and at the 59 rows before it all exceed the threshold;
rows after the first 400 are scored as binary classification (F1, FAR, MAR).
"""
import csv
import os

import numpy as np

TRAIN_ROWS = 400
WINDOW = 60
QUANTILE = 0.999
FACTOR = 4.0 / 3.0
FEATURES = ["Accelerometer1RMS", "Accelerometer2RMS", "Current", "Pressure", "Temperature",
            "Thermocouple", "Voltage", "Volume Flow RateRMS"]

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
DATASET = os.path.join(os.path.dirname(SOURCE), "shared", "datasets", "skab")


def experiment_files(groups=("valve1", "valve2")):
    """Paths of the experiment files of the given groups, in numeric order."""
    out = []
    for g in groups:
        d = os.path.join(DATASET, g)
        names = sorted((n for n in os.listdir(d) if n.endswith(".csv")), key=lambda n: int(n[:-4]))
        out += [os.path.join(d, n) for n in names]
    return out


def load(path):
    """(times as strings, features [N, 8] float32, anomaly labels [N] int or None)."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    head = rows[0]
    idx = [head.index(c) for c in FEATURES]
    x = np.array([[float(r[i]) for i in idx] for r in rows[1:]], dtype=np.float32)
    labels = None
    if "anomaly" in head:
        a = head.index("anomaly")
        labels = np.array([int(float(r[a])) for r in rows[1:]])
    times = [r[head.index("datetime")] for r in rows[1:]]
    return times, x, labels


def scaler(x):
    """Mean and standard deviation of the training rows (numpy's population deviation, as
    scikit-learn's StandardScaler, which the benchmark's notebooks use); constant columns get 1."""
    mean = x[:TRAIN_ROWS].mean(axis=0)
    std = x[:TRAIN_ROWS].std(axis=0)
    std[std == 0] = 1.0
    return mean.astype(np.float32), std.astype(np.float32)


def windows(x, window=WINDOW):
    """All windows of `window` rows with hop 1, as [n, C, window] (PyTorch's layout)."""
    n = len(x) - window + 1
    idx = np.arange(window)[None, :] + np.arange(n)[:, None]
    return np.ascontiguousarray(x[idx].transpose(0, 2, 1))


def flag_rows(window_scores, threshold, n_rows, window=WINDOW):
    """Rows flagged by the protocol: window k ends at row k + window - 1; a row r is flagged when
    the windows ending at r, r-1, ..., r-window+1 all exist and all exceed the threshold."""
    above = np.asarray(window_scores) > threshold
    flags = np.zeros(n_rows, dtype=bool)
    run = 0
    for k, a in enumerate(above):
        run = run + 1 if a else 0
        if run >= window:
            flags[k + window - 1] = True
    return flags


def confusion(flags, labels):
    flags = np.asarray(flags, dtype=bool)
    labels = np.asarray(labels, dtype=bool)
    tp = int(np.sum(flags & labels))
    fp = int(np.sum(flags & ~labels))
    fn = int(np.sum(~flags & labels))
    tn = int(np.sum(~flags & ~labels))
    return tp, fp, fn, tn


def metrics(tp, fp, fn, tn):
    """F1, false-alarm rate FP/(FP+TN) and missed-alarm rate FN/(FN+TP), as SKAB reports them."""
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    far = fp / (fp + tn) if fp + tn else 0.0
    mar = fn / (fn + tp) if fn + tp else 0.0
    return f1, far, mar
