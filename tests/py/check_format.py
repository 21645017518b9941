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
bad = []
for f in files:
    path = os.path.join(root, f)
    if not os.path.exists(path) or "/generated/" in f:
        continue
    r = subprocess.run([clang_format, "--dry-run", "-Werror", path], capture_output=True)
    if r.returncode != 0:
        bad.append(f)
print(f"{len(files)} C files checked")
if bad:
    print("not formatted with .clang-format (run: clang-format -i FILE):\n  " + "\n  ".join(bad))
    sys.exit(1)
