"""net/icmp_echo (docs/network.md): the guest's network stack answers ping.

QEMU's user network answers a guest's ping to 10.0.2.2 itself and never
passes a host's ping to the guest, so this test puts the host on the
guest's Ethernet instead: the NIC is a `-netdev socket` in UDP mode, which
carries each Ethernet frame as one UDP datagram between QEMU and a socket
of this script on 127.0.0.1 (traffic stays on the loopback). The script
plays the gateway 10.0.2.2 with a MAC of its own, and checks frame by
frame what the guest's driver, lwIP's ARP and its ICMP echo reply path
send back: ARP replies, echo replies of several sizes (one that lwIP must
reassemble from IP fragments and fragment again), 100 pings in a row, and
no reply to a request with a bad checksum or for another address; and,
while on the wire, UDP echoes from echod of datagrams the host sent."""
import re
import select
import socket
import struct
import time

import k42qemu
import nettest

GUEST_MAC = bytes.fromhex("525400123457")
HOST_MAC = bytes.fromhex("52550a000202")
GUEST_IP = socket.inet_aton("10.0.2.15")
HOST_IP = socket.inet_aton("10.0.2.2")
ETH_ARP, ETH_IP = 0x0806, 0x0800


def csum(data):
    """The Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(dst, kind, payload):
    return dst + HOST_MAC + struct.pack("!H", kind) + payload


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH", 1, ETH_IP, 6, 4, op) + sha + spa + tha + tpa


def ipv4(payload, dst=GUEST_IP, ident=1, frag=0, more=False, proto=1, total=None):
    flags = (0x2000 if more else 0) | (frag // 8)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total or 20 + len(payload), ident, flags, 64,
                      proto, 0, HOST_IP, dst)
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + payload


def echo_request(ident, seq, data, bad_sum=False):
    body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    s = csum(body) ^ (0x5555 if bad_sum else 0)
    return body[:2] + struct.pack("!H", s) + body[4:]


class Wire:
    """The host's end of the guest's Ethernet: a UDP socket QEMU sends
    every frame to and takes frames from."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.qemu_port = nettest.free_port(socket.SOCK_DGRAM)
        self.frames = []        # every frame the guest sent, in order
        self.arp_answered = 0

    def qemu_args(self):
        return ["-vga", "none", "-netdev",
                "socket,id=net0,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d" % (self.port,
                                                                          self.qemu_port),
                "-device", "virtio-net-pci,netdev=net0,romfile=,mac=" +
                ":".join("%02x" % b for b in GUEST_MAC)]

    def send(self, frame):
        self.sock.sendto(frame, ("127.0.0.1", self.qemu_port))

    def collect(self, want, timeout):
        """Frames from the guest until want(frame) is true (that frame is
        returned) or timeout (None). The guest's ARP requests for the
        gateway are answered on the way."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                continue
            frame, _ = self.sock.recvfrom(65536)
            self.frames.append(frame)
            if len(frame) >= 42 and struct.unpack("!H", frame[12:14])[0] == ETH_ARP:
                op = struct.unpack("!H", frame[20:22])[0]
                if op == 1 and frame[38:42] == HOST_IP:
                    self.send(eth(frame[6:12], ETH_ARP,
                                  arp(2, HOST_MAC, HOST_IP, frame[22:28], frame[28:32])))
                    self.arp_answered += 1
            if want(frame):
                return frame


def ip_of(frame, proto):
    """(header, payload) of an IPv4 frame from the guest to us with
    protocol proto, else None."""
    if len(frame) < 34 or struct.unpack("!H", frame[12:14])[0] != ETH_IP:
        return None
    ihl = (frame[14] & 15) * 4
    hdr = frame[14:14 + ihl]
    total = struct.unpack("!H", hdr[2:4])[0]
    if hdr[9] != proto or hdr[16:20] != HOST_IP:
        return None
    return hdr, frame[14 + ihl:14 + total]


def echo_reply_check(frame, ident, seq, data):
    """Problems with a guest frame as the reply to (ident, seq, data);
    None if it is not an echo reply to this request at all. A reply that
    came in IP fragments is judged by reassemble()."""
    got = ip_of(frame, 1)
    if not got:
        return None
    hdr, body = got
    if len(body) < 8 or body[0] != 0 or struct.unpack("!HH", body[4:8]) != (ident, seq):
        return None
    problems = []
    if frame[0:6] != HOST_MAC or frame[6:12] != GUEST_MAC:
        problems.append("Ethernet addresses %s -> %s" % (frame[6:12].hex(), frame[0:6].hex()))
    if hdr[12:16] != GUEST_IP:
        problems.append("IP source %s" % socket.inet_ntoa(hdr[12:16]))
    if csum(hdr) != 0:
        problems.append("bad IP header checksum")
    if body[1] != 0:
        problems.append("code %d" % body[1])
    if csum(body) != 0:
        problems.append("bad ICMP checksum")
    if body[8:] != data:
        problems.append("payload differs (%d bytes back of %d)" % (len(body) - 8, len(data)))
    return problems


def ping(wire, problems, ident, seq, data, timeout=10.0):
    """One echo request; True if its reply came back right."""
    wire.send(eth(GUEST_MAC, ETH_IP, ipv4(echo_request(ident, seq, data), ident=seq)))
    verdict = []

    def want(f):
        p = echo_reply_check(f, ident, seq, data)
        if p is not None:
            verdict.append(p)
        return p is not None
    if wire.collect(want, timeout) is None:
        problems.append("echo %d/%d (%d bytes): no reply" % (ident, seq, len(data)))
        return False
    if verdict[0]:
        problems.append("echo %d/%d (%d bytes): %s" % (ident, seq, len(data), "; ".join(verdict[0])))
    return not verdict[0]


def fragmented_ping(wire, problems, ident, seq, data, timeout=15.0):
    """An echo request of len(data) bytes sent as IP fragments of at most
    1,480 bytes; the guest must reassemble it and its reply (fragmented by
    lwIP) must reassemble here into the same payload."""
    icmp = echo_request(ident, seq, data)
    for off in range(0, len(icmp), 1480):
        piece = icmp[off:off + 1480]
        wire.send(eth(GUEST_MAC, ETH_IP, ipv4(piece, ident=0x4242, frag=off,
                                               more=off + 1480 < len(icmp))))
    pieces = {}
    total = [None]
    ip_ident = [None]

    def want(f):
        got = ip_of(f, 1)
        if not got:
            return False
        hdr, body = got
        ident_f, flags = struct.unpack("!HH", hdr[4:8])
        off, more = (flags & 0x1FFF) * 8, bool(flags & 0x2000)
        if off == 0 and (len(body) < 8 or body[0] != 0 or
                         struct.unpack("!HH", body[4:8]) != (ident, seq)):
            return False
        if off == 0:
            ip_ident[0] = ident_f
        elif ident_f != ip_ident[0]:
            return False
        if csum(hdr) != 0:
            problems.append("fragmented echo: bad IP header checksum")
        pieces[off] = body
        if not more:
            total[0] = off + len(body)
        have = sum(len(b) for b in pieces.values())
        return total[0] is not None and have >= total[0] and 0 in pieces
    if wire.collect(want, timeout) is None:
        problems.append("fragmented echo of %d bytes: no complete reply (%d fragments seen)"
                        % (len(data), len(pieces)))
        return False
    body = b"".join(pieces[o] for o in sorted(pieces))
    ok = len(pieces) > 1 and csum(body) == 0 and body[8:] == data
    if not ok:
        problems.append("fragmented echo of %d bytes: %d fragments, checksum %s, payload %s"
                        % (len(data), len(pieces), "ok" if csum(body) == 0 else "bad",
                           "same" if body[8:] == data else "differs"))
    return ok


def udp(sport, dport, data):
    """A UDP datagram from us to the guest, its checksum over the pseudo-header."""
    hdr = struct.pack("!HHHH", sport, dport, 8 + len(data), 0)
    pseudo = HOST_IP + GUEST_IP + struct.pack("!BBH", 0, 17, 8 + len(data))
    s = csum(pseudo + hdr + data) or 0xFFFF
    return hdr[:6] + struct.pack("!H", s) + data


def udp_echo(wire, problems, sport, data, timeout=10.0):
    """One datagram to echod (port 7): its answer must come back from
    10.0.2.15:7 to our port with the same bytes and a right checksum."""
    wire.send(eth(GUEST_MAC, ETH_IP, ipv4(udp(sport, 7, data), proto=17, ident=sport)))

    def want(f):
        got = ip_of(f, 17)
        return bool(got) and len(got[1]) >= 8 and struct.unpack("!HH", got[1][:4]) == (7, sport)
    f = wire.collect(want, timeout)
    if f is None:
        problems.append("UDP echo of %d bytes: no answer" % len(data))
        return False
    hdr, body = ip_of(f, 17)
    pseudo = hdr[12:16] + hdr[16:20] + struct.pack("!BBH", 0, 17, len(body))
    ok = body[8:] == data and hdr[12:16] == GUEST_IP and \
        (struct.unpack("!H", body[6:8])[0] == 0 or csum(pseudo + body) == 0)
    if not ok:
        problems.append("UDP echo of %d bytes: %d bytes back, checksum %s" % (
            len(data), len(body) - 8, "ok" if csum(pseudo + body) == 0 else "bad"))
    return ok


def no_reply(wire, problems, what, frame, want, timeout=3.0):
    wire.send(frame)
    if wire.collect(want, timeout) is not None:
        problems.append("%s was answered" % what)


def icmp_session(build, tally, pattern):
    name = "net/icmp_echo"
    if pattern and not re.search(pattern, name):
        return
    wire = Wire()
    g = nettest.Guest(build, [], cmd=k42qemu.command(build, append=k42qemu.NET_APPEND, mem="1G",
                                                      extra=wire.qemu_args()))
    problems = []
    summary = ""
    try:
        if not g.wait_for(r"net: en0 up, 10\.0\.2\.15", 90) or not g.wait_for(
                re.escape(nettest.PROMPT), 60):
            problems.append("the network server did not come up")
            raise StopIteration
        # ARP: the guest answers for its own address with the NIC's MAC.
        wire.send(eth(b"\xff" * 6, ETH_ARP, arp(1, HOST_MAC, HOST_IP, b"\0" * 6, GUEST_IP)))
        r = wire.collect(lambda f: f[12:14] == b"\x08\x06" and f[20:22] == b"\0\x02", 10)
        if r is None:
            problems.append("no ARP reply for 10.0.2.15")
        elif r[22:28] != GUEST_MAC or r[28:32] != GUEST_IP or r[0:6] != HOST_MAC:
            problems.append("ARP reply says %s is at %s" % (socket.inet_ntoa(r[28:32]),
                                                           r[22:28].hex()))
        # Echo requests of several sizes, each reply checked.
        for seq, size in enumerate((0, 56, 1000, 1472)):
            ping(wire, problems, 0x1234, seq, bytes((i * 7 + size) & 255 for i in range(size)))
        # An echo request larger than a frame: lwIP reassembles it, and
        # fragments its reply.
        big = bytes((i * 13 + 5) & 255 for i in range(4000))
        fragmented_ping(wire, problems, 0x1234, 100, big)
        # 100 in a row.
        t0 = time.monotonic()
        ok = 0
        for seq in range(100):
            if not ping(wire, problems, 0x4321, seq, struct.pack("!I", seq) * 14):
                break   # one problem says enough; don't wait out 100 timeouts
            ok += 1
        summary = "100 pings: %d answered right in %.2fs" % (ok, time.monotonic() - t0)
        print("net: " + summary)
        # UDP echo from the wire (echod): the host's own datagrams, which
        # QEMU's restricted user network cannot carry back (docs/network.md).
        for port, size in ((40001, 1), (40002, 512), (40003, 1472)):
            udp_echo(wire, problems, port, bytes((i * 3 + size) & 255 for i in range(size)))
        # What must not be answered: a bad ICMP checksum; another address.
        no_reply(wire, problems, "an echo request with a bad checksum",
                 eth(GUEST_MAC, ETH_IP, ipv4(echo_request(0x99, 1, b"x" * 32, bad_sum=True))),
                 lambda f: echo_reply_check(f, 0x99, 1, b"x" * 32) is not None)
        no_reply(wire, problems, "an echo request for 10.0.2.77",
                 eth(GUEST_MAC, ETH_IP, ipv4(echo_request(0x98, 1, b"y" * 32),
                                             dst=socket.inet_aton("10.0.2.77"))),
                 lambda f: echo_reply_check(f, 0x98, 1, b"y" * 32) is not None)
        no_reply(wire, problems, "an ARP request for 10.0.2.77",
                 eth(b"\xff" * 6, ETH_ARP, arp(1, HOST_MAC, HOST_IP, b"\0" * 6,
                                               socket.inet_aton("10.0.2.77"))),
                 lambda f: f[12:14] == b"\x08\x06" and f[20:22] == b"\0\x02")
        # And the stack still answers after all that.
        ping(wire, problems, 0x5555, 1, b"still there")
        check_shell = g.command("echo shell alive", timeout=30)
        if not check_shell:
            problems.append("the shell stopped answering")
    except StopIteration:
        pass
    except OSError as e:
        problems.append("host side: %s" % e)
    finally:
        g.stop()
        wire.sock.close()
    out = g.text()
    for pat in (r"PANIC", r"unexpected exception", r"lwIP assertion", r"k42: killed"):
        if re.search(pat, out):
            problems.append("unexpected /%s/" % pat)
    tally.report(name, not problems, "; ".join(problems[:8]) or summary,
                 k42qemu.symbolize(out, build.kernel_elf))
