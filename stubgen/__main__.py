"""Command line: python3 -m stubgen FILE.idl --out-dir DIR [--depfile F].

Writes <name>.h, <name>_client.c, <name>_server.c and <name>.md into DIR.
Bad IDL prints `file:line:col: error: message` and exits 1; a crash inside
stubgen itself prints one line and exits 2 (STUBGEN_DEBUG=1 re-raises).
"""

import argparse
import os
import sys

from . import generate
from .errors import StubgenError

PKG_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.realpath(PKG_DIR))


def display_name(path):
    """The IDL path as shown in banners: repo-relative when inside the repo,
    so generated files are identical whatever the build directory."""
    full = os.path.realpath(path)
    root = os.path.realpath(REPO_ROOT)
    if full.startswith(root + os.sep):
        return os.path.relpath(full, root).replace(os.sep, "/")
    return os.path.basename(path)


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.replace(tmp, path)


def depfile_text(target, idl_path):
    """Make-style dependencies: the IDL file and stubgen's own sources."""
    deps = [os.path.abspath(idl_path)]
    deps += sorted(os.path.join(PKG_DIR, f) for f in os.listdir(PKG_DIR)
                   if f.endswith(".py"))
    esc = [d.replace(" ", "\\ ") for d in deps]
    return "%s: %s\n" % (target.replace(" ", "\\ "), " \\\n  ".join(esc))


MAX_IDL_BYTES = 1 << 21


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m stubgen",
                                 description="Generate k42 IPC stubs from an "
                                 "IDL file.")
    ap.add_argument("idl", help="the .idl file")
    ap.add_argument("--out-dir",
                    help="directory for the generated files (needed unless "
                    "--check-only)")
    ap.add_argument("--depfile", help="also write Make-style dependencies "
                    "of the first output here")
    ap.add_argument("--check-only", action="store_true",
                    help="check the IDL, write nothing")
    args = ap.parse_args(argv)
    if not args.out_dir and not args.check_only:
        ap.error("--out-dir is needed (or --check-only)")
    try:
        with open(args.idl, "rb") as f:
            data = f.read(MAX_IDL_BYTES + 1)
    except OSError as e:
        print("%s: error: cannot read: %s" % (args.idl, e.strerror),
              file=sys.stderr)
        return 1
    if len(data) > MAX_IDL_BYTES:
        # Not cut silently: the rest would be missing, not checked.
        print("%s: error: larger than %d bytes; an IDL file is read whole"
              % (args.idl, MAX_IDL_BYTES), file=sys.stderr)
        return 1
    try:
        outputs = generate(data, args.idl, display_name(args.idl))
    except StubgenError as e:
        print(e.format(args.idl), file=sys.stderr)
        return 1
    except Exception as e:   # a stubgen bug, not a user error
        if os.environ.get("STUBGEN_DEBUG"):
            raise
        print("%s: internal error in stubgen: %s: %s (rerun with "
              "STUBGEN_DEBUG=1 for details)" % (args.idl, type(e).__name__, e),
              file=sys.stderr)
        return 2
    if args.check_only:
        return 0
    os.makedirs(args.out_dir, exist_ok=True)
    paths = [os.path.join(args.out_dir, name) for name in outputs]
    for path, text in zip(paths, outputs.values()):
        write_atomic(path, text)
    if args.depfile:
        write_atomic(args.depfile, depfile_text(paths[0], args.idl))
    return 0


if __name__ == "__main__":
    sys.exit(main())
