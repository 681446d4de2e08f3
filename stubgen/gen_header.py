"""Header generator: <name>.h.

Constants (interface id, version, rights bits, ordinals, bounds), enum and
struct types with _Static_asserts pinning the layout stubgen computed, and
the prototypes of the client stubs, the implementation functions the
server author writes, and the dispatch function.
"""

from .cgen import BANNER, CTYPES, Out, comment, ctype, int_lit, signature


def method_notes(m, n):
    notes = ["Ordinal %d%s%s." % (m.ordinal,
                                   ", one-way (no reply)" if m.oneway else
                                   ", also asynchronous (_start/_finish)" if m.is_async else "",
                                   ", since version %d" % m.since
                                   if m.since > 1 else "")]
    if m.rights:
        notes.append("Needs rights: %s." % ", ".join(r.name for r in m.rights))
    for p in m.params:
        if p.doc:
            notes.append("%s (%s): %s" % (p.name, p.direction, " ".join(p.doc)))
    return notes


def gen_struct(s, n, o):
    o()
    if s.doc:
        o(comment(s.doc))
    tag = n.struct_tag(s)
    o("struct %s {" % tag)
    for f in s.fields:
        if f.doc:
            o(comment(f.doc, 1))
        t = f.rtype
        if t.kind == "array":
            o("%s %s[%d];" % (ctype(t.elem, n), f.name, t.count), 1)
        else:
            o("%s %s;" % (ctype(t, n), f.name), 1)
    o("};")
    msg = '"%s: IDL layout"' % tag
    o("_Static_assert(sizeof(struct %s) == %d, %s);" % (tag, s.size, msg))
    o("_Static_assert(_Alignof(struct %s) == %d, %s);" % (tag, s.align, msg))
    for f in s.fields:
        o("_Static_assert(offsetof(struct %s, %s) == %d, %s);"
          % (tag, f.name, f.offset, msg))


def generate(iface, n, source):
    o = Out()
    o(BANNER % source)
    o(comment(iface.doc, extra=[
        "Interface %s: id 0x%06x, version %d. Reference page: %s.md."
        % (iface.name, iface.iface_id, iface.version, iface.name),
        "Generated declarations: constants, types, client stubs "
        "(%s_<method>)," % iface.name,
        "server implementation hooks (%s_<method>_impl) and the dispatcher."
        % iface.name]))
    o("#ifndef %s" % n.guard())
    o("#define %s" % n.guard())
    o()
    o("#include <stdbool.h>")
    o("#include <stddef.h>")
    o("#include <stdint.h>")
    o()
    o("#include <k42/ipc.h>")
    o()
    o("#define %s 0x%06xu" % (n.iface_id(), iface.iface_id))
    o("#define %s %du" % (n.version(), iface.version))
    if iface.rights:
        o()
        o(comment(iface.rights_doc, extra=["Rights bits, checked against "
                                           "k42_ipc_caller.rights."]))
        for r in iface.rights:
            if r.doc:
                o(comment(r.doc))
            o("#define %s %d" % (n.right_bit(r), r.bit))
            o("#define %s (1ull << %d)" % (n.right(r), r.bit))
    if iface.consts:
        o()
        o("/* Constants. */")
        for c in iface.consts:
            if c.doc:
                o(comment(c.doc))
            o("#define %s %s" % (n.const(c), int_lit(c.value)))
    for e in iface.enums:
        o()
        o(comment(e.doc, extra=["Enum %s: travels as %s." % (e.name, e.base)]))
        o("typedef %s %s;" % (CTYPES[e.base], n.enum_type(e)))
        for v in e.values:
            if v.doc:
                o(comment(v.doc))
            o("#define %s ((%s)%s)" % (n.enum_value(e, v), n.enum_type(e),
                                       int_lit(v.value, e.base)))
    for s in iface.struct_order:
        gen_struct(s, n, o)
    reserved = iface.reserved_ordinals()
    if reserved:
        o()
        o("/* Retired ordinals, never to be reused: %s. */"
          % ", ".join(str(r) for r in reserved))
    for m in iface.methods:
        o()
        o(comment(m.doc, extra=method_notes(m, n)))
        o("#define %s %du" % (n.ordinal(m), m.ordinal))
        if m.rights:
            o("#define %s (%s)" % (n.method_rights(m),
                                   " | ".join(n.right(r) for r in m.rights)))
        else:
            o("#define %s 0ull" % n.method_rights(m))
        for p in m.params:
            if p.rtype.is_var:
                o("#define %s %du" % (n.param_max(m, p), p.rtype.max))
        o(signature("long", n.client(m), "k42_handle_t target", m.params, n)
          + "\n\t__attribute__((warn_unused_result));")
        if m.is_async:
            o(signature("long", n.client_start(m), "struct k42_ipc_pending *k42_p, "
                        "k42_handle_t target", [p for p in m.params if p.direction == "in"], n)
              + "\n\t__attribute__((warn_unused_result));")
            o(signature("long", n.client_finish(m), "struct k42_ipc_pending *k42_p",
                        [p for p in m.params if p.direction == "out"], n) + ";")
        o(signature("long", n.impl(m), "const struct k42_ipc_caller *caller",
                    m.params, n) + ";")
    o()
    o(comment(["Decode one request for this interface, call the matching "
               "_impl and encode",
               "its reply into m. Returns the status also left in m->op: 0, "
               "or -K42_EVERSION",
               "(wrong interface or newer version), -K42_ENOSYS (unknown "
               "ordinal),",
               "-K42_EACCES (missing rights), -K42_EPROTO (malformed "
               "message), -K42_E2BIG",
               "(implementation output over its bound) or the _impl's own "
               "error."]))
    o("long %s(const struct k42_ipc_caller *caller, struct k42_ipc_msg *m);"
      % n.dispatch())
    o()
    o(comment(["The register-level entries of the methods whose arguments "
               "and results all",
               "travel in registers, by ordinal (none: n is 0), for "
               "k42_serve_regs. Each answers",
               "exactly as %s would; docs/idl.md, \"Register-level "
               "entries\"." % n.dispatch()]))
    o("extern const struct k42_ipc_regs %s;" % n.regs())
    o()
    o("#endif")
    return o.text()

