"""The trace format's numbers, as in abi/include/k42/trace.h (a test checks
that the two agree): header-word fields, control events, dump file layout."""

TS_SHIFT = 32
LEN_SHIFT, LEN_MASK = 24, 0xff
LAYER_SHIFT, LAYER_MASK = 20, 0xf
MAJOR_SHIFT, MAJOR_MASK = 14, 0x3f
TAG_SHIFT, TAG_MASK = 10, 0xf
MINOR_SHIFT, MINOR_MASK = 0, 0x3ff

LAYERS = {"kernel": 0, "libk42": 1, "server": 2, "app": 3}
LAYER_NAMES = {v: k for k, v in LAYERS.items()}
LAYER_PENDING = 15

MAX_WORDS = 255
MAX_CLASSES = 64
MAX_MINOR = 1023
# The smallest block (2^MIN_BLOCK_SHIFT words) must hold a block header, a
# LOST report and any table event.
MIN_BLOCK_SHIFT, MAX_BLOCK_SHIFT, MAX_RING_SHIFT = 5, 16, 32
BLOCK_HDR_WORDS = 4
LOST_WORDS = 2
MAX_TABLE_EVENT_WORDS = (1 << MIN_BLOCK_SHIFT) - BLOCK_HDR_WORDS - LOST_WORDS

CLASS_CONTROL = 0
MINOR_BLOCK, MINOR_FILLER, MINOR_LOST = 1, 2, 3

TS_HORIZON = 1 << 31           # the writer's slow path does not add to a block this old
TS_MAX_AGE = 1 << 29           # k42_trace_keep_time closes a block this old
TS_BACK = 1 << 30              # an event's low 32 bits read as [-TS_BACK, 2^32 - TS_BACK) from its block's
TS_REACH = (1 << 32) - TS_BACK


def ts_delta(v):
    """The time of an event after its block header's, from the difference
    of their low 32 bits (<k42/trace.h>, "Time")."""
    v &= 0xffffffff
    return v - (1 << 32) if v >= TS_REACH else v

MODE_FLIGHT, MODE_STREAM = 0, 1
MODE_NAMES = {MODE_FLIGHT: "flight", MODE_STREAM: "stream"}

DUMP_MAGIC = 0x454341525432344b          # b"K42TRACE" little-endian
SEG_MAGIC = 0x004745535432344b           # b"K42TSEG\0"
CTL_MAGIC = 0x004c54435432344b           # b"K42TCTL\0"
VERSION = 1
DUMP_F_STREAM = 1                        # header flag: a stream (trace_stream), nsegs open
DUMP_HEADER_BYTES = 64
SEG_HEADER_BYTES = 64
# struct k42_trace_dump_header / k42_trace_dump_seg, little-endian.
DUMP_HEADER_FMT = "<QIIQQQII16x"
SEG_HEADER_FMT = "<QIIIIQQQII8x"

DEFAULT_TIMEBASE_HZ = 512_000_000


def make_id(layer, major, minor):
    return (layer << LAYER_SHIFT) | (major << MAJOR_SHIFT) | (minor << MINOR_SHIFT)


def make_hdr(ts, length, layer, major, minor, tag):
    return (((ts & 0xffffffff) << TS_SHIFT) | ((length & LEN_MASK) << LEN_SHIFT) |
            ((tag & TAG_MASK) << TAG_SHIFT) | make_id(layer, major, minor))


def hdr_fields(h):
    """(ts_low32, length, layer, major, tag, minor) of a header word."""
    return (h >> TS_SHIFT, (h >> LEN_SHIFT) & LEN_MASK, (h >> LAYER_SHIFT) & LAYER_MASK,
            (h >> MAJOR_SHIFT) & MAJOR_MASK, (h >> TAG_SHIFT) & TAG_MASK,
            (h >> MINOR_SHIFT) & MINOR_MASK)


def block_info(cpu, block_shift, ring_shift, mode):
    return cpu | (block_shift << 32) | (ring_shift << 40) | (mode << 48)


def split_block_info(info):
    """(cpu, block_shift, ring_shift, mode) from a block header's info word."""
    return (info & 0xffffffff, (info >> 32) & 0xff, (info >> 40) & 0xff, (info >> 48) & 0xff)


def lap_tag(index, ring_shift):
    return (index >> ring_shift) & TAG_MASK
