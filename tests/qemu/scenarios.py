"""Boot scenarios for ./k42 test: whole-machine boots with chosen options and
inputs, each judged by QEMU's exit status and by patterns that must (and must
not) appear on the console. Bad input must give a clear message, not a hang.

Fields: name, append (boot arguments), initrd ("default", "none", "garbage",
"truncated"), mem, smp, status (expected QEMU exit status), expect (regexes
that must match), reject (regexes that must not)."""

BANNER = r"k42 ukernel \S+: (\d+) MiB RAM \(\d+ MiB free\), (\d+) CPUs?, timebase 512 MHz, tick (\d+) Hz"

SCENARIOS = [
    dict(name="boot/banner", expect=[BANNER.replace(r"(\d+) MiB RAM", "1024 MiB RAM"),
                                     r"boot archive: \d+ files",
                                     r"Welcome to k42",
                                     r"init: pid 1, 1 processes",
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

# User-level tests: each program in tests/user named *_test runs as init and
# prints "UTEST PASS name"; init's exit status becomes QEMU's.
USER_TESTS = ["ppc_test", "mem_test", "file_test", "hostile_test", "fuzz_test",
              "threads_test", "sched_swap_test", "timeout_test", "fault_threads_test"]
for _t in USER_TESTS:
    SCENARIOS.append(dict(name="user/" + _t, append="init=/tests/" + _t,
                          expect=[r"UTEST PASS " + _t], reject=[r"UTEST FAIL"]))
# ---- Server-suite tests (servers/name, servers/files, servers/examples,
# libk42's startup block and process control), booted as init like the above.
SUITE_TESTS = ["startup_test", "name_test", "kv_test", "files_test", "proc_test", "crash_test"]
for _t in SUITE_TESTS:
    SCENARIOS.append(dict(name="user/" + _t, append="init=/tests/" + _t,
                          expect=[r"UTEST PASS " + _t], reject=[r"UTEST FAIL"]))
# ----
