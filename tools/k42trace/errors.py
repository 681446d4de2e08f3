"""Errors the trace tools report to the user (never as a traceback)."""


class TraceError(Exception):
    """A dump or table that cannot be used at all."""


class TableError(TraceError):
    """A mistake in events.tbl, located by file and line."""

    def __init__(self, path, line, msg):
        super().__init__("%s:%d: %s" % (path, line, msg) if line else "%s: %s" % (path, msg))
        self.path, self.line, self.msg = path, line, msg
