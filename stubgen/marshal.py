"""Message marshaling code, shared by the client and server generators.

`encode` writes one message (request or reply) from C values; `validate`
checks a received message completely without writing anything the caller
can see (decode, then invoke); `store` then copies the validated values out.
The message is always `k42_m` (struct k42_ipc_msg *). Placement follows
layout.py; every length is checked before it is used as an offset.
"""

from .cgen import (Out, c_to_word, check_stmt, enc_aggregate, scalar_range_check,
                   word_to_c)
from .layout import IPC_WORDS

PROTO = "return -K42_EPROTO;"


def wvar(p):
    """Local holding the word item (value or length) of `p` once received."""
    return "k42_w_" + p.name


def ovar(p):
    """Local holding the page offset of variable-size `p` once received."""
    return "k42_o_" + p.name


def encode(L, acc, n, depth):
    """Write the message described by layout L from the accessor's values.

    Var lengths must already be checked against their bounds by the caller.
    """
    o = Out()
    for i in range(IPC_WORDS):
        w = L.words[i] if i < len(L.words) else None
        o("k42_m->w[%d] = %s;" % (i, word_expr(w, acc)), depth)
    if L.fixed_end:
        o("memset(k42_m->page, 0, %du);" % L.fixed_end, depth)
    for w in L.spills:
        o("k42_sg_put64(k42_m->page + %d, %s);" % (w.offset, word_expr(w, acc)),
          depth)
    for p, off in L.fixed:
        o.lines.extend(enc_aggregate(p, p.rtype, acc.ptr(p),
                                     "k42_m->page + %d" % off, n, depth).lines)
    if not L.var:
        o("k42_m->len = %du;" % L.fixed_end, depth)
        return o
    o("{", depth)
    o("uint32_t k42_off = %du;" % L.fixed_end, depth + 1)
    o("", 0)
    for p in L.var:
        ln = acc.length(p)
        o("k42_off = k42_sg_pad(k42_m->page, k42_off);", depth + 1)
        o("if (%s != 0)" % ln, depth + 1)
        o("memcpy(k42_m->page + k42_off, %s, %s);" % (acc.data(p), ln),
          depth + 2)
        o("k42_off += %s;" % ln, depth + 1)
    o("k42_m->len = k42_off;", depth + 1)
    o("}", depth)
    return o


def word_expr(w, acc):
    if w is None:
        return "0"
    if w.role == "len":
        return "(uint64_t)%s" % acc.length(w.param)
    return c_to_word(w.param.rtype, acc.word(w.param))


def validate(L, n, depth, fail_proto=PROTO):
    """Check a received message against layout L.

    Leaves k42_w_<p> (word items) and k42_o_<p> (var offsets) in scope; runs
    `fail_proto` on anything malformed: a page length that is not exactly
    what the items add up to, a length over its bound, a word that is not a
    valid encoding of its type, a NUL inside a string, a bad bool or enum.
    """
    o = Out()
    page = "K42_IPC_PAGE_BYTES"
    if L.var:
        if L.fixed_end:
            o("if (k42_m->len > %s || k42_m->len < %du)"
              % (page, L.fixed_end), depth)
        else:
            o("if (k42_m->len > %s)" % page, depth)
    else:
        o("if (k42_m->len != %du)" % L.fixed_end, depth)
    o(fail_proto, depth + 1)
    for w in L.words:
        src = "k42_m->w[%d]" % w.word if w.word is not None else \
            "k42_sg_get64(k42_m->page + %d)" % w.offset
        o("uint64_t %s = %s;" % (wvar(w.param), src), depth)
    if L.var:
        o("uint64_t k42_end = %du;" % L.fixed_end, depth)
        for p in L.var:
            o("if (%s > %du)" % (wvar(p), p.rtype.max), depth)
            o(fail_proto, depth + 1)
            o("uint32_t %s = k42_sg_align8(k42_end);" % ovar(p), depth)
            o("k42_end = (uint64_t)%s + %s;" % (ovar(p), wvar(p)), depth)
        o("if (k42_end != k42_m->len)", depth)
        o(fail_proto, depth + 1)
    for p in L.bulk:
        o("if (%s > %du)" % (wvar(p), p.rtype.max), depth)
        o(fail_proto, depth + 1)
    for w in L.words:
        if w.role != "value":
            continue
        t = w.param.rtype
        cond = scalar_range_check(t, wvar(w.param))
        if cond:
            o("if (%s)" % cond, depth)
            o(fail_proto, depth + 1)
        if t.kind == "enum":
            o("if (!%s((%s)%s))" % (n.ok(t.decl), n.enum_type(t.decl),
                                      wvar(w.param)), depth)
            o(fail_proto, depth + 1)
    for p, off in L.fixed:
        o.lines.extend(check_stmt(p.rtype, "k42_m->page + %d" % off, n, depth,
                                  fail_proto).lines)
    for p in L.var:
        if p.rtype.kind == "string":
            o("if (%s != 0 && memchr(k42_m->page + %s, 0, (size_t)%s) != NULL)"
              % (wvar(p), ovar(p), wvar(p)), depth)
            o(fail_proto, depth + 1)
    return o


def store(L, acc, n, depth):
    """Copy the validated message into the accessor's destinations."""
    o = Out()
    for w in L.words:
        if w.role == "value":
            o(acc.set_word(w.param, word_to_c(w.param.rtype, wvar(w.param), n)),
              depth)
    for p, off in L.fixed:
        o("memcpy(%s, k42_m->page + %d, %du);" % (acc.ptr(p), off,
                                                 p.rtype.size), depth)
    for p in L.var:
        o("if (%s != 0)" % wvar(p), depth)
        o("memcpy(%s, k42_m->page + %s, (size_t)%s);"
          % (acc.data(p), ovar(p), wvar(p)), depth + 1)
        if p.rtype.kind == "string":
            o("%s[%s] = '\\0';" % (acc.data(p), wvar(p)), depth)
        else:
            o(acc.set_len(p, "(uint32_t)%s" % wvar(p)), depth)
    for p in L.bulk:
        # (The bytes themselves are copied through the grant.)
        o(acc.set_len(p, "(uint32_t)%s" % wvar(p)), depth)
    return o
