"""The host end of trace streaming (docs/tracing.md, "Streaming"): a Unix
socket QEMU's virtio console connects to, and a thread that reads it while
k42 runs, appends each block to a dump file (valid after every batch) and
rewrites a Perfetto JSON from it every `json_every` seconds (written to a
temporary file and renamed, so a reader never sees half a file).

QEMU connects as the client (the socket listens before QEMU starts), so
nothing the guest sends is lost to a missing reader: when the host reads
slowly, QEMU holds the virtio queue, the streaming server stops taking
blocks and the rings' writers drop and count (pause() does this on
purpose, for tests).
"""
import os
import socket
import tempfile
import threading
import time

from . import analysis, chrome, decode, dump, stream
from .errors import TraceError


class Live:
    def __init__(self, out_path, table=None, json_path=None, json_every=1.0):
        self.out_path = out_path
        self.table = table
        self.json_path = json_path
        self.json_every = json_every
        self.dir = tempfile.mkdtemp(prefix="k42tstream-")
        self.sock_path = os.path.join(self.dir, "trace.sock")
        self.lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.lsock.bind(self.sock_path)
        self.lsock.listen(1)
        self.parser = stream.Parser()
        self.writer = stream.Writer(out_path)
        self.lock = threading.Lock()
        self.error = None
        self.bytes = 0
        self.connected_at = None
        self.eof = False
        self.json_writes = 0
        self.json_error = None
        self._run = threading.Event()
        self._run.set()
        self._stop = False
        self._thread = None
        self._last_json = 0.0

    def qemu_args(self):
        """A virtio-serial controller in PCI slot 3 (its own INTx source,
        0x1203, apart from the disk's and the NIC's) with one port, 1,
        whose character device is this socket. Port 0 is QEMU's console
        port, which drops data when the host is slow; a serial port waits."""
        return ["-vga", "none",
                "-device", "virtio-serial-pci,id=tser,addr=0x3,max_ports=2",
                "-chardev", "socket,id=tstream,path=" + self.sock_path,
                "-device", "virtserialport,chardev=tstream,bus=tser.0,nr=1,name=k42.trace"]

    @staticmethod
    def append(append):
        """Boot arguments for stream mode: the kernel's tracemode=stream, and
        `tracestream` among init's arguments (after --), which starts
        boot.conf's tstream entry (the streaming server)."""
        words = append.split()
        cut = words.index("--") if "--" in words else len(words)
        kernel, init = words[:cut], words[cut + 1:]
        return " ".join(kernel + ["tracemode=stream", "--"] + init + ["tracestream"])

    def start(self):
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def pause(self):
        self._run.clear()

    def resume(self):
        self._run.set()

    def _loop(self):
        self.lsock.settimeout(0.5)
        conn = None
        while conn is None and not self._stop:
            try:
                conn, _ = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError as e:
                self.error = "accept: %s" % e
                return
        if conn is None:
            return
        self.connected_at = time.monotonic()
        conn.settimeout(0.2)
        try:
            while True:
                if not self._run.wait(0.2):
                    if self._stop:
                        break
                    continue
                try:
                    data = conn.recv(1 << 16)
                except socket.timeout:
                    self._maybe_json()
                    if self._stop:
                        break
                    continue
                if not data:
                    break
                self._take(data)
                self._maybe_json()
        except (OSError, TraceError) as e:
            self.error = str(e)
        finally:
            conn.close()
            self.eof = True

    def _take(self, data):
        with self.lock:
            self.bytes += len(data)
            blocks = self.parser.feed(data)
            if blocks:
                self.writer.add(self.parser.header, [b.raw for b in blocks],
                                [(b.cpu, b.seq) for b in blocks])

    def _maybe_json(self, force=False):
        if not self.json_path or self.table is None:
            return
        now = time.monotonic()
        if not force and now - self._last_json < self.json_every:
            return
        with self.lock:
            if not self.writer.nsegs:
                return
            self._last_json = now
            try:
                tr = decode.decode(dump.load(self.out_path), self.table)
                tmp = self.json_path + ".tmp"
                chrome.write(tr, tmp, analysis.Analysis(tr))
                os.replace(tmp, self.json_path)
                self.json_writes += 1
            except TraceError as e:
                self.json_error = str(e)

    def snapshot(self):
        """The trace received so far, decoded (None before the first block)."""
        with self.lock:
            if not self.writer.nsegs:
                return None
            return decode.decode(dump.load(self.out_path), self.table)

    def finish(self, tail=None, timeout=10.0):
        """Wait for QEMU to close the socket (it has exited), then append the
        blocks of the kernel's power-off dump (tail: its bytes) that the
        stream did not carry, and close the file."""
        self._run.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._stop = True
        if self._thread is not None:
            self._thread.join(2)
        added = 0
        with self.lock:
            if tail is not None and self.parser.header is not None:
                added = self._add_tail(tail)
            self.writer.close()
        try:
            self.lsock.close()
            os.unlink(self.sock_path)
            os.rmdir(self.dir)
        except OSError:
            pass
        return added

    def _add_tail(self, raw):
        """The power-off dump's one-block segments, minus blocks streamed."""
        d = dump.parse(raw, "<power-off dump>")
        raws = []
        keys = []
        for s in d.segments:
            if s.data_blocks != 1 or s.index_end == 0:
                continue
            seq = (s.index_end - 1) >> s.block_shift
            if (s.cpu, seq) in self.writer.seen:
                continue
            end = s.offset + 64 + (8 << s.block_shift)
            raws.append(bytes(raw[s.offset:end]))
            keys.append((s.cpu, seq))
        if raws:
            self.writer.add(self.parser.header, raws, keys)
        return len(raws)
