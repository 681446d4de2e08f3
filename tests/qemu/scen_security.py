"""Security regression tests (docs/security.md): hostile and unprivileged
programs booted as init."""

SCENARIOS = []

# Security regression tests (docs/security.md), each booted as init.
SECURITY_TESTS = ["pid_reuse_test", "proc_state_test", "class_priv_test", "console_priv_test",
                  "trace_priv_test", "quota_test", "interrupt_test", "forged_ctx_test",
                  "ppc_snoop_test", "hostile_ppc_test", "hostile_expose_test"]
for _t in SECURITY_TESTS:
    SCENARIOS.append(dict(name="security/" + _t, append="init=/tests/" + _t,
                          expect=[r"UTEST PASS " + _t], reject=[r"UTEST FAIL"]))
# Hostile file servers against the unlocked page-in send: two sessions of
# six rounds, each with kills and waits of up to a second; at --smp 4 under
# a loaded host much longer.
SCENARIOS.append(dict(name="security/hostile_fr_test", append="init=/tests/hostile_fr_test",
                      timeout=400, expect=[r"UTEST PASS hostile_fr_test"],
                      reject=[r"UTEST FAIL", r"PANIC"]))
# Hostile async buffers: three sessions of racing remaps, 40 s at 1 CPU on
# a quiet host.
SCENARIOS.append(dict(name="security/hostile_async_test", append="init=/tests/hostile_async_test",
                      timeout=400, expect=[r"UTEST PASS hostile_async_test"],
                      reject=[r"UTEST FAIL", r"PANIC"]))
# Regions over a process's own dispatcher pages: children that hang
# themselves are ended after a second's wait each (several on a loaded
# host).
SCENARIOS.append(dict(name="security/hostile_ppcpage_test", append="init=/tests/hostile_ppcpage_test",
                      timeout=300, expect=[r"UTEST PASS hostile_ppcpage_test"],
                      reject=[r"UTEST FAIL", r"PANIC"]))
# Late replies to expired calls, bounded calls answered about their
# bound, and servers moved, re-credentialed and killed under callers on
# every CPU with stale and forged pids (kern/ppc_move.c, the unlocked
# expiry, processes freed after quiescence): two sessions, the second
# leaving kernel objects and frames where the first did. At --smp 4 in
# the CI's second run (tests/smp4-ci.txt: security/).
SCENARIOS.append(dict(name="security/hostile_move_test", append="init=/tests/hostile_move_test",
                      timeout=400,
                      expect=[r"hostile_move_test: session 2: late: 8 expired calls \([1-8] held by the server\), every late reply refused; "
                              r"race: \d+ bounded calls .* [1-9]\d* answered, [1-9]\d* timed out",
                              r"hostile_move_test: session 2: kill: 4 servers killed .* 0 bad",
                              r"UTEST PASS hostile_move_test"],
                      reject=[r"UTEST FAIL", r"PANIC"]))
# FR slots reused right after their free (off the kernel lock since
# session 13) while dispatchers on every CPU call with the destroyed
# handles: every such call refused, the live FR unaffected.
SCENARIOS.append(dict(name="security/hostile_reuse_test", append="init=/tests/hostile_reuse_test",
                      timeout=300,
                      expect=[r"hostile_reuse_test: 400 FRs destroyed, .* [1-9]\d* rounds of stale-handle calls .* 0 bad",
                              r"UTEST PASS hostile_reuse_test"],
                      reject=[r"UTEST FAIL", r"PANIC"]))
