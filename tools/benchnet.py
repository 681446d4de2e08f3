"""The network rows of ./k42 bench (docs/network.md, docs/performance.md):
host-to-guest TCP bulk throughput and HTTP requests per second for a
small file with 1 and 16 concurrent clients, driven from the host over
QEMU's restricted user network (forwards on 127.0.0.1 only, the same
`-netdev user` set-up on every side), against:

  k42       busybox httpd and nc on k42's Linux personality
            (/etc/boot-linux.conf with "net": virtio-net driver, lwIP)
  Linux     the same busybox httpd and nc under Debian's Linux
            (bench/linux/init.sh with lnet=1: virtio modules loaded)

Wall-clock figures (the host drives the traffic, so icount does not
apply): noisy, they follow the host's load. Every HTTP answer is checked
(status 200 and the exact body), and the sink's bytes are counted by
the guest, which prints the count once nc ends; the time runs until the
guest's nc closes the connection after the last byte)."""
import re
import socket
import threading
import time

import bench_linux
import k42qemu
import run as k42run
from nettest import Guest

SMALL = "".join("%d\n" % i for i in range(1, 21)).encode()   # busybox `seq 20`
HTTP_PORT, SINK_PORT = 80, 5001
# (requests at 1 client, requests at 16 clients, MiB sent to the sink)
SIZES = {False: (200, 400, 16), True: (20, 32, 1)}
# On k42's Linux personality: the same files and servers as init.sh's lnet.
K42_SCRIPT = ("mkdir -p /tmp/www && seq 20 > /tmp/www/small.txt && "
              "until httpd -p 80 -h /tmp/www 2>/dev/null; do sleep 0.2; done && "
              "echo LNET ready && "
              "while true; do n=$(nc -l -p 5001 </dev/null | wc -c); echo LNET sink got $n; done")


class NetBenchError(Exception):
    pass


# QEMU's host-side socket of a forward listens with a backlog of 1
# (docs/network.md): clients connecting at once through one forward
# overflow it, and the host kernel drops the SYN or the handshake's last
# ACK, which costs the client seconds of TCP retransmission (up to 30 s
# seen). So each client has a forward of its own, all to the same guest
# port: its connections come one after another, and the 16 clients are
# still served at once.
# QEMU keeps the host client's port as the source port of its connection
# to the guest, and the host may reuse a port at once for another
# forward; the guest would then see a new connection from the address and
# port of one it closed moments ago, still in TIME_WAIT, and lwIP resets
# a SYN in that connection's window (by its code: tcp_timewait_input;
# not seen to happen here). A precaution: the clients take source ports
# of their own, none twice in a run.
CLIENTS = 16
_PORTS = {"next": 20000}
_PORTS_LOCK = threading.Lock()


def connect(port, timeout):
    """A connection to 127.0.0.1:port from a source port not used before."""
    while True:
        with _PORTS_LOCK:
            src = _PORTS["next"]
            _PORTS["next"] = src + 1 if src < 60000 else 20000
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", src))
        except OSError:
            s.close()
            continue
        s.settimeout(timeout)
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            s.close()
            raise
        return s


def one_request(port, path, timeout):
    """GET on a new connection (HTTP/1.0: the server closes); checked."""
    s = connect(port, timeout)
    try:
        s.sendall(("GET %s HTTP/1.0\r\nHost: k42\r\n\r\n" % path).encode())
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    finally:
        s.close()
    head, _, body = buf.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.") or head.split()[1] != b"200" or body != SMALL:
        raise NetBenchError("GET %s: %r" % (path, buf[:80]))


# A request with no answer after this many seconds is a stall and is sent
# again: about what a client's own SYN retransmission would cost (1 s
# after a dropped SYN, on Linux), where QEMU's user network, which makes
# the guest-side connection, waits 3 s and more.
STALL_S = 2


def http_rate(ports, path, clients, total, timeout=STALL_S):
    """`total` requests from `clients` threads at once, client i through
    forward ports[i]: (requests per second, stalls, failures). A request
    whose connection goes silent for `timeout` seconds is a stall; one
    whose connection ends without an answer (or is reset) a failure. Both
    are counted and the request is sent again on a new connection; more
    failures than half the requests, or one request stalling or failing
    five times, end the run. With more clients than busybox
    httpd's listen backlog (9), a guest drops SYNs while its httpd is busy,
    and QEMU's user network resends them only after seconds."""
    errors, left, lock = [], [total], threading.Lock()
    count = {"stalls": 0, "failed": 0}

    def client(port):
        while True:
            with lock:
                if left[0] == 0 or errors:
                    return
                left[0] -= 1
            for attempt in range(5):
                try:
                    one_request(port, path, timeout)
                    break
                except (OSError, NetBenchError) as e:
                    with lock:
                        count["stalls" if isinstance(e, socket.timeout) else "failed"] += 1
                        if attempt == 4 or count["failed"] > total // 2:
                            errors.append(e)
                            return
    for port in ports[:clients]:
        one_request(port, path, 60)     # warm-up (and each forward works)
    t0 = time.monotonic()
    threads = [threading.Thread(target=client, args=(port,)) for port in ports[:clients]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise NetBenchError("HTTP at %d clients (%d stalls, %d failures): %s" % (
            clients, count["stalls"], count["failed"], errors[0]))
    return round(total / (time.monotonic() - t0), 1), count["stalls"], count["failed"]


def sink_rate(g, port, mib, timeout=120):
    """Send `mib` MiB to the guest's nc: MiB per second, host to guest,
    until the guest says it read them all. (nc shuts its side down at
    once, its input being empty, so the host's end of the connection
    tells nothing; the time runs until the guest's line, which costs a
    console line and up to 50 ms of polling.) The count must match: a
    forward whose guest port is not listening yet also looks like a
    connection ended at once."""
    data = bytes(range(256)) * 4096     # 1 MiB
    end = time.monotonic() + 60
    while True:
        mark = len(g.text())
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        t0 = time.monotonic()
        try:
            for _ in range(mib):
                s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except (ConnectionResetError, BrokenPipeError):
            pass
        finally:
            s.close()
        m = g.wait_for(r"LNET sink got (\d+)", timeout, mark)
        secs = time.monotonic() - t0
        if m and int(m.group(1)) == mib << 20:
            return round(mib / secs, 2)
        if m and int(m.group(1)) != 0:
            raise NetBenchError("the sink read %s bytes of %d" % (m.group(1), mib << 20))
        if time.monotonic() > end:
            raise NetBenchError("no connection to the sink delivered all %d MiB" % mib)
        time.sleep(0.5)


def measure(g, http, sink, sizes, path):
    n1, n16, mib = sizes
    out = {}
    out["http_1"], out["http_1_stalls"], out["http_1_failed"] = http_rate(http, path, 1, n1)
    out["http_16"], out["http_16_stalls"], out["http_16_failed"] = http_rate(http, path, CLIENTS,
                                                                            n16)
    if sink:
        out["tcp_mib_s"] = sink_rate(g, sink, mib)
    return out


def free_ports(n):
    """n distinct free ports of 127.0.0.1 (held open together while chosen)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(s)
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def boot_and_measure(what, build, sizes, cmd_of, ready, path, sink=True):
    *http, sinkp = free_ports(CLIENTS + 1)
    fwd = [("tcp", h, HTTP_PORT) for h in http] + ([("tcp", sinkp, SINK_PORT)] if sink else [])
    g = Guest(build, fwd, cmd=cmd_of(fwd))
    try:
        if not g.wait_for(ready, 180):
            raise NetBenchError("%s: the servers did not come up:\n%s" % (what, g.text()[-2000:]))
        return measure(g, http, sinkp if sink else None, sizes, path)
    except (OSError, NetBenchError) as e:
        raise NetBenchError("%s: %s\n%s" % (what, e, g.text()[-1500:]))
    finally:
        g.proc.kill()
        g.proc.wait()


def run_net(build, smoke=False):
    """{key: figure}: net_{k42,linux}_{http_1,http_16,tcp_mib_s}."""
    sizes = SIZES[smoke]
    res = {"net_requests": list(sizes[:2]), "net_sink_mib": sizes[2]}

    def k42_cmd(fwd):
        append = ("-- bootconf=/etc/boot-linux.conf net shellarg=-u shellarg="
                  + k42run.encode_commands(K42_SCRIPT))
        return k42qemu.command(build, append=append, mem="1G", extra=k42qemu.net_args(fwd))

    def linux_cmd(fwd):
        vmlinux, initrd, _ = bench_linux.prepare(build.dir)
        return bench_linux.qemu_command(vmlinux, initrd, bench_linux.APPEND + " lnet=1",
                                        icount=False) + k42qemu.net_args(fwd)

    for key, fig in boot_and_measure("k42 (busybox)", build, sizes, k42_cmd, r"LNET ready",
                                     "/small.txt").items():
        res["net_k42_" + key] = fig
    for key, fig in boot_and_measure("Linux (busybox)", build, sizes, linux_cmd, r"LNET ready",
                                     "/small.txt").items():
        res["net_linux_" + key] = fig
    return res
