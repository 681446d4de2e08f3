"""Source locations and the one error type stubgen reports.

Every problem with an IDL file becomes a StubgenError carrying a line and
column; __main__ prints it as `file:line:col: error: message` and exits 1.
Anything else escaping the generator is a bug in stubgen itself.
"""


class Loc:
    """A 1-based line and column in the IDL source."""

    __slots__ = ("line", "col")

    def __init__(self, line, col):
        self.line = line
        self.col = col

    def __str__(self):
        return "%d:%d" % (self.line, self.col)

    def __repr__(self):
        return "Loc(%d, %d)" % (self.line, self.col)


class StubgenError(Exception):
    """A user-facing error in an IDL file, at a known location."""

    def __init__(self, loc, message):
        super().__init__(message)
        self.loc = loc
        self.message = message

    def format(self, filename):
        return "%s:%s: error: %s" % (filename, self.loc, self.message)


def fail(loc, message):
    raise StubgenError(loc, message)
