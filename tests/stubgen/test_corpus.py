"""The corpus of bad inputs: every tests/stubgen/bad/*.idl starts with
`// expect: LINE:COL: error: MESSAGE`, and stubgen must report exactly that
(in-process here; test_cli checks the command line on a sample)."""

import glob
import os
import unittest

from sgtest import HERE, StubgenError
import stubgen

BAD = sorted(glob.glob(os.path.join(HERE, "bad", "*.idl")))
PREFIX = b"// expect: "


def expected(path):
    with open(path, "rb") as f:
        first = f.readline()
    if not first.startswith(PREFIX):
        raise AssertionError("%s: first line must be '// expect: ...'" % path)
    return first[len(PREFIX):].decode().strip()


class CorpusTest(unittest.TestCase):
    def test_corpus_is_large(self):
        self.assertGreaterEqual(len(BAD), 60)

    def test_each_bad_file(self):
        for path in BAD:
            with self.subTest(os.path.basename(path)):
                with open(path, "rb") as f:
                    data = f.read()
                try:
                    stubgen.generate(data, path)
                except StubgenError as e:
                    got = "%s: error: %s" % (e.loc, e.message)
                else:
                    got = "(no error)"
                self.assertEqual(got, expected(path))


if __name__ == "__main__":
    unittest.main()
