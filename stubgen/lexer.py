"""Lexer: turns IDL source text into tokens.

Tokens are identifiers (keywords are identifiers the parser recognises),
integers, punctuation and EOF. `///` doc comments are attached to the token
that follows them; `//` and `/* */` comments are dropped. The lexer bounds its
input (size, number length) so no input can make it slow.
"""

import re

from .errors import Loc, fail

MAX_SOURCE_BYTES = 1 << 20
MAX_NUMBER_CHARS = 24
MAX_DOC_LINES = 200

PUNCT = set("{}()<>[],;:=@-")

# Control characters (other than tab and newline, and CR before LF), C1
# controls and bidirectional overrides are refused anywhere, comments
# included: they end up in generated C and could hide code from reviewers.
BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
                       "\u2028\u2029\u202a-\u202e\u2066-\u2069]|\r(?!\n)")

KEYWORDS = frozenset("""
    interface rights const enum struct reserved in out inout
    string bytes handle bool u8 u16 u32 u64 i8 i16 i32 i64
""".split())


class Token:
    __slots__ = ("kind", "value", "loc", "doc", "doc_loc")

    def __init__(self, kind, value, loc, doc=None, doc_loc=None):
        self.kind = kind      # "ident", "kw", "int", "punct" or "eof"
        self.value = value    # text, or the integer value for "int"
        self.loc = loc
        self.doc = doc        # list of doc-comment lines, or None
        self.doc_loc = doc_loc  # where the doc comment starts

    def describe(self):
        if self.kind == "eof":
            return "end of file"
        if self.kind == "int":
            return "number %d" % self.value
        if self.kind == "punct":
            return "'%s'" % self.value
        if self.kind == "kw":
            return "keyword '%s'" % self.value
        return "identifier '%s'" % self.value


def decode_source(data):
    """Bytes -> str, with a located error for bad UTF-8 or oversized input."""
    if len(data) > MAX_SOURCE_BYTES:
        fail(Loc(1, 1), "file too large (%d bytes, limit %d)"
             % (len(data), MAX_SOURCE_BYTES))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        head = data[:e.start]
        line = head.count(b"\n") + 1
        col = len(head) - (head.rfind(b"\n") + 1) + 1
        fail(Loc(line, col), "invalid UTF-8 byte 0x%02x" % data[e.start])


def _is_ident_start(c):
    return ("a" <= c <= "z") or ("A" <= c <= "Z") or c == "_"


def _is_ident_char(c):
    return _is_ident_start(c) or ("0" <= c <= "9")


def _char_repr(c):
    if " " < c <= "~":
        return "'%s'" % c
    return "U+%04X" % ord(c)


def tokenize(text):
    """Return the list of tokens of `text`, ending with an EOF token."""
    if len(text) > MAX_SOURCE_BYTES:
        fail(Loc(1, 1), "file too large (%d characters, limit %d)"
             % (len(text), MAX_SOURCE_BYTES))
    bad = BAD_CHARS.search(text)
    if bad:
        head = text[:bad.start()]
        fail(Loc(head.count("\n") + 1, bad.start() - (head.rfind("\n") + 1) + 1),
             "forbidden character %s" % _char_repr(bad.group()[0]))
    toks = []
    doc = None
    doc_loc = None
    i = 0
    n = len(text)
    line = 1
    line_start = 0
    while True:
        # Skip whitespace and comments, collecting doc lines.
        while i < n:
            c = text[i]
            if c == "\n":
                i += 1
                line += 1
                line_start = i
            elif c in " \t\r":
                i += 1
            elif text.startswith("///", i) and not text.startswith("////", i):
                if doc is None:
                    doc = []
                    doc_loc = Loc(line, i - line_start + 1)
                end = text.find("\n", i)
                end = n if end < 0 else end
                body = text[i + 3:end].rstrip()
                if body.startswith(" "):
                    body = body[1:]
                doc.append(body)
                if len(doc) > MAX_DOC_LINES:
                    fail(doc_loc, "doc comment longer than %d lines"
                         % MAX_DOC_LINES)
                i = end
            elif text.startswith("//", i):
                end = text.find("\n", i)
                i = n if end < 0 else end
            elif text.startswith("/*", i):
                end = text.find("*/", i + 2)
                if end < 0:
                    fail(Loc(line, i - line_start + 1),
                         "unterminated block comment")
                chunk = text[i:end + 2]
                nl = chunk.count("\n")
                if nl:
                    line += nl
                    line_start = i + chunk.rfind("\n") + 1
                i = end + 2
            else:
                break
        loc = Loc(line, i - line_start + 1)
        if i >= n:
            if doc is not None:
                fail(doc_loc, "doc comment does not document anything")
            toks.append(Token("eof", None, loc))
            return toks
        c = text[i]
        if _is_ident_start(c):
            j = i + 1
            while j < n and _is_ident_char(text[j]):
                j += 1
            word = text[i:j]
            kind = "kw" if word in KEYWORDS else "ident"
            toks.append(Token(kind, word, loc, doc, doc_loc))
            i = j
        elif "0" <= c <= "9":
            j = i + 1
            while j < n and _is_ident_char(text[j]):
                j += 1
            word = text[i:j]
            if len(word) > MAX_NUMBER_CHARS:
                fail(loc, "number too long")
            toks.append(Token("int", _parse_int(word, loc), loc, doc,
                              doc_loc))
            i = j
        elif c in PUNCT:
            toks.append(Token("punct", c, loc, doc, doc_loc))
            i += 1
        else:
            fail(loc, "unexpected character %s" % _char_repr(c))
        doc = None


def _parse_int(word, loc):
    if word[:2] in ("0x", "0X"):
        digits = word[2:]
        if not digits or any(ch not in "0123456789abcdefABCDEF" for ch in digits):
            fail(loc, "invalid hexadecimal number '%s'" % word)
        return int(digits, 16)
    if any(ch not in "0123456789" for ch in word):
        fail(loc, "invalid number '%s'" % word)
    if len(word) > 1 and word[0] == "0":
        fail(loc, "decimal number '%s' has a leading zero (write hex as 0x...)"
             % word)
    return int(word)
