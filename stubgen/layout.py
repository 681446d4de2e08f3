"""Layout: struct layouts and the placement of every parameter in a message.

Structs use the natural C layout of ppc64le ELFv2 (each field aligned to its
size, the struct to its largest field); the header asserts it with
_Static_assert. Message rules (docs/idl.md, "Marshaling"):

  1. Word items, in parameter order: one per scalar/bool/enum/handle value
     and one per string/bytes length. The first K42_IPC_WORDS go in w[0..5];
     the rest spill into the page as 8-byte slots from offset 0.
  2. Fixed-size aggregates (structs, arrays) follow in the page, in
     parameter order, each at an 8-byte aligned offset.
  3. Variable data (string/bytes contents, no NUL) comes last, in parameter
     order, each at an 8-byte aligned offset computed at run time.
  4. The page length is the end of the last item; it must match exactly.
  5. A bulk parameter (bytes<N>, N > 4096) has its length word only; its
     bytes travel by reference, in the caller's buffer it lends for the
     call (a grant), never in the page.

Requests carry in/inout parameters, replies out/inout parameters. A message
that could exceed the page is rejected here, at generation time.
"""

from .errors import fail
from . import model as M

IPC_WORDS = 6
PAGE_BYTES = 4096
MAX_STRUCT = PAGE_BYTES


def align_up(n, a):
    return (n + a - 1) // a * a


def struct_order(iface):
    """Structs in dependency order (contained before container).

    Iterative DFS, so deep or cyclic input cannot exhaust the Python stack;
    a cycle is reported as a recursive struct.
    """
    order = []
    state = {}   # struct -> 1 (on the DFS path) or 2 (done)

    def children(s):
        out = []
        for f in s.fields:
            t = f.rtype
            while t.kind == "array":
                t = t.elem
            if t.kind == "struct":
                out.append((t.decl, f))
        return out

    for root in iface.structs:
        if root in state:
            continue
        stack = [(root, iter(children(root)))]
        path = [root]
        state[root] = 1
        while stack:
            s, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                path.pop()
                state[s] = 2
                order.append(s)
                continue
            child, field = nxt
            st = state.get(child)
            if st == 1:
                cyc = path[path.index(child):] + [child]
                fail(field.loc, "struct '%s' contains itself (%s)"
                     % (child.name, " -> ".join(c.name for c in cyc)))
            if st is None:
                state[child] = 1
                path.append(child)
                stack.append((child, iter(children(child))))
    return order


def layout_structs(iface):
    iface.struct_order = struct_order(iface)
    for s in iface.struct_order:
        off = 0
        align = 1
        raw = 0
        for f in s.fields:
            t = f.rtype
            off = align_up(off, t.align)
            f.offset = off
            off += t.size
            raw += t.size
            align = max(align, t.align)
            if off > MAX_STRUCT:
                fail(f.loc, "struct '%s' is larger than %d bytes at field "
                     "'%s'" % (s.name, MAX_STRUCT, f.name))
        s.align = align
        s.size = align_up(off, align)
        # Padding anywhere inside (nested structs included) means the
        # encoder must copy field by field over a zeroed buffer.
        s.padded = raw != s.size or any(
            _elem(f.rtype).kind == "struct" and _elem(f.rtype).decl.padded
            for f in s.fields)
        s.needs_check = any(f.rtype.needs_check for f in s.fields)


def _elem(t):
    while t.kind == "array":
        t = t.elem
    return t


class WordItem:
    """A scalar value or a string/bytes length travelling as one word."""

    def __init__(self, param, role):
        self.param = param
        self.role = role        # "value" or "len"
        self.word = None        # index in w[], or None if spilled
        self.offset = None      # page offset when spilled


class MsgLayout:
    def __init__(self, params):
        self.params = params
        self.words = []         # WordItems, in order
        self.fixed = []         # (param, offset) for structs and arrays
        self.var = []           # string/bytes params in the page, in order
        self.bulk = []          # the bulk param (by reference), if any
        self.fixed_end = 0      # end of the statically placed part
        self.max_len = 0        # largest possible page length

    def word_of(self, param, role):
        for w in self.words:
            if w.param is param and w.role == role:
                return w
        return None

    @property
    def spills(self):
        return [w for w in self.words if w.word is None]

    @property
    def in_regs(self):
        return [w for w in self.words if w.word is not None]


def message_layout(params):
    L = MsgLayout(params)
    for p in params:
        if p.rtype.is_word:
            L.words.append(WordItem(p, "value"))
        elif p.rtype.is_var:
            L.words.append(WordItem(p, "len"))
    off = 0
    for i, w in enumerate(L.words):
        if i < IPC_WORDS:
            w.word = i
        else:
            w.offset = off
            off += 8
    for p in params:
        if p.rtype.kind in ("struct", "array"):
            off = align_up(off, 8)
            L.fixed.append((p, off))
            off += p.rtype.size
    L.fixed_end = off
    for p in params:
        if p.rtype.is_bulk:
            L.bulk.append(p)
        elif p.rtype.is_var:
            L.var.append(p)
            off = align_up(off, 8) + p.rtype.max
    L.max_len = off
    return L


def layout_messages(iface):
    for m in iface.methods:
        m.request = message_layout([p for p in m.params if p.is_in])
        m.reply = message_layout([p for p in m.params if p.is_out])
        for what, L in (("request", m.request), ("reply", m.reply)):
            if L.max_len > PAGE_BYTES:
                fail(m.loc, "method '%s' is too large: its %s needs up to %d "
                     "bytes in the PPC page after the %d register words, "
                     "more than the %d available"
                     % (m.name, what, L.max_len, IPC_WORDS, PAGE_BYTES))
