"""The Linux personality's network test of ./k42 test (docs/linux.md):
boot /etc/boot-linux.conf with the NIC and TCP/IP ("net") and busybox sh
running tests/linux/net.sh, whose httpd, nc and wget talk TCP inside the
guest; then, from the host, fetch a file from busybox httpd through a
forwarded port and send a line to a busybox nc that listens for it."""
import re

import k42qemu
from nettest import Guest, free_port, http_get, check

NAME = "linux/net_busybox"


def run_linux_net_test(build, tally, pattern):
    if pattern and not re.search(pattern, NAME):
        return
    http, ncport = free_port(), free_port()
    append = "-- bootconf=/etc/boot-linux.conf net shellarg=/bin/sh shellarg=sh " \
             "shellarg=/tests/linux/net.sh"
    g = Guest(build, [("tcp", http, 8000), ("tcp", ncport, 7000)], append=append)
    problems = []
    try:
        if not check(problems, g.wait_for(r"@@ready|@@httpd failed", 120), "the script did not get ready"):
            raise StopIteration
        out = g.text()
        check(problems, "@@httpd up" in out, "busybox httpd did not start")
        check(problems, "@@nc client got: from-server" in out, "nc client: no reply from the nc server")
        check(problems, "@@nc server got: from-client" in out, "nc server: nothing from the client")
        check(problems, "@@wget: <h1>k42 busybox</h1>" in out, "wget of index.html inside the guest")
        check(problems, re.search(r"@@wget missing: .*404", out), "wget of a missing page: no 404")
        status, body = http_get(http, "/seq.txt", timeout=60)
        want = "".join("%d\n" % i for i in range(1, 1001)).encode()
        check(problems, status == 200 and body == want,
              "GET /seq.txt from the host: status %s, %d bytes" % (status, len(body)))
        status, _ = http_get(http, "/missing", timeout=60)
        check(problems, status == 404, "GET /missing from the host: status %s" % status)
        import socket
        # Until nc listens, the forward's connection is refused: try again.
        for _ in range(5):
            try:
                s = socket.create_connection(("127.0.0.1", ncport), timeout=60)
                s.sendall(b"bye from the host\n")
                s.close()
            except OSError:
                pass
            if g.wait_for(r"@@done", 15):
                break
        check(problems, g.wait_for(r"@@done", 1), "nc -l did not end after the host's line")
        check(problems, "@@from host: bye from the host" in g.text(), "nc -l did not print the host's line")
    except StopIteration:
        pass
    except (OSError, ValueError, IndexError) as e:
        problems.append("host side: %s" % e)
    finally:
        g.stop()
    tally.report(NAME, not problems, "; ".join(problems), g.text())
