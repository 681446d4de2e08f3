"""Mutation operators for the stubgen fuzzer (fuzz.py): byte-level and
token-level edits of IDL text, driven entirely by the given Random so every
case is reproducible from its seed."""

import re

TOKEN_RE = re.compile(r"\s+|//[^\n]*|/\*.*?\*/|0[xX][0-9a-fA-F]+|\d+|"
                      r"[A-Za-z_]\w*|.", re.S)

ALPHABET = "{}()<>[],;:=@-/*\n 0123456789abcxyz_ABZ\t\"#."

NUMBERS = [0, 1, 2, 3, 6, 7, 8, 9, 16, 63, 64, 127, 128, 255, 256, 1023,
           1024, 2048, 4040, 4088, 4095, 4096, 4097, 8191, 65535, 65536,
           0xffffff, 0x1000000, 2**31, 2**32, 2**63 - 1, 2**63, 2**64 - 1,
           2**64, 10**30]

NAMES = """
    interface rights const enum struct reserved in out inout string bytes
    handle bool u8 u16 u32 u64 i8 i16 i32 i64 id version oneway since
    int for register struct void return static bool true sizeof
    caller target k42_x linux unix size_t memcpy m w a b x y z
    Foo a__b x_ _x k42 max dispatch impl ord_open open_impl
""".split()

SNIPPETS = [
    "reserved 1;", "reserved 99, 100;", "reserved 65535;",
    "@oneway", "@since(2)", "@rights(read)", "@rights(write, read)",
    "const fz_c = 4096;", "const fz_n = -3;",
    "struct fz_s { fz_s y; }",
    "struct fz_w { u8 a[4096]; u8 b; }",
    "struct fz_p { u8 a; u64 b; bool c; i16 d[3]; handle h; }",
    "enum fz_e : u8 { a = 0, b = 0 }",
    "enum fz_f : i32 { neg = -7, pos = 7 }",
    "90: fz_a(in u8 a, out i64 b, inout bool c);",
    "91: fz_b(in fz_p s, out fz_p r[2], inout fz_f e);",
    "92: fz_c(in bytes<4096> b, out string<4095> s);",
    "93: fz_d(in u64 a, in u64 b, in u64 c, in u64 d, in u64 e, in u64 f, "
    "in u64 g, in bytes<4080> t);",
    "94: fz_e(inout string<7> s, inout bytes<9> b, out u8 x[5]);",
    "@oneway 95: fz_f(in string<3> s, out u8 x);",
    "96: fz_g(in bool f[7], out handle<x> h[3]);",
    "/// a doc comment", "/* block */", "// plain", "rights { fz_r = 9 }",
]


def tokens(text):
    return TOKEN_RE.findall(text)


def solid(toks):
    return [k for k, t in enumerate(toks) if not t.isspace()]


def number(rng):
    v = rng.choice(NUMBERS) if rng.random() < 0.8 else rng.randrange(1 << 20)
    s = hex(v) if rng.random() < 0.3 else str(v)
    return ("-" + s) if rng.random() < 0.1 else s


def name(rng, toks):
    r = rng.random()
    if r < 0.4:
        idents = [t for t in toks if re.match(r"[A-Za-z_]\w*$", t)]
        if idents:
            return rng.choice(idents)
    if r < 0.8:
        return rng.choice(NAMES)
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz_0")
                   for _ in range(rng.randint(1, 70 if rng.random() < 0.05
                                              else 8)))


def mutate_once(rng, text):
    op = rng.choice(["bdel", "bins", "bdup", "bswap", "tdel", "tdup", "tswap",
                     "num", "num", "ident", "ident", "ldup", "ldel",
                     "snippet", "snippet"])
    n = len(text)
    if op.startswith("b") and n:
        i = rng.randrange(n)
        j = min(n, i + rng.randint(1, 12))
        if op == "bdel":
            return text[:i] + text[j:], op
        if op == "bins":
            ins = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 4)))
            return text[:i] + ins + text[i:], op
        if op == "bdup":
            return text[:j] + text[i:j] + text[j:], op
        k = rng.randrange(n)
        a, b = sorted([(i, j), (k, min(n, k + j - i))])
        if a[1] > b[0]:
            return text, op
        return (text[:a[0]] + text[b[0]:b[1]] + text[a[1]:b[0]] +
                text[a[0]:a[1]] + text[b[1]:]), op
    lines = text.split("\n")
    if op in ("ldup", "ldel", "snippet"):
        i = rng.randrange(len(lines))
        if op == "ldup":
            lines.insert(i, lines[i])
        elif op == "ldel":
            del lines[i]
        else:
            lines.insert(i, "    " + rng.choice(SNIPPETS))
        return "\n".join(lines), op
    toks = tokens(text)
    idx = solid(toks)
    if not idx:
        return text, op
    k = rng.choice(idx)
    if op == "tdel":
        toks[k] = ""
    elif op == "tdup":
        toks[k] = toks[k] + " " + toks[k]
    elif op == "tswap":
        m = rng.choice(idx)
        toks[k], toks[m] = toks[m], toks[k]
    elif op == "num":
        nums = [i for i in idx if toks[i][0].isdigit()]
        if nums:
            toks[rng.choice(nums)] = number(rng)
    elif op == "ident":
        ids = [i for i in idx if re.match(r"[A-Za-z_]", toks[i])]
        if ids:
            toks[rng.choice(ids)] = name(rng, toks)
    return "".join(toks), op


def mutate(rng, text):
    """Apply 1-3 mutations; return the new text and the operations used."""
    ops = []
    count = 1 + (rng.random() < 0.35) + (rng.random() < 0.15)
    for _ in range(count):
        text, op = mutate_once(rng, text)
        ops.append(op)
    return text, ops
