"""The real interfaces in idl/: all generate, all are listed in
idl/meson.build, interface ids are unique, and the generated C compiles for
ppc64le with the build's own user-program flags (target_cc.py)."""

import glob
import os
import re
import subprocess
import tempfile
import unittest

from sgtest import HERE, REPO
from target_cc import target_cc
import stubgen

REAL = sorted(glob.glob(os.path.join(REPO, "idl", "*.idl")))
TESTS = sorted(glob.glob(os.path.join(HERE, "idl", "*.idl")))


def load(path):
    with open(path, "rb") as f:
        return stubgen.compile_idl(f.read(), path)


class RepoIdlTest(unittest.TestCase):
    def test_first_servers_present(self):
        names = {os.path.basename(p)[:-4] for p in REAL}
        self.assertTrue({"name", "file", "console", "kv"} <= names)

    def test_all_listed_in_meson_build(self):
        with open(os.path.join(REPO, "idl", "meson.build")) as f:
            text = f.read()
        block = re.search(r"idl_names = \[(.*?)\]", text, re.S).group(1)
        listed = sorted(re.findall(r"'([a-z0-9_]+)'", block))
        on_disk = sorted(os.path.basename(p)[:-4] for p in REAL)
        self.assertEqual(listed, on_disk,
                         "idl/meson.build idl_names must list every idl/*.idl")

    def test_interface_ids_unique(self):
        seen = {}
        for path in REAL + TESTS:
            i = load(path)
            self.assertNotIn(i.iface_id, seen,
                             "%s reuses the id of %s" % (path,
                                                         seen.get(i.iface_id)))
            seen[i.iface_id] = path

    def test_everything_documented(self):
        for path in REAL:
            i = load(path)
            self.assertTrue(i.doc, path)
            for m in i.methods:
                self.assertTrue(m.doc, "%s: method %s has no doc" % (path,
                                                                     m.name))

    def test_cross_compiles_for_ppc64le(self):
        cc = target_cc()
        with tempfile.TemporaryDirectory() as d:
            srcs = []
            for path in REAL + TESTS:
                with open(path, "rb") as f:
                    out = stubgen.generate(f.read(), path)
                for name, text in out.items():
                    with open(os.path.join(d, name), "w") as f:
                        f.write(text)
                    if name.endswith(".c"):
                        srcs.append(os.path.join(d, name))
            r = subprocess.run(cc + ["-std=gnu11", "-O2", "-Wall", "-Wextra",
                                     "-Werror", "-fsyntax-only"] + srcs,
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    unittest.main()
