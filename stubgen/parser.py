"""Parser: tokens -> AST (see docs/idl.md for the grammar).

A hand-written LL(1) recursive-descent parser. Nesting in the grammar is
fixed (interface > declaration > member), so recursion depth is bounded no
matter the input. Only syntax is checked here; names, ranges and types are
the checker's job.
"""

from .errors import fail
from .lexer import tokenize
from . import model as M

SCALAR_KW = frozenset(M.SCALARS)


class Parser:
    def __init__(self, tokens):
        self.toks = tokens
        self.pos = 0

    # ---- token helpers --------------------------------------------------

    @property
    def tok(self):
        return self.toks[self.pos]

    def take_doc(self):
        doc = self.tok.doc
        self.tok.doc = None
        return doc

    def advance(self):
        t = self.tok
        if t.doc is not None:
            fail(t.doc_loc, "doc comment does not document anything (it is "
                 "followed by %s)" % t.describe())
        if t.kind != "eof":
            self.pos += 1
        return t

    def is_punct(self, ch):
        return self.tok.kind == "punct" and self.tok.value == ch

    def is_kw(self, word):
        return self.tok.kind == "kw" and self.tok.value == word

    def expect_punct(self, ch, what=None):
        if not self.is_punct(ch):
            fail(self.tok.loc, "expected '%s'%s, found %s"
                 % (ch, " " + what if what else "", self.tok.describe()))
        return self.advance()

    def expect_kw(self, word):
        if not self.is_kw(word):
            fail(self.tok.loc, "expected '%s', found %s"
                 % (word, self.tok.describe()))
        return self.advance()

    def expect_ident(self, what):
        t = self.tok
        if t.kind == "kw":
            fail(t.loc, "'%s' is a keyword and cannot be used as %s"
                 % (t.value, what))
        if t.kind != "ident":
            fail(t.loc, "expected %s, found %s" % (what, t.describe()))
        return self.advance()

    def expect_int(self, what):
        t = self.tok
        if t.kind != "int":
            fail(t.loc, "expected %s, found %s" % (what, t.describe()))
        return self.advance()

    def signed_int(self, what):
        """[ "-" ] int -> (value, loc)"""
        loc = self.tok.loc
        neg = False
        if self.is_punct("-"):
            self.advance()
            neg = True
        t = self.expect_int(what)
        return (-t.value if neg else t.value), loc

    # ---- grammar ----------------------------------------------------------

    def parse_file(self):
        doc = self.take_doc()
        self.expect_kw("interface")
        name = self.expect_ident("the interface name")
        self.expect_word("id")
        id_tok = self.expect_int("an interface id")
        self.expect_word("version")
        ver_tok = self.expect_int("an interface version")
        iface = M.Interface(name.value, name.loc, id_tok.value, id_tok.loc,
                            ver_tok.value, ver_tok.loc, doc)
        self.expect_punct("{", "to open the interface body")
        while not self.is_punct("}"):
            if self.tok.kind == "eof":
                fail(self.tok.loc, "expected '}' to close interface '%s', "
                     "found end of file" % iface.name)
            self.parse_member(iface)
        self.advance()
        if self.tok.kind != "eof":
            fail(self.tok.loc, "expected end of file after the interface, "
                 "found %s" % self.tok.describe())
        return iface

    def expect_word(self, word):
        t = self.tok
        if t.kind != "ident" or t.value != word:
            fail(t.loc, "expected '%s', found %s" % (word, t.describe()))
        return self.advance()

    def parse_member(self, iface):
        t = self.tok
        if t.kind == "kw" and t.value == "rights":
            self.parse_rights(iface)
        elif t.kind == "kw" and t.value == "const":
            d = self.parse_const()
            iface.consts.append(d)
            iface.decls.append(d)
        elif t.kind == "kw" and t.value == "enum":
            d = self.parse_enum()
            iface.enums.append(d)
            iface.decls.append(d)
        elif t.kind == "kw" and t.value == "struct":
            d = self.parse_struct()
            iface.structs.append(d)
            iface.decls.append(d)
        elif t.kind == "kw" and t.value == "reserved":
            iface.reserved.append(self.parse_reserved())
        elif t.kind == "int" or (t.kind == "punct" and t.value == "@"):
            d = self.parse_method()
            iface.methods.append(d)
            iface.decls.append(d)
        else:
            fail(t.loc, "expected a declaration (rights, const, enum, struct, "
                 "reserved or a method 'N: name(...)'), found %s"
                 % t.describe())

    def parse_rights(self, iface):
        if iface.rights_loc is not None:
            fail(self.tok.loc, "duplicate rights block (first at %s)"
                 % iface.rights_loc)
        iface.rights_loc = self.tok.loc
        iface.rights_doc = self.take_doc() or []
        self.advance()
        self.expect_punct("{", "after 'rights'")
        while True:
            doc = self.take_doc()
            name = self.expect_ident("a right name")
            self.expect_punct("=", "after the right name")
            bit = self.expect_int("a right bit number")
            iface.rights.append(M.Right(name.value, name.loc, bit.value,
                                        bit.loc, doc))
            if self.is_punct(","):
                self.advance()
                if self.is_punct("}"):
                    break
            elif self.is_punct("}"):
                break
            else:
                fail(self.tok.loc, "expected ',' or '}' in rights, found %s"
                     % self.tok.describe())
        self.advance()

    def parse_const(self):
        doc = self.take_doc()
        self.advance()
        name = self.expect_ident("a constant name")
        self.expect_punct("=", "after the constant name")
        value, _ = self.signed_int("a constant value")
        self.expect_punct(";", "after the constant")
        return M.Const(name.value, name.loc, value, doc)

    def parse_enum(self):
        doc = self.take_doc()
        self.advance()
        name = self.expect_ident("an enum name")
        self.expect_punct(":", "and an integer type after the enum name")
        base = self.tok
        if base.kind != "kw" or base.value not in SCALAR_KW:
            fail(base.loc, "expected an integer type (u8..u64, i8..i64) for "
                 "enum '%s', found %s" % (name.value, base.describe()))
        self.advance()
        self.expect_punct("{", "to open the enum")
        values = []
        while not self.is_punct("}"):
            vdoc = self.take_doc()
            vname = self.expect_ident("an enum value name")
            self.expect_punct("=", "after the enum value name")
            value, vloc = self.signed_int("an enum value")
            values.append(M.EnumValue(vname.value, vname.loc, value, vloc,
                                      vdoc))
            if self.is_punct(","):
                self.advance()
            elif not self.is_punct("}"):
                fail(self.tok.loc, "expected ',' or '}' in enum, found %s"
                     % self.tok.describe())
        self.advance()
        return M.Enum(name.value, name.loc, base.value, base.loc, values, doc)

    def parse_struct(self):
        doc = self.take_doc()
        self.advance()
        name = self.expect_ident("a struct name")
        self.expect_punct("{", "to open the struct")
        fields = []
        while not self.is_punct("}"):
            fdoc = self.take_doc()
            tref = self.parse_type()
            fname = self.expect_ident("a field name")
            array = self.parse_array_suffix()
            self.expect_punct(";", "after the field")
            fields.append(M.Field(fname.value, fname.loc, tref, array, fdoc))
        self.advance()
        return M.Struct(name.value, name.loc, fields, doc)

    def parse_reserved(self):
        loc = self.advance().loc
        ords = []
        while True:
            t = self.expect_int("a reserved ordinal")
            ords.append((t.value, t.loc))
            if self.is_punct(","):
                self.advance()
            else:
                break
        self.expect_punct(";", "after the reserved ordinals")
        return M.Reserved(loc, ords)

    def parse_method(self):
        doc = self.take_doc()
        attrs = []
        while self.is_punct("@"):
            attrs.append(self.parse_attr())
        ordinal = self.expect_int("a method ordinal")
        self.expect_punct(":", "after the method ordinal")
        name = self.expect_ident("a method name")
        self.expect_punct("(", "to open the parameter list")
        params = []
        if not self.is_punct(")"):
            while True:
                params.append(self.parse_param())
                if self.is_punct(","):
                    self.advance()
                elif self.is_punct(")"):
                    break
                else:
                    fail(self.tok.loc, "expected ',' or ')' in the parameter "
                         "list, found %s" % self.tok.describe())
        self.advance()
        self.expect_punct(";", "after the method")
        return M.Method(name.value, name.loc, ordinal.value, ordinal.loc,
                        params, attrs, doc)

    def parse_attr(self):
        self.advance()
        t = self.tok
        if t.kind not in ("ident", "kw"):
            fail(t.loc, "expected an attribute name after '@', found %s"
                 % t.describe())
        self.advance()
        args = None
        if self.is_punct("("):
            self.advance()
            args = []
            if not self.is_punct(")"):
                while True:
                    a = self.tok
                    if a.kind not in ("ident", "int"):
                        fail(a.loc, "expected an attribute argument, found %s"
                             % a.describe())
                    args.append(self.advance())
                    if self.is_punct(","):
                        self.advance()
                    elif self.is_punct(")"):
                        break
                    else:
                        fail(self.tok.loc, "expected ',' or ')' in attribute, "
                             "found %s" % self.tok.describe())
            self.advance()
        return M.Attr(t.value, t.loc, args)

    def parse_param(self):
        doc = self.take_doc()
        t = self.tok
        if t.kind != "kw" or t.value not in ("in", "out", "inout"):
            fail(t.loc, "expected a parameter direction (in, out or inout), "
                 "found %s" % t.describe())
        self.advance()
        tref = self.parse_type()
        name = self.expect_ident("a parameter name")
        array = self.parse_array_suffix()
        return M.Param(name.value, name.loc, t.value, tref, array, doc)

    def parse_array_suffix(self):
        if not self.is_punct("["):
            return None
        self.advance()
        size = self.parse_size("an array length")
        self.expect_punct("]", "to close the array length")
        return size

    def parse_size(self, what):
        t = self.tok
        if t.kind == "int":
            self.advance()
            return M.Size(t.loc, value=t.value)
        if t.kind == "ident":
            self.advance()
            return M.Size(t.loc, ref=t.value)
        fail(t.loc, "expected %s (a number or a constant), found %s"
             % (what, t.describe()))

    def parse_type(self):
        t = self.tok
        if t.kind == "kw" and (t.value in SCALAR_KW or t.value == "bool"):
            self.advance()
            return M.TypeRef("scalar", t.loc, name=t.value)
        if t.kind == "kw" and t.value in ("string", "bytes"):
            self.advance()
            if not self.is_punct("<"):
                fail(self.tok.loc, "%s needs a maximum length: %s<N>"
                     % (t.value, t.value))
            self.advance()
            bound = self.parse_size("a maximum length")
            self.expect_punct(">", "to close the maximum length")
            return M.TypeRef(t.value, t.loc, bound=bound)
        if t.kind == "kw" and t.value == "handle":
            self.advance()
            iface = None
            if self.is_punct("<"):
                self.advance()
                iface = self.expect_ident("an interface name").value
                self.expect_punct(">", "to close the handle type")
            return M.TypeRef("handle", t.loc, iface=iface)
        if t.kind == "ident":
            self.advance()
            return M.TypeRef("named", t.loc, name=t.value)
        fail(t.loc, "expected a type, found %s" % t.describe())


def parse(text):
    """Parse IDL source text into an Interface (unchecked)."""
    return Parser(tokenize(text)).parse_file()
