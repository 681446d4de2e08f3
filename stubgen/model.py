"""The IDL abstract syntax tree and the resolved type model.

The parser builds the declaration nodes (Interface, Const, Enum, Struct,
Method, ...) with unresolved TypeRef/Size nodes. The checker then attaches
resolved types (`rtype`) and numeric sizes, which the layout and the code
generators read. Nothing here knows about C.
"""


class Node:
    """Base for declarations: a name, a location and doc lines."""

    def __init__(self, name, loc, doc=None):
        self.name = name
        self.loc = loc
        self.doc = doc or []


# ---- syntax ---------------------------------------------------------------

class Size:
    """A bound or array length: a literal, or the name of a constant."""

    def __init__(self, loc, value=None, ref=None):
        self.loc = loc
        self.value = value
        self.ref = ref


class TypeRef:
    """A type as written: kind is scalar/string/bytes/handle/named."""

    def __init__(self, kind, loc, name=None, bound=None, iface=None):
        self.kind = kind
        self.loc = loc
        self.name = name      # scalar keyword or referenced type name
        self.bound = bound    # Size, for string<> and bytes<>
        self.iface = iface    # interface name, for handle<iface>


class Const(Node):
    def __init__(self, name, loc, value, doc=None):
        super().__init__(name, loc, doc)
        self.value = value


class Right(Node):
    def __init__(self, name, loc, bit, bit_loc, doc=None):
        super().__init__(name, loc, doc)
        self.bit = bit
        self.bit_loc = bit_loc


class EnumValue(Node):
    def __init__(self, name, loc, value, value_loc, doc=None):
        super().__init__(name, loc, doc)
        self.value = value
        self.value_loc = value_loc


class Enum(Node):
    def __init__(self, name, loc, base, base_loc, values, doc=None):
        super().__init__(name, loc, doc)
        self.base = base          # scalar keyword
        self.base_loc = base_loc
        self.values = values


class Field(Node):
    def __init__(self, name, loc, tref, array, doc=None):
        super().__init__(name, loc, doc)
        self.tref = tref
        self.array = array        # Size or None
        self.rtype = None         # resolved by the checker
        self.offset = None        # set by the layout


class Struct(Node):
    def __init__(self, name, loc, fields, doc=None):
        super().__init__(name, loc, doc)
        self.fields = fields
        self.size = None          # set by the layout
        self.align = None
        self.padded = None        # True if the C layout has padding bytes
        self.needs_check = None   # True if bytes must be validated (bool/enum)


class Param(Node):
    def __init__(self, name, loc, direction, tref, array, doc=None):
        super().__init__(name, loc, doc)
        self.direction = direction   # "in", "out" or "inout"
        self.tref = tref
        self.array = array
        self.rtype = None

    @property
    def is_in(self):
        return self.direction in ("in", "inout")

    @property
    def is_out(self):
        return self.direction in ("out", "inout")


class Attr:
    def __init__(self, name, loc, args):
        self.name = name
        self.loc = loc
        self.args = args            # list of tokens


class Method(Node):
    def __init__(self, name, loc, ordinal, ordinal_loc, params, attrs,
                 doc=None):
        super().__init__(name, loc, doc)
        self.ordinal = ordinal
        self.ordinal_loc = ordinal_loc
        self.params = params
        self.attrs = attrs
        self.oneway = False
        self.is_async = False       # @async: _start/_finish client stubs too
        self.rights = []            # list of Right
        self.since = 1
        self.request = None         # MsgLayout, set by the layout
        self.reply = None


class Reserved:
    def __init__(self, loc, ordinals):
        self.loc = loc
        self.ordinals = ordinals    # list of (value, loc)


class Interface(Node):
    def __init__(self, name, loc, iface_id, id_loc, version, version_loc,
                 doc=None):
        super().__init__(name, loc, doc)
        self.iface_id = iface_id
        self.id_loc = id_loc
        self.version = version
        self.version_loc = version_loc
        self.rights = []
        self.rights_loc = None
        self.rights_doc = []
        self.consts = []
        self.enums = []
        self.structs = []
        self.methods = []
        self.reserved = []          # list of Reserved statements
        self.decls = []             # every declaration, in source order

    def reserved_ordinals(self):
        return sorted({v for r in self.reserved for v, _ in r.ordinals})


# ---- resolved types ---------------------------------------------------------

# A bytes<N> with N at least this travels by reference (a grant), up to
# K42_IPC_GRANT_MAX (abi/include/k42/ipc.h); below it, in the PPC page.
BULK_MIN = 4097
BULK_MAX = 1 << 20

SCALARS = {
    # name: (bytes, signed)
    "u8": (1, False), "u16": (2, False), "u32": (4, False), "u64": (8, False),
    "i8": (1, True), "i16": (2, True), "i32": (4, True), "i64": (8, True),
}


class Type:
    kind = None
    size = 0
    align = 1
    needs_check = False   # wire bytes must be validated before use

    @property
    def is_word(self):
        """Fits in one message word (scalar, bool, enum, handle)."""
        return self.kind in ("scalar", "bool", "enum", "handle")

    @property
    def is_var(self):
        """Variable length (string or bytes)."""
        return self.kind in ("string", "bytes")

    @property
    def is_bulk(self):
        """Bytes beyond the PPC page: carried by reference, as a grant of
        the caller's buffer (docs/idl.md, "Bulk parameters")."""
        return self.kind == "bytes" and self.max > BULK_MIN - 1


class ScalarT(Type):
    kind = "scalar"

    def __init__(self, name):
        self.name = name
        self.size, self.signed = SCALARS[name]
        self.align = self.size

    def idl(self):
        return self.name


class BoolT(Type):
    kind = "bool"
    size = 1
    align = 1
    needs_check = True

    def idl(self):
        return "bool"


class HandleT(Type):
    kind = "handle"
    size = 8
    align = 8

    def __init__(self, iface=None):
        self.iface = iface

    def idl(self):
        return "handle<%s>" % self.iface if self.iface else "handle"


class EnumT(Type):
    kind = "enum"
    needs_check = True

    def __init__(self, decl):
        self.decl = decl
        self.base = ScalarT(decl.base)
        self.size = self.align = self.base.size

    def idl(self):
        return self.decl.name


class StructT(Type):
    kind = "struct"

    def __init__(self, decl):
        self.decl = decl

    # Size and alignment are known only after the layout pass.
    @property
    def size(self):
        return self.decl.size

    @property
    def align(self):
        return self.decl.align

    @property
    def needs_check(self):
        return self.decl.needs_check

    def idl(self):
        return self.decl.name


class ArrayT(Type):
    kind = "array"

    def __init__(self, elem, count):
        self.elem = elem
        self.count = count

    @property
    def size(self):
        return self.elem.size * self.count

    @property
    def align(self):
        return self.elem.align

    @property
    def needs_check(self):
        return self.elem.needs_check

    def idl(self):
        return "%s[%d]" % (self.elem.idl(), self.count)


class StringT(Type):
    kind = "string"

    def __init__(self, max_len):
        self.max = max_len

    def idl(self):
        return "string<%d>" % self.max


class BytesT(Type):
    kind = "bytes"

    def __init__(self, max_len):
        self.max = max_len

    def idl(self):
        return "bytes<%d>" % self.max
