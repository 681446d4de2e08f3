"""Client stub generator: <name>_client.c.

Each stub checks its inputs (over-long strings and buffers are refused with
-K42_E2BIG before anything is sent), marshals them into the calling
thread's message, calls k42_ipc_call, and then validates the whole reply
before writing a single byte to the caller's out parameters: a reply that
breaks the interface gives -K42_EPROTO, one that does not fit the caller's
buffer gives -K42_E2BIG. A bulk parameter (bytes beyond 4096) is not
copied: the stub lends the caller's buffer for the call (k42_ipc_grant),
read-only for `in`, writable up to its capacity for `out` and `inout`, and
the server reads or writes it there.
"""

from .cgen import BANNER, Out, comment, helpers, signature
from . import marshal


class ClientAccess:
    """C expressions for a client stub's own parameters."""

    def word(self, p):
        return p.name if p.direction == "in" else "*" + p.name

    def length(self, p):
        return "k42_l_" + p.name

    def ptr(self, p):
        return p.name

    def data(self, p):
        return p.name

    def set_word(self, p, expr):
        return "*%s = %s;" % (p.name, expr)

    def set_len(self, p, expr):
        return "*%s_len = %s;" % (p.name, expr)


def input_checks(m, o):
    """Bound every in/inout string and buffer; define k42_l_<p>."""
    for p in m.params:
        t = p.rtype
        if not (p.is_in and t.is_var):
            continue
        N = t.max
        lv = "k42_l_" + p.name
        if t.kind == "string" and p.direction == "in":
            o("size_t k42_n_%s = k42_sg_strnlen(%s, %du);" % (p.name, p.name, N + 1), 1)
            o("if (k42_n_%s > %du)" % (p.name, N), 1)
            o("return -K42_E2BIG;", 2)
            o("uint32_t %s = (uint32_t)k42_n_%s;" % (lv, p.name), 1)
        elif t.kind == "string":
            # Never read past the caller's buffer nor past the bound.
            o("uint32_t k42_c_%s = %s_cap < %du ? %s_cap : %du;"
              % (p.name, p.name, N + 1, p.name, N + 1), 1)
            o("size_t k42_n_%s = k42_sg_strnlen(%s, k42_c_%s);"
              % (p.name, p.name, p.name), 1)
            o("if (k42_n_%s > %du)" % (p.name, N), 1)
            o("return -K42_E2BIG;", 2)
            o("if (k42_n_%s == k42_c_%s)" % (p.name, p.name), 1)
            o("return -K42_EINVAL;	/* not terminated within %s_cap */"
              % p.name, 2)
            o("uint32_t %s = (uint32_t)k42_n_%s;" % (lv, p.name), 1)
        elif p.direction == "in":
            o("if (%s_len > %du)" % (p.name, N), 1)
            o("return -K42_E2BIG;", 2)
            o("uint32_t %s = %s_len;" % (lv, p.name), 1)
        else:
            o("if (*%s_len > %du)" % (p.name, N), 1)
            o("return -K42_E2BIG;", 2)
            o("if (*%s_len > %s_cap)" % (p.name, p.name), 1)
            o("return -K42_EINVAL;", 2)
            o("uint32_t %s = *%s_len;" % (lv, p.name), 1)


def capacity_checks(m, o):
    """After validation: does each out string/buffer fit the caller's?"""
    for p in m.reply.var + m.reply.bulk:
        w = marshal.wvar(p)
        if p.rtype.kind == "string":
            o("if (%s >= %s_cap)	/* room for the NUL too */" % (w, p.name), 1)
        else:
            o("if (%s > %s_cap)" % (w, p.name), 1)
        o("return -K42_E2BIG;", 2)


def lend(m, o):
    """Lend the bulk parameter's buffer for the call (checker: one at most)."""
    for p in m.params:
        if not p.rtype.is_bulk:
            continue
        N = p.rtype.max
        if p.direction == "in":
            o("k42_ipc_grant(%s, k42_l_%s, K42_PROT_READ);" % (p.name, p.name), 1)
        else:
            o("k42_ipc_grant(%s, %s_cap < %du ? %s_cap : %du, %s);"
              % (p.name, p.name, N, p.name, N,
                 "K42_PROT_WRITE" if p.direction == "out"
                 else "K42_PROT_READ | K42_PROT_WRITE"), 1)


def gen_stub(iface, m, n):
    o = Out()
    flags = "K42_IPC_FLAG_ONEWAY" if m.oneway else "0"
    o(signature("long", n.client(m), "k42_handle_t target", m.params, n))
    o("{")
    input_checks(m, o)
    o("struct k42_ipc_msg *k42_m = k42_ipc_msg_get();", 1)
    o("long k42_rc;", 1)
    o()
    o.lines.extend(marshal.encode(m.request, ClientAccess(), n, 1).lines)
    o("k42_m->op = k42_ipc_op(%s, %du, %s, %s, k42_m->len);"
      % (n.iface_id(), m.since, n.ordinal(m), flags), 1)
    lend(m, o)
    o("k42_rc = k42_ipc_call(target, k42_m);", 1)
    if m.oneway:
        o("return k42_rc > 0 ? -K42_EPROTO : k42_rc;", 1)
        o("}")
        return o
    o("if (k42_rc != 0)", 1)
    o("return k42_rc < 0 ? k42_rc : -K42_EPROTO;", 2)
    o("if (k42_m->op != 0)", 1)
    o("return -K42_EPROTO;", 2)
    o()
    o("/* Validate the whole reply before touching any out parameter. */", 1)
    o.lines.extend(marshal.validate(m.reply, n, 1).lines)
    capacity_checks(m, o)
    o.lines.extend(marshal.store(m.reply, ClientAccess(), n, 1).lines)
    o("return 0;", 1)
    o("}")
    return o


def gen_async(iface, m, n):
    """@async: <m>_start sends the request from the caller's pending
    record and returns at once; <m>_finish waits for the reply there and
    unmarshals it exactly as the synchronous stub does."""
    o = Out()
    ins = [p for p in m.params if p.direction == "in"]
    outs = [p for p in m.params if p.direction == "out"]
    o(signature("long", n.client_start(m),
                "struct k42_ipc_pending *k42_p, k42_handle_t target", ins, n))
    o("{")
    input_checks(m, o)
    o("struct k42_ipc_msg *k42_m = &k42_p->msg;", 1)
    o()
    o("memset(k42_m, 0, sizeof(*k42_m));", 1)
    o("k42_m->page = k42_p->page;", 1)
    o.lines.extend(marshal.encode(m.request, ClientAccess(), n, 1).lines)
    o("k42_m->op = k42_ipc_op(%s, %du, %s, 0, k42_m->len);"
      % (n.iface_id(), m.since, n.ordinal(m)), 1)
    o("return k42_ipc_start(target, k42_p);", 1)
    o("}")
    o()
    o(signature("long", n.client_finish(m), "struct k42_ipc_pending *k42_p", outs, n))
    o("{")
    o("struct k42_ipc_msg *k42_m = &k42_p->msg;", 1)
    o("long k42_rc = k42_ipc_finish(k42_p);", 1)
    o()
    o("if (k42_rc != 0)", 1)
    o("return k42_rc < 0 ? k42_rc : -K42_EPROTO;", 2)
    o("if (k42_m->op != 0)", 1)
    o("return -K42_EPROTO;", 2)
    o()
    o("/* Validate the whole reply before touching any out parameter. */", 1)
    o.lines.extend(marshal.validate(m.reply, n, 1).lines)
    capacity_checks(m, o)
    o.lines.extend(marshal.store(m.reply, ClientAccess(), n, 1).lines)
    o("return 0;", 1)
    o("}")
    return o


def generate(iface, n, source):
    o = Out()
    o(BANNER % source)
    o(comment(["Client stubs for interface %s: marshal the arguments into "
               "the PPC message," % iface.name,
               "call the server, validate and unmarshal the reply. Layout "
               "rules: docs/idl.md."]))
    o()
    o("#include <string.h>")
    o()
    o("#include <k42/errno.h>")
    o("#include <k42/ipc.h>")
    if any(p.rtype.is_bulk for m in iface.methods for p in m.params):
        o("#include <k42/layout.h>")
    o()
    o('#include "%s.h"' % iface.name)
    o()
    o.lines.extend(helpers(iface, n).lines)
    for m in iface.methods:
        o()
        o.lines.extend(gen_stub(iface, m, n).lines)
        if m.is_async:
            o()
            o.lines.extend(gen_async(iface, m, n).lines)
    return o.text()
