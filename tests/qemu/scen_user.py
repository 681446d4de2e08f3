"""User-level tests booted as init on one CPU (or on several through
utest_cpus): libk42, IPC, memory, the server suite, live update and hot
swap, and the soak's short version."""
from scen_common import utest_cpus

SCENARIOS = []

# User-level tests: each program in tests/user named *_test runs as init and
# prints "UTEST PASS name"; init's exit status becomes QEMU's.
USER_TESTS = ["bootconf_test", "ppc_test", "ipc_test", "async_test", "bulk_test", "stub_bulk_test", "stub_regs_test", "server_idle_test", "call_timeout_test", "ppc_cancel_test", "async_cancel_test", "mem_test", "file_test", "hostile_test", "fuzz_test",
              "threads_test", "sched_swap_test", "timeout_test", "fault_threads_test",
              "reg_leak_test", "early_call_test", "fr_waiter_test", "pagein_limits_test",
              "fr_free_test", "cow_evict_test", "cow_chain_test", "fpswitch_test", "spawn_text_test",
              "fault_phys_test"]
# Those whose checks hold on one CPU only, whatever --smp says:
# server_idle_test counts fast-path calls in counters of all CPUs (it
# checks it runs alone), and pagein_limits_test floods a server's message
# ring, which on another CPU the server drains meanwhile (more sends then
# succeed than the ring keeps from the kernel's slots: seen on the race
# kernel, docs/smp.md).
ONE_CPU = ("server_idle_test", "pagein_limits_test")
for _t in USER_TESTS:
    SCENARIOS.append(dict(name="user/" + _t, append="init=/tests/" + _t,
                          expect=[r"UTEST PASS " + _t], reject=[r"UTEST FAIL"],
                          **({"smp": 1} if _t in ONE_CPU else {})))
# Issue 12 item 16: a whole 1 GiB region filled and read back, in a 2 GiB
# guest so that all of it fits beside the kernel.
SCENARIOS.append(dict(name="user/fill_1g_test", append="init=/tests/fill_1g_test", mem="2G",
                      expect=[r"UTEST PASS fill_1g_test"], reject=[r"UTEST FAIL"]))

# ---- Server-suite tests (servers/name, servers/files, servers/examples,
# libk42's startup block and process control), booted as init like the above.
SUITE_TESTS = ["startup_test", "name_test", "kv_test", "files_test", "proc_test", "crash_test",
               "fsys_test", "sock_test", "mapfile_test"]
for _t in SUITE_TESTS:
    SCENARIOS.append(dict(name="user/" + _t, append="init=/tests/" + _t,
                          expect=[r"UTEST PASS " + _t], reject=[r"UTEST FAIL"]))
# Live update of the kv server under 8 clients (docs/hot-swap.md), on 1
# CPU and on 4.
_KILLED = (r"FAILED", r"k42: killed")
utest_cpus(SCENARIOS, "user/update", "update_test", 300,
           lambda n: [r"update_test: update %d: pid \d+ -> \d+" % u for u in range(1, 11)]
           # On 1 CPU the successor's main thread, which prints this, can
           # wait behind the clients' calls until the end (the handler
           # threads run first): not judged there.
           + ([r"kv: took over from pid \d+ with \d+ held call"] if n > 1 else [])
           + [r"update_test: an update that cannot fit was refused",
              r"update_client \d: \d+ rounds by pid, ok",
              r"update_client \d: \d+ rounds by name, ok"], reject=_KILLED)
# Hot swap of the kv server's table under 8 clients: 1,000 interposer
# attach/detach pairs and 100 implementation swaps (docs/hot-swap.md).
utest_cpus(SCENARIOS, "user/hotswap", "hotswap_test", 600,
           lambda n: [r"hotswap_test: 1000 attach/detach pairs, 100 table swaps",
                      r"update_client \d: \d+ rounds by pid, ok",
                      r"update_client \d: \d+ rounds by name, ok"], reject=_KILLED)
# The file layer's per-file object swapped between its unshared (mapped)
# and shared (server) forms as a second process opens and closes the
# file, 25 times each way, both writing, under two writer threads of the
# first (docs/hot-swap.md, "The file layer").
utest_cpus(SCENARIOS, "user/fileswap", "fileswap_test", 300,
           lambda n: [r"fileswap_test: 25 rounds: mapped -> shared 25 times, back 25 times, "
                      r"every byte checked \(writer threads: 2, [1-9]\d* rounds in the shared form\)"],
           reject=_KILLED)
# The libk42 object swap benchmark under -icount at 2 and 4 CPUs, as
# ./k42 bench --only swap boots it: under icount QEMU runs the CPUs in
# turn, and a tick fast path that never gave a CPU starved of turns its
# time back left one worker on 4 CPUs without a single completed call for
# good (the bench hung). Every call is checked by the program; the swap's
# hold time must stay near its figure (about 57,000 instructions, 29,000
# ticks, at 4 CPUs; 437,000 ticks when that CPU was starved but not for
# good). Deterministic: the same instruction counts on every run.
for _n in (2, 4):
    SCENARIOS.append(dict(name="user/objswap_icount_%d" % _n, smp=_n, icount=True, timeout=300,
                          append="init=/bench/objswapbench",
                          expect=[r"objswapbench: 200 swaps under %d workers on %d CPUs" % (_n, _n),
                                  r"BENCH objswap_hold_ticks_per_op ([1-9]\d{0,4}|1\d{5})\.\d+",
                                  r"BENCH done"],
                          reject=[r"objswapbench: .*(errors|wrong counts)", r"k42: killed"]))
# The kernel FCM swap benchmark under -icount at 2 and 4 CPUs, as
# ./k42 bench --only swap boots it (100 swaps, each dropping the
# translations, under a worker writing its pages on every CPU; the program
# checks the swap count and the resident pages). Under icount QEMU runs
# the CPUs in turn, each up to the next timer deadline: with every CPU's
# tick at the same moment, the first to reprogram its decrementer made the
# only deadline, was sent out at the write and waited a whole period while
# the next vCPU ran, and a tick due at the take-over was taken inside the
# hold: a swap held callers 7.8 M ticks. With the ticks spread over the
# period (kern/timer.h) and a due tick taken before the take-over
# (timer_take_due) it holds about 880. Bound: 20,000 ticks per swap.
for _n in (2, 4):
    SCENARIOS.append(dict(name="user/fcmswap_icount_%d" % _n, smp=_n, icount=True, timeout=600,
                          append="init=/bench/scanbench -- --swap",
                          expect=[r"scanbench: 100 FCM swaps under %d workers on %d CPUs" % (_n, _n),
                                  r"BENCH fcmswap_hold_ticks_per_op ([1-9]\d{0,3}|1\d{4})\.\d+",
                                  r"BENCH done"],
                          reject=[r"scanbench: swaps failed", r"k42: killed"]))
# Kernel FCM hot swap: 1,000 swaps of an anonymous region's FCM between
# the demand and prefetch policies under a fault storm from every CPU
# (docs/hot-swap.md, "Kernel objects: an FCM").
utest_cpus(SCENARIOS, "user/fcmswap", "fcmswap_test", 600,
           lambda n: [r"fcmswap_test: 1000 FCM swaps on 512 pages under 4 workers on %d CPUs" % n],
           reject=(r"FAILED", r"k42: killed process \d+ \(fcmswap_test\)"))
# The adaptive file FCM: prefetching by itself on a sequential scan,
# demand again on random access (docs/hot-swap.md, "The adaptive FCM").
SCENARIOS.append(dict(name="user/fcmadapt", append="init=/tests/fcmadapt_test", timeout=300,
                      expect=[r"fcmadapt_test: sequential scan of 1024 pages: \d+ reflected faults, \d+ pages "
                              r"read ahead, switched to file-prefetch; 64 random pages: \d+ reflected, back to "
                              r"file-demand",
                              r"fcmadapt_test: adaptive anonymous FCM: demand -> prefetch -> demand in 2 swaps",
                              r"UTEST PASS fcmadapt_test"],
                      reject=[r"UTEST FAIL", r"FAILED", r"k42: killed process \d+ \(fcmadapt_test\)"]))

# The soak's short version (docs/soak.md); ./k42 soak runs the long one.
# Its time is its 2 x 100,000 calls': 45-75 s at --smp 4 on a quiet
# host, and past the default 120 s on a loaded one (a round took 57 s):
# a timeout of its own, as smp/ppc_queue_* have.
SCENARIOS.append(dict(name="soak/ci", append="init=/tests/soak_test -- calls=100000 rounds=2",
                      timeout=400, expect=[r"UTEST PASS soak_test"], reject=[r"UTEST FAIL"]))
