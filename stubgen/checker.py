"""Checker: semantic rules of the IDL, run on the parsed AST.

It validates names (C-safe, unique, no clash with generated C names), ranges
(ids, versions, ordinals, rights bits, bounds), ordinal reuse against the
`reserved` statements, attributes, and directions; it resolves type and
constant references and hands over to the layout pass. The first problem
found is raised as a StubgenError at the offending token.
"""

from .errors import fail
from . import layout
from . import model as M
from .names import (IDENT_RE, Names, global_problem, ident_problem,
                    param_c_names)

MAX_IFACE_ID = 0xFFFFFF
MAX_VERSION = 0xFF
MAX_ORDINAL = 0xFFFF
MAX_RIGHT_BIT = 63
MAX_ARRAY = 4096
MAX_STRING = 4095
MAX_BYTES = M.BULK_MAX    # beyond 4096: by reference (M.BULK_MIN)


def check_ident(name, loc):
    why = ident_problem(name)
    if why:
        fail(loc, why)


class Scope:
    """One namespace: reports the second declaration of a name."""

    def __init__(self, what):
        self.what = what
        self.seen = {}

    def add(self, name, loc, kind=None):
        prev = self.seen.get(name)
        if prev is not None:
            fail(loc, "duplicate %s '%s' (first declared at %s)"
                 % (kind or self.what, name, prev[0]))
        self.seen[name] = (loc, kind)


def check(iface, expected_name=None):
    """Validate and resolve `iface` in place; compute its layout."""
    Checker(iface).run(expected_name)
    return iface


class Checker:
    def __init__(self, iface):
        self.iface = iface
        self.types = {}       # name -> Enum or Struct
        self.consts = {}      # name -> Const

    def run(self, expected_name):
        self.check_header(expected_name)
        self.check_rights()
        self.check_decl_names()
        self.check_enums()
        self.resolve_structs()
        layout.layout_structs(self.iface)
        self.check_reserved()
        self.check_methods()
        self.check_c_names()
        layout.layout_messages(self.iface)

    # ---- interface header ---------------------------------------------------

    def check_header(self, expected_name):
        i = self.iface
        check_ident(i.name, i.loc)
        if expected_name is not None and i.name != expected_name:
            fail(i.loc, "interface '%s' must be declared in a file named "
                 "'%s.idl' (this file is '%s.idl')"
                 % (i.name, i.name, expected_name))
        if not 1 <= i.iface_id <= MAX_IFACE_ID:
            fail(i.id_loc, "interface id %d is out of range (1..0x%x)"
                 % (i.iface_id, MAX_IFACE_ID))
        if not 1 <= i.version <= MAX_VERSION:
            fail(i.version_loc, "interface version %d is out of range (1..%d)"
                 % (i.version, MAX_VERSION))

    def check_rights(self):
        names = Scope("right")
        bits = {}
        for r in self.iface.rights:
            check_ident(r.name, r.loc)
            names.add(r.name, r.loc)
            if r.bit > MAX_RIGHT_BIT:
                fail(r.bit_loc, "right bit %d is out of range (0..%d)"
                     % (r.bit, MAX_RIGHT_BIT))
            if r.bit in bits:
                fail(r.bit_loc, "right bit %d already used by right '%s'"
                     % (r.bit, bits[r.bit].name))
            bits[r.bit] = r

    # ---- constants, enums, structs -------------------------------------

    def check_decl_names(self):
        scope = Scope("name")
        for d in self.iface.decls:
            if isinstance(d, M.Method):
                continue
            kind = {M.Const: "constant", M.Enum: "enum",
                    M.Struct: "struct"}[type(d)]
            check_ident(d.name, d.loc)
            prev = scope.seen.get(d.name)
            if prev is not None:
                fail(d.loc, "duplicate name '%s': already declared as %s at %s"
                     % (d.name, prev[1], prev[0]))
            scope.add(d.name, d.loc, kind)
            if isinstance(d, M.Const):
                if not -(1 << 63) <= d.value < (1 << 64):
                    fail(d.loc, "constant '%s' does not fit in 64 bits"
                         % d.name)
                self.consts[d.name] = d
            else:
                self.types[d.name] = d

    def check_enums(self):
        for e in self.iface.enums:
            if not e.values:
                fail(e.loc, "enum '%s' has no values" % e.name)
            size, signed = M.SCALARS[e.base]
            lo = -(1 << (8 * size - 1)) if signed else 0
            hi = (1 << (8 * size - 1)) - 1 if signed else (1 << (8 * size)) - 1
            names = Scope("enum value")
            values = {}
            for v in e.values:
                check_ident(v.name, v.loc)
                names.add(v.name, v.loc)
                if not lo <= v.value <= hi:
                    fail(v.value_loc, "value %d of '%s' does not fit in %s"
                         % (v.value, v.name, e.base))
                if v.value in values:
                    fail(v.value_loc, "value %d of '%s' already used by '%s'"
                         % (v.value, v.name, values[v.value].name))
                values[v.value] = v

    def resolve_structs(self):
        for s in self.iface.structs:
            if not s.fields:
                fail(s.loc, "struct '%s' has no fields" % s.name)
            names = Scope("field")
            for f in s.fields:
                check_ident(f.name, f.loc)
                names.add(f.name, f.loc)
                if f.tref.kind in ("string", "bytes"):
                    fail(f.tref.loc, "%s<N> is only allowed as a method "
                         "parameter; use a fixed array such as 'u8 %s[N]' in "
                         "a struct" % (f.tref.kind, f.name))
                f.rtype = self.resolve(f.tref, f.array)

    # ---- types and sizes ----------------------------------------------------

    def size_value(self, size, what, lo, hi):
        if size.ref is not None:
            c = self.consts.get(size.ref)
            if c is None:
                if size.ref in self.types:
                    fail(size.loc, "'%s' is a type, not a constant" % size.ref)
                fail(size.loc, "unknown constant '%s'" % size.ref)
            size.value = c.value
        if not lo <= size.value <= hi:
            fail(size.loc, "%s %d is out of range (%d..%d)"
                 % (what, size.value, lo, hi))
        return size.value

    def resolve(self, tref, array):
        t = self.resolve_base(tref)
        if array is None:
            return t
        if t.is_var:
            fail(array.loc, "arrays of %s are not supported" % t.kind)
        n = self.size_value(array, "array length", 1, MAX_ARRAY)
        return M.ArrayT(t, n)

    def resolve_base(self, tref):
        k = tref.kind
        if k == "scalar":
            return M.BoolT() if tref.name == "bool" else M.ScalarT(tref.name)
        if k == "string":
            return M.StringT(self.size_value(tref.bound, "string bound", 1,
                                             MAX_STRING))
        if k == "bytes":
            return M.BytesT(self.size_value(tref.bound, "bytes bound", 1,
                                            MAX_BYTES))
        if k == "handle":
            # handle<x> only documents which interface the object speaks;
            # x is not looked up (each file is compiled on its own).
            if tref.iface is not None and not IDENT_RE.match(tref.iface):
                fail(tref.loc, "interface name '%s' in handle<> must be "
                     "lower_snake_case" % tref.iface)
            return M.HandleT(tref.iface)
        d = self.types.get(tref.name)
        if d is None:
            if tref.name in self.consts:
                fail(tref.loc, "'%s' is a constant, not a type" % tref.name)
            fail(tref.loc, "unknown type '%s'" % tref.name)
        return M.EnumT(d) if isinstance(d, M.Enum) else M.StructT(d)

    # ---- methods ------------------------------------------------------------

    def check_reserved(self):
        seen = {}
        for r in self.iface.reserved:
            for value, loc in r.ordinals:
                if not 1 <= value <= MAX_ORDINAL:
                    fail(loc, "ordinal %d is out of range (1..%d)"
                         % (value, MAX_ORDINAL))
                if value in seen:
                    fail(loc, "ordinal %d is already reserved at %s"
                         % (value, seen[value]))
                seen[value] = loc
        self.reserved = seen

    def check_methods(self):
        names = Scope("method")
        ordinals = {}
        for m in self.iface.methods:
            check_ident(m.name, m.loc)
            names.add(m.name, m.loc)
            if not 1 <= m.ordinal <= MAX_ORDINAL:
                fail(m.ordinal_loc, "ordinal %d is out of range (1..%d)"
                     % (m.ordinal, MAX_ORDINAL))
            if m.ordinal in self.reserved:
                fail(m.ordinal_loc, "ordinal %d is reserved (at %s) and can "
                     "never be used again" % (m.ordinal,
                                              self.reserved[m.ordinal]))
            if m.ordinal in ordinals:
                prev = ordinals[m.ordinal]
                fail(m.ordinal_loc, "ordinal %d already used by method '%s' "
                     "at %s" % (m.ordinal, prev.name, prev.loc))
            ordinals[m.ordinal] = m
            self.check_attrs(m)
            self.check_params(m)

    def check_attrs(self, m):
        seen = {}
        rights = {r.name: r for r in self.iface.rights}
        for a in m.attrs:
            if a.name in seen:
                fail(a.loc, "duplicate attribute '@%s'" % a.name)
            seen[a.name] = a
            if a.name == "oneway":
                if a.args is not None:
                    fail(a.loc, "'@oneway' takes no arguments")
                m.oneway = True
            elif a.name == "async":
                if a.args is not None:
                    fail(a.loc, "'@async' takes no arguments")
                m.is_async = True
            elif a.name == "rights":
                if not a.args:
                    fail(a.loc, "'@rights' needs at least one right name")
                for t in a.args:
                    if t.kind != "ident":
                        fail(t.loc, "'@rights' takes right names, not %s"
                             % t.describe())
                    r = rights.get(t.value)
                    if r is None:
                        fail(t.loc, "unknown right '%s' (declare it in the "
                             "interface's rights block)" % t.value)
                    if r in m.rights:
                        fail(t.loc, "right '%s' listed twice" % t.value)
                    m.rights.append(r)
            elif a.name == "since":
                if a.args is None or len(a.args) != 1 \
                        or a.args[0].kind != "int":
                    fail(a.loc, "'@since' takes one version number: "
                         "@since(N)")
                v = a.args[0].value
                if not 1 <= v <= self.iface.version:
                    fail(a.args[0].loc, "@since(%d) is outside the interface "
                         "versions 1..%d" % (v, self.iface.version))
                m.since = v
            else:
                fail(a.loc, "unknown attribute '@%s' (expected @oneway, "
                     "@async, @rights or @since)" % a.name)
        if m.oneway and m.is_async:
            fail(seen["async"].loc, "'@async' and '@oneway' exclude each "
                 "other (a one-way method has no reply to wait for)")

    def check_params(self, m):
        seen = {}   # C parameter name -> the IDL parameter it comes from
        bulk = None  # the one parameter carried by reference
        for p in m.params:
            check_ident(p.name, p.loc)
            p.rtype = self.resolve(p.tref, p.array)
            for cname in param_c_names(p):
                prev = seen.get(cname)
                if prev is None:
                    seen[cname] = p
                elif prev.name == p.name:
                    fail(p.loc, "duplicate parameter '%s' (first declared at "
                         "%s)" % (p.name, prev.loc))
                else:
                    a, b = (p, prev) if cname == prev.name else (prev, p)
                    fail(p.loc, "parameter '%s' clashes with the C parameter "
                         "'%s' that parameter '%s' (at %s) expands to"
                         % (b.name, cname, a.name, a.loc))
            if m.is_async and p.direction == "inout":
                fail(p.loc, "@async method '%s' cannot have inout parameter "
                     "'%s' (its _start takes the in parameters, its _finish "
                     "the out ones)" % (m.name, p.name))
            if m.oneway and p.is_out:
                fail(p.loc, "oneway method '%s' cannot have %s parameter '%s'"
                     % (m.name, p.direction, p.name))
            if p.rtype.is_bulk:
                if m.oneway:
                    fail(p.loc, "oneway method '%s' cannot have parameter "
                         "'%s' of more than 4096 bytes (a message lends "
                         "nothing)" % (m.name, p.name))
                if m.is_async:
                    fail(p.loc, "@async method '%s' cannot have parameter "
                         "'%s' of more than 4096 bytes (it travels by "
                         "reference, lent for a synchronous call)"
                         % (m.name, p.name))
                if bulk is not None:
                    fail(p.loc, "method '%s' has two parameters of more "
                         "than 4096 bytes, '%s' and '%s' (a call lends one "
                         "buffer)" % (m.name, bulk.name, p.name))
                bulk = p

    # ---- generated C names ------------------------------------------------

    def check_c_names(self):
        n = Names(self.iface)
        seen = {}
        for cname, what, loc in n.globals_of(self.iface):
            why = global_problem(cname.replace("struct ", ""))
            if why:
                fail(loc, "%s generates the C name '%s', which %s"
                     % (what, cname, why))
            if cname in seen:
                pwhat, ploc = seen[cname]
                fail(loc, "%s generates the C name '%s', already used by %s "
                     "at %s" % (what, cname, pwhat, ploc))
            seen[cname] = (what, loc)
        for m in self.iface.methods:
            for p in m.params:
                for cname in param_c_names(p):
                    if cname in seen:
                        pwhat, ploc = seen[cname]
                        fail(p.loc, "parameter '%s' would hide the generated "
                             "C name '%s' of %s at %s"
                             % (p.name, cname, pwhat, ploc))
