"""Reading a trace stream (docs/tracing.md, "Streaming"): the bytes
servers/drivers/trace_stream sends through the virtio console while k42
runs. The stream is a dump header (flags STREAM, nsegs 0), then one-block
segments in the order they were taken; a restarted server sends a new
header. Parser checks each piece as it completes, so a corrupt stream is
a TraceError at the byte where it goes wrong, not a garbled trace.

Writer keeps a dump file that is valid after every batch: the header (its
segment count rewritten), then every segment received so far.
"""
import os
import struct

from . import fmt
from .errors import TraceError



class Block:
    """One streamed segment: CPU, block sequence number, unreported drops
    (ctl->lost when taken), and its bytes (segment header + words)."""

    def __init__(self, cpu, seq, lost, raw):
        self.cpu, self.seq, self.lost, self.raw = cpu, seq, lost, raw


class Parser:
    def __init__(self):
        self.buf = bytearray()
        self.offset = 0               # stream offset of buf[0]
        self.header = None            # the first dump header's bytes
        self.headers = 0              # headers seen (more than 1: the server restarted)
        self.blocks = 0
        self.last_seq = {}            # cpu -> last seq received
        self.gaps = []                # (cpu, first missing seq, last missing seq)
        self.backwards = []           # (cpu, seq after, seq)

    def feed(self, data):
        """Add bytes; return the Blocks they completed."""
        self.buf += data
        out = []
        while True:
            if len(self.buf) < 8:
                break
            magic = struct.unpack_from("<Q", self.buf)[0]
            if magic == fmt.DUMP_MAGIC:
                if len(self.buf) < fmt.DUMP_HEADER_BYTES:
                    break
                (_, version, hbytes, tb_hz, _mask, _hash, nsegs, flags) = struct.unpack_from(
                    fmt.DUMP_HEADER_FMT, self.buf)
                if version != fmt.VERSION or hbytes != fmt.DUMP_HEADER_BYTES or not tb_hz \
                        or nsegs != 0 or not flags & fmt.DUMP_F_STREAM:
                    raise TraceError("stream offset %d: not a stream header (version %d, "
                                     "%d bytes, nsegs %d, flags %#x)"
                                     % (self.offset, version, hbytes, nsegs, flags))
                if self.header is None:
                    self.header = bytes(self.buf[:fmt.DUMP_HEADER_BYTES])
                self.headers += 1
                self._consume(fmt.DUMP_HEADER_BYTES)
                continue
            if magic != fmt.SEG_MAGIC:
                raise TraceError("stream offset %d: bad magic %#018x (the stream is corrupt)"
                                 % (self.offset, magic))
            if self.header is None:
                raise TraceError("stream offset %d: a segment before the stream header"
                                 % self.offset)
            if len(self.buf) < fmt.SEG_HEADER_BYTES:
                break
            (_, cpu, bshift, rshift, mode, ibegin, iend, lost, first, nblk) = struct.unpack_from(
                fmt.SEG_HEADER_FMT, self.buf)
            if not fmt.MIN_BLOCK_SHIFT <= bshift <= fmt.MAX_BLOCK_SHIFT or \
                    not bshift < rshift <= fmt.MAX_RING_SHIFT or nblk != 1 or \
                    mode != fmt.MODE_STREAM or ibegin != iend or iend == 0 or \
                    iend & ((1 << bshift) - 1) or first != ((iend >> bshift) - 1) % \
                    (1 << (rshift - bshift)):
                raise TraceError("stream offset %d: segment header is not one streamed block "
                                 "(cpu %d, geometry 2^%d/2^%d, mode %d, index %d..%d, slot %d, "
                                 "%d blocks)" % (self.offset, cpu, bshift, rshift, mode, ibegin,
                                                 iend, first, nblk))
            size = fmt.SEG_HEADER_BYTES + (8 << bshift)
            if len(self.buf) < size:
                break
            seq = (iend >> bshift) - 1
            prev = self.last_seq.get(cpu)
            if prev is not None and seq <= prev:
                self.backwards.append((cpu, prev, seq))
            elif prev is not None and seq != prev + 1:
                self.gaps.append((cpu, prev + 1, seq - 1))
            self.last_seq[cpu] = seq
            out.append(Block(cpu, seq, lost, bytes(self.buf[:size])))
            self.blocks += 1
            self._consume(size)
        return out

    def _consume(self, n):
        del self.buf[:n]
        self.offset += n


class Writer:
    """A dump file that grows as blocks arrive and is a valid dump after
    every add(): the stream's header with nsegs counting what follows."""

    def __init__(self, path):
        self.path = path
        self.f = None
        self.nsegs = 0
        self.seen = set()             # (cpu, seq) written

    def add(self, header, raws, keys=None):
        if self.f is None:
            self.f = open(self.path, "wb")
            self.f.write(header)
        for i, raw in enumerate(raws):
            self.f.write(raw)
            self.nsegs += 1
            if keys is not None:
                self.seen.add(keys[i])
        self.f.seek(40)
        self.f.write(struct.pack("<I", self.nsegs))
        self.f.seek(0, os.SEEK_END)
        self.f.flush()

    def close(self):
        if self.f is not None:
            self.f.close()
            self.f = None
