"""stubgen: the k42 IDL compiler.

`generate()` turns the text of one .idl file into the four generated files
(header, client stubs, server dispatch, reference page). The command line
front end is __main__.py; docs/idl.md specifies the language and the wire
format.
"""

import os

from . import checker, gen_client, gen_header, gen_markdown, gen_server
from .errors import Loc, StubgenError
from .lexer import decode_source
from .names import Names
from .parser import parse

__all__ = ["generate", "compile_idl", "outputs_for", "StubgenError", "Loc"]


def outputs_for(stem):
    """Names of the files generated for `<stem>.idl`, in a fixed order."""
    return [stem + ".h", stem + "_client.c", stem + "_server.c", stem + ".md"]


def compile_idl(source, filename="<input>", check_name=True):
    """Parse and check IDL source (str or bytes); return the Interface."""
    if isinstance(source, (bytes, bytearray)):
        source = decode_source(bytes(source))
    iface = parse(source)
    stem = os.path.splitext(os.path.basename(filename))[0]
    return checker.check(iface, stem if check_name else None)


def generate(source, filename="<input>", source_name=None, check_name=True):
    """Generate every output for one IDL file.

    Returns {output file name: text}. Raises StubgenError for bad input.
    `source_name` is the path printed in the generated banners (defaults to
    `filename`), so outputs do not depend on where the build runs.
    """
    iface = compile_idl(source, filename, check_name)
    n = Names(iface)
    shown = source_name or filename
    names = outputs_for(iface.name)
    texts = [gen_header.generate(iface, n, shown),
             gen_client.generate(iface, n, shown),
             gen_server.generate(iface, n, shown),
             gen_markdown.generate(iface, n, shown)]
    return dict(zip(names, texts))
