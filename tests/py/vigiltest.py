"""Shared helpers for Vigil's Python tests (run by meson test with /usr/bin/python3).

Each test script compares Vigil against an independent reference and exits non-zero on any
mismatch. Use `Checks` to collect failures so one run reports all of them.
"""
import os
import subprocess
import sys
import tempfile

SOURCE = os.environ.get("VIGIL_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
BUILD = os.environ.get("VIGIL_BUILD_DIR", os.path.join(SOURCE, "build"))
# The real sensor recordings (SKAB) live beside the clone, in ../shared/datasets, not in the
# repository; VIGIL_DATASETS points elsewhere.
DATASETS = os.environ.get("VIGIL_DATASETS",
                          os.path.join(os.path.dirname(SOURCE), "shared", "datasets"))
SANITIZED = os.environ.get("VIGIL_SANITIZED") == "1"


def skab_dir():
    """The SKAB dataset's folder; a test that needs it fails (never skips) with where to put it."""
    path = os.path.join(DATASETS, "skab")
    if not os.path.isfile(os.path.join(path, "valve1", "0.csv")):
        sys.exit("FAIL: the SKAB dataset is not at %s: these tests read ../shared/datasets/skab "
                 "beside the clone; set VIGIL_DATASETS to the folder that holds skab/" % path)
    return path


def gst_env(extra=None):
    """Environment for a process that loads the plugin (gst-launch-1.0, python3 with GI)."""
    env = dict(os.environ)
    preload = os.environ.get("VIGIL_PRELOAD")
    if preload:
        env["LD_PRELOAD"] = preload
    if extra:
        env.update(extra)
    return env


def gst_launch(pipeline, timeout=300, check=True):
    """Runs `gst-launch-1.0 -q PIPELINE...` (a list of tokens or a string) and returns the result."""
    args = pipeline.split() if isinstance(pipeline, str) else list(pipeline)
    r = subprocess.run(["gst-launch-1.0", "-q"] + args, env=gst_env(), capture_output=True,
                       timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError("gst-launch-1.0 %s failed (%d):\n%s" % (
            " ".join(args), r.returncode, r.stderr.decode(errors="replace")[-4000:]))
    return r


def tool(name):
    """Path of a program built with the project (e.g. tools/vigil-model)."""
    for sub in ("tools", "tests", "bench", ""):
        p = os.path.join(BUILD, sub, name)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(name + " is not built in " + BUILD)


def tmpdir():
    return tempfile.mkdtemp(prefix="vigil-test-")


class Checks:
    """Collects failed assertions; `done()` prints a summary and exits 1 if any failed."""

    def __init__(self, name):
        self.name = name
        self.failed = []
        self.count = 0

    def check(self, cond, msg):
        self.count += 1
        if not cond:
            self.failed.append(msg)
            print("FAIL:", msg, flush=True)
        return cond

    def done(self):
        print("%s: %d checks, %d failed" % (self.name, self.count, len(self.failed)))
        if self.count == 0:
            print("no check ran: that is a failure")
            sys.exit(1)
        sys.exit(1 if self.failed else 0)
