"""Decoder tests on hand-made buffers (built with k42trace.synth, the
Python mirror of the C writer, then damaged on purpose): wrap-around,
fillers, unknown events, time reconstruction, pending and unwritten
events, stream segments, and corrupt or truncated dumps."""
import os
import struct
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))

from k42trace import decode, dump, fmt, synth, table  # noqa: E402
from k42trace.errors import TraceError  # noqa: E402

TBL = table.load(table.default_path())
E = TBL.events


def decoded(data, tbl=TBL):
    return decode.decode(dump.parse(data, "test.k42t"), tbl)


def user(tr, cpu=None):
    return [e for e in tr.events if not e.is_control() and (cpu is None or e.cpu == cpu)]


def severities(tr):
    return [d.severity for d in tr.diags]


class Basics(unittest.TestCase):
    def test_events_round_trip(self):
        r = synth.Ring(block_shift=6, ring_shift=10)
        r.log_event(1000, E["ppc.call"], 7, 0x55, 0x123)
        r.log_event(1010, E["ppc.return"], -2)
        r.log_event(1020, E["proc.create"], 9, 1, "shell")
        r.log_event(1030, E["timer.tick"], 4)
        tr = decoded(dump.build([r.segment()]))
        self.assertEqual(tr.diags, [])
        got = [(e.name, e.ts, e.values()) for e in user(tr)]
        self.assertEqual(got, [
            ("ppc.call", 1000, {"caller": 7, "target": 0x55, "op": 0x123}),
            ("ppc.return", 1010, {"status": -2}),
            ("proc.create", 1020, {"pid": 9, "parent": 1, "name": "shell"}),
            ("timer.tick", 1030, {"count": 4})])
        self.assertEqual(user(tr)[0].text(), "caller 7 target 0x55 op 0x123")
        self.assertEqual(user(tr)[1].text(), "status -2")

    def test_empty_ring_and_empty_dump(self):
        self.assertEqual(decoded(dump.build([synth.Ring().segment()])).events, [])
        self.assertEqual(decoded(dump.build([])).events, [])

    def test_several_cpus_merge_in_time_order(self):
        a, b = synth.Ring(cpu=0), synth.Ring(cpu=1)
        for t in range(100, 200, 10):
            (a if t % 20 else b).log_event(t, E["app.marker"], t)
        tr = decoded(dump.build([a.segment(), b.segment()]))
        self.assertEqual([e.ts for e in user(tr)], list(range(100, 200, 10)))
        self.assertEqual({e.cpu for e in user(tr)}, {0, 1})


class Blocks(unittest.TestCase):
    def test_filler_and_block_boundaries(self):
        # 32-word blocks and 5-word events: every block ends in a filler.
        r = synth.Ring(block_shift=5, ring_shift=10)
        for i in range(40):
            r.log_event(100 + i, E["disp.switch"], i, 0, i + 1, 0)
        tr = decoded(dump.build([r.segment()]))
        self.assertEqual(tr.diags, [])
        ev = user(tr)
        self.assertEqual([e.values()["from_pid"] for e in ev], list(range(40)))
        for e in ev:
            self.assertLessEqual(e.word + e.length, 32, "an event crosses a block")
            self.assertGreaterEqual(e.word, fmt.BLOCK_HDR_WORDS)
        self.assertEqual(len({e.seq for e in ev}), tr.stats[0].blocks)
        self.assertGreater(tr.stats[0].blocks, 5)

    def test_wrap_around_keeps_newest_blocks(self):
        r = synth.Ring(block_shift=5, ring_shift=7)        # 4 blocks of 32 words
        for i in range(200):
            r.log_event(1000 + 3 * i, E["app.event"], i, 2 * i)
        tr = decoded(dump.build([r.segment()]))
        self.assertEqual(tr.diags, [])
        ev = user(tr)
        st = tr.stats[0]
        self.assertEqual(st.last_seq - st.first_seq + 1, 4)
        self.assertEqual(st.overwritten, st.first_seq)
        self.assertGreater(st.overwritten, 10)
        vals = [e.values()["a"] for e in ev]
        self.assertEqual(vals, list(range(vals[0], 200)), "not the newest, in order")
        self.assertEqual(ev[0].word, fmt.BLOCK_HDR_WORDS)

    def test_oldest_block_found_by_sequence_not_position(self):
        # Rotate: the oldest block sits in the middle of the ring.
        r = synth.Ring(block_shift=5, ring_shift=8)        # 8 blocks
        for i in range(8 * 7 + 3 * 7):
            r.log_event(10 + i, E["app.event"], i, i)
        tr = decoded(dump.build([r.segment()]))
        seqs = sorted({e.seq for e in user(tr)})
        self.assertEqual(seqs, list(range(seqs[0], seqs[0] + 8)))
        self.assertNotEqual(seqs[0] % 8, 0)

    def test_blocks_rewritten_during_the_copy_are_dropped(self):
        r = synth.Ring(block_shift=5, ring_shift=7)
        for i in range(100):
            r.log_event(10 + i, E["app.event"], i, i)
        cpu, bs, rs, mode, ib, ie, lost, first, words = r.segment()
        tr = decoded(dump.build([(cpu, bs, rs, mode, ib, ib + 64, lost, first, words)]))
        self.assertEqual(tr.stats[0].dropped_in_copy, 2)
        self.assertIn(decode.WARNING, severities(tr))
        self.assertEqual(tr.errors, [])

    def test_events_reserved_after_the_snapshot_began_are_ignored(self):
        r = synth.Ring(block_shift=6, ring_shift=10)
        for i in range(5):
            r.log_event(10 + i, E["app.event"], i, i)
        early = r.index
        r.log_event(100, E["app.event"], 99, 99)
        tr = decoded(dump.build([r.segment(index_begin=early, index_end=r.index)]))
        self.assertEqual([e.values()["a"] for e in user(tr)], [0, 1, 2, 3, 4])


class Time(unittest.TestCase):
    def test_low_32_bits_wrap(self):
        r = synth.Ring()
        ts = [0xfffffff0, 0xfffffffe, 0x100000005, 0x100000100]
        for t in ts:
            r.log_event(t, E["timer.tick"], 1)
        self.assertEqual([e.ts for e in user(decoded(dump.build([r.segment()])))], ts)

    def test_long_gaps_start_a_new_block(self):
        r = synth.Ring()
        ts = [5, 5 + (1 << 31) - 1, 5 + (3 << 31), 5 + (9 << 32) + 17, (1 << 40) + 3]
        for t in ts:
            r.log_event(t, E["timer.tick"], 1)
        tr = decoded(dump.build([r.segment()]))
        self.assertEqual([e.ts for e in user(tr)], ts)
        # Every gap is past TS_MAX_AGE: keep_time closed the block each time.
        self.assertEqual(tr.stats[0].blocks, 5)

    def test_block_open_up_to_the_reach(self):
        # A block whose writers never looked at the time: events up to
        # TS_REACH after its header decode exactly, as do ones a little
        # before it (a CPU's timebase a hair behind another's).
        r = synth.Ring()
        r.keep_time = lambda t: False
        r.log_event(100, E["timer.tick"], 1)
        r.log_event(100 + fmt.TS_REACH - 1, E["timer.tick"], 2)   # no keep_time in between
        tr = decoded(dump.build([r.segment()]))
        self.assertEqual([e.ts for e in user(tr)], [100, 100 + fmt.TS_REACH - 1])
        self.assertEqual(fmt.ts_delta(-5), -5)
        self.assertEqual(fmt.ts_delta(fmt.TS_REACH - 1), fmt.TS_REACH - 1)
        self.assertEqual(fmt.ts_delta(fmt.TS_REACH), fmt.TS_REACH - (1 << 32))

    def test_missing_block_header_times_estimated(self):
        r = synth.Ring(block_shift=5, ring_shift=10)
        for i in range(30):
            r.log_event(1000 + 10 * i, E["app.event"], i, i)
        seq = user(decoded(dump.build([r.segment()])))[-1].seq
        r.words[seq * 32] = 0                 # its writer never got to it
        tr = decoded(dump.build([r.segment()]))
        self.assertEqual(tr.errors, [])
        ev = user(tr)
        self.assertEqual([e.values()["a"] for e in ev], list(range(30)))
        self.assertEqual([e.ts for e in ev], [1000 + 10 * i for i in range(30)])
        self.assertTrue(ev[-1].estimated and not ev[0].estimated)
        self.assertEqual(tr.stats[0].salvaged, 1)


class Writers(unittest.TestCase):
    def test_pending_event_is_skipped(self):
        r = synth.Ring()
        r.log_event(10, E["app.event"], 1, 1)
        r.log_event(11, E["ppc.call"], 1, 2, 3, state="pending")
        r.log_event(12, E["app.event"], 3, 3)
        tr = decoded(dump.build([r.segment()]))
        self.assertEqual([e.values()["a"] for e in user(tr)], [1, 3])
        self.assertEqual(tr.stats[0].pending, 1)
        self.assertEqual(tr.errors, [])

    def test_unwritten_reservation_is_skipped(self):
        r = synth.Ring(block_shift=6, ring_shift=8)
        for i in range(40):
            r.log_event(10 + i, E["app.event"], i, i, state="unwritten" if i in (5, 22) else "committed")
        tr = decoded(dump.build([r.segment()]))
        got = [e.values()["a"] for e in user(tr)]
        self.assertNotIn(5, got)
        self.assertNotIn(22, got)
        self.assertEqual(tr.errors, [])
        self.assertGreaterEqual(tr.stats[0].holes, 2)
        self.assertEqual(sorted(got), [i for i in range(got[0], 40) if i not in (5, 22)])

    def test_events_between_close_holes_are_kept(self):
        # Two writers killed one, two and three events apart: every event
        # committed between their reservations is decoded (the resync chain
        # must not give up at the second hole).
        for gap in (1, 2, 3):
            r = synth.Ring(block_shift=8, ring_shift=12)
            holes = (10, 11 + gap)
            for i in range(40):
                r.log_event(10 + i, E["app.event"], i, i,
                            state="unwritten" if i in holes else "committed")
            tr = decoded(dump.build([r.segment()]))
            got = [e.values()["a"] for e in user(tr)]
            self.assertEqual(got, [i for i in range(40) if i not in holes], "gap %d" % gap)
            self.assertEqual(tr.errors, [])

    def test_stale_words_in_a_hole_are_not_events(self):
        # Ring wraps, so a hole holds an older lap's words, tag and all.
        r = synth.Ring(block_shift=5, ring_shift=7)
        for i in range(300):
            r.log_event(10 + i, E["app.event"], i, i,
                        state="unwritten" if i % 17 == 0 else "committed")
        tr = decoded(dump.build([r.segment()]))
        got = [e.values()["a"] for e in user(tr)]
        self.assertEqual(got, [i for i in range(got[0], 300) if i % 17])
        self.assertEqual(tr.errors, [])

    def test_lost_events_are_counted(self):
        r = synth.Ring(block_shift=5, ring_shift=7, mode=fmt.MODE_STREAM)
        blocks = []
        for i in range(120):
            r.log_event(10 + i, E["app.event"], i, i)
            if i == 20:
                blocks += [r.take_block(s) for s in range(0, 2)]
        # Consume what is left and stream the rest.
        done = r.consumed
        while (r.index >> r.block_shift) > done:
            blocks.append(r.take_block(done))
            done += 1
        r.log_event(500, E["app.marker"], 1)
        tr = decoded(dump.build(blocks + [r.segment()]))
        st = tr.stats[0]
        self.assertGreater(st.lost_reported + st.lost_unreported, 50)
        self.assertEqual(tr.errors, [])
        lost_events = [e for e in tr.events if e.name == "control.lost"]
        self.assertTrue(lost_events)
        self.assertEqual(sum(e.payload[0] for e in lost_events), st.lost_reported)


class Unknown(unittest.TestCase):
    def test_unknown_ids_decode_raw(self):
        r = synth.Ring()
        r.log(10, 3, 61, 9, [1, 2, 3])          # class 61 not in the table
        r.log(11, 0, 7, 1, [])                   # kernel class 7 not in the table
        r.log(12, 9, 5, 5, [42])                 # layer 9: reserved
        r.log_event(13, E["app.marker"], 5)
        tr = decoded(dump.build([r.segment()]))
        ev = user(tr)
        self.assertEqual([e.name for e in ev], ["unknown.3.61.9", "unknown.0.7.1", "unknown.9.5.5",
                                                "app.marker"])
        self.assertEqual(ev[0].payload, (1, 2, 3))
        self.assertEqual(ev[0].text(), "0x1 0x2 0x3")
        self.assertEqual(tr.errors, [])
        self.assertEqual(tr.stats[0].unknown, 3)

    def test_known_id_with_wrong_length_is_raw_with_a_warning(self):
        r = synth.Ring()
        ev = E["ppc.call"]
        r.log(10, ev.cls.layer, ev.cls.major, ev.minor, [1, 2, 3, 4, 5])
        r.log_event(11, E["app.marker"], 5)
        tr = decoded(dump.build([r.segment()]))
        self.assertEqual(user(tr)[0].ev, None)
        self.assertIn(decode.WARNING, severities(tr))
        self.assertEqual(tr.errors, [])

    def test_table_hash_mismatch_warns(self):
        r = synth.Ring()
        r.log_event(10, E["app.marker"], 5)
        tr = decoded(dump.build([r.segment()], table_hash=0x1234))
        self.assertTrue(any("event table" in d.msg for d in tr.diags))


class Corrupt(unittest.TestCase):
    def ring(self):
        r = synth.Ring(block_shift=5, ring_shift=8)
        for i in range(20):
            r.log_event(10 + i, E["app.event"], i, i)
        return r

    def test_length_past_block_end_is_an_error(self):
        r = self.ring()
        h = r.words[4]
        r.words[4] = (h & ~(0xff << fmt.LEN_SHIFT)) | (200 << fmt.LEN_SHIFT)
        tr = decoded(dump.build([r.segment()]))
        self.assertEqual(len(tr.errors), 1)
        self.assertIn("bad event length 200", str(tr.errors[0]))
        self.assertIn("block 0, word 4", str(tr.errors[0]))

    def test_zero_length_is_an_error(self):
        r = self.ring()
        r.words[7] &= ~(0xff << fmt.LEN_SHIFT)
        tr = decoded(dump.build([r.segment()]))
        self.assertTrue(tr.errors)
        self.assertIn("length 0", str(tr.errors[0]))

    def test_block_header_in_the_middle_is_an_error(self):
        r = self.ring()
        r.words[10] = r.words[0]
        self.assertTrue(decoded(dump.build([r.segment()])).errors)

    def test_block_header_with_wrong_cpu_is_an_error(self):
        r = self.ring()
        r.words[3] = fmt.block_info(5, 5, 8, 0)
        self.assertIn("cpu 5", str(decoded(dump.build([r.segment()])).errors[0]))

    def test_decoding_random_garbage_never_crashes(self):
        import random
        rnd = random.Random(7)
        for trial in range(40):
            r = self.ring()
            for _ in range(rnd.randint(1, 30)):
                r.words[rnd.randrange(len(r.words))] = rnd.getrandbits(64)
            if trial % 2:
                for k in range(rnd.randrange(len(r.words))):
                    r.words[k] ^= rnd.getrandbits(64) if rnd.random() < 0.3 else 0
            tr = decoded(dump.build([r.segment()]))
            for e in tr.events:
                e.text()


class BadFiles(unittest.TestCase):
    def good(self):
        r = synth.Ring(block_shift=5, ring_shift=7)
        r.log_event(10, E["app.event"], 1, 2)
        return dump.build([r.segment()])

    def assertBad(self, data, *words):
        with self.assertRaises(TraceError) as cm:
            dump.parse(data, "x.k42t")
        for w in words:
            self.assertIn(w, str(cm.exception))

    def test_truncated(self):
        data = self.good()
        self.assertBad(data[:-8], "truncated")
        self.assertBad(data[:70], "truncated", "segment header")
        self.assertBad(data[:20], "truncated")
        self.assertBad(b"", "truncated")

    def test_bad_magic_and_version(self):
        data = bytearray(self.good())
        self.assertBad(b"NOTATRACE" + bytes(100), "not a k42 trace dump")
        self.assertBad(bytes(reversed(data[:8])) + data[8:], "big-endian")
        data[8] = 9
        self.assertBad(bytes(data), "version 9")

    def test_bad_segment(self):
        data = bytearray(self.good())
        bad = bytearray(data)
        bad[64] ^= 0xff
        self.assertBad(bytes(bad), "segment 0", "magic")
        bad = bytearray(data)
        struct.pack_into("<I", bad, 64 + 12, 40)           # block_shift
        self.assertBad(bytes(bad), "block size")
        bad = bytearray(data)
        struct.pack_into("<I", bad, 64 + 16, 50)           # ring_shift
        self.assertBad(bytes(bad), "ring size")
        bad = bytearray(data)
        struct.pack_into("<Q", bad, 64 + 24, 1 << 40)      # index_begin > index_end
        self.assertBad(bytes(bad), "backwards")
        bad = bytearray(data)
        struct.pack_into("<I", bad, 64 + 52, 9)            # data_blocks
        self.assertBad(bytes(bad), "not in a ring")
        bad = bytearray(data)
        struct.pack_into("<I", bad, 40, 2)                 # nsegs
        self.assertBad(bytes(bad), "truncated")

    def test_trailing_garbage(self):
        self.assertBad(self.good() + b"\0" * 8, "unexpected data")

    def test_zero_timebase(self):
        data = bytearray(self.good())
        struct.pack_into("<Q", data, 16, 0)
        self.assertBad(bytes(data), "timebase")


class Stream(unittest.TestCase):
    """k42trace.stream: the byte stream trace_stream sends, parsed as it
    arrives in pieces of any size; corrupt input is a TraceError."""

    @staticmethod
    def stream_bytes(seqs, cpu=0, bshift=5, rshift=7):
        hdr = struct.pack(fmt.DUMP_HEADER_FMT, fmt.DUMP_MAGIC, fmt.VERSION, fmt.DUMP_HEADER_BYTES,
                          fmt.DEFAULT_TIMEBASE_HZ, 0, 0, 0, fmt.DUMP_F_STREAM)
        out = [hdr]
        for seq in seqs:
            end = (seq + 1) << bshift
            out.append(struct.pack(fmt.SEG_HEADER_FMT, fmt.SEG_MAGIC, cpu, bshift, rshift,
                                   fmt.MODE_STREAM, end, end, 0, seq % (1 << (rshift - bshift)), 1))
            out.append(bytes(8 << bshift))
        return b"".join(out)

    def test_pieces_gaps_and_file(self):
        import tempfile
        from k42trace import stream
        data = self.stream_bytes([0, 1, 2, 5, 4])
        p = stream.Parser()
        got = []
        for i in range(0, len(data), 37):
            got += p.feed(data[i:i + 37])
        self.assertEqual([b.seq for b in got], [0, 1, 2, 5, 4])
        self.assertEqual(p.gaps, [(0, 3, 4)])
        self.assertEqual(p.backwards, [(0, 5, 4)])
        with tempfile.TemporaryDirectory() as d:
            w = stream.Writer(os.path.join(d, "s.k42t"))
            w.add(p.header, [b.raw for b in got[:2]])
            self.assertEqual(len(dump.load(w.path).segments), 2)   # valid after every batch
            w.add(p.header, [b.raw for b in got[2:]])
            w.close()
            self.assertEqual(len(dump.load(w.path).segments), 5)

    def test_corrupt(self):
        from k42trace import stream
        data = bytearray(self.stream_bytes([0, 1]))
        data[64 + 64 + 8 * 32] ^= 1          # the second segment's magic
        with self.assertRaises(TraceError):
            stream.Parser().feed(bytes(data))
        with self.assertRaises(TraceError):   # a segment before any header
            stream.Parser().feed(self.stream_bytes([0])[64:])
        bad = bytearray(self.stream_bytes([3]))
        struct.pack_into("<I", bad, 64 + 48, 0)   # slot 0 cannot hold block 3 of 4
        with self.assertRaises(TraceError):
            stream.Parser().feed(bytes(bad))


class Constants(unittest.TestCase):
    """fmt.py must say what <k42/trace.h> says."""

    def test_header_constants_agree(self):
        import re
        here = os.path.dirname(os.path.abspath(__file__))
        path = os.path.join(here, "..", "..", "abi", "include", "k42", "trace.h")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        defs = dict(re.findall(r"#define\s+(K42_TRACE_\w+)\s+(0x[0-9a-fA-F]+|\d+)(?:ull|u|ll)?\b", text))

        def c(name):
            return int(defs[name], 0)
        pairs = {
            "TS_SHIFT": fmt.TS_SHIFT, "LEN_SHIFT": fmt.LEN_SHIFT, "LEN_MASK": fmt.LEN_MASK,
            "LAYER_SHIFT": fmt.LAYER_SHIFT, "LAYER_MASK": fmt.LAYER_MASK,
            "MAJOR_SHIFT": fmt.MAJOR_SHIFT, "MAJOR_MASK": fmt.MAJOR_MASK,
            "TAG_SHIFT": fmt.TAG_SHIFT, "TAG_MASK": fmt.TAG_MASK,
            "MINOR_SHIFT": fmt.MINOR_SHIFT, "MINOR_MASK": fmt.MINOR_MASK,
            "LAYER_KERNEL": fmt.LAYERS["kernel"], "LAYER_LIBK42": fmt.LAYERS["libk42"],
            "LAYER_SERVER": fmt.LAYERS["server"], "LAYER_APP": fmt.LAYERS["app"],
            "LAYER_PENDING": fmt.LAYER_PENDING, "MAX_WORDS": fmt.MAX_WORDS,
            "CLASS_CONTROL": fmt.CLASS_CONTROL, "MINOR_BLOCK": fmt.MINOR_BLOCK,
            "MINOR_FILLER": fmt.MINOR_FILLER, "MINOR_LOST": fmt.MINOR_LOST,
            "BLOCK_WORDS_HDR": fmt.BLOCK_HDR_WORDS, "LOST_WORDS": fmt.LOST_WORDS,
            "MIN_BLOCK_SHIFT": fmt.MIN_BLOCK_SHIFT, "MAX_BLOCK_SHIFT": fmt.MAX_BLOCK_SHIFT,
            "MAX_RING_SHIFT": fmt.MAX_RING_SHIFT, "MODE_FLIGHT": fmt.MODE_FLIGHT,
            "MODE_STREAM": fmt.MODE_STREAM, "CTL_MAGIC": fmt.CTL_MAGIC,
            "VERSION": fmt.VERSION, "DUMP_MAGIC": fmt.DUMP_MAGIC, "SEG_MAGIC": fmt.SEG_MAGIC,
            "DUMP_F_STREAM": fmt.DUMP_F_STREAM,
        }
        for name, value in pairs.items():
            self.assertEqual(c("K42_TRACE_" + name), value, name)
        self.assertIn("#define K42_TRACE_TS_HORIZON (1ll << 31)", text)
        self.assertIn("#define K42_TRACE_TS_MAX_AGE (1ll << %d)" % (fmt.TS_MAX_AGE.bit_length() - 1), text)
        self.assertIn("#define K42_TRACE_TS_BACK    (1ll << %d)" % (fmt.TS_BACK.bit_length() - 1), text)
        self.assertEqual(struct.calcsize(fmt.DUMP_HEADER_FMT), fmt.DUMP_HEADER_BYTES)
        self.assertEqual(struct.calcsize(fmt.SEG_HEADER_FMT), fmt.SEG_HEADER_BYTES)


if __name__ == "__main__":
    unittest.main()
