#!/usr/bin/python3
"""stft's default FFTW wisdom cache: with wisdom-file unset and planner=measure, the first run writes
$XDG_CACHE_HOME/vigil/fftw3f.wisdom; a corrupt cache is skipped and rewritten, never an error;
planner=estimate and wisdom-file="" use no file."""
import os
import subprocess

from vigiltest import Checks, gst_env, tmpdir


def run(cache, props=""):
    env = gst_env({"XDG_CACHE_HOME": cache})
    return subprocess.run(["gst-launch-1.0", "-q", "audiotestsrc", "num-buffers=4", "!", "stft"] +
                          props.split() + ["!", "fakesink"], env=env, capture_output=True,
                          text=True, timeout=120)


def main():
    c = Checks("stft-wisdom-cache")
    cache = tmpdir()
    path = os.path.join(cache, "vigil", "fftw3f.wisdom")
    r = run(cache)
    c.check(r.returncode == 0, "first run failed: " + r.stderr)
    c.check(os.path.exists(path) and open(path).read().startswith("(fftw-3"),
            "no wisdom cache written at " + path)
    with open(path, "w") as f:
        f.write("not wisdom")
    r = run(cache)
    c.check(r.returncode == 0, "a corrupt cache made the pipeline fail: " + r.stderr)
    c.check(open(path).read().startswith("(fftw-3"), "the corrupt cache was not rewritten")
    for props in ("planner=estimate", "wisdom-file=\"\""):
        other = tmpdir()
        r = run(other, props)
        c.check(r.returncode == 0, props + " failed: " + r.stderr)
        c.check(not os.path.exists(os.path.join(other, "vigil", "fftw3f.wisdom")),
                props + " wrote the wisdom cache")
    c.done()


if __name__ == "__main__":
    main()
