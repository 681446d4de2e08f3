"""Server skeleton generator: <name>_server.c.

<name>_dispatch decodes the op word (interface id, version, ordinal,
flags, length), checks the method's rights against the caller, validates
and copies every argument out of the page into locals, calls the author's
<name>_<method>_impl, checks what the implementation returned and marshals
the reply. Inputs are copied out before the call and the reply is written
after it, so an implementation may itself make IPC calls. A bulk parameter
(bytes beyond 4096, lent by the caller for the call) gets a buffer of its
bound from k42_ipc_bulk_alloc, filled from the caller's memory with
k42_ipc_grant_read before the call (`in`, `inout`) and written back with
k42_ipc_grant_write after it (`out`, `inout`). Methods whose words all
travel in registers also get register-level entries (gen_regs.py).
"""

from .cgen import BANNER, Out, comment, ctype, helpers
from . import gen_regs, marshal


class ServerAccess:
    """C expressions for the dispatcher's local copies of the arguments."""

    def word(self, p):
        return p.name

    def length(self, p):
        return "k42_l_" + p.name

    def ptr(self, p):
        return "&" + p.name if p.rtype.kind == "struct" else p.name

    def data(self, p):
        return p.name

    def set_word(self, p, expr):
        return "%s = %s;" % (p.name, expr)

    def set_len(self, p, expr):
        return "%s_len = %s;" % (p.name, expr)


def declare_locals(m, n, o):
    """Zeroed storage for every parameter, sized by its IDL bound."""
    for p in m.params:
        t = p.rtype
        if t.kind == "string":
            o("char %s[%d];" % (p.name, t.max + 1), 1)
            if p.direction == "out":
                o("%s[0] = '\\0';" % p.name, 1)
        elif t.is_bulk:
            o("uint32_t %s_len = 0;" % p.name, 1)	# (the buffer: an argument)
        elif t.kind == "bytes":
            o("uint8_t %s[%d];" % (p.name, t.max), 1)
            o("uint32_t %s_len = 0;" % p.name, 1)
            if p.is_out:
                o("memset(%s, 0, sizeof %s);" % (p.name, p.name), 1)
        elif t.kind == "array":
            o("%s %s[%d];" % (ctype(t.elem, n), p.name, t.count), 1)
            o("memset(%s, 0, sizeof %s);" % (p.name, p.name), 1)
        elif t.kind == "struct":
            o("%s %s;" % (ctype(t, n), p.name), 1)
            o("memset(&%s, 0, sizeof %s);" % (p.name, p.name), 1)
        elif t.kind == "bool":
            o("bool %s = false;" % p.name, 1)
        else:
            o("%s %s = 0;" % (ctype(t, n), p.name), 1)


def impl_args(m):
    args = ["caller"]
    for p in m.params:
        t = p.rtype
        if t.kind == "string":
            args.append(p.name)
            if p.is_out:
                args.append("%du" % (t.max + 1))
        elif t.kind == "bytes":
            if p.direction == "in":
                args += [p.name, p.name + "_len"]
            else:
                args += [p.name, "%du" % t.max, "&%s_len" % p.name]
        elif t.kind == "array":
            args.append(p.name)
        elif t.kind == "struct" or p.is_out:
            args.append("&" + p.name)
        else:
            args.append(p.name)
    return args


def output_checks(m, o):
    """Hold the implementation to the IDL bounds before replying."""
    for p in m.reply.var + m.reply.bulk:
        t = p.rtype
        lv = "k42_l_" + p.name
        if t.kind == "string":
            o("uint32_t %s = (uint32_t)k42_sg_strnlen(%s, %du);"
              % (lv, p.name, t.max + 1), 1)
            o("if (%s > %du)" % (lv, t.max), 1)
        else:
            o("uint32_t %s = %s_len;" % (lv, p.name), 1)
            o("if (%s > %du)" % (lv, t.max), 1)
        o("return -K42_E2BIG;", 2)


def bulk_param(m):
    return next((p for p in m.params if p.rtype.is_bulk), None)


def gen_bulk_wrapper(m, n, b):
    """The method's entry for a bulk parameter: its buffer around the body."""
    o = Out()
    o("static long %s(const struct k42_ipc_caller *caller, "
      "struct k42_ipc_msg *k42_m)" % n.srv(m))
    o("{")
    o("uint8_t *%s = k42_ipc_bulk_alloc(%du);" % (b.name, b.rtype.max), 1)
    o("long k42_rc;", 1)
    o()
    o("if (%s == NULL)" % b.name, 1)
    o("return -K42_ENOMEM;", 2)
    o("k42_rc = %s_body(caller, k42_m, %s);" % (n.srv(m), b.name), 1)
    o("k42_ipc_bulk_free(%s);" % b.name, 1)
    o("return k42_rc;", 1)
    o("}")
    return o


def gen_method(m, n):
    o = Out()
    b = bulk_param(m)
    if b is None:
        o("static long %s(const struct k42_ipc_caller *caller, "
          "struct k42_ipc_msg *k42_m)" % n.srv(m))
    else:
        o("static long %s_body(const struct k42_ipc_caller *caller, "
          "struct k42_ipc_msg *k42_m,\n%suint8_t *%s)"
          % (n.srv(m), " " * (len(n.srv(m)) + 18), b.name))
    o("{")
    declare_locals(m, n, o)
    o("long k42_rc;", 1)
    o()
    o.lines.extend(marshal.validate(m.request, n, 1).lines)
    o.lines.extend(marshal.store(m.request, ServerAccess(), n, 1).lines)
    if b is not None and b.is_in:
        o("/* The bytes, from the caller's lent buffer (a request that claims", 1)
        o(" * more than it lent is malformed). */", 1)
        o("if (%s_len != 0) {" % b.name, 1)
        o("k42_rc = k42_ipc_grant_read(k42_ipc_handle(), 0, %s, %s_len);"
          % (b.name, b.name), 2)
        o("if (k42_rc < 0)", 2)
        o("return k42_rc == -K42_EINVAL ? -K42_EPROTO : k42_rc;", 3)
        o("}", 1)
    o()
    args = impl_args(m)
    call = "k42_rc = %s(%s);" % (n.impl(m), ", ".join(args))
    if len(call) > 72:
        pad = " " * (len(n.impl(m)) + 10)
        call = "k42_rc = %s(%s);" % (n.impl(m), (",\n\t" + pad).join(args))
    o(call, 1)
    o("if (k42_rc != 0)", 1)
    o("return k42_rc < 0 ? k42_rc : -K42_EPROTO;", 2)
    output_checks(m, o)
    if b is not None and b.is_out:
        o("/* The bytes, into the caller's lent buffer (more than it lent", 1)
        o(" * does not fit). */", 1)
        o("if (k42_l_%s != 0) {" % b.name, 1)
        o("k42_rc = k42_ipc_grant_write(k42_ipc_handle(), 0, %s, k42_l_%s);"
          % (b.name, b.name), 2)
        o("if (k42_rc < 0)", 2)
        o("return k42_rc == -K42_EINVAL ? -K42_E2BIG : k42_rc;", 3)
        o("}", 1)
    o.lines.extend(marshal.encode(m.reply, ServerAccess(), n, 1).lines)
    o("k42_m->op = 0;", 1)
    o("return 0;", 1)
    o("}")
    if b is not None:
        o()
        o.lines.extend(gen_bulk_wrapper(m, n, b).lines)
    return o


def gen_dispatch(iface, n):
    o = Out()
    o("long %s(const struct k42_ipc_caller *caller, struct k42_ipc_msg *m)"
      % n.dispatch())
    o("{")
    o("uint64_t k42_op = m->op;", 1)
    o("uint32_t k42_ver = k42_ipc_op_version(k42_op);", 1)
    o("uint32_t k42_flags = k42_ipc_op_flags(k42_op);", 1)
    o("long k42_rc;", 1)
    o()
    o("if (k42_ipc_op_iface(k42_op) != %s || k42_ver == 0 ||" % n.iface_id(),
      1)
    o("    k42_ver > %s)" % n.version(), 1)
    o("k42_rc = -K42_EVERSION;", 2)
    o("else if (m->len > K42_IPC_PAGE_BYTES || k42_ipc_op_len(k42_op) != m->len)",
      1)
    o("k42_rc = -K42_EPROTO;", 2)
    o("else", 1)
    o("switch (k42_ipc_op_ordinal(k42_op)) {", 2)
    for m in sorted(iface.methods, key=lambda m: m.ordinal):
        o("case %s:" % n.ordinal(m), 2)
        conds = []
        if m.since > 1:
            conds.append(("k42_ver < %du" % m.since, "-K42_ENOSYS"))
        conds.append(("k42_flags != %s" % ("K42_IPC_FLAG_ONEWAY" if m.oneway
                                            else "0"), "-K42_EPROTO"))
        if m.rights:
            mask = n.method_rights(m)
            conds.append(("(caller->rights & %s) != %s" % (mask, mask),
                          "-K42_EACCES"))
        kw = "if"
        for cond, err in conds:
            o("%s (%s)" % (kw, cond), 3)
            o("k42_rc = %s;" % err, 4)
            kw = "else if"
        o("else", 3)
        o("k42_rc = %s(caller, m);" % n.srv(m), 4)
        o("break;", 3)
    o("default:", 2)
    o("k42_rc = -K42_ENOSYS;", 3)
    o("break;", 3)
    o("}", 2)
    o("if (k42_rc != 0) {", 1)
    o("/* Errors carry no data: nothing of the request leaks back. */", 2)
    o("m->op = (uint64_t)k42_rc;", 2)
    o("memset(m->w, 0, sizeof m->w);", 2)
    o("m->len = 0;", 2)
    o("}", 1)
    o("return k42_rc;", 1)
    o("}")
    return o


def generate(iface, n, source):
    o = Out()
    o(BANNER % source)
    o(comment(["Server dispatch for interface %s. The server author provides "
               "the" % iface.name,
               "%s_<method>_impl functions declared in %s.h; everything "
               "else is here." % (iface.name, iface.name)]))
    o()
    o("#include <string.h>")
    o()
    o("#include <k42/errno.h>")
    o("#include <k42/ipc.h>")
    o()
    o('#include "%s.h"' % iface.name)
    o()
    o.lines.extend(helpers(iface, n).lines)
    for m in iface.methods:
        o()
        o.lines.extend(gen_method(m, n).lines)
    o()
    o.lines.extend(gen_dispatch(iface, n).lines)
    o()
    o.lines.extend(gen_regs.generate(iface, n).lines)
    return o.text()
