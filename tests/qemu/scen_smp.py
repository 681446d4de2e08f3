"""Tests on several CPUs (docs/smp.md): bring-up, storms from every CPU, the
lock-free paths, clustered objects, and user tests whose point is more
than one CPU. More than one CPU runs under MTTCG."""
from scen_common import utest_cpus

SCENARIOS = []

# SMP (docs/smp.md): every CPU comes online and the server set boots to the
# shell; processes on every CPU fault and call at once, and are created and
# killed in storms (tests/user/smp_stress_test.c). More than one CPU runs
# under MTTCG, so the CPUs really race on the host.
for _n in (1, 2, 4, 8):
    SCENARIOS.append(dict(name="smp/boot_%d" % _n, smp=_n, timeout=120,
                          expect=[r"(?m)%d CPUs?, .* Hz; CPUs online: 0%s\r?$" % (_n, "-%d" % (_n - 1) if _n > 1 else ""),
                                  r"k42> "],
                          reject=[r"did not come online", r"refused to start"]))
utest_cpus(SCENARIOS, "smp/stress", "smp_stress_test", 180,
           lambda n: [r"smp_stress_test: \d+ workers on %d CPUs" % n], cpus=(1, 2, 4, 8))
utest_cpus(SCENARIOS, "smp/vp", "vp_test", 120,
           lambda n: [r"vp_test: \d+ dispatchers on %d CPUs" % n], cpus=(1, 2, 4, 8))
# COW faults off the kernel lock (mm/fault.c resolve_cow): clones made,
# read and written from every CPU at once, unmapped and made again.
utest_cpus(SCENARIOS, "smp/cow_storm", "cow_storm_test", 180,
           lambda n: [r"cow_storm_test: \d+ dispatchers on %d CPUs, .* 0 wrong values" % n])
# File faults off the kernel lock (mm/fault.c resolve_local): a file
# larger than its FCM keeps, read from every CPU while misses evict.
utest_cpus(SCENARIOS, "smp/file_storm", "file_storm_test", 240,
           lambda n: [r"file_storm_test: \d+ dispatchers on %d CPUs and \d+ processes, .* 0 wrong bytes; %s page-ins answered and [1-9]\d* misses sent without the kernel lock" % (n, r"\d+" if n == 1 else r"[1-9]\d*"),
                        r"file_storm_test: prefetching scans by \d+ dispatchers: 0 wrong bytes; [1-9]\d* read-ahead page-ins sent without the kernel lock"])
# COW over a file off the kernel lock (mm/fcm_cow.c fcm_cow_file_fault):
# a private view of a file read and written from every CPU while the
# file's FCM evicts, every byte checked.
utest_cpus(SCENARIOS, "smp/cowfile_storm", "cowfile_storm_test", 300,
           lambda n: [r"cowfile_storm_test: \d+ dispatchers on %d CPUs, .* 0 wrong bytes in the clones, 0 in the file; [1-9]\d* faults on the clones without the kernel lock" % n])
# fr_ctl off the kernel lock (mm/fr.c fr_ctl_unlocked): the server pulls,
# drops and pushes from every CPU while its file is written and read from
# every CPU; every word the children wrote last must reach the server.
utest_cpus(SCENARIOS, "smp/frctl_storm", "frctl_storm_test", 240,
           lambda n: [r"frctl_storm_test: \d+ dispatchers on %d CPUs and \d+ processes, .* 0 failed calls, 0 stale words" % n])
# Unsent page-ins sent by the server's fast fr_complete off the kernel
# lock (mm/fr.c fr_flush_unlocked): a slow server's ring overflowed by
# read-ahead from every CPU, every byte of every page checked.
utest_cpus(SCENARIOS, "smp/frflush_storm", "frflush_storm_test", 300,
           lambda n: [r"frflush_storm_test: \d+ dispatchers on %d CPUs, .* 0 wrong bytes; \d+ page-ins answered and [1-9]\d* unsent ones sent without the kernel lock" % n])
# Preempting ticks off the kernel lock (kern/sched_fast.c): two
# register-heavy dispatchers per CPU preempt each other at every slice.
utest_cpus(SCENARIOS, "smp/preempt_storm", "preempt_storm_test", 240,
           lambda n: [r"preempt_storm_test: %d dispatchers on %d CPUs; 0 wrong results, 0 never preempted" % (2 * n, n)])
# Expiring ticks off the kernel lock (kern/sched_fast.c): timers of a
# sleeper on every CPU expire while a spinner runs there.
utest_cpus(SCENARIOS, "smp/timer_storm", "timer_storm_test", 240,
           lambda n: [r"timer_storm_test: %d sleepers beside a spinner each on %d CPUs, \d+ rounds; 0 unfinished, 0 early" % (n, n)])
# PPC calls that move a server's dispatcher 0 to the caller's CPU off
# the kernel lock (kern/ppc_move.c): a walk through every CPU, a storm
# from every CPU, servers killed mid-storm and their pids called after.
utest_cpus(SCENARIOS, "smp/ppc_move", "ppc_move_test", 240,
           lambda n: [r"ppc_move_test: walk: \d+ calls through \d+ dispatchers on %d CPUs, 0 bad, \d+ served on the caller's CPU; %s moves" % (n, r"\d+" if n == 1 else r"[1-9]\d*"),
                      r"ppc_move_test: async walk: \d+ calls through \d+ dispatchers on %d CPUs, 0 bad, \d+ served on the caller's CPU; %s moves" % (n, r"\d+" if n == 1 else r"[1-9]\d*"),
                      r"ppc_move_test: storm: \d+ calls from \d+ dispatchers on %d CPUs, 0 bad" % n,
                      r"ppc_move_test: 6 servers killed while called from \d+ dispatchers; 0 bad"])
# Bounded calls expired by the tick off the kernel lock (kern/timer.c):
# taken, queued on a server elsewhere, or to a process that never takes
# calls, from every CPU; every answer and every timeout checked.
utest_cpus(SCENARIOS, "smp/call_expire", "call_expire_test", 240,
           lambda n: [r"call_expire_test: \d+ calls from \d+ dispatchers on %d CPUs, 0 bad; slow server: \d+ answered, [1-9]\d* timed out; %s expired" % (n, r"\d+" if n == 1 else r"[1-9]\d*")])
# Processes freed after quiescence off the kernel lock (kern/process.c):
# children killed from every CPU while the killers spin, every frame back.
utest_cpus(SCENARIOS, "smp/proc_free", "proc_free_test", 240,
           lambda n: [r"proc_free_test: \d+ children killed by \d+ dispatchers on %d CPUs, 0 bad; %s frees without the kernel lock; free frames (\d+) -> \1" % (n, r"\d+" if n == 1 else r"[1-9]\d*")])
# A fault right after an unmap of most of memory, while its frames wait
# for quiescence (kern/user_fault.c): retried, not fatal.
utest_cpus(SCENARIOS, "smp/pm_retired", "pm_retired_test", 480,
           lambda n: [r"pm_retired_test: %d CPUs: child done; %s faults waited for retired frames; free frames \(with kmem's cached\) \d+ -> \d+" % (n, r"\d+")])
# (at 4 CPUs most runs wait for retired frames, but a quiet host may give
# quiescence in time and wait for none: the check is that the child lives)
# Kernel calls that allocate right after unmaps, while the frames wait
# for quiescence (kern/retired_wait.c): run again, not failed, near the
# tree's frame quota and near the PM's last frame, from every CPU.
utest_cpus(SCENARIOS, "smp/call_retired", "call_retired_test", 600,
           lambda n: [r"call_retired_test: quota: \d+ calls from \d+ dispatchers on %d CPUs, \d+ rounds of up to \d+ pages each \(\d+ frames free once written\), 0 failed, 0 wrong words" % n,
                      r"call_retired_test: beyond the quota: -122 after \d+ ms",
                      r"call_retired_test: memory: \d+ calls from \d+ dispatchers on %d CPUs, \d+ rounds of up to \d+ pages each \(\d+ frames free once written\), 0 failed, 0 wrong words" % n])
# The scalability benchmark's program (./k42 bench --scal) checks every
# operation it times; here it runs under MTTCG, CPUs really in parallel.
SCENARIOS.append(dict(name="smp/scalbench_4", smp=4, timeout=300,
                      append="init=/bench/scalbench",
                      expect=[r"SCAL malloc 4 \d+", r"SCAL done"], reject=[r"SCAL error"]))
# libk42 threads on a dispatcher per CPU (at least 4): 100,000 threads,
# contention, migration and a swap of every dispatcher's policy at once;
# PPC storms from every CPU into a server with a dispatcher on each, every
# call served on its caller's CPU.
utest_cpus(SCENARIOS, "smp/ppc_storm", "ppc_storm_test", 300,
           lambda n: [r"ppc_storm_test: \d+ calls from \d+ dispatchers on %d CPUs, 0 served" % n])
# A pipe filled and emptied thousands of times by writes larger than it
# between two processes, every byte checked (a writer that slept on a
# stale registration hung it: docs/files.md, "Pipes").
utest_cpus(SCENARIOS, "user/pipe_storm", "pipe_storm_test", 240,
           lambda n: [r"pipe_storm_test: 48 MiB through a pipe in parts, every byte checked"])
# A handler-mode server's own threads (one sleeping, one spinning) go on
# running while callers on every dispatcher call it back to back, and the
# calls go on being answered (libk42 calls_turn.c, docs/libk42.md "Calls
# and threads").
utest_cpus(SCENARIOS, "user/server_fair", "server_fair_test", 180,
           lambda n: [r"server_fair_test: \d+ callers on %d CPUs, [1-9]\d* calls in \d+ ms, 0 bad; "
                      r"the server's threads counted on" % n])
# One dispatcher on each side, its threads mixing calls through the PPC
# page with calls through their own buffers, every reply byte checked
# (docs/smp.md once listed this as a known limit).
SCENARIOS.append(dict(name="user/ppc_mix_1", smp=1, timeout=300,
                      append="init=/tests/ppc_storm_test -- one",
                      expect=[r"UTEST PASS ppc_storm_test",
                              r"ppc_storm_test: 1800 calls from 1 dispatchers on 1 CPUs, 0 served"],
                      reject=[r"UTEST FAIL", r"bad reply"]))
# The PPC fast path with every kind of call mixed on each dispatcher.
utest_cpus(SCENARIOS, "smp/ppc_fast", "ppc_fast_test", 300,
           lambda n: [r"ppc_fast_test: handler-mode server: \d+ calls .* on %d CPUs, 0 bad, 0 served" % n,
                      r"ppc_fast_test: thread-mode server: \d+ calls .* on %d CPUs, 0 bad, 0 served" % n,
                      r"ppc_fast_test: handler-mode server, calm: 1000 calls, 0 wrong",
                      r"ppc_fast_test: thread-mode server, calm: 1000 calls, 0 wrong",
                      r"ppc_fast_test: handler-mode server, calm with bytes: 1000 calls, 0 wrong",
                      r"ppc_fast_test: thread-mode server, calm with bytes: 1000 calls, 0 wrong"])
utest_cpus(SCENARIOS, "smp/vpthreads", "vpthreads_test", 300,
           lambda n: [r"vpthreads_test: \d+ dispatchers on %d CPUs, 100000 threads" % n],
           cpus=(1, 4))
# Cross-dispatcher wake-ups: 60 rounds of vpthreads' phases (short-lived
# threads, contention, migration, threads of every dispatcher meeting on
# one mutex and one condition, a census and a swap) on at least 4
# dispatchers (4 on CPU 0 at one CPU); a waiter left asleep shows as a
# round whose threads never all arrive, with every dispatcher's state.
utest_cpus(SCENARIOS, "smp/vpwake", "vpwake_test", 300,
           lambda n: [r"vpwake_test: \d+ dispatchers on %d CPUs, 60 rounds of \d+ threads; 0 lost, 0 wrong" % n],
           cpus=(1, 4))

# The assembly fast path's "may be entered fast" word (kern/disp_fast.h):
# each condition it summarises flipped, and the assembly declines.
SCENARIOS.append(dict(name="user/ppc_fastword", smp=1, timeout=240,
                      append="init=/tests/ppc_fastword_test",
                      expect=[r"UTEST PASS ppc_fastword_test",
                              r"ppc_fastword_test: plain: 200 calls, 0 wrong",
                              r"ppc_fastword_test: reflecting: 200 calls, 0 wrong, 0 taken by the assembly",
                              r"ppc_fastword_test: redirected: 200 calls, 0 wrong, 0 taken by the assembly",
                              r"ppc_fastword_test: two dispatchers: 200 calls, 0 wrong, 0 taken by the assembly"],
                      reject=[r"UTEST FAIL", r"FAILED"]))

# Wake-ups across CPUs off the kernel lock (kern/sched_wake.c): the same
# workers, woken from a dispatcher on every CPU at once.
utest_cpus(SCENARIOS, "smp/wake_storm", "wake_storm_test", 300,
           lambda n: [r"wake_storm_test: %d workers on %d CPUs woken from %d dispatchers, 0 failed, 0 lost" % (2 * n, n, n)])

# PPC between CPUs off the kernel lock (kern/ppc_cross.c): a server with
# one dispatcher called from every CPU takes queued calls with ppc_accept
# and replies to callers on other CPUs; every reply checked, and at 4 CPUs
# the kernel's counters must show both unlocked paths ran.
utest_cpus(SCENARIOS, "smp/ppc_cross", "ppc_cross_test", 300,
           lambda n: [r"ppc_cross_test: handler-mode server: \d+ calls .* on %d CPUs, 0 bad" % n,
                      r"ppc_cross_test: thread-mode server: \d+ calls .* on %d CPUs, 0 bad" % n])

# Calls queued on a server on another CPU off the kernel lock
# (kern/ppc_cross.c, ppc_call_cross), idle replies across CPUs, and callers
# killed mid-call: every reply checked, no call record leaked, and at 4
# CPUs the kernel's counters must show the unlocked paths ran.
for _n in (1, 4):
    SCENARIOS.append(dict(name="smp/ppc_queue_%d" % _n, smp=_n, timeout=400,
                          append="init=/tests/ppc_queue_test",
                          expect=[r"UTEST PASS ppc_queue_test",
                                  r"ppc_queue_test: on %d CPUs, unlocked" % _n,
                                  r"ppc_queue_test: messages: (\d+) of \1 taken from \d+ senders, 0 bad, 0 send errors",
                                  r"ppc_queue_test: after the killed callers: \d+ calls from \d+ dispatchers, 0 bad"],
                          reject=[r"UTEST FAIL", r"child: bad"]))

# Timer wake-ups of a dispatcher living on another CPU off the kernel lock
# (kern/timer.c): a one-dispatcher server that sleeps while calls move it
# between CPUs; every sleep ends no earlier than its deadline, every reply
# checked, and at 4 CPUs the kernel's counter must show such wake-ups.

for _n in (1, 4):
    SCENARIOS.append(dict(name="smp/timer_cross_%d" % _n, smp=_n, timeout=400,
                          append="init=/tests/timer_cross_test",
                          expect=[r"UTEST PASS timer_cross_test",
                                  r"timer_cross_test: sleeping server: \d+ sleeps, 0 early; \d+ calls, 0 bad",
                                  r"timer_cross_test: arming server: \d+ calls, 0 bad",
                                  r"timer_cross_test: on %d CPUs:" % _n],
                          reject=[r"UTEST FAIL"]))
# Ticks off the kernel lock whose timers wake dispatchers on two other
# CPUs: two servers whose timers, set on one CPU for the same deadline,
# wake them on two other CPUs (every timer must fire, none early; at 4
# CPUs K42_INFO_TICKS_MULTI_UNLOCKED must move). Not in the 4-CPU CI list:
# how many rounds it needs depends on the host's load. At 1 CPU it failed
# 3 of 3 on f24c2cd and has passed every run since (docs/smp.md "Known
# limits"), so it runs again: a recurrence shows.
for _n in (1, 4):
    SCENARIOS.append(dict(name="smp/timer_multi_%d" % _n, smp=_n, timeout=400,
                          append="init=/tests/timer_cross_test -- multi",
                          expect=[r"UTEST PASS timer_cross_test",
                                  r"timer_cross_test: multi: \d+ rounds of 2 timers, 0 bad calls, all fired, none early"],
                          reject=[r"UTEST FAIL"]))

# Going idle off the kernel lock (kern/sched_idle.c) and IPIs taken in the
# idle loop without it: a token ring of one dispatcher per CPU (every
# turn and sum checked), then synchronous calls from one thread per CPU
# to a one-dispatcher server (every reply checked), then bounded calls
# that time out while every CPU spins (ticks off the kernel lock with a
# bounded call waiting: per-CPU lists in kern/ppc_timed.c), and from one
# dispatcher at a time alone on its CPU (only that CPU's idle ticks can
# expire them); at 4 CPUs the kernel's counters must show all three.
for _n in (1, 4):
    SCENARIOS.append(dict(name="smp/idle_storm_%d" % _n, smp=_n, timeout=300,
                          append="init=/tests/idle_storm_test",
                          expect=[r"UTEST PASS idle_storm_test",
                                  r"idle_storm_test: ring of %d dispatchers on %d CPUs, 400 rounds; 0 stopped, 0 wrong" % (max(_n, 2), _n),
                                  r"idle_storm_test: calls: %d from %d dispatchers, 0 bad" % (300 * _n, _n),
                                  r"idle_storm_test: bounded: 30 calls of 20 ms from %d dispatchers' CPUs, 0 wrong" % (_n + 1),
                                  r"idle_storm_test: quiet: %d calls of 20 ms, one CPU at a time, 0 wrong" % (5 * _n)],
                          reject=[r"UTEST FAIL"]))

# yield and block off the kernel lock (kern/sched_fast.c): two workers per
# CPU yield and block, woken from init's CPU; every worker's sums checked.
utest_cpus(SCENARIOS, "smp/sched_storm", "sched_storm_test", 300,
           lambda n: [r"sched_storm_test: %d workers on %d CPUs, 0 failed" % (2 * n, n)])

# Clustered objects (docs/clustered-objects.md): the in-kernel test on
# every CPU at once, lookups racing deletions, under MTTCG; every rep and
# root freed through quiescence and the free-frame figure back at its start.
for _name, _what in [("cobj", "lookups"), ("cobj_swap", "root replacements"),
                     ("pm_cache", "allocations"), ("kmem", "allocations"),
                     ("process_lookup", "processes")]:
    for _n in (2, 4):
        SCENARIOS.append(dict(name="smp/%s_%d" % (_name, _n), smp=_n, timeout=120,
                              append="test=%s_smp" % _name,
                              expect=[r"KTEST PASS %s_smp" % _name,
                                      r"%s_smp: %d CPUs, \d+ %s" % (_name, _n, _what)],
                              reject=[r"KTEST FAIL", r"CHECK-FAILED"]))

# The same storms on the kernel with its race windows widened
# (kern/race_window.h, docs/smp.md "Hunting races"): every cross-CPU lock
# taken after a look without it, a call marked taken before its caller's
# page is read, the fast path's exit after its lock is let go and an
# anonymous fault between finding its frame and mapping it wait up to
# 131,072 loop turns (at one passage in 1, 4 or 16), so the interleavings
# that come once in hundreds of runs come in most. race/call_expire_4
# panicked in 8 runs of 9 before the expiry of a taken call took its
# server's CPU's lock (kern/ppc_timed.c).
RACE_STORMS = ("call_expire", "ppc_cross", "ppc_fast", "ppc_move", "wake_storm",
               "cow_storm", "proc_free", "stress")
for _sc in [s for s in SCENARIOS if s["name"] in ["smp/%s_4" % n for n in RACE_STORMS]]:
    SCENARIOS.append(dict(_sc, name="race/" + _sc["name"][len("smp/"):], race=True))
