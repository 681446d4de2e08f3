"""trace/stream: the trace rings streamed to the host while k42 runs
(docs/tracing.md, "Streaming"), driven from tools/testrun.py.

The machine boots as `./k42 trace --stream` boots it (tracemode=stream,
the streaming server, a virtio console on a socket this test reads) and
the shell runs tests/user/trace_stream_test. Phase 1: the program logs
2,000 numbered markers and waits for a line; the test types it only once
every marker has come out of the stream (and out of the live Perfetto
JSON) with the guest still up. Phase 2: the test stops reading the socket
and the program logs 400,000 markers, far more than the ring, the queue
and the socket buffers hold together; the test reads again, and the
program ends. Then, on everything received (the stream plus the
power-off dump's tail): no decoder error, every CPU's block numbers
consecutive in arrival order, phase-1 markers all there in order, phase-2
markers in order with some missing (the overrun happened), and no more
missing than the rings counted lost.
"""
import json
import os
import re
import select
import subprocess
import tempfile
import time

import k42qemu
import run as k42run
import trace as k42trace_cli  # tools/trace.py

MARK1, MARK2 = 0x51000000, 0x52000000
PHASE1, PHASE2 = 2000, 400000
TIMEOUT = 240.0


def _markers(tr, base, n):
    return [e.values().get("id") - base for e in tr.events
            if e.name == "app.marker" and base <= (e.values().get("id") or 0) < base + n]


def run_trace_stream_test(build, tally, pattern, here):
    name = "trace/stream"
    if pattern and not re.search(pattern, name):
        return
    from k42trace import dump as tdump, decode as tdecode, live as tlive, table as ttable
    tab = ttable.load(os.path.join(here, "..", "abi", "trace", "events.tbl"))
    tmp = tempfile.mkdtemp(prefix="k42-tstream-test-")
    out = os.path.join(tmp, "stream.k42t")
    js = os.path.join(tmp, "live.json")
    lv = tlive.Live(out, tab, json_path=js, json_every=0.5)
    lv.start()
    cmd = k42qemu.command(build, append=tlive.Live.append("trace=all"), extra=lv.qemu_args())
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    problems, notes = [], []
    console = bytearray()
    start = time.monotonic()

    def text():
        return console.decode("utf-8", "replace")

    def pump(wait=0.2):
        r, _, _ = select.select([proc.stdout], [], [], wait)
        if r:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if chunk:
                console.extend(chunk)
            return bool(chunk)
        return True

    def until(what, cond, limit):
        end = time.monotonic() + limit
        while time.monotonic() < end and time.monotonic() - start < TIMEOUT:
            if cond():
                return True
            if not pump() and proc.poll() is not None:
                break
        problems.append("timed out waiting for %s" % what)
        return False

    def typ(s):
        try:
            proc.stdin.write(s.encode())
            proc.stdin.flush()
        except BrokenPipeError:
            pass

    try:
        ok = until("the shell prompt", lambda: k42run.PROMPT in text(), 90)
        if ok:
            typ("run /tests/trace_stream_test\r")
            ok = until("phase 1", lambda: "phase 1 logged; waiting" in text(), 60)
        if ok:
            # Every phase-1 marker must arrive while the guest waits for us.
            seen = []

            def phase1_arrived():
                tr = lv.snapshot()
                if tr is not None:
                    seen[:] = _markers(tr, MARK1, PHASE1)
                return len(seen) >= PHASE1
            ok = until("all %d phase-1 markers in the stream" % PHASE1, phase1_arrived, 60)
            live_n = [0]

            def live_json_shows():
                try:
                    with open(js) as f:
                        live = json.load(f)
                except (OSError, ValueError):
                    return False
                live_n[0] = sum(1 for x in live.get("traceEvents", [])
                                if x.get("name") == "app.marker" and x.get("pid") == 0)
                return live_n[0] >= PHASE1
            if ok:
                ok = until("the live JSON to show the phase-1 markers", live_json_shows, 30)
            notes.append("phase 1: %d markers streamed while k42 ran (%d blocks, %d bytes, "
                         "%d live JSON rewrites)" % (len(seen), lv.parser.blocks, lv.bytes,
                                                      lv.json_writes))
            if seen != list(range(PHASE1)):
                problems.append("phase-1 markers out of order or repeated")
            notes.append("live JSON during phase 1: %d app.marker events" % live_n[0])
        if ok:
            lv.pause()
            typ("go\r")
            ok = until("phase 2", lambda: "phase 2 logged; waiting" in text(), 120)
            lv.resume()
        if ok:
            # Read until the stream is quiet, then let the program end.
            last = [lv.bytes, time.monotonic()]

            def quiet():
                if lv.bytes != last[0]:
                    last[:] = [lv.bytes, time.monotonic()]
                return time.monotonic() - last[1] > 2.0
            until("the stream to go quiet", quiet, 60)
            typ("end\r")
            ok = until("the program's end", lambda: text().count(k42run.PROMPT) >= 2, 60)
            typ("exit 0\r")
        end = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < end:
            pump()
        while pump(0.1) and select.select([proc.stdout], [], [], 0)[0]:
            pass
    finally:
        if proc.poll() is None:
            proc.kill()
            problems.append("QEMU did not end")
        proc.wait()
        rest = proc.stdout.read()
        if rest:
            console.extend(rest)
    output = text()
    if "UTEST PASS trace_stream_test" not in output:
        problems.append("trace_stream_test did not pass")
    if "trace_stream: streaming" not in output:
        problems.append("the streaming server did not start")
    streamed = lv.parser.blocks
    tail = k42trace_cli.extract(output)
    added = lv.finish(tail)
    p = lv.parser
    if lv.error:
        problems.append("stream: %s" % lv.error)
    if p.gaps or p.backwards:
        problems.append("block numbers not consecutive: gaps %s, backwards %s"
                        % (p.gaps[:3], p.backwards[:3]))
    if p.headers != 1:
        problems.append("%d stream headers (the server restarted?)" % p.headers)
    try:
        tr = tdecode.decode(tdump.load(out), tab)
    except Exception as e:  # noqa: BLE001 - reported as the test's failure
        tr = None
        problems.append("the streamed dump does not decode: %s" % e)
    if tr is not None:
        if tr.errors:
            problems.append("decoder errors: %s" % "; ".join(str(d) for d in tr.errors[:3]))
        m1 = _markers(tr, MARK1, PHASE1)
        m2 = _markers(tr, MARK2, PHASE2)
        if m1 != list(range(PHASE1)):
            problems.append("phase 1: %d markers decoded, expected all %d in order"
                            % (len(m1), PHASE1))
        if any(b <= a for a, b in zip(m2, m2[1:])):
            problems.append("phase-2 markers out of order")
        lost = sum(s.lost_reported + s.lost_unreported for s in tr.stats.values())
        missing = PHASE2 - len(m2)
        notes.append("%d blocks streamed, %d from the power-off dump; phase 2: %d of %d "
                     "markers arrived, %d missing, %d events counted lost"
                     % (streamed, added, len(m2), PHASE2, missing, lost))
        if missing <= 0:
            problems.append("phase 2 lost nothing: the rings never overran")
        if lost < missing:
            problems.append("%d markers missing but only %d events counted lost"
                            % (missing, lost))
    for line in output.splitlines():
        if line.startswith("trace_stream:"):
            notes.append(line.strip())
    log = output + "\n" + "\n".join(notes)
    tally.report(name, not problems, "; ".join(problems), log)
