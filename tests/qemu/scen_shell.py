"""Shell sessions: the default server set booted, commands typed, the
transcript checked line by line (tools/testrun.py run_shell_sessions)."""

# Shell sessions (tools/testrun.py run_shell_sessions): each boots the
# default server set, types `commands` through ./k42 run -c, and checks
# the transcript from the first prompt on: every line must match the next
# regex of `lines` in order (nothing else may appear in between), and QEMU
# must exit with `status`. Nothing here depends on pids or on the server set
# beyond the standard servers: commands name processes (`sched console`),
# and SRV / PS take the lines of servers a user added to /etc/boot.conf.
P = r"k42> "
SRV = ("*", r"  [\w./-]+ +pid \d+")
PS = ("*", r" +\d+ +\d+  \w+ +\w+ +\w+ +\d+[* ] \S+")
CPUS = r"CPUs online: 0(-\d+)?"
PSHEAD = r"  PID  PARENT  STATE    CLASS       SCHED    CPU  NAME"


def _servers(*names):
    """`servers` output holding at least `names` (sorted), and maybe others."""
    out = [SRV]
    for n in sorted(names):
        out += [r"  %s +pid \d+" % n, SRV]
    return out



def _failed_end(n):
    """A session's end after `n` failed commands: the shell's poweroff
    reports them and exits 1, and so does init."""
    return [P + r"poweroff", r"k42: %d command\(s\) failed" % n,
            r"init: shell ended: exit status 1; powering off",
            r"k42: init exited with status 1; powering off",
            r"qemu-system-ppc64: OS terminated: .*"]


SHELL_SESSIONS = [
    dict(name="shell/session", status=0,
         commands="echo hello k42; servers; cat /etc/motd; ps; sched console; "
                  "sched console prio; sched console; run -b /servers/kv; run /bin/kv_client; "
                  "servers; run /tests/hostile; echo still here; exit 0",
         lines=[P + r"echo hello k42", r"hello k42",
                P + r"servers"] + _servers("console", "files", "name") + [
                P + r"cat /etc/motd", r"Welcome to k42, a K42-style research microkernel\.",
                P + r"ps", CPUS, PSHEAD,
                r" +1 +0  running  system      fifo +\d+[* ] init", PS,
                r" +\d+ +1  running  system      \w+ +\d+[* ] name", PS,
                r" +\d+ +1  running  system      \w+ +\d+[* ] files", PS,
                r" +\d+ +1  running  system      fifo +\d+[* ] console", PS,
                r" +\d+ +1  running  general     fifo +\d+\* shell", PS,
                P + r"sched console", r"pid \d+: scheduler fifo",
                P + r"sched console prio", r"pid \d+: scheduler prio",
                P + r"sched console", r"pid \d+: scheduler prio",
                P + r"run -b /servers/kv", r"\[\d+\] kv",
                P + r"run /bin/kv_client", r"kv_client: ok",
                P + r"servers"] + _servers("console", "files", "kv", "name") + [
                P + r"run /tests/hostile",
                r"k42: killed process \d+ \(hostile\): .*",
                r"k42: run: /tests/hostile \(pid \d+\) was killed",
                P + r"echo still here", r"still here",
                P + r"exit 0", r"init: shell ended: exit status 0; powering off",
                r"k42: init exited with status 0; powering off"]),
    # A server that crashes under its client, driven from the shell: the
    # client gets -K42_EDEAD, the kernel reports the crash in one line, and
    # the shell and the other servers go on working.
    dict(name="shell/server_crash", status=0,
         commands="run -b /tests/crash_server; run /tests/crash_poke; run -b /servers/kv; "
                  "run /bin/kv_client; servers; echo shell still works; exit 0",
         lines=[P + r"run -b /tests/crash_server", r"\[\d+\] crash_server",
                P + r"run /tests/crash_poke",
                r"k42: killed process \d+ \(crash_server\): write of 0x100 at pc 0x[0-9a-f]+: "
                r"no mapping",
                r"crash_poke: call to the crash server returned -73 \(target process has died\)",
                r"\[\d+\] killed: /tests/crash_server",
                P + r"run -b /servers/kv", r"\[\d+\] kv",
                P + r"run /bin/kv_client", r"kv_client: ok",
                P + r"servers"] + _servers("console", "files", "kv", "name") + [
                P + r"echo shell still works", r"shell still works",
                P + r"exit 0", r"init: shell ended: exit status 0; powering off",
                r"k42: init exited with status 0; powering off"]),
    # Long lines: 4,000 characters echo intact (the limit is
    # CONSOLE_LINE_MAX, 4064 bytes); a longer line is dropped whole with a
    # message naming the limit, and the shell goes on.
    dict(name="shell/long_lines", status=0,
         commands="echo " + "z" * 4000 + "; echo " + "q" * 5000 + "; echo after; exit 0",
         lines=[P + r"echo z{4000}", r"z{4000}",
                P + r"echo q{4059}\a*",
                r"console: line longer than 4064 bytes; dropped",
                P + r"echo after", r"after",
                P + r"exit 0", r"init: shell ended: exit status 0; powering off",
                r"k42: init exited with status 0; powering off"]),
    # Files on the mounted file systems (docs/files.md): redirection, pipes
    # between built-ins and native programs, directories, /dev.
    dict(name="shell/files", status=0,
         commands="echo hello > /tmp/h; echo more >> /tmp/h; cat /tmp/h | /bin/upcase | /bin/count; "
                  "/bin/upcase < /etc/motd; mkdir /tmp/d; cd /tmp/d; cp /tmp/h c; mv c m; ls; "
                  "ls /dev; echo x > /etc/x; exit 0",
         lines=[P + r"echo hello > /tmp/h", P + r"echo more >> /tmp/h",
                P + r"cat /tmp/h \| /bin/upcase \| /bin/count", r"2 2 11",
                P + r"/bin/upcase < /etc/motd", r"WELCOME TO K42, A K42-STYLE RESEARCH MICROKERNEL\.",
                P + r"mkdir /tmp/d", P + r"cd /tmp/d", P + r"cp /tmp/h c",
                P + r"mv c m", P + r"ls", r"-0644 +11 m",
                P + r"ls /dev", r"c0666 +0 null", r"c0666 +0 zero", r"c0666 +0 full",
                r"c0666 +0 urandom", r"c0666 +0 tty", r"c0666 +0 console",
                r"c0666 +0 random",
                P + r"echo x > /etc/x", r"k42: shell: /etc/x: read-only file system",
                P + r"exit 0", r"init: shell ended: exit status 0; powering off",
                r"k42: init exited with status 0; powering off"]),
    # tmpfs judges calls by the caller's ids (docs/files.md, "Permissions"):
    # tests/user/perm_test makes files and directories of known modes in
    # /tmp as uid 0, then its uid 1000 child is refused and allowed what
    # the modes say; the shell's runas 1000:100 is refused creating in a
    # 0755 directory of uid 0 and writes in a 0777 one.
    dict(name="shell/tmpfs_perm", status=0,
         commands="run /tests/perm_test /tmp/p; "
                  "runas 1000:100 /tests/disk_tool write /tmp/p/nope 10 1; "
                  "runas 1000:100 /tests/disk_tool write /tmp/p/open/viashell 1000 3; "
                  "ls /tmp/p/open; exit 0",
         expect=[r"(?m)^perm_test: ok\r?$", r"disk_tool: \S+ /tmp/p/nope: access right missing",
                 r"-0\d\d\d +1000 viashell"],
         reject=[r"perm_test: (?!ok)", r"disk_tool: \S+ /tmp/p/open/viashell", r"PANIC"]),
    # ^C reaches the foreground job only (docs/files.md): a job started in
    # the background goes on running, the foreground one ends with 130.
    dict(name="shell/ctrl_c", status=0,
         script=[(r"(?s)(?:.*?k42> ){1}", "run -b /tests/fsys_child block\r"),
                 (r"(?s)(?:.*?k42> ){2}", "run /tests/fsys_child block say\r"),
                 (r"(?s)(?:.*?blocked){1}", "\x03"),
                 (r"(?s)(?:.*?k42> ){3}", "ps\r"),
                 (r"(?s)(?:.*?k42> ){4}", "exit 0\r")],
         lines=[P + r"run -b /tests/fsys_child block", r"\[\d+\] fsys_child",
                P + r"run /tests/fsys_child block say", r"fsys_child \d+: blocked",
                r"\^C",
                r"k42: run: /tests/fsys_child \(pid \d+\) exited with status 130",
                P + r"ps", CPUS, PSHEAD, PS,
                r" +\d+ +\d+  running  general +fifo +\d+[* ] fsys_child", PS,
                P + r"exit 0", r"init: shell ended: exit status 0; powering off",
                r"k42: init exited with status 0; powering off"]),
    # ^C while the foreground job waits in a call its server holds forever
    # (kernel call ppc_cancel): the call ends and the job with 130.
    dict(name="shell/ctrl_c_call", status=0,
         script=[(r"(?s)(?:.*?k42> ){1}", "run /tests/ppc_cancel_child hold\r"),
                 (r"(?s)(?:.*?in a call){1}", "\x03"),
                 (r"(?s)(?:.*?k42> ){2}", "exit 0\r")],
         reject=[r"the call ended"],
         lines=[P + r"run /tests/ppc_cancel_child hold", r"ppc_cancel_child: in a call",
                r"\^C",
                r"k42: run: /tests/ppc_cancel_child \(pid \d+\) exited with status 130",
                P + r"exit 0", r"init: shell ended: exit status 0; powering off",
                r"k42: init exited with status 0; powering off"]),
    # Job control (README "Using the shell"): `wait` reports a background
    # job's status; `jobs` lists one, `kill` by name ends it and the next
    # prompt says so; `fg` brings one back and ^C ends it; the tutorial's
    # client runs twice against one server; ppc_test finds its partner
    # when started from the shell.
    dict(name="shell/jobs", status=0,
         script=[(r"(?s)(?:.*?k42> ){1}", "run -b /tests/fsys_child\r"),
                 (r"(?s)(?:.*?k42> ){2}", "wait\r"),
                 (r"(?s)(?:.*?k42> ){3}", "run -b /tests/fsys_child block\r"),
                 (r"(?s)(?:.*?k42> ){4}", "jobs\r"),
                 (r"(?s)(?:.*?k42> ){5}", "kill fsys_child\r"),
                 (r"(?s)(?:.*?k42> ){6}", "run -b /tests/fsys_child block\r"),
                 (r"(?s)(?:.*?k42> ){7}", "fg\r"),
                 (r"(?s)(?:.*?k42> fg\r?\n/tests/fsys_child block){1}", "\x03"),
                 (r"(?s)(?:.*?k42> ){8}", "jobs\r"),
                 (r"(?s)(?:.*?k42> ){9}", "run -b /servers/kv\r"),
                 (r"(?s)(?:.*?k42> ){10}", "run /bin/kv_client\r"),
                 (r"(?s)(?:.*?k42> ){11}", "run /bin/kv_client\r"),
                 (r"(?s)(?:.*?k42> ){12}", "run /tests/ppc_test\r"),
                 (r"(?s)(?:.*?k42> ){13}", "exit 0\r")],
         # The quick job may end before the next prompt (its notice comes
         # then) or be waited for: either way its status is reported once.
         expect=[r"(?m)^\[\d+\] done: /tests/fsys_child \(status 99\)\r?$"],
         reject=[r"(?s)done: /tests/fsys_child.*done: /tests/fsys_child"],
         lines=[P + r"run -b /tests/fsys_child", r"\[\d+\] fsys_child",
                r"(\[\d+\] done: /tests/fsys_child \(status 99\))?",
                P + r"wait", r"(\[\d+\] done: /tests/fsys_child \(status 99\))?",
                P + r"run -b /tests/fsys_child block", r"\[\d+\] fsys_child",
                P + r"jobs", r"\[\d+\] running: /tests/fsys_child block",
                P + r"kill fsys_child",
                r"k42: killed process \d+ \(fsys_child\): killed by its parent",
                r"\[\d+\] killed: /tests/fsys_child block",
                P + r"run -b /tests/fsys_child block", r"\[\d+\] fsys_child",
                P + r"fg", r"/tests/fsys_child block", r"\^C",
                r"k42: run: /tests/fsys_child block \(pid \d+\) exited with status 130",
                P + r"jobs",
                P + r"run -b /servers/kv", r"\[\d+\] kv",
                P + r"run /bin/kv_client", r"kv_client: ok",
                P + r"run /bin/kv_client", r"kv_client: ok",
                P + r"run /tests/ppc_test",
                ("*", r"ppc_test: .*|k42: killed process \d+ \(ppc_echo\): killed by its parent"),
                r"UTEST PASS ppc_test",
                P + r"exit 0", r"init: shell ended: exit status 0; powering off",
                r"k42: init exited with status 0; powering off"]),
    dict(name="shell/failing_command", status=1,
         commands="frobnicate; kill 999; sched 1 roundrobin; cat /no/such; echo done",
         lines=[P + r"frobnicate", r"k42: frobnicate: unknown command \(try help\)",
                P + r"kill 999", r"k42: kill: 999: .*",
                P + r"sched 1 roundrobin",
                r"k42: sched: 1: roundrobin: no such policy \(fifo, prio, lottery(, [a-z0-9_]+)*\)",
                P + r"cat /no/such", r"k42: cat: /no/such: no such file or directory",
                P + r"echo done", r"done"] + _failed_end(4)),
    # A static Linux program run natively took its system calls for k42
    # kernel calls (musl's exit loop spun for ever, busybox faulted): the
    # loader refuses what lacks the k42 program note, the shell says how to
    # run it, and the Linux personality runs it when asked.
    dict(name="shell/run_linux_program", status=1,
         commands="run /tests/linux/enosys; run /bin/busybox echo hi; "
                  "run /bin/lx /bin/busybox echo hi via lx; echo done",
         lines=[P + r"run /tests/linux/enosys",
                r"k42_spawn: enosys: not a k42 program \(no k42 note; a Linux program runs "
                r"under /bin/lx\)",
                r"k42: run: /tests/linux/enosys: not a k42 program; a Linux program runs under "
                r"the Linux personality: run /bin/lx /tests/linux/enosys \[ARG\.\.\.\]",
                P + r"run /bin/busybox echo hi",
                r"k42_spawn: busybox: not a k42 program .*",
                r"k42: run: /bin/busybox: not a k42 program; .*",
                P + r"run /bin/lx /bin/busybox echo hi via lx", r"hi via lx",
                P + r"echo done", r"done"] + _failed_end(2)),
    # The console serves the shell and two other readers at once: the shell
    # waits at its prompt while two clients block in read_line; three typed
    # lines go to the readers in the order they asked (the shell last). Checked
    # with `expect` (each must appear; their interleaving varies) and
    # `reject` instead of an exact transcript.
    dict(name="shell/console_readers", status=0,
         commands="run /tests/console_pair; alpha\rbeta\recho first; cat /etc/motd; exit 0",
         expect=[P + r"run /tests/console_pair", r"console_pair: 2 readers wait in the console",
                 r"(?m)^first$",
                 r"console_pair: reader 1 read 'alpha'",
                 r"console_pair: reader 2 read 'beta'",
                 r"init: shell ended: exit status 0; powering off"],
         reject=[r"(?i)busy", r"unknown command"]),
    # init ends a server for its shell (idl/initctl.idl) and restarts it as
    # boot.conf says; a name that is not a running server is refused, and
    # so is any caller but the shell (a program the shell runs).
    dict(name="shell/stop_server", status=1,
         commands="run /tests/sec_helper initctl console; stop unix; stop nosuch; stop shell; free; exit",
         expect=[P + r"run /tests/sec_helper initctl console",
                 r"sec_helper: initctl stop: operation not permitted",
                 P + r"stop unix", r"stopped unix \(pid \d+\)",
                 r"init: server unix \(pid \d+\) ended: killed",
                 r"init: restarted unix \(pid \d+\)",
                 r"k42: stop: nosuch: no such server running",
                 r"k42: stop: shell: no such server running",
                 r"frames: \d+ total, \d+ free, \d+ cached by the kernel; \d+ kernel objects",
                 r"k42: 2 command\(s\) failed",
                 r"init: shell ended: exit status 1; powering off"],
         reject=[r"unknown command", r"PANIC", r"server console \(pid \d+\) ended"]),
    # ps against a process that never takes calls (disabled for ever): its
    # call is bounded (1 s) and ps goes on, showing "-" for its scheduler.
    # termios basics (tests/user/tty_test.c): raw without echo, cooked with
    # echo and a newline, ^D on an empty line as end of file.
    dict(name="shell/tty", status=0,
         script=[(r"(?s)(?:.*?k42> ){1}", "run /tests/tty_test\r"),
                 (r"(?s)tty_test: raw\r?\n", "abc"),
                 (r"(?s)tty_test: cooked\r?\n", "hello\r"),
                 (r"(?s)tty_test: waiting for end of file\r?\n", "\x04"),
                 (r"(?s)(?:.*?k42> ){2}", "exit 0\r")],
         lines=[P + r"run /tests/tty_test", r"tty_test: raw", r"tty_test: raw read 'abc'",
                r"tty_test: cooked", r"hello", r"tty_test: line of 6 bytes",
                r"tty_test: waiting for end of file", r"tty_test: ok",
                P + r"exit 0", r"init: shell ended: exit status 0; powering off",
                r"k42: init exited with status 0; powering off"]),
    # Hot swap and live update from the shell (docs/hot-swap.md): list the
    # kv server's table, swap it, count its calls, replace the server.
    dict(name="shell/hotswap", status=0, timeout=120,
         commands="run -b /servers/kv --threads; run /bin/kv_client; objs kv; "
                  "swap kv kv.table hash; interpose kv kv.table count; run /bin/kv_client; "
                  "objs kv; interpose kv kv.table off; update kv /servers/kv2; "
                  "run /bin/kv_client; exit 0",
         expect=[r"kv_client: ok",
                 r"(?m)^kv\.table\s+array\s+-\s+0\s+\d+\s+impls array,hash; interposers count$",
                 r"pid \d+: kv\.table is hash now \(\d+ calls held, \d+ drained\)",
                 r"pid \d+: count interposed on kv\.table",
                 r"(?m)^kv\.table\s+hash\s+count\s+2\s+",
                 r"has counted \d+ calls",
                 r"pid \d+: interposer off kv\.table; it counted (1[0-9]|[2-9][0-9]|\d{3,}) calls",
                 r"kv: took over from pid \d+ with 0 held call",
                 r"pid \d+ replaced by pid \d+ \(/servers/kv2\)",
                 r"init: shell ended: exit status 0; powering off"],
         reject=[r"FAILED", r"k42: (objs|swap|interpose|update):"]),
    # Kernel FCM hot swap from the shell (docs/hot-swap.md, "Kernel
    # objects: an FCM"): the kv server's program region (at the link
    # address) swapped to prefetch and back while clients call it.
    dict(name="shell/fcmswap", status=0, timeout=120,
         commands="run -b /servers/kv --threads; run /bin/kv_client; fcms kv; fcmswap kv 0x20001000000 prefetch; "
                  "run /bin/kv_client; fcms kv; fcmswap kv 0x20001000000 demand; fcmswap kv 0x20001000000 adaptive; "
                  "run /bin/kv_client; exit 0",
         expect=[r"(?m)^START\s+END\s+FCM\s+PAGES\s+SWAPS\s+HELD\s+AHEAD\s+SWAPPABLE$",
                 r"(?m)^0x20001000000\s+0x[0-9a-f]+\s+demand\s+\d+\s+0\s+0\s+0\s+yes$",
                 r"pid \d+: region 0x20001000000 FCM is prefetch now \(1 swaps, \d+ pages; \d+ calls until drained\)",
                 r"(?m)^0x20001000000\s+0x[0-9a-f]+\s+prefetch\s+\d+\s+1\s+\d+\s+\d+\s+yes$",
                 r"pid \d+: region 0x20001000000 FCM is demand now \(2 swaps, \d+ pages;",
                 r"pid \d+: region 0x20001000000 FCM is demand, adaptive now \(2 swaps, \d+ pages;",
                 r"kv_client: ok",
                 r"init: shell ended: exit status 0; powering off"],
         reject=[r"FAILED", r"k42: (fcms|fcmswap): "]),
    dict(name="shell/ps_bounded", status=0,
         commands="run -b /tests/stuck; ps; echo ps done; kill stuck; exit 0",
         expect=[P + r"run -b /tests/stuck", r"\[\d+\] stuck",
                 r"(?m)^\s+\d+\s+\d+\s+running\s+general\s+-\s+\d+\*?\s+stuck$",
                 r"(?m)^\s+\d+\s+\d+\s+running\s+system\s+fifo\s+\d+\*?\s+console$",
                 r"(?m)^ps done$", P + r"kill stuck",
                 r"init: shell ended: exit status 0; powering off"],
         reject=[r"FAIL"]),
]

# Console input belongs to the console server named in /etc/boot.conf
# (privileges=console): a program run from the shell is refused, and the
# shell goes on reading its lines.
SHELL_SESSIONS.append(dict(
    name="security/console_steal", status=0,
    commands="run /tests/sec_helper console; echo typed after; exit 0",
    lines=[P + r"run /tests/sec_helper console", r"sec_helper: console_read: operation not permitted",
           P + r"echo typed after", r"typed after",
           P + r"exit 0", r"init: shell ended: exit status 0; powering off",
           r"k42: init exited with status 0; powering off"]))
