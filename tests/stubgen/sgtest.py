"""Helpers shared by the stubgen unit tests: repository paths, and running
the generator in-process on a string."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

import stubgen  # noqa: E402
from stubgen.errors import StubgenError  # noqa: E402


def compile_text(text, name="t"):
    """Parse and check `text` as if it were `<name>.idl`."""
    return stubgen.compile_idl(text, name + ".idl")


def error_of(text, name="t"):
    """The `line:col: error: message` stubgen reports for `text`, or None."""
    try:
        stubgen.generate(text, name + ".idl")
    except StubgenError as e:
        return "%s: error: %s" % (e.loc, e.message)
    return None


def iface(body, name="t", header="id 0x10 version 1"):
    """Wrap interface members in an interface declaration."""
    return "interface %s %s {\n%s\n}\n" % (name, header, body)
