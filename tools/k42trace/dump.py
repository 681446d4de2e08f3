"""Reading and writing dump files (format in docs/tracing.md, "Dump files";
C structures in <k42/trace.h>). Every check gives a TraceError that says
what is wrong and where, never a traceback."""
import array
import struct
import sys

from . import fmt
from .errors import TraceError


class Segment:
    """Copied blocks of one CPU's ring: ring slots first_slot .. first_slot +
    data_blocks - 1 (the whole ring for a snapshot, one block in stream mode)."""

    def __init__(self, cpu, block_shift, ring_shift, mode, index_begin, index_end, lost,
                 first_slot, data_blocks, words, offset):
        self.cpu, self.block_shift, self.ring_shift, self.mode = cpu, block_shift, ring_shift, mode
        self.index_begin, self.index_end, self.lost = index_begin, index_end, lost
        self.first_slot, self.data_blocks = first_slot, data_blocks
        self.words = words            # array('Q') of data_blocks << block_shift words
        self.offset = offset          # file offset of the segment header

    def slot(self, slot):
        """The words of ring slot `slot`, or None if this segment lacks it."""
        i = slot - self.first_slot
        if not 0 <= i < self.data_blocks:
            return None
        bw = 1 << self.block_shift
        return self.words[i * bw:(i + 1) * bw]

    @property
    def block_words(self):
        return 1 << self.block_shift

    @property
    def nblocks(self):
        return 1 << (self.ring_shift - self.block_shift)


class Dump:
    def __init__(self, path, timebase_hz, mask, table_hash, segments):
        self.path, self.timebase_hz, self.mask = path, timebase_hz, mask
        self.table_hash, self.segments = table_hash, segments

    @property
    def cpus(self):
        return sorted({s.cpu for s in self.segments})


def _words(data, off, n):
    a = array.array("Q")
    a.frombytes(data[off:off + 8 * n])
    if sys.byteorder != "little":
        a.byteswap()
    return a


def parse(data, path="<dump>"):
    """Parse dump bytes into a Dump; raise TraceError if they are not one."""
    data = memoryview(data)
    size = len(data)
    if size < fmt.DUMP_HEADER_BYTES:
        if size >= 8 and struct.unpack_from("<Q", data)[0] != fmt.DUMP_MAGIC:
            raise TraceError("%s: not a k42 trace dump (bad magic)" % path)
        raise TraceError("%s: truncated dump: %d bytes, the file header alone is %d"
                         % (path, size, fmt.DUMP_HEADER_BYTES))
    magic, version, hdr_bytes, tb_hz, mask, thash, nsegs, _flags = struct.unpack_from(
        fmt.DUMP_HEADER_FMT, data)
    if magic != fmt.DUMP_MAGIC:
        if magic == int.from_bytes(fmt.DUMP_MAGIC.to_bytes(8, "little"), "big"):
            raise TraceError("%s: big-endian dump: only little-endian dumps are supported" % path)
        raise TraceError("%s: not a k42 trace dump (magic %#018x, expected %#018x)"
                         % (path, magic, fmt.DUMP_MAGIC))
    if version != fmt.VERSION:
        raise TraceError("%s: dump format version %d; this decoder reads version %d"
                         % (path, version, fmt.VERSION))
    if hdr_bytes < fmt.DUMP_HEADER_BYTES or hdr_bytes > size:
        raise TraceError("%s: bad file header size %d" % (path, hdr_bytes))
    if tb_hz == 0:
        raise TraceError("%s: timebase frequency is 0" % path)
    off = hdr_bytes
    segs = []
    for i in range(nsegs):
        where = "%s: segment %d (offset %d)" % (path, i, off)
        if size - off < fmt.SEG_HEADER_BYTES:
            raise TraceError("%s: truncated dump: segment header cut short (%d of %d bytes)"
                             % (where, size - off, fmt.SEG_HEADER_BYTES))
        (smagic, cpu, bshift, rshift, mode, ibegin, iend, lost, first, nblk) = struct.unpack_from(
            fmt.SEG_HEADER_FMT, data, off)
        if smagic != fmt.SEG_MAGIC:
            raise TraceError("%s: bad segment magic %#018x (corrupt or misaligned dump)"
                             % (where, smagic))
        if not fmt.MIN_BLOCK_SHIFT <= bshift <= fmt.MAX_BLOCK_SHIFT:
            raise TraceError("%s: block size 2^%d words out of range 2^%d..2^%d"
                             % (where, bshift, fmt.MIN_BLOCK_SHIFT, fmt.MAX_BLOCK_SHIFT))
        if not bshift < rshift <= fmt.MAX_RING_SHIFT:
            raise TraceError("%s: ring size 2^%d words is smaller than a block or too large"
                             % (where, rshift))
        if mode not in fmt.MODE_NAMES:
            raise TraceError("%s: unknown buffer mode %d" % (where, mode))
        if iend < ibegin:
            raise TraceError("%s: index went backwards during the copy (%d then %d)"
                             % (where, ibegin, iend))
        ring_blocks = 1 << (rshift - bshift)
        if nblk == 0 or first + nblk > ring_blocks:
            raise TraceError("%s: blocks %d..%d are not in a ring of %d blocks"
                             % (where, first, first + nblk - 1, ring_blocks))
        nwords = nblk << bshift
        body = off + fmt.SEG_HEADER_BYTES
        if size - body < 8 * nwords:
            raise TraceError("%s: truncated dump: %d blocks of %d words need %d bytes, %d left"
                             % (where, nblk, 1 << bshift, 8 * nwords, size - body))
        segs.append(Segment(cpu, bshift, rshift, mode, ibegin, iend, lost, first, nblk,
                            _words(data, body, nwords), off))
        off = body + 8 * nwords
    if off != size:
        raise TraceError("%s: %d bytes of unexpected data after the last of %d segments"
                         % (path, size - off, nsegs))
    return Dump(path, tb_hz, mask, thash, segs)


def load(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise TraceError("%s: cannot read: %s" % (path, e.strerror)) from None
    return parse(data, path)


def build(segments, timebase_hz=fmt.DEFAULT_TIMEBASE_HZ, mask=0, table_hash=0):
    """Dump bytes from (cpu, block_shift, ring_shift, mode, index_begin,
    index_end, lost, first_slot, words) tuples: what a C dumper writes."""
    out = [struct.pack(fmt.DUMP_HEADER_FMT, fmt.DUMP_MAGIC, fmt.VERSION, fmt.DUMP_HEADER_BYTES,
                       timebase_hz, mask, table_hash, len(segments), 0)]
    for cpu, bshift, rshift, mode, ibegin, iend, lost, first, words in segments:
        out.append(struct.pack(fmt.SEG_HEADER_FMT, fmt.SEG_MAGIC, cpu, bshift, rshift, mode,
                               ibegin, iend, lost, first, len(words) >> bshift))
        a = array.array("Q", words)
        if sys.byteorder != "little":
            a.byteswap()
        out.append(a.tobytes())
    return b"".join(out)
