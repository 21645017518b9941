#!/usr/bin/python3
"""Generates data/sample-sensors.csv: a small synthetic sensor log for tools/demo.

A pump test rig sampled once per second for 15 minutes, like the SKAB data: the columns are
`datetime` (ISO 8601, "YYYY-MM-DD hh:mm:ss"), `temperature` (deg C), `pressure` (bar),
`vibration_rms` (g), `flow` (l/min), `current` (A) and `anomaly` (0/1). Normal operation is a slow
warm-up drift plus Gaussian noise; from minute 10 to minute 11 a bearing fault raises the vibration
and the current and lowers the flow, and `anomaly` marks those rows. About 5 % of the intervals are
2 s instead of 1 s (a logger that skips a sample now and then), as in SKAB.

Deterministic: the same seed gives the same file, byte for byte. Standard library only.

Usage: tools/gen-sample-csv.py [--seed N] [--minutes M] [-o data/sample-sensors.csv]
"""
import argparse
import datetime
import math
import random


def rows(seed, minutes):
    rng = random.Random(seed)
    start = datetime.datetime(2024, 3, 1, 8, 0, 0)
    t = 0
    while t < minutes * 60:
        fault = 600 <= t < 660
        warm = 1.0 - math.exp(-t / 300.0)  # warm-up over the first few minutes
        temperature = 21.0 + 9.0 * warm + rng.gauss(0, 0.05)
        pressure = 2.5 + 0.1 * math.sin(2 * math.pi * t / 97.0) + rng.gauss(0, 0.02)
        vibration = 0.031 + rng.gauss(0, 0.002) + (0.05 + 0.02 * rng.random() if fault else 0.0)
        flow = 32.0 + rng.gauss(0, 0.3) - (4.0 if fault else 0.0)
        current = 1.30 + 0.05 * warm + rng.gauss(0, 0.01) + (0.2 if fault else 0.0)
        stamp = (start + datetime.timedelta(seconds=t)).strftime("%Y-%m-%d %H:%M:%S")
        yield [stamp, "%.4f" % temperature, "%.5f" % pressure, "%.6f" % vibration, "%.3f" % flow,
               "%.5f" % current, "1" if fault else "0"]
        t += 2 if rng.random() < 0.05 else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--minutes", type=int, default=15)
    ap.add_argument("-o", "--output", default="data/sample-sensors.csv")
    args = ap.parse_args()
    header = ["datetime", "temperature", "pressure", "vibration_rms", "flow", "current", "anomaly"]
    with open(args.output, "w", newline="") as f:
        f.write(",".join(header) + "\n")
        n = 0
        for row in rows(args.seed, args.minutes):
            f.write(",".join(row) + "\n")
            n += 1
    print("%s: %d rows" % (args.output, n))


if __name__ == "__main__":
    main()
