"""Booting k42 under QEMU pseries: one place that knows the command line,
runs a boot with a timeout, optionally types into the console when a marker
appears, and symbolizes kernel backtraces. Used by ./k42 run/test/debug."""
import os
import re
import select
import shutil
import subprocess
import time

QEMU = "qemu-system-ppc64"
CAPS = "cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off"


class Build:
    """Paths of the artifacts in a build directory. race: the kernel with
    its race windows widened (kern/race_window.h), same boot archive."""

    def __init__(self, builddir, race=False):
        self.dir = os.path.abspath(builddir)
        kernel = "kernel-race" if race else "kernel"
        self.kernel_bin = os.path.join(self.dir, "ukernel", kernel + ".bin")
        self.kernel_elf = os.path.join(self.dir, "ukernel", kernel + ".elf")
        self.boot_stub = os.path.join(self.dir, "ukernel", "boot-stub.elf")
        self.initrd = os.path.join(self.dir, "rootfs", "initrd.cpio")


# CPUs of a boot that does not ask for a number (./k42 test --smp N sets it).
DEFAULT_SMP = 1


def command(build, append="", initrd="default", mem="1G", smp=None, icount=False,
            interactive=False, gdb=False, extra=()):
    """The QEMU command line for one boot. initrd=None boots without one."""
    if smp is None:
        smp = DEFAULT_SMP
    if initrd == "default":
        initrd = build.initrd
    cmd = [QEMU, "-machine", "pseries," + CAPS, "-cpu", "power9", "-m", mem,
           "-smp", str(smp), "-nodefaults", "-display", "none", "-no-reboot",
           "-action", "panic=exit-failure", "-bios", build.kernel_bin]
    if interactive:
        cmd += ["-chardev", "stdio,id=con,mux=on,signal=off", "-serial", "chardev:con",
                "-mon", "chardev=con,mode=readline"]
    else:
        cmd += ["-serial", "stdio"]
    # QEMU takes -initrd and -append only with -kernel, which must be ELF.
    if initrd or append:
        cmd += ["-kernel", build.boot_stub]
    if initrd:
        cmd += ["-initrd", initrd]
    if append:
        cmd += ["-append", append]
    if icount:
        cmd += ["-icount", "shift=0,sleep=off"]
    elif smp > 1:
        # One host thread per CPU, so CPUs really run in parallel (MTTCG;
        # -icount cannot be combined with it and runs them round-robin).
        cmd += ["-accel", "tcg,thread=multi"]
    if gdb:
        cmd += ["-s", "-S"]
    return cmd + list(extra)


def disk_append(append):
    """Boot arguments that tell init a disk is attached: the word `disk`
    among init's arguments starts the entries of /etc/boot.conf marked
    when=disk (the block driver and ext2 at /mnt; docs/storage.md)."""
    if " -- " in " " + append + " " or append.endswith("--"):
        return append + " disk"
    return (append + " " if append else "") + "-- disk"


# init's configuration with an ext2 disk as the root (./k42 run
# --root-disk): made by the build from boot.conf (rootfs/meson.build).
ROOT_DISK_APPEND = "-- bootconf=/etc/boot-rootdisk.conf"


def scratch_image(build):
    """The default disk of ./k42 run: an ext2 image the build made
    (rootfs/meson.build), kept in the build directory across runs."""
    return os.path.join(build.dir, "rootfs", "scratch.img")


def disk_args(image, readonly=False):
    """QEMU options attaching a raw image as the machine's virtio-blk-pci
    disk (docs/devices.md). No VGA (there is no VGA BIOS under -bios)."""
    drive = "if=none,id=disk0,format=raw,file=" + image + (",readonly=on" if readonly else "")
    return ["-vga", "none", "-drive", drive, "-device", "virtio-blk-pci,drive=disk0"]


def net_args(forwards=()):
    """QEMU options for a virtio-net-pci NIC on QEMU's user network
    (docs/network.md). restrict=on: the guest reaches nothing but the
    forwards, and every forward listens on the host's 127.0.0.1 only.
    forwards: (proto, host_port, guest_port), proto "tcp" or "udp"."""
    netdev = "user,id=net0,restrict=on"
    for proto, host, guest in forwards:
        netdev += ",hostfwd=%s:127.0.0.1:%d-:%d" % (proto, int(host), int(guest))
    return ["-vga", "none", "-netdev", netdev,
            "-device", "virtio-net-pci,netdev=net0,romfile="]


def parse_forward(text):
    """'[tcp:|udp:]HOSTPORT:GUESTPORT' -> (proto, host, guest), or ValueError."""
    parts = text.split(":")
    proto = "tcp"
    if parts[0] in ("tcp", "udp"):
        proto = parts.pop(0)
    if len(parts) != 2 or not all(p.isdigit() and 0 < int(p) < 65536 for p in parts):
        raise ValueError("--forward wants [tcp:|udp:]HOSTPORT:GUESTPORT, not %r" % text)
    return proto, int(parts[0]), int(parts[1])


# init's configuration with the network servers (rootfs/files/etc/net.conf).
NET_APPEND = "-- bootconf=/etc/net.conf"
# The same with the ext2 disk as the root (./k42 run --root-disk --net).
NET_ROOT_DISK_APPEND = "-- bootconf=/etc/net-rootdisk.conf"


class Result:
    def __init__(self, status, output, timed_out, seconds, mark_seconds=None):
        self.status = status          # QEMU exit status (None if killed)
        self.output = output          # console text
        self.timed_out = timed_out
        self.seconds = seconds
        self.mark_seconds = mark_seconds  # when `mark` first appeared, if asked


INIT_EXIT_RE = re.compile(r"k42: init exited with status (-?\d+); powering off")


def exit_status(res):
    """The one exit-status rule of ./k42 run and ./k42 trace: 124 on a
    timeout; otherwise init's exit status as the kernel reported it (the
    shell's `exit N` and a program booted as init both reach it: QEMU itself
    can only exit 0 or 1); 1 if the kernel panicked or QEMU failed without
    that line."""
    if res.timed_out:
        return 124
    m = INIT_EXIT_RE.search(res.output)
    if m and not re.search(r"PANIC|unexpected exception", res.output):
        return int(m.group(1)) & 0xff
    return res.status if res.status else (1 if res.status is None else 0)


def run(cmd, timeout=30.0, script=(), stop_at=None, mark=None):
    """Run one boot. script: (regex, text) pairs; each text is typed once its
    regex has appeared in the output, in order. stop_at: a regex; when it
    appears, the time is taken and QEMU is stopped (status 0). mark: a plain
    string whose first appearance is timed (Result.mark_seconds)."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    out = bytearray()
    pending = list(script)
    timed_out = False
    mark_at = None
    try:
        while True:
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                timed_out = True
                proc.kill()
                break
            ready, _, _ = select.select([proc.stdout], [], [], min(left, 0.5))
            if ready:
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                out += chunk
            if mark and mark_at is None and mark in out.decode("utf-8", "replace"):
                mark_at = time.monotonic() - start
            if stop_at and re.search(stop_at, out.decode("utf-8", "replace")):
                seconds = time.monotonic() - start
                proc.kill()
                proc.wait()
                return Result(0, out.decode("utf-8", "replace"), False, seconds)
            while pending and re.search(pending[0][0], out.decode("utf-8", "replace")):
                try:
                    proc.stdin.write(pending.pop(0)[1].encode())
                    proc.stdin.flush()
                except BrokenPipeError:
                    pending = []	# QEMU has gone; nothing more to type
    finally:
        try:
            rest = proc.communicate(timeout=5)[0]
            if rest:
                out += rest
        except subprocess.TimeoutExpired:
            proc.kill()
    status = None if timed_out else proc.returncode
    return Result(status, out.decode("utf-8", "replace"), timed_out, time.monotonic() - start,
                  mark_at)


_FRAME = re.compile(r"(#\d+ 0x)([0-9a-f]{16})")


def symbolize(text, kernel_elf):
    """Append function names to backtrace frames (#N 0x...) with addr2line."""
    addrs = sorted(set(m.group(2) for m in _FRAME.finditer(text)))
    tool = shutil.which("powerpc64le-linux-gnu-addr2line")
    if not addrs or not tool or not os.path.exists(kernel_elf):
        return text
    # The kernel runs at low real addresses early on; its link addresses are 0xc...
    query = ["%x" % (int(a, 16) | 0xc000000000000000) for a in addrs]
    try:
        res = subprocess.run([tool, "-f", "-s", "-e", kernel_elf] + query,
                             capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return text
    lines = res.stdout.splitlines()
    names = {}
    for i, a in enumerate(addrs):
        if 2 * i + 1 < len(lines):
            names[a] = "%s (%s)" % (lines[2 * i], lines[2 * i + 1])
    return _FRAME.sub(lambda m: m.group(0) + " " + names.get(m.group(2), "?"), text)
