"""./k42 debug: QEMU halted at the first instruction with its gdb stub on a
free port, and gdb-multiarch attached with the kernel's symbols and the k42
helpers (tools/gdb/k42.py: k42-ps, k42-runq, k42-trace, k42-user, k42-break).

The kernel runs at its link addresses (0xc000...) from its first
instructions on, in real mode as with translation on, so `break kmain` or
any kernel function stops and `bt` is symbolized. `--proc NAME` also loads
the symbols of user program NAME and stops at its main."""
import os
import socket
import subprocess
import time

import k42qemu

HERE = os.path.dirname(os.path.abspath(__file__))
GDB_HELPERS = os.path.join(HERE, "gdb", "k42.py")


def free_port():
    """A TCP port nobody listens on now (QEMU takes it a moment later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_qemu(build, port, append="", mem="1G", smp=1, interactive=False, **popen):
    cmd = k42qemu.command(build, append=append, mem=mem, smp=smp, interactive=interactive,
                          extra=["-gdb", "tcp:127.0.0.1:%d" % port, "-S"])
    qemu = subprocess.Popen(cmd, **popen)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:        # wait until the stub listens
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return qemu
        if qemu.poll() is not None:
            break
        time.sleep(0.05)
    qemu.kill()
    raise RuntimeError("QEMU's gdb stub did not come up on port %d" % port)


def gdb_command(build, port, proc=None, batch=()):
    """gdb-multiarch's argv: kernel symbols, helpers, attached; with proc,
    the program's symbols and a breakpoint at its main; batch: commands to
    run non-interactively (then gdb exits)."""
    cmd = ["gdb-multiarch", "-q", "-nx"]
    if batch:
        cmd.append("-batch")
    cmd += [build.kernel_elf,
            "-ex", "set pagination off",
            "-ex", "set confirm off",
            "-ex", "set architecture powerpc:common64",
            "-ex", "set endian little",
            "-ex", "source " + GDB_HELPERS,
            "-ex", "target remote 127.0.0.1:%d" % port]
    if proc:
        cmd += ["-ex", "k42-user " + proc, "-ex", "k42-break %s main" % proc]
    for c in batch:
        cmd += ["-ex", c]
    return cmd


def debug(build, append="", mem="1G", smp=1, proc=None):
    """Interactive session; returns gdb's exit status."""
    port = free_port()
    qemu = start_qemu(build, port, append=append, mem=mem, smp=smp, interactive=True,
                      stdin=subprocess.DEVNULL)
    print("k42 debug: QEMU halted at entry, gdb stub on port %d" % port)
    env = dict(os.environ, K42_BUILD_DIR=build.dir)
    try:
        return subprocess.call(gdb_command(build, port, proc), env=env)
    finally:
        qemu.kill()
        qemu.wait()


def batch(build, commands, append="", proc=None, timeout=120):
    """Run gdb commands against a fresh boot; returns (status, gdb output)."""
    port = free_port()
    qemu = start_qemu(build, port, append=append, stdin=subprocess.DEVNULL,
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = dict(os.environ, K42_BUILD_DIR=build.dir)
    try:
        r = subprocess.run(gdb_command(build, port, proc, batch=list(commands) + ["kill"]),
                           capture_output=True, text=True, timeout=timeout, env=env)
        return r.returncode, r.stdout + r.stderr
    except subprocess.TimeoutExpired as e:
        return None, (e.stdout or b"").decode(errors="replace") + "\n(gdb timed out)"
    finally:
        qemu.kill()
        qemu.wait()
