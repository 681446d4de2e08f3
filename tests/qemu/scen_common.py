"""Helpers the boot scenario files (tests/qemu/scen_*.py) share."""

BANNER = r"k42 ukernel \S+: (\d+) MiB RAM \(\d+ MiB free\), (\d+) CPUs?, timebase 512 MHz, tick (\d+) Hz"


def utest_cpus(out, name, test, timeout, lines, cpus=(1, 4), reject=()):
    """Append to out NAME_N (NAME with its group: smp/..., user/...) for
    every N in cpus: tests/user's TEST, run as init on N CPUs, must pass
    and print every line lines(N) gives; UTEST FAIL (or a regex of reject)
    fails it."""
    for n in cpus:
        out.append(dict(name="%s_%d" % (name, n), smp=n, timeout=timeout,
                        append="init=/tests/" + test,
                        expect=[r"UTEST PASS " + test] + list(lines(n)),
                        reject=[r"UTEST FAIL"] + list(reject)))
