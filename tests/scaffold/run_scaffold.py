#!/usr/bin/env python3
"""The scaffolds, as a new user would use them, in a temporary copy of the
tree (nothing is left in the real one):

  server   ./k42 new server demo --boot; build; its generated test
           (user/demo_test) passes; the booted system runs demo from
           /etc/boot.conf and the shell calls it with bin/demo_client.
  policy   ./k42 new policy lifo (a fourth policy) and, in /etc/boot.conf,
           a new boot server scheduled by it (`demo ... sched=lifo`); the
           generated host test and every test that reads the registry or
           boot.conf pass, and the shell lists, selects and refuses policies
           from the registry.

    run_scaffold.py SRC_ROOT [server|policy|both]

Prints one PASS/FAIL line per part and exits 1 if any failed. The copy
builds from scratch, so this takes minutes."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

TIMEOUT = 1500


def copy_tree(src, dst):
    """The source tree without build directories, .git or caches."""
    def ignore(d, names):
        skip = {".git", "__pycache__"}
        if os.path.samefile(d, src):
            skip |= {n for n in names if n == "build" or n.startswith("build-")}
        return [n for n in names if n in skip]
    shutil.copytree(src, dst, ignore=ignore, symlinks=True)


class Run:
    def __init__(self, root, log):
        self.root, self.log = root, log

    def k42(self, *args, ok=True):
        env = dict(os.environ, K42_BUILD=os.path.join(self.root, "build"))
        r = subprocess.run([os.path.join(self.root, "k42")] + list(args), cwd=self.root, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True, timeout=TIMEOUT)
        self.log.append("$ ./k42 %s  (exit %d)\n%s" % (" ".join(args), r.returncode, r.stdout))
        if ok and r.returncode != 0:
            raise AssertionError("./k42 %s exited %d" % (" ".join(args), r.returncode))
        return r.stdout

    def expect(self, text, pattern, what):
        if not re.search(pattern, text.replace("\r", ""), re.M):
            raise AssertionError("%s: no /%s/" % (what, pattern))


def passed_tests(out):
    return set(re.findall(r"^PASS (\S+)", out, re.M)), set(re.findall(r"^FAIL (\S+)", out, re.M))


def part_server(r):
    out = r.k42("new", "server", "demo", "--boot")
    r.expect(out, r"new +idl/demo\.idl", "new server")
    again = r.k42("new", "server", "demo", ok=False)
    r.expect(again, r"k42 new: .*exists already", "a second new server demo")
    r.k42("build")
    out = r.k42("test", "--filter", r"^(user/demo_test|stubgen/golden|stubgen/unit)$")
    good, bad = passed_tests(out)
    want = {"user/demo_test", "stubgen/golden", "stubgen/unit"}
    if bad or not want <= good:
        raise AssertionError("tests: passed %s, failed %s" % (sorted(good), sorted(bad)))
    # The shell does not need demo (boot.conf), so at its first prompt demo
    # may not have registered yet on a loaded host; the client waits for
    # the name, and `servers` after it must then list demo.
    out = r.k42("run", "-c", "run /bin/demo_client scaffold; servers; exit 0")
    r.expect(out, r"^  demo +pid \d+", "servers lists demo")
    r.expect(out, r"^demo_client: hello, scaffold \(call 1\)", "the shell calls demo")


def part_policy(r):
    if not os.path.exists(os.path.join(r.root, "servers", "demo")):
        part_server(r)
    out = r.k42("new", "policy", "lifo")
    r.expect(out, r"new +libk42/src/sched_lifo\.c", "new policy")
    conf = os.path.join(r.root, "rootfs/files/etc/boot.conf")
    with open(conf, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"^(demo +/servers/demo +needs=name)$", r"\1 sched=lifo", text, flags=re.M)
    with open(conf, "w", encoding="utf-8") as f:
        f.write(text)
    r.k42("build")
    out = r.k42("test", "--filter", r"^(libk42/sched|libk42/sched_lifo|user/sched_swap_test|"
                r"user/bootconf_test|user/demo_test|boot/bad_config_malformed|shell/session|"
                r"shell/failing_command)$")
    good, bad = passed_tests(out)
    want = {"libk42/sched", "libk42/sched_lifo", "user/sched_swap_test", "user/bootconf_test",
            "user/demo_test", "boot/bad_config_malformed", "shell/session",
            "shell/failing_command"}
    if bad or not want <= good:
        raise AssertionError("tests: passed %s, failed %s" % (sorted(good), sorted(bad)))
    out = r.k42("run", "-c", "help; ps; sched demo; sched 1 roundrobin; sched shell lifo; "
                "run /bin/demo_client; exit 0", ok=False)
    if re.search(r"^init: .*(sched|scheduler)", out, re.M):
        raise AssertionError("init complained about sched=lifo")
    r.expect(out, r"POLICY is one of: fifo, prio, lottery, lifo$", "help")
    # init set demo's policy from its boot.conf line.
    r.expect(out, r"^ +\d+ +1 +running +\w+ +lifo +\d+[* ] demo$", "ps shows demo under lifo")
    r.expect(out, r"^k42> sched demo\npid \d+: scheduler lifo$", "sched demo")
    r.expect(out, r"^k42> sched shell lifo\npid \d+: scheduler lifo$", "sched shell lifo")
    r.expect(out, r"no such policy \(fifo, prio, lottery, lifo\)", "an unknown policy")
    r.expect(out, r"^demo_client: hello, k42 \(call 1\)", "demo under lifo serves")


def main():
    src = os.path.abspath(sys.argv[1])
    parts = sys.argv[2:] or ["both"]
    parts = ["server", "policy"] if parts == ["both"] else parts
    failed = 0
    with tempfile.TemporaryDirectory(prefix="k42-scaffold-") as tmp:
        root = os.path.join(tmp, "k42")
        copy_tree(src, root)
        for name in parts:
            log = []
            try:
                {"server": part_server, "policy": part_policy}[name](Run(root, log))
                print("PASS scaffold/%s" % name)
            except (AssertionError, subprocess.TimeoutExpired) as e:
                failed += 1
                print("FAIL scaffold/%s: %s" % (name, e))
                for entry in log:
                    print("    | " + entry.rstrip().replace("\n", "\n    | "))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
