#!/usr/bin/env python3
"""Golden-file test: regenerate every interface (tests/stubgen/idl/*.idl and
idl/*.idl) and compare with tests/stubgen/golden/<stem>/, so any change to
the generated code or the wire ABI shows up in review.

    python3 tests/stubgen/golden.py            # compare, exit 1 on a diff
    python3 tests/stubgen/golden.py --update   # rewrite the goldens
"""

import argparse
import difflib
import glob
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
GOLDEN = os.path.join(HERE, "golden")
sys.path.insert(0, REPO)

import stubgen  # noqa: E402

MAX_DIFF_LINES = 60


def sources():
    return sorted(glob.glob(os.path.join(HERE, "idl", "*.idl"))) + \
        sorted(glob.glob(os.path.join(REPO, "idl", "*.idl")))


def generate_all():
    """{stem: {file name: text}} for every interface."""
    out = {}
    for path in sources():
        stem = os.path.basename(path)[:-4]
        if stem in out:
            sys.exit("golden: two interfaces named %s" % stem)
        with open(path, "rb") as f:
            data = f.read()
        shown = os.path.relpath(path, REPO).replace(os.sep, "/")
        out[stem] = stubgen.generate(data, path, shown)
    return out


def update(generated):
    if os.path.isdir(GOLDEN):
        shutil.rmtree(GOLDEN)
    for stem, files in generated.items():
        d = os.path.join(GOLDEN, stem)
        os.makedirs(d)
        for name, text in files.items():
            with open(os.path.join(d, name), "w", encoding="utf-8",
                      newline="\n") as f:
                f.write(text)
    print("golden: wrote %d interfaces to %s" % (len(generated),
                                                 os.path.relpath(GOLDEN)))
    return 0


def compare(generated):
    problems = 0
    expected = set()
    for stem, files in generated.items():
        for name, text in files.items():
            rel = os.path.join(stem, name)
            expected.add(rel)
            path = os.path.join(GOLDEN, rel)
            try:
                with open(path, encoding="utf-8") as f:
                    old = f.read()
            except OSError:
                print("golden: missing %s" % rel)
                problems += 1
                continue
            if old != text:
                problems += 1
                diff = list(difflib.unified_diff(
                    old.splitlines(), text.splitlines(), "golden/" + rel,
                    "generated/" + rel, lineterm=""))
                print("\n".join(diff[:MAX_DIFF_LINES]))
                if len(diff) > MAX_DIFF_LINES:
                    print("... (%d more diff lines)" % (len(diff) - MAX_DIFF_LINES))
    for path in glob.glob(os.path.join(GOLDEN, "*", "*")):
        rel = os.path.relpath(path, GOLDEN)
        if rel not in expected:
            print("golden: stale %s (no interface generates it)" % rel)
            problems += 1
    if problems:
        print("golden: %d file(s) differ; if the change is intended, run "
              "python3 tests/stubgen/golden.py --update and commit the "
              "result" % problems)
        return 1
    print("golden: %d files match" % len(expected))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--update", action="store_true",
                    help="rewrite the golden files instead of comparing")
    args = ap.parse_args()
    generated = generate_all()
    return update(generated) if args.update else compare(generated)


if __name__ == "__main__":
    sys.exit(main())
