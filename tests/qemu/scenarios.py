"""Boot scenarios for ./k42 test: whole-machine boots with chosen options and
inputs, each judged by QEMU's exit status and by patterns that must (and must
not) appear on the console. Bad input must give a clear message, not a hang.

Fields: name, append (boot arguments), initrd ("default", "none", "garbage",
"truncated"), disk (None, or "pattern": a virtio-blk disk of known content,
see tools/testrun.py), mem, smp, icount (run under -icount: the CPUs
round-robin, as ./k42 bench boots them), status (expected QEMU exit status), expect (regexes
that must match), reject (regexes that must not), only ((selector, [regex])):
the console lines the selector matches must be exactly those regexes, in
order.

The scenarios live in one file per area (scen_*.py); this one joins them
in the order ./k42 test runs them. A new test goes into its area's file.
"""
import scen_boot
import scen_devices
import scen_security
import scen_shell
import scen_smp
import scen_user

SCENARIOS = (scen_boot.SCENARIOS + scen_user.SCENARIOS + scen_smp.SCENARIOS
             + scen_security.SCENARIOS + scen_devices.SCENARIOS)
SHELL_SESSIONS = scen_shell.SHELL_SESSIONS
