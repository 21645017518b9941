"""SKAB files and the benchmark's protocol (../shared/datasets/README.md).

Facts of the protocol used here: per experiment file, fit the scaler and the model on the first 400
rows; windows of 60 rows, hop 1; the score of a window is the sum over features of the mean absolute
reconstruction error; the threshold is 4/3 of the 0.999 quantile of the training windows' scores;
rows are flagged from the window scores by SKAB's rule (window_flags, which also explains how the
dataset README's wording differs) and scored as binary classification (F1, FAR, MAR). SKAB's
notebook predicts every row of a file and its published figures count them all: evaluate(pairs,
skip=0) does the same; the default (skip=TRAIN_ROWS) scores only the rows after the training rows,
which is stricter on FAR.
"""
import csv
import glob
import os
import sys
from collections import namedtuple

import numpy as np

TRAIN_ROWS = 400
WINDOW = 60
QUANTILE = 0.999
FACTOR = 4.0 / 3.0
FEATURES = ["Accelerometer1RMS", "Accelerometer2RMS", "Current", "Pressure", "Temperature",
            "Thermocouple", "Voltage", "Volume Flow RateRMS"]

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
# SKAB lives beside the clone (../shared/datasets/skab); VIGIL_DATASETS names the folder holding
# skab/ elsewhere, as for the tests.
DATASET = os.path.join(os.environ.get("VIGIL_DATASETS",
                                      os.path.join(os.path.dirname(SOURCE), "shared", "datasets")),
                       "skab")
SkabFile = namedtuple("SkabFile", "path columns values anomaly changepoint")


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


def load_skab(path):
    """Reads a SKAB experiment file (';'-separated, header, datetime first, then 8 sensor columns,
    then anomaly and changepoint)."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    header, body = rows[0], [r for r in rows[1:] if r]
    idx = {name: i for i, name in enumerate(header)}
    sensors = [h for h in header if h not in ("datetime", "anomaly", "changepoint")]
    values = np.array([[float(r[idx[c]]) for c in sensors] for r in body], dtype=np.float32)
    anomaly = np.array([int(float(r[idx["anomaly"]])) for r in body], dtype=np.int8)
    change = np.array([int(float(r[idx["changepoint"]])) for r in body], dtype=np.int8)
    return SkabFile(path, sensors, values, anomaly, change)


def skab_files(root=None):
    """valve1 and valve2 experiment files, in a stable order."""
    if root is None:
        root = DATASET
    key = lambda p: (os.path.basename(os.path.dirname(p)), int(os.path.basename(p)[:-4]))
    files = sorted(glob.glob(os.path.join(root, "valve1", "*.csv")) +
                   glob.glob(os.path.join(root, "valve2", "*.csv")), key=key)
    if not files:
        sys.exit("the SKAB dataset is not at %s (valve1/*.csv, valve2/*.csv): put it there or set "
                 "VIGIL_DATASETS to the folder that holds skab/" % root)
    return files


def flag_rows(exceed, n_steps=60):
    """SKAB's rule: exceed[r] says whether the window ENDING at row r exceeds the threshold (False
    for rows without a complete window, NaN scores count as False). Row r is flagged when exceed is
    True at r and at the n_steps - 1 rows before it; rows r < n_steps - 1 are never flagged."""
    e = np.asarray(exceed, dtype=bool)
    if n_steps <= 1:
        return e.copy()
    # run length of consecutive True ending at each row
    run = np.zeros(len(e), dtype=np.int64)
    count = 0
    for r, v in enumerate(e):
        count = count + 1 if v else 0
        run[r] = count
    return run >= n_steps


def exceedances(scores, threshold):
    """scores > threshold, with NaN (not scored) as False."""
    s = np.asarray(scores, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(np.isnan(s), False, s > threshold)


def metrics(true, pred):
    """SKAB's binary per-row metrics; rates in percent (NaN when undefined)."""
    t = np.asarray(true).astype(bool)
    p = np.asarray(pred).astype(bool)
    tp = int(np.sum(t & p))
    fp = int(np.sum(~t & p))
    tn = int(np.sum(~t & ~p))
    fn = int(np.sum(t & ~p))
    f1 = 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) else float("nan")
    far = 100.0 * fp / (fp + tn) if (fp + tn) else float("nan")
    mar = 100.0 * fn / (fn + tp) if (fn + tp) else float("nan")
    return {"f1": f1, "far": far, "mar": mar, "tp": tp, "fp": fp, "tn": tn, "fn": fn}


def evaluate(pairs, skip=TRAIN_ROWS):
    """pairs: (true labels, predicted flags) per file, full length; the test rows (from `skip`) of
    all files are concatenated, as SKAB's evaluation does."""
    t = np.concatenate([np.asarray(a)[skip:] for a, _ in pairs])
    p = np.concatenate([np.asarray(b)[skip:] for _, b in pairs])
    return metrics(t, p)


def window_flags(window_scores, threshold, n_rows, window=WINDOW, rule="skab"):
    """Row flags from the scores of consecutive windows (window k covers rows k .. k + window - 1).

    rule="skab": the rule of SKAB's published Conv-AE notebook, which its leaderboard figures use.
      Its create_sequences indexes window i by its FIRST row, and row r is flagged when windows
      r - window + 1 .. r - 1 all exceed the threshold (every window containing r but the one
      starting at r), for r in [window - 1, n_windows - window + 1) exactly as its loop runs.
    rule="causal": row r is flagged when the windows ENDING at r and at the window - 1 rows before
      it all exceed: what a live monitor can decide at row r. This is how the dataset README
      paraphrases the protocol; it lags the notebook's rule by window - 1 rows, which costs about
      that many missed rows at the start of each anomaly and false ones after its end."""
    above = exceedances(window_scores, threshold)
    if rule == "causal":
        exceed = np.zeros(n_rows, dtype=bool)
        exceed[window - 1:window - 1 + len(above)] = above
        return flag_rows(exceed, window)
    if rule != "skab":
        raise ValueError("rule must be 'skab' or 'causal'")
    flags = np.zeros(n_rows, dtype=bool)
    for r in range(window - 1, len(above) - window + 1):
        flags[r] = above[r - window + 1:r].all()
    return flags
