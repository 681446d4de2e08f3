"""Parser and model of abi/trace/events.tbl, the one source of trace events.

Used both by tools/gen_trace.py (to write <k42/trace_events.h>) and by the
decoder (to name and format events). The syntax is in docs/tracing.md.
"""
import hashlib
import os
import re

from . import fmt
from .errors import TableError

NAME_RE = re.compile(r"[a-z][a-z0-9_]*\Z")
TYPE_RE = re.compile(r"(u64|i64|str(\d+))\Z")
CONV_RE = re.compile(r"%(?P<flags>[-#0 +]*)(?P<width>\d*)(?:\.(?P<prec>\d+))?"
                     r"(?P<len>hh|h|ll|l|j|z|t|L)?(?P<conv>[diouxXcs%])")
C_RESERVED = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double",
    "else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long",
    "register", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
    "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "bool",
    "true", "false", "asm", "typeof", "uint64_t", "int64_t", "size_t", "NULL",
}
# What the control class must say: it is written by <k42/trace.h> itself.
CONTROL_EVENTS = {"block": (fmt.MINOR_BLOCK, 3), "filler": (fmt.MINOR_FILLER, 0),
                  "lost": (fmt.MINOR_LOST, 1)}


class Field:
    def __init__(self, name, ftype, nbytes):
        self.name, self.type, self.nbytes = name, ftype, nbytes
        self.words = (nbytes + 7) // 8

    @property
    def is_str(self):
        return self.type == "str"


class Span:
    def __init__(self, kind, name, key):
        self.kind, self.name, self.key = kind, name, key


class Class:
    def __init__(self, name, major, layer, description, internal, retired, line):
        self.name, self.major, self.layer = name, major, layer
        self.description, self.internal, self.retired, self.line = (
            description, internal, retired, line)
        self.events = []

    @property
    def layer_name(self):
        return fmt.LAYER_NAMES[self.layer]


class Event:
    def __init__(self, cls, name, minor, fields, format_, spans, retired, line):
        self.cls, self.name, self.minor = cls, name, minor
        self.fields, self.format, self.spans = fields, format_, spans
        self.retired, self.line = retired, line
        self.words = 1 + sum(f.words for f in fields)
        self._pyfmt = None if format_ is None else _python_format(format_)

    @property
    def full_name(self):
        return "%s.%s" % (self.cls.name, self.name)

    @property
    def key(self):
        return (self.cls.layer, self.cls.major, self.minor)

    def values(self, payload):
        """Field values from payload words: ints (signed for i64) or strings."""
        out, i = [], 0
        for f in self.fields:
            words = payload[i:i + f.words]
            i += f.words
            if f.is_str:
                raw = b"".join((w & 0xffffffffffffffff).to_bytes(8, "little") for w in words)
                out.append(raw[:f.nbytes].split(b"\0", 1)[0].decode("utf-8", "replace"))
            elif not words:
                out.append(0)
            elif f.type == "i64":
                w = words[0]
                out.append(w - (1 << 64) if w >> 63 else w)
            else:
                out.append(words[0])
        return out

    def render(self, payload):
        vals = self.values(payload)
        try:
            return self._pyfmt % tuple(vals)
        except (TypeError, ValueError, OverflowError):
            return " ".join("%s=%s" % (f.name, v) for f, v in zip(self.fields, vals))


def _python_format(text):
    """The C format as a Python %-format: length modifiers dropped."""
    return CONV_RE.sub(lambda m: m.group(0).replace(m.group("len") or "", "", 1), text)


class Table:
    def __init__(self, path):
        self.path = path
        self.classes = {}          # name -> Class
        self.by_major = {}         # major -> Class
        self.events = {}           # "cls.name" -> Event
        self.by_key = {}           # (layer, major, minor) -> Event

    def live_classes(self):
        return sorted((c for c in self.classes.values() if not c.retired), key=lambda c: c.major)

    def live_events(self):
        return [e for c in self.live_classes() for e in sorted(c.events, key=lambda e: e.minor)
                if not e.retired]

    def lookup(self, layer, major, minor):
        return self.by_key.get((layer, major, minor))

    def canonical(self):
        """The binary contract in text: what a build and a decoder must agree on."""
        lines = []
        for c in sorted(self.classes.values(), key=lambda c: c.major):
            lines.append("class %s %d %d%s" % (c.name, c.major, c.layer,
                                               " retired" if c.retired else ""))
            for e in sorted(c.events, key=lambda e: e.minor):
                lines.append("event %s %d %s%s" % (
                    e.full_name, e.minor,
                    ",".join("%s:%s%d" % (f.name, f.type, f.nbytes) for f in e.fields),
                    " retired" if e.retired else ""))
        return "\n".join(lines) + "\n"

    @property
    def hash(self):
        digest = hashlib.sha256(self.canonical().encode()).digest()
        return int.from_bytes(digest[:8], "little")


# ---- lexer ----

TOKEN_RE = re.compile(r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<punct>[(),])|(?P<word>[^\s(),"]+))')


def _tokens(text, path, line):
    pos, out = 0, []
    text = text.rstrip()
    while pos < len(text):
        m = TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            rest = text[pos:].strip()
            if rest.startswith('"'):
                raise TableError(path, line, "unterminated string")
            raise TableError(path, line, "cannot read %r" % rest[:20])
        pos = m.end()
        if m.group("str") is not None:
            body = m.group("str")[1:-1]
            out.append(("str", re.sub(r"\\(.)", r"\1", body)))
        elif m.group("punct") is not None:
            out.append((m.group("punct"), m.group("punct")))
        elif m.group("word") is not None:
            out.append(("word", m.group("word")))
    return out


def _strip_comment(line):
    out, in_str, esc = [], False, False
    for ch in line:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch == "#":
            break
        out.append(ch)
    return "".join(out)


class _Cursor:
    def __init__(self, toks, path, line):
        self.toks, self.i, self.path, self.line = toks, 0, path, line

    def error(self, msg):
        raise TableError(self.path, self.line, msg)

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def next(self, kind, what):
        k, v = self.peek()
        if k != kind:
            self.error("expected %s, found %s" % (what, "end of line" if k is None else repr(v)))
        self.i += 1
        return v

    def done(self):
        return self.i >= len(self.toks)


def _number(cur, what, lo, hi):
    text = cur.next("word", what)
    try:
        n = int(text, 0)
    except ValueError:
        cur.error("%s must be a number, not %r" % (what, text))
    if not lo <= n <= hi:
        cur.error("%s %d out of range %d..%d" % (what, n, lo, hi))
    return n


def _name(cur, what):
    text = cur.next("word", what)
    if not NAME_RE.match(text):
        cur.error("bad %s %r: use lower case letters, digits and _" % (what, text))
    return text


def _check_format(cur, text, fields):
    convs = []
    i = 0
    while True:
        j = text.find("%", i)
        if j < 0:
            break
        m = CONV_RE.match(text, j)
        if not m:
            cur.error("bad conversion at %r in format" % text[j:j + 6])
        if m.group("conv") != "%":
            convs.append(m.group("conv"))
        elif m.group(0) != "%%":
            cur.error("bad conversion %r in format" % m.group(0))
        i = m.end()
    if len(convs) != len(fields):
        cur.error("format has %d conversions for %d fields" % (len(convs), len(fields)))
    for conv, f in zip(convs, fields):
        if f.is_str and conv != "s":
            cur.error("field %s is a string: format it with %%s, not %%%s" % (f.name, conv))
        if not f.is_str and conv == "s":
            cur.error("field %s is a number: %%s is only for str fields" % f.name)


def _parse_class(cur, table):
    name = _name(cur, "class name")
    major = _number(cur, "major class number", 0, fmt.MAX_CLASSES - 1)
    layer_name = cur.next("word", "layer (kernel, libk42, server or app)")
    if layer_name not in fmt.LAYERS:
        cur.error("unknown layer %r (kernel, libk42, server or app)" % layer_name)
    internal = retired = False
    while cur.peek()[0] == "word":
        flag = cur.next("word", "flag")
        if flag == "internal":
            internal = True
        elif flag == "retired":
            retired = True
        else:
            cur.error("unknown class flag %r (internal, retired)" % flag)
    desc = cur.next("str", "quoted description")
    if not cur.done():
        cur.error("unexpected %r after the description" % (cur.peek()[1],))
    if name in table.classes:
        cur.error("class %s already defined on line %d" % (name, table.classes[name].line))
    if major in table.by_major:
        other = table.by_major[major]
        cur.error("major %d already used by class %s (line %d)" % (major, other.name, other.line))
    cls = Class(name, major, fmt.LAYERS[layer_name], desc, internal, retired, cur.line)
    table.classes[name] = cls
    table.by_major[major] = cls


def _parse_fields(cur):
    cur.next("(", "'(' and the field list")
    fields = []
    if cur.peek()[0] == ")":
        cur.i += 1
        return fields
    while True:
        text = cur.next("word", "field name")
        name, _, ftype = text.partition(":")
        if not NAME_RE.match(name) or name in C_RESERVED or name.startswith("k42_"):
            cur.error("bad field name %r" % name)
        ftype = ftype or "u64"
        m = TYPE_RE.match(ftype)
        if not m:
            cur.error("bad type %r for field %s (u64, i64 or strN)" % (ftype, name))
        if m.group(2):
            n = int(m.group(2))
            if n < 8 or n > 64 or n % 8:
                cur.error("string field %s: length %d must be 8..64 and a multiple of 8" % (name, n))
            field = Field(name, "str", n)
        else:
            field = Field(name, ftype, 8)
        if any(f.name == name for f in fields):
            cur.error("field %s given twice" % name)
        fields.append(field)
        k, _ = cur.peek()
        if k == ")":
            cur.i += 1
            return fields
        cur.next(",", "',' or ')'")


def _parse_event(cur, table):
    full = cur.next("word", "event name (class.event)")
    cname, dot, ename = full.partition(".")
    if not dot or not NAME_RE.match(cname) or not NAME_RE.match(ename):
        cur.error("bad event name %r: write class.event" % full)
    cls = table.classes.get(cname)
    if cls is None:
        cur.error("event %s: no class %s defined above" % (full, cname))
    minor = _number(cur, "minor event number", 1, fmt.MAX_MINOR)
    retired = False
    fields, fmt_text, spans = [], None, []
    if cur.peek() == ("word", "retired"):
        cur.i += 1
        retired = True
    else:
        fields = _parse_fields(cur)
        fmt_text = cur.next("str", "quoted format")
        _check_format(cur, fmt_text, fields)
        while not cur.done():
            kind = cur.next("word", "'begin' or 'end'")
            if kind not in ("begin", "end"):
                cur.error("unexpected %r: only 'begin <span>' or 'end <span>' may follow the format" % kind)
            spec = cur.next("word", "span name")
            sname, slash, key = spec.partition("/")
            if not NAME_RE.match(sname):
                cur.error("bad span name %r" % sname)
            if slash and not any(f.name == key and not f.is_str for f in fields):
                cur.error("span key %r is not a number field of %s" % (key, full))
            spans.append(Span(kind, sname, key if slash else None))
    if not cur.done():
        cur.error("unexpected %r" % (cur.peek()[1],))
    for other in cls.events:
        if other.minor == minor:
            cur.error("minor %d of class %s already used by %s (line %d)"
                      % (minor, cname, other.full_name, other.line))
        if other.name == ename:
            cur.error("event %s already defined on line %d" % (full, other.line))
    ev = Event(cls, ename, minor, fields, fmt_text, spans, retired or cls.retired, cur.line)
    if ev.words > fmt.MAX_TABLE_EVENT_WORDS:
        cur.error("event %s is %d words; at most %d fit the smallest block"
                  % (full, ev.words, fmt.MAX_TABLE_EVENT_WORDS))
    cls.events.append(ev)
    table.events[full] = ev
    table.by_key[ev.key] = ev


def _check_whole(table, path):
    ctl = table.by_major.get(fmt.CLASS_CONTROL)
    if ctl is None or ctl.name != "control" or not ctl.internal or ctl.layer != 0:
        raise TableError(path, ctl.line if ctl else 1,
                         "major 0 must be 'class control 0 kernel internal' (see <k42/trace.h>)")
    for name, (minor, nfields) in CONTROL_EVENTS.items():
        ev = table.events.get("control." + name)
        if ev is None or ev.minor != minor or len(ev.fields) != nfields or ev.retired:
            raise TableError(path, ev.line if ev else ctl.line,
                             "control.%s must be minor %d with %d fields, as <k42/trace.h> writes it"
                             % (name, minor, nfields))
    for c in table.classes.values():
        if c.internal and c is not ctl:
            raise TableError(path, c.line, "only the control class may be internal")
    # Every span must be both begun and ended, consistently keyed.
    spans = {}
    for ev in table.events.values():
        for s in ev.spans:
            spans.setdefault(s.name, []).append((ev, s))
    for name, uses in spans.items():
        kinds = {s.kind for _, s in uses}
        keyed = {s.key is not None for _, s in uses}
        ev = uses[0][0]
        if kinds != {"begin", "end"}:
            raise TableError(path, ev.line, "span %s is %s but never %s" % (
                name, "begun" if "begin" in kinds else "ended",
                "ended" if "begin" in kinds else "begun"))
        if len(keyed) != 1:
            raise TableError(path, ev.line, "span %s is keyed in some events and not in others" % name)


def parse_text(text, path="<table>"):
    table = Table(path)
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = _strip_comment(raw)
        if not line.strip():
            continue
        cur = _Cursor(_tokens(line, path, lineno), path, lineno)
        kw = cur.next("word", "'class' or 'event'")
        if kw == "class":
            _parse_class(cur, table)
        elif kw == "event":
            _parse_event(cur, table)
        else:
            cur.error("unknown keyword %r (class or event)" % kw)
    _check_whole(table, path)
    return table


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise TableError(path, 0, "cannot read event table: %s" % e.strerror) from None
    except UnicodeDecodeError:
        raise TableError(path, 0, "event table is not UTF-8 text") from None
    return parse_text(text, path)


def default_path():
    env = os.environ.get("K42_TRACE_TABLE")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "abi", "trace", "events.tbl"))
