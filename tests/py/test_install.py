#!/usr/bin/python3
"""meson install puts libgstvigil.so in GStreamer's plugin directory (pkg-config's pluginsdir),
where gst-inspect-1.0 finds it without GST_PLUGIN_PATH (checked in a staging --destdir)."""
import os
import subprocess

from vigiltest import BUILD, Checks, gst_env, tmpdir


def main():
    c = Checks("install")
    dest = tmpdir()
    r = subprocess.run(["meson", "install", "-C", BUILD, "--no-rebuild", "--destdir", dest,
                        "--quiet"], capture_output=True, text=True, timeout=300)
    c.check(r.returncode == 0, "meson install failed: " + r.stderr[-2000:])
    pluginsdir = subprocess.run(["pkg-config", "--variable=pluginsdir", "gstreamer-1.0"],
                                capture_output=True, text=True).stdout.strip()
    staged = os.path.join(dest, pluginsdir.lstrip("/"))
    so = os.path.join(staged, "libgstvigil.so")
    c.check(os.path.exists(so), "libgstvigil.so not in %s (got %s)" % (
        staged, os.listdir(staged) if os.path.isdir(staged) else "no such directory"))
    env = gst_env({"GST_PLUGIN_SYSTEM_PATH": staged, "GST_PLUGIN_PATH": "",
                   "GST_REGISTRY": os.path.join(dest, "registry.bin")})
    r = subprocess.run(["gst-inspect-1.0", "vigil"], capture_output=True, text=True, env=env,
                       timeout=120)
    c.check(r.returncode == 0 and "streamcnn" in r.stdout and "anomalyscore" in r.stdout,
            "the installed plugin is not found there: " + r.stderr[-1000:])
    c.done()


if __name__ == "__main__":
    main()
