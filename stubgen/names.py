"""C names of everything the generated code declares, and reserved words.

This is the single place that decides what C identifier an IDL name turns
into, so the checker can reject clashes before any C is written and the
generators cannot disagree with each other.
"""

import re

IDENT_RE = re.compile(r"[a-z][a-z0-9_]*\Z")
MAX_IDENT = 48

C_KEYWORDS = frozenset("""
    auto break case char const continue default do double else enum extern
    float for goto if inline int long register restrict return short signed
    sizeof static struct switch typedef union unsigned void volatile while
    alignas alignof bool constexpr false nullptr static_assert thread_local
    true typeof typeof_unqual asm fortran
""".split())

# Names the generated code itself uses inside stub bodies, names that
# compilers predefine as macros (gnu modes; AltiVec on ppc64), and names from
# the standard headers the generated files include.
INTERNAL = frozenset("""
    caller target k42 memcpy memset memchr strnlen size_t offsetof
    uint8_t uint16_t uint32_t uint64_t int8_t int16_t int32_t int64_t
    uintptr_t intptr_t uintmax_t intmax_t ptrdiff_t wchar_t max_align_t
    unix linux vector pixel powerpc ppc i386
""".split())

_STDINT_MACRO_RE = re.compile(
    r"(U?INT(8|16|32|64|PTR|MAX)_(MAX|MIN|C)|U?INT_(LEAST|FAST)(8|16|32|64)_"
    r"(MAX|MIN)|SIZE_MAX|PTRDIFF_(MAX|MIN)|SIG_ATOMIC_(MAX|MIN)|"
    r"WCHAR_(MAX|MIN)|WINT_(MAX|MIN)|NULL)\Z")
_STDLIB_GLOBALS = frozenset("""
    u_int8_t u_int16_t u_int32_t u_int64_t int_least8_t int_least16_t
    int_least32_t int_least64_t uint_least8_t uint_least16_t uint_least32_t
    uint_least64_t int_fast8_t int_fast16_t int_fast32_t int_fast64_t
    uint_fast8_t uint_fast16_t uint_fast32_t uint_fast64_t max_align_t
    strerror_r strerror_l strcoll_l strxfrm_l strtok_r strcasecmp_l
    strncasecmp_l explicit_bzero
""".split())


def ident_problem(name):
    """Why `name` cannot be an IDL identifier, or None if it can."""
    if len(name) > MAX_IDENT:
        return "identifier '%s' is longer than %d characters" % (name[:20] + "...", MAX_IDENT)
    if not IDENT_RE.match(name):
        return "identifier '%s' must be lower_snake_case ([a-z][a-z0-9_]*)" % name
    if "__" in name or name.endswith("_"):
        return "identifier '%s' must not contain '__' or end with '_'" % name
    if name in C_KEYWORDS:
        return "'%s' is a C keyword and cannot be used as a name" % name
    if name in INTERNAL or name.startswith("k42_"):
        return ("'%s' is reserved: the C compiler, its headers or the "
                "generated code use it" % name)
    return None


def global_problem(cname):
    """Why the generated global `cname` would clash with a system name."""
    if _STDINT_MACRO_RE.match(cname) or cname in _STDLIB_GLOBALS:
        return "clashes with the C library name '%s'" % cname
    return None


class Names:
    """C spellings for one interface `p`."""

    def __init__(self, iface):
        self.p = iface.name
        self.P = iface.name.upper()

    # Macros.
    def guard(self):
        return "K42_IDL_%s_H" % self.P

    def iface_id(self):
        return "%s_IFACE_ID" % self.P

    def version(self):
        return "%s_VERSION" % self.P

    def right(self, r):
        return "%s_RIGHT_%s" % (self.P, r.name.upper())

    def right_bit(self, r):
        return "%s_RIGHT_%s_BIT" % (self.P, r.name.upper())

    def ordinal(self, m):
        return "%s_ORD_%s" % (self.P, m.name.upper())

    def method_rights(self, m):
        return "%s_%s_RIGHTS" % (self.P, m.name.upper())

    def const(self, c):
        return "%s_%s" % (self.P, c.name.upper())

    def enum_value(self, e, v):
        return "%s_%s_%s" % (self.P, e.name.upper(), v.name.upper())

    def param_max(self, m, prm):
        return "%s_%s_%s_MAX" % (self.P, m.name.upper(), prm.name.upper())

    # Ordinary identifiers and tags.
    def enum_type(self, e):
        return "%s_%s_t" % (self.p, e.name)

    def struct_tag(self, s):
        return "%s_%s" % (self.p, s.name)

    def client(self, m):
        return "%s_%s" % (self.p, m.name)

    def client_start(self, m):
        return "%s_%s_start" % (self.p, m.name)

    def client_finish(self, m):
        return "%s_%s_finish" % (self.p, m.name)

    def impl(self, m):
        return "%s_%s_impl" % (self.p, m.name)

    def dispatch(self):
        return "%s_dispatch" % self.p

    def regs(self):
        return "%s_regs" % self.p

    # Internal (static) helpers; user names cannot start with k42_.
    def enc(self, s):
        return "k42_sg_enc_%s" % s.name

    def chk(self, s):
        return "k42_sg_chk_%s" % s.name

    def ok(self, e):
        return "k42_sg_ok_%s" % e.name

    def srv(self, m):
        return "k42_sg_srv_%s" % m.name

    def globals_of(self, iface):
        """Every global C name this interface generates: (cname, what, loc).

        Struct tags live in their own C namespace, so they are listed with a
        'struct ' prefix; everything else shares the ordinary namespace.
        """
        out = [(self.iface_id(), "the interface id", iface.loc),
               (self.version(), "the interface version", iface.loc),
               (self.dispatch(), "the dispatch function", iface.loc),
               (self.regs(), "the register-level entries", iface.loc)]
        for r in iface.rights:
            out.append((self.right(r), "right '%s'" % r.name, r.loc))
            out.append((self.right_bit(r), "right '%s'" % r.name, r.loc))
        for c in iface.consts:
            out.append((self.const(c), "constant '%s'" % c.name, c.loc))
        for e in iface.enums:
            out.append((self.enum_type(e), "enum '%s'" % e.name, e.loc))
            for v in e.values:
                out.append((self.enum_value(e, v), "enum value '%s.%s'"
                            % (e.name, v.name), v.loc))
        for s in iface.structs:
            out.append(("struct " + self.struct_tag(s), "struct '%s'" % s.name,
                        s.loc))
        for m in iface.methods:
            what = "method '%s'" % m.name
            out.append((self.ordinal(m), what, m.loc))
            out.append((self.method_rights(m), what, m.loc))
            out.append((self.client(m), what, m.loc))
            if m.is_async:
                out.append((self.client_start(m), what, m.loc))
                out.append((self.client_finish(m), what, m.loc))
            out.append((self.impl(m), what, m.loc))
            for prm in m.params:
                if prm.tref.kind in ("string", "bytes"):
                    out.append((self.param_max(m, prm), "parameter '%s' of "
                                "method '%s'" % (prm.name, m.name), prm.loc))
        return out


def param_c_names(prm):
    """The C parameter names one IDL parameter expands to."""
    kind = prm.tref.kind
    names = [prm.name]
    if kind == "string" and prm.is_out:
        names.append(prm.name + "_cap")
    elif kind == "bytes":
        if prm.is_out:
            names.append(prm.name + "_cap")
        names.append(prm.name + "_len")
    return names
