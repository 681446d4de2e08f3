"""gdb helpers for k42, loaded by ./k42 debug (source tools/gdb/k42.py).

Commands (they read the kernel's own structures, so they work whenever the
kernel's symbols are loaded, stopped anywhere):
  k42-ps          processes: pid, parent, state, dispatcher state, name
  k42-calls       every dispatcher: its state, the PPC call it waits in (server,
                  record state, handle) and the calls queued on and taken by it
  k42-runq        this CPU's run queues, by priority class, and the current dispatcher
  k42-trace       this CPU's trace buffer: mode, write index, lost events, enabled mask
  k42-user NAME   load the symbols of a user program (BUILD/.../NAME.elf) for
                  breakpoints and backtraces in it
  k42-break NAME LOCATION
                  break at LOCATION only in processes named NAME (every user
                  program is linked at the same address)
Convenience functions:
  $k42_pid()      pid of the process whose dispatcher is current (0: none)
  $k42_name()     its name, e.g.  break main if $_streq($k42_name(), "kv")
"""
import os

import gdb  # provided by gdb itself

PROC_STATES = {0: "free", 1: "created", 2: "running", 3: "exited", 4: "killed"}
CLASSES = ("system", "realtime", "general", "background")
KERNEL_BASE = 0xc000000000000000


def _phys_read(addr, length):
    """Bytes of kernel memory read by physical address (QEMU's
    Qqemu.PhyMemMode): while the CPU is in user mode, QEMU refuses gdb's
    reads of 0xc000... addresses, checking them against the user's
    privilege. The kernel's linear map is physical + KERNEL_BASE."""
    gdb.execute("maintenance packet Qqemu.PhyMemMode:1", to_string=True)
    try:
        return bytes(gdb.selected_inferior().read_memory(addr - KERNEL_BASE, length))
    finally:
        gdb.execute("maintenance packet Qqemu.PhyMemMode:0", to_string=True)


def _load(value):
    """value, fetched from memory now, whatever mode the CPU is in."""
    try:
        value.fetch_lazy()
        return value
    except gdb.MemoryError:
        addr = int(value.address)
        return gdb.Value(_phys_read(addr, value.type.sizeof), value.type)


def _deref(ptr):
    """*ptr for a kernel pointer, fetched in any CPU mode."""
    return _load(ptr.dereference())


def _percpu():
    return _load(gdb.parse_and_eval("boot_percpu"))


def _offset(t, field):
    return next(f.bitpos // 8 for f in t.fields() if f.name == field)


def _str(arr):
    """A char array's text up to its first NUL."""
    try:
        raw = bytes(int(arr[i]) & 0xff for i in range(arr.type.sizeof))
    except gdb.error:
        return "?"
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def _enum(v):
    try:
        return str(v)
    except gdb.error:
        return "?"


def _processes():
    """(address, struct process) of every slot of the process table in use."""
    pids = gdb.parse_and_eval("proc_pids")
    for i in range(1, pids.type.range()[1] + 1):
        slot = _load(pids[i])
        if int(slot["p"]):
            yield int(slot["p"]), _deref(slot["p"])


class Ps(gdb.Command):
    """k42-ps: list the processes in the kernel's process table."""

    def __init__(self):
        super().__init__("k42-ps", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        cur = _percpu()["current"]
        print("%8s %8s %-9s %-16s %-10s %s" % ("PID", "PARENT", "STATE", "DISPATCHER", "CLASS", "NAME"))
        for addr, p in _processes():
            d = p["disp"]
            mark = " *" if int(cur) == addr + _offset(p.type, "disp") else ""
            st = int(p["state"])
            prio = int(d["prio"])
            print("%8d %8d %-9s %-16s %-10s %s%s" % (
                int(p["pid"]), int(p["parent"]), PROC_STATES.get(st, str(st)),
                _enum(d["state"]), CLASSES[prio] if prio < len(CLASSES) else prio,
                _str(p["name"]), mark))


CALL_STATES = ("free", "queued", "taken", "answered")


def _call_list(d, field):
    """The call records on one of dispatcher d's lists (at most 64)."""
    out, c = [], d[field]["head"]
    while int(c) and len(out) < 64:
        rec = _deref(c)
        out.append(rec)
        c = rec["next"]
    return out


def _handle(rec):
    return (int(rec["gen"]) << 16) | int(rec["idx"])


class Calls(gdb.Command):
    """k42-calls: every dispatcher of every running process, with the
    PPC call it waits in (its server, the record's state and handle) and
    the calls queued on it and taken by it. A hang in IPC shows here: a
    caller in a call that its server took, while the server idles with
    nothing pending, is a reply the server lost (docs/boot.md)."""

    def __init__(self):
        super().__init__("k42-calls", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        for _, p in _processes():
            if int(p["state"]) != 2:
                continue
            vps = p["vps"]
            disps = [_load(p["disp"])] + [_deref(vps[k]) for k in range(1, vps.type.range()[1] + 1)
                                          if int(vps[k])]
            for d in disps:
                sh = _deref(d["shared"])
                line = "%6d %-16s vp%-2d %-11s cpu%-2d %s%s" % (
                    int(p["pid"]), _str(p["name"]), int(d["index"]), _enum(d["state"]),
                    int(d["cpu"]), "disabled" if int(sh["disabled"]) else "enabled",
                    " pending %#x" % int(sh["pending"]) if int(sh["pending"]) else "")
                if int(d["call"]):
                    c = _deref(d["call"])
                    srv = "-"
                    if int(c["server"]):
                        sd = _deref(c["server"])
                        srv = "%d vp%d (%s)" % (int(_deref(sd["proc"])["pid"]), int(sd["index"]),
                                                _enum(sd["state"]))
                    st = int(c["state"])
                    line += "; in a call to %s, %s, handle %#x, op %#x" % (
                        srv, CALL_STATES[st] if st < len(CALL_STATES) else st, _handle(c),
                        int(c["op"]))
                queued, taken = _call_list(d, "calls_queued"), _call_list(d, "calls_active")
                if queued or taken:
                    line += "; serving: %d queued, %d taken" % (len(queued), len(taken))
                    line += "".join(" [%s %#x from %d]" % (kind, _handle(c), int(c["caller_pid"]))
                                    for kind, cs in (("queued", queued), ("taken", taken))
                                    for c in cs[:8])
                print(line)


class RunQ(gdb.Command):
    """k42-runq: the run queues of this CPU, highest class first."""

    def __init__(self):
        super().__init__("k42-runq", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        pc = _percpu()
        cur = pc["current"]
        if int(cur):
            proc = _deref(_deref(cur)["proc"])
            print("current: pid %d (%s)" % (int(proc["pid"]), _str(proc["name"])))
        else:
            print("current: none (idle)")
        heads = pc["rq_head"]
        for c in range(heads.type.range()[1] + 1):
            d, names = heads[c], []
            while int(d) and len(names) < 4096:
                dd = _deref(d)
                proc = _deref(dd["proc"])
                names.append("%d:%s" % (int(proc["pid"]), _str(proc["name"])))
                d = dd["rq_next"]
            print("%-10s %s" % (CLASSES[c] if c < len(CLASSES) else c, " ".join(names) or "-"))


class Trace(gdb.Command):
    """k42-trace: this CPU's trace buffer."""

    def __init__(self):
        super().__init__("k42-trace", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        pc = _percpu()
        tb = pc["trace_buf"]
        if int(tb["ctl"]) == 0:
            print("trace buffer not set up yet")
            return
        ctl = _deref(tb["ctl"])
        print("mask %#x  mode %d  ring 2^%d words  block 2^%d words" % (
            int(pc["trace_mask"]), int(tb["mode"]), int(tb["ring_shift"]), int(tb["block_shift"])))
        print("write index %d (block %d)  lost %d" % (
            int(ctl["index"]), int(ctl["index"]) >> int(tb["block_shift"]), int(ctl["lost"])))


class User(gdb.Command):
    """k42-user NAME: load the symbols of user program NAME from the build."""

    def __init__(self):
        super().__init__("k42-user", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        name = arg.strip()
        build = os.environ.get("K42_BUILD_DIR", "build")
        hits = []
        for root, _dirs, files in os.walk(build):
            if name + ".elf" in files:
                hits.append(os.path.join(root, name + ".elf"))
        if not hits:
            raise gdb.GdbError("no %s.elf under %s" % (name, build))
        gdb.execute("add-symbol-file %s" % sorted(hits, key=len)[0], to_string=True)
        print("symbols of %s loaded from %s" % (name, sorted(hits, key=len)[0]))


class Pid(gdb.Function):
    """$k42_pid(): pid of the current dispatcher's process, 0 if none."""

    def __init__(self):
        super().__init__("k42_pid")

    def invoke(self):
        cur = _percpu()["current"]
        return int(_deref(_deref(cur)["proc"])["pid"]) if int(cur) else 0


Ps()
Calls()
RunQ()
Trace()
User()
Pid()


class Name(gdb.Function):
    """$k42_name(): name of the current dispatcher's process, "" if none."""

    def __init__(self):
        super().__init__("k42_name")

    def invoke(self):
        cur = _percpu()["current"]
        return _str(_deref(_deref(cur)["proc"])["name"]) if int(cur) else ""


class _ProcStart(gdb.Breakpoint):
    """Internal: at process_create for a process named `name`, enable the
    user breakpoint `user` (which stays off until then: every user program
    is linked at the same addresses, so it would stop in the wrong one)."""

    def __init__(self, name, user):
        super().__init__("process_create", internal=True)
        self.target, self.user = name, user

    def stop(self):
        try:
            name = gdb.parse_and_eval("name").string()
        except gdb.error:
            return False
        if name == self.target:
            self.user.enabled = True
            self.enabled = False
        return False


class UBreak(gdb.Command):
    """k42-break NAME LOCATION: break at LOCATION (in user program NAME,
    whose symbols k42-user loaded) once a process named NAME is created.
    Every user program is linked at the same addresses, so the breakpoint
    is armed only from then on."""

    def __init__(self):
        super().__init__("k42-break", gdb.COMMAND_BREAKPOINTS)

    def invoke(self, arg, from_tty):
        parts = arg.split()
        if len(parts) != 2:
            raise gdb.GdbError("usage: k42-break NAME LOCATION")
        user = gdb.Breakpoint(parts[1], type=gdb.BP_HARDWARE_BREAKPOINT)
        user.enabled = False
        _ProcStart(parts[0], user)
        print("k42-break: %s in %s, armed when a process named %s is created"
              % (parts[1], parts[0], parts[0]))


Name()
UBreak()
