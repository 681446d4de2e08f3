"""Register-level server entries, appended to <name>_server.c.

A method whose request and reply are words in registers only (every
parameter a scalar, bool, enum or handle, at most K42_IPC_WORDS each way,
nothing in the page, not one-way) gets an entry the IPC runtime can call
with the request words as the kernel delivered them, and that replies
with k42_ipc_reply_regs, its results passed straight in registers: no
struct k42_ipc_msg is built in memory either way. <name>_regs lists the
entries by ordinal (up to REGS_MAX_ORDINAL), each with the one op word it
answers (the version generated clients send, the method's first; no flags,
no page bytes): any other op
takes the message path, <name>_dispatch. The checks and answers are the
dispatcher's (rights, then the words' ranges, then the implementation's
status; an error carries no words), so a call answers the same either
way (docs/idl.md, "Register-level entries").
"""

from .cgen import Out, c_to_word, ctype, scalar_range_check, word_to_c
from .layout import IPC_WORDS
from .marshal import wvar

REGS_MAX_ORDINAL = 255


def eligible(m):
    """Can m be served at register level?"""
    if m.oneway or m.ordinal > REGS_MAX_ORDINAL:
        return False
    for L in (m.request, m.reply):
        if L.var or L.fixed or L.bulk or L.spills or L.fixed_end:
            return False
        if any(w.role != "value" for w in L.words):
            return False
    return True


def reg_name(m):
    return "k42_sg_reg_%s" % m.name


def reply(words, status, depth, o):
    # (status, page bytes: none, w0..w5): the registers the caller receives
    args = [status, "0"] + [words[i] if i < len(words) else "0"
                            for i in range(IPC_WORDS)]
    o("k42_ipc_reply_regs(%s);" % ", ".join(args), depth)


def gen_entry(m, n):
    o = Out()
    pad = " " * (len(reg_name(m)) + 13)
    o("static void %s(const struct k42_ipc_caller *caller, uint64_t k42_op,"
      % reg_name(m))
    o("%suint64_t k42_r0, uint64_t k42_r1, uint64_t k42_r2," % pad)
    o("%suint64_t k42_r3, uint64_t k42_r4, uint64_t k42_r5)" % pad)
    o("{")
    used = {w.word for w in m.request.words}
    for p in m.params:
        t = p.rtype
        if p.direction == "out":
            o("%s %s = %s;" % (ctype(t, n), p.name,
                               "false" if t.kind == "bool" else "0"), 1)
    o("long k42_rc;", 1)
    o()
    o("(void)k42_op;", 1)
    for i in range(IPC_WORDS):
        if i not in used:
            o("(void)k42_r%d;" % i, 1)
    if m.rights:
        mask = n.method_rights(m)
        o("if ((caller->rights & %s) != %s) {" % (mask, mask), 1)
        reply([], "-K42_EACCES", 2, o)
        o("return;", 2)
        o("}", 1)
    for w in m.request.words:
        o("uint64_t %s = k42_r%d;" % (wvar(w.param), w.word), 1)
    for w in m.request.words:
        t = w.param.rtype
        conds = []
        rc = scalar_range_check(t, wvar(w.param))
        if rc:
            conds.append(rc)
        if t.kind == "enum":
            conds.append("!%s((%s)%s)" % (n.ok(t.decl), n.enum_type(t.decl),
                                          wvar(w.param)))
        for cond in conds:
            o("if (%s) {" % cond, 1)
            reply([], "-K42_EPROTO", 2, o)
            o("return;", 2)
            o("}", 1)
    for w in m.request.words:
        p = w.param
        o("%s %s = %s;" % (ctype(p.rtype, n), p.name,
                           word_to_c(p.rtype, wvar(p), n)), 1)
    args = ["caller"] + [("&" if p.is_out else "") + p.name for p in m.params]
    o("k42_rc = %s(%s);" % (n.impl(m), ", ".join(args)), 1)
    o("if (k42_rc != 0) {", 1)
    reply([], "k42_rc < 0 ? k42_rc : -K42_EPROTO", 2, o)
    o("return;", 2)
    o("}", 1)
    reply([c_to_word(w.param.rtype, w.param.name) for w in m.reply.words],
          "0", 1, o)
    o("}")
    return o


def generate(iface, n):
    """The entries and the table (empty for an interface with none)."""
    o = Out()
    ms = sorted((m for m in iface.methods if eligible(m)),
                key=lambda m: m.ordinal)
    for m in ms:
        o.lines.extend(gen_entry(m, n).lines)
        o()
    o("/* The register-level entries by ordinal (docs/idl.md). */")
    if ms:
        o("static const struct k42_ipc_reg_method k42_sg_regs[%d] = {"
          % (ms[-1].ordinal + 1))
        by_ord = {m.ordinal: m for m in ms}
        for i in range(ms[-1].ordinal + 1):
            m = by_ord.get(i)
            if m is None:
                # (No op word has ordinal i and every other field all ones.)
                o("{ ~0ull, NULL },", 1)
                continue
            o("{ ((uint64_t)%s << 40) | ((uint64_t)%du << 32) | "
              "((uint64_t)%s << 16), %s }," % (n.iface_id(), m.since,
                                              n.ordinal(m), reg_name(m)), 1)
        o("};")
        o("const struct k42_ipc_regs %s = { %s, %du, k42_sg_regs };"
          % (n.regs(), n.iface_id(), ms[-1].ordinal + 1))
    else:
        o("const struct k42_ipc_regs %s = { %s, 0u, NULL };"
          % (n.regs(), n.iface_id()))
    return o
