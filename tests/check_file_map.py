#!/usr/bin/env python3
"""Checks that docs/architecture.md's file map matches the tree.

    python3 tests/check_file_map.py

Every source file git tracks under the checked directories must appear in the
map, and every path the map names must exist. A row names files as paths in
backticks; a token without a directory takes the directory of the token before
it (`conv_ftl.h`, `conv_ftl.cc`), and one starting with a dot takes its stem
(`zone_metadata.h`, `.cc`). Prints what is missing or stale; exit 1 if any.
"""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECKED = ("hw-nvmev/", "ftl/", "timing/", "tools/")
SOURCE = (".c", ".cc", ".h")


def mapped_paths(doc):
    section = doc.split("## File map", 1)[1]
    paths = set()
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        first_cell = line.split("|")[1]
        prev = None
        for tok in re.findall(r"`([^`]+)`", first_cell):
            if tok.startswith(".") and prev:
                tok = os.path.splitext(prev)[0] + tok
            elif "/" not in tok and prev and "/" in prev:
                tok = os.path.join(os.path.dirname(prev), tok)
            paths.add(tok)
            prev = tok
    return paths


def main():
    doc = open(os.path.join(ROOT, "docs", "architecture.md")).read()
    mapped = mapped_paths(doc)
    tracked = subprocess.run(["git", "ls-files", *CHECKED], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
    missing = [f for f in tracked if f.endswith(SOURCE) and f not in mapped]
    stale = sorted(p for p in mapped if p.startswith(CHECKED) and "*" not in p
                   and not os.path.exists(os.path.join(ROOT, p)))
    for f in missing:
        print(f"not in docs/architecture.md's file map: {f}")
    for p in stale:
        print(f"in the file map but not in the tree: {p}")
    return 1 if missing or stale else 0


if __name__ == "__main__":
    sys.exit(main())
