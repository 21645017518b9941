#!/usr/bin/python3
"""Fails when a C file of the project is not formatted by the project's .clang-format."""
import os
import subprocess
import sys

clang_format = sys.argv[1]
root = os.environ["VIGIL_SOURCE_DIR"]
files = subprocess.run(["git", "-C", root, "ls-files", "*.c", "*.h"], capture_output=True,
                       text=True, check=True).stdout.split()
if not files:  # not a git checkout: walk the tree
    for top in ("plugins", "elements", "kernels", "tests", "tools", "bench"):
        for d, _, names in os.walk(os.path.join(root, top)):
            files += [os.path.relpath(os.path.join(d, n), root) for n in names
                      if n.endswith((".c", ".h"))]
files = [f for f in files if os.path.exists(os.path.join(root, f)) and "/generated/" not in f]
# One clang-format process per chunk of files (one per file is slow on a loaded 2-core machine);
# --dry-run -Werror names every unformatted file on stderr.
bad = set()
for i in range(0, len(files), 64):
    chunk = [os.path.join(root, f) for f in files[i:i + 64]]
    r = subprocess.run([clang_format, "--dry-run", "-Werror"] + chunk, capture_output=True,
                       text=True)
    if r.returncode != 0:
        bad.update(os.path.relpath(p, root) for p in chunk if p in r.stderr)
        if not bad:
            bad.add("(clang-format failed: %s)" % r.stderr[-500:])
bad = sorted(bad)
print(f"{len(files)} C files checked")
if bad:
    print("not formatted with .clang-format (run: clang-format -i FILE):\n  " + "\n  ".join(bad))
    sys.exit(1)
