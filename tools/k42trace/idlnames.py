"""IPC methods by name: the interfaces of idl/*.idl (parsed with stubgen,
the one source of every interface id and method ordinal), so summaries and
plots say `console.read_line` where the trace holds (0x3, 2)."""
import glob
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def default_dir():
    return os.environ.get("K42_IDL_DIR") or os.path.join(ROOT, "idl")


class Names:
    """{iface id: (name, {ordinal: method})}; unknown pairs print as numbers."""

    def __init__(self, ifaces=None):
        self.ifaces = ifaces or {}

    def method(self, iface, ordinal):
        name, methods = self.ifaces.get(iface, (None, {}))
        if name is None:
            return "%#x/%d" % (iface, ordinal)
        return "%s.%s" % (name, methods.get(ordinal, "#%d" % ordinal))

    def op(self, op):
        """The name of a PPC op word (<k42/ipc.h>: iface in bits 40-63,
        ordinal in bits 16-31)."""
        return self.method((op >> 40) & 0xffffff, (op >> 16) & 0xffff)


def load(idl_dir=None):
    """Parse every interface in idl_dir; a file that does not parse is left
    out (its methods then print as numbers), never fatal to a trace tool."""
    import sys
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    try:
        from stubgen import parser
    except ImportError:
        return Names()
    ifaces = {}
    for path in sorted(glob.glob(os.path.join(idl_dir or default_dir(), "*.idl"))):
        try:
            with open(path, encoding="utf-8") as f:
                it = parser.parse(f.read())
        except Exception:  # noqa: BLE001 - any stubgen error: keep the numbers
            continue
        ifaces[it.iface_id] = (it.name, {m.ordinal: m.name for m in it.methods})
    return Names(ifaces)


_cache = {}


def default():
    d = default_dir()
    if d not in _cache:
        _cache[d] = load(d)
    return _cache[d]
