"""Boot scenarios: the banner, bad boot archives and arguments, broken boot
configurations, and a benchmark whose server is missing."""
from scen_common import BANNER

SCENARIOS = [
    dict(name="boot/banner", expect=[BANNER.replace(r"(\d+) MiB RAM", "1024 MiB RAM"),
                                     r"boot archive: \d+ files",
                                     r"Welcome to k42",
                                     r"init: started name \(\d+\), .*files \(\d+\), .*console "
                                     r"\(\d+\).* in \d+ us",
                                     r"init: shell \(pid \d+\) started",
                                     r"init exited with status 0; powering off"]),
    dict(name="boot/memory_and_cpus", mem="2G", smp=2,
         expect=[r"k42 ukernel \S+: 2048 MiB RAM \(\d+ MiB free\), 2 CPUs"]),
    dict(name="boot/tick_rate", append="hz=1000", expect=[r"tick 1000 Hz"]),
    dict(name="boot/no_initrd", initrd="none",
         expect=[r"no boot archive \(initrd\) was given", r"powering off"]),
    dict(name="boot/garbage_initrd", initrd="garbage", status=1,
         expect=[r"boot archive rejected: bad magic \(not a cpio newc archive\) \(at byte 0 of 4096\)"]),
    dict(name="boot/truncated_initrd", initrd="truncated", status=1,
         expect=[r"boot archive rejected: .*(past the end|without a TRAILER)"]),
    dict(name="boot/absurd_bootargs",
         append="hz=0 hz=-5 frobnicate=1 test= " + "x" * 300,
         expect=[r"bootargs: hz=0 is not a number in 1\.\.10000; keeping 100",
                 r"bootargs: hz=-5 is not a number",
                 r"bootargs: unknown option 'frobnicate'=\.\.\. ignored",
                 r"bootargs: 'test' needs a value",
                 r"bootargs: option starting 'x{16}\.\.\.' is too long, ignored",
                 r"tick 100 Hz", r"powering off"]),
    dict(name="boot/overlong_bootargs", append=" ".join(["verbose"] * 700),
         expect=[r"bootargs are 5599 bytes; only the first 1023 are used", r"powering off"]),
    dict(name="boot/unknown_test", append="test=no_such_test", status=1,
         expect=[r"no in-kernel test named 'no_such_test'"]),
    dict(name="boot/missing_init", append="init=/no/such/program", status=1,
         expect=[r"cannot start init: /no/such/program is not in the boot archive"]),
    dict(name="boot/init_not_elf", append="init=/etc/motd", status=1,
         expect=[r"cannot start init: /etc/motd: (not an ELF file|shorter than an ELF header)"]),
]

# The real init on broken boot configurations (init's own argument after
# "--" picks the file): one clear line per problem, and the boot goes on to
# a working shell with exactly the good entries. `only` makes the check
# exact: the lines matching its first regex must be, one for one and in
# order, the regexes of its second.
_CONF_ERR = r"init: \w+\.conf:\d+: .*"
for _name, _lines, _started in [
        ("cycle", [r"init: cycle\.conf:3: a: not started: dependency cycle a -> b -> c -> a",
                   r"init: cycle\.conf:6: d: not started: needs a, which is not started"],
         "name, console"),
        ("unknown", [r"init: unknown\.conf:3: kv: not started: needs unknown server 'storage'"],
         "name, console"),
        ("missing", [r"init: missing\.conf:3: ghost: not started: /servers/no_such is not in the "
                     r"boot archive",
                     r"init: missing\.conf:4: haunted: not started: needs ghost, which is not started"],
         "name, console"),
        ("malformed", [r"init: malformed\.conf:3: 'Bad!' is not a server name \(.*\)",
                       r"init: malformed\.conf:4: lonely: no program given",
                       r"init: malformed\.conf:5: rel: program 'servers/kv' is not an absolute path.*",
                       r"init: malformed\.conf:6: unknown option 'colour'",
                       r"init: malformed\.conf:7: sched=roundrobin: no such policy "
                       r"\(fifo, prio, lottery(, [a-z0-9_]+)*\)",
                       r"init: malformed\.conf:8: class=urgent: not system, realtime, general or "
                       r"background",
                       r"init: malformed\.conf:9: restart=sometimes: not never, crash or always",
                       r"init: malformed\.conf:10: name: defined again \(first on line 2\)"],
         "name, console")]:
    _started_re = ", ".join(r"%s \(\d+\)" % n for n in _started.split(", "))
    SCENARIOS.append(dict(name="boot/bad_config_" + _name,
                          append="-- bootconf=/etc/bad/%s.conf" % _name,
                          only=(_CONF_ERR, [l + "\r?" for l in _lines]),
                          expect=[r"init: started %s in \d+ us" % _started_re,
                                  r"the boot configuration had errors", r"k42> "]))

# kbench with its server gone: every timed call fails, so the run must end
# with an error and print no PPC figure (a benchmark of the error path is no
# benchmark). The null kernel call figure comes first and may appear.
SCENARIOS.append(dict(name="bench/kbench_missing_server", status=1,
                      append="init=/bench/kbench_smoke -- --kill-server",
                      expect=[r"kbench: killed the server",
                              r"kbench: ppc_null_roundtrip_ticks_per_op: \d+ operations failed "
                              r"\(first status -\d+\); no figure",
                              r"init exited with status 3"],
                      reject=[r"BENCH ppc", r"BENCH done"]))
