#!/usr/bin/env python3
"""./k42 new server NAME | ./k42 new policy NAME: write a working starting
point that builds and whose test passes as generated, and add it to the
build (docs/writing-a-server.md, docs/writing-a-scheduler.md explain every
file and line it writes).

  server NAME [--boot]  idl/NAME.idl, servers/NAME/{NAME.c,NAME_client.c},
                        tests/user/NAME_test.c, and one line in each of
                        idl/meson.build, servers/meson.build (server and
                        client), tests/user/meson.build, tests/qemu/scen_user.py,
                        the id registry in docs/idl.md and the stubgen goldens;
                        --boot also starts it from /etc/boot.conf.
  policy NAME           libk42/src/sched_NAME.c, tests/libk42/test_sched_NAME.c,
                        and one line in each of libk42/meson.build
                        (sched_policies) and tests/libk42/meson.build.

Nothing is overwritten: an existing file or name is an error, before any
file is written."""
import argparse
import glob
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "scaffold")
NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,15}")
FIRST_FREE_ID = 0x000101      # after kv, the tutorial server (docs/idl.md)


class ScaffoldError(Exception):
    pass


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def template(name, **subs):
    text = read(os.path.join(TEMPLATES, name))
    for k, v in subs.items():
        text = text.replace("@" + k + "@", v)
    return text


class Plan:
    """Files to create and edits to make, checked in full before any write."""

    def __init__(self, root):
        self.root, self.new, self.edits = root, {}, {}

    def path(self, rel):
        return os.path.join(self.root, rel)

    def create(self, rel, text):
        if os.path.exists(self.path(rel)):
            raise ScaffoldError("%s exists already" % rel)
        self.new[rel] = text

    def insert(self, rel, anchor, line, where="after", what=None):
        """Add `line` after (or before) the first match of regex `anchor`."""
        text = self.edits.get(rel) or read(self.path(rel))
        m = re.search(anchor, text, re.M)
        if not m:
            raise ScaffoldError("%s: cannot find where %s goes (/%s/)" % (rel, what or "it", anchor))
        at = m.end() if where == "after" else m.start()
        self.edits[rel] = text[:at] + line + text[at:]

    def write(self):
        for rel, text in self.new.items():
            os.makedirs(os.path.dirname(self.path(rel)), exist_ok=True)
            with open(self.path(rel), "w", encoding="utf-8") as f:
                f.write(text)
        for rel, text in self.edits.items():
            with open(self.path(rel), "w", encoding="utf-8") as f:
                f.write(text)
        for rel in sorted(self.new):
            print("  new   %s" % rel)
        for rel in sorted(self.edits):
            print("  edit  %s" % rel)


def free_iface_id(root):
    used = set()
    for path in glob.glob(os.path.join(root, "idl", "*.idl")):
        m = re.search(r"^\s*interface\s+\w+\s+id\s+(0x[0-9a-fA-F]+|\d+)", read(path), re.M)
        if m:
            used.add(int(m.group(1), 0))
    i = FIRST_FREE_ID
    while i in used:
        i += 1
    return i


def new_server(root, name, boot):
    p = Plan(root)
    if os.path.exists(p.path("idl/%s.idl" % name)) or os.path.exists(p.path("servers/" + name)):
        raise ScaffoldError("a server or interface named '%s' exists already" % name)
    iid = free_iface_id(root)
    subs = dict(NAME=name, UNAME=name.upper(), ID="0x%06x" % iid)
    p.create("idl/%s.idl" % name, template("server.idl", **subs))
    p.create("servers/%s/%s.c" % (name, name), template("server.c", **subs))
    p.create("servers/%s/%s_client.c" % (name, name), template("client.c", **subs))
    p.create("tests/user/%s_test.c" % name, template("server_test.c", **subs))
    p.insert("idl/meson.build", r"^idl_names = \[\n", "  '%s',\n" % name, what="the interface")
    p.insert("servers/meson.build", r"^server_programs = \{\n",
             "  '%s': [['%s/%s.c'], '%s'],\n" % (name, name, name, name), what="the server")
    p.insert("servers/meson.build", r"^client_programs = \{\n",
             "  '%s_client': [['%s/%s_client.c'], '%s'],\n" % (name, name, name, name),
             what="the client")
    p.insert("tests/user/meson.build", r"^suite_programs = \{\n",
             "  '%s_test': ['%s_test.c', idl_stubs['%s'][0], idl_stubs['%s'][1]],\n"
             % (name, name, name, name), what="the test program")
    p.insert("tests/qemu/scen_user.py", r"^SUITE_TESTS = \[", '"%s_test", ' % name,
             what="the test")
    p.insert("docs/idl.md", r"^\| 0x7e0000\.\.", "| %s | `%s` | made by `./k42 new server` |\n"
             % (subs["ID"], name), where="before", what="the interface id")
    if boot:
        p.insert("rootfs/files/etc/boot.conf", r"^shell ",
                 "%-10s /servers/%-9s needs=name\n" % (name, name), where="before",
                 what="the boot.conf line")
    p.write()
    # The goldens record every interface's generated code (docs/idl.md).
    r = subprocess.run([sys.executable, os.path.join(root, "tests/stubgen/golden.py"), "--update"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    if r.returncode != 0:
        raise ScaffoldError("updating the stubgen goldens failed:\n" + r.stdout)
    print("  new   tests/stubgen/golden/%s/" % name)
    print("server '%s' (interface id %s). Next: ./k42 test --filter user/%s_test%s"
          % (name, subs["ID"], name, "" if boot else
             "; to start it at boot, add to rootfs/files/etc/boot.conf:\n  %s /servers/%s needs=name"
             % (name, name)))


def new_policy(root, name):
    p = Plan(root)
    subs = dict(NAME=name)
    p.create("libk42/src/sched_%s.c" % name, template("sched.c", **subs))
    p.create("tests/libk42/test_sched_%s.c" % name, template("test_sched.c", **subs))
    if re.search(r"^sched_policies = \[.*'%s'" % name, read(p.path("libk42/meson.build")), re.M):
        raise ScaffoldError("a policy named '%s' is registered already" % name)
    p.insert("libk42/meson.build", r"^sched_policies = \[[^\]]*", ", '%s'" % name,
             what="the policy")
    p.insert("tests/libk42/meson.build", r"^libk42_host_tests = \{\n",
             "  'sched_%s': [sched_sources, sched_registry_c],\n" % name, what="the host test")
    p.write()
    print("policy '%s'. Next: ./k42 test --filter 'libk42/sched|sched_swap|bootconf'; "
          "use it with `sched PID %s` or sched=%s in /etc/boot.conf" % (name, name, name))


def main(argv=None):
    ap = argparse.ArgumentParser(prog="./k42 new", description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", default=os.path.dirname(HERE), help=argparse.SUPPRESS)
    sub = ap.add_subparsers(dest="kind", metavar="KIND")
    sub.required = True
    s = sub.add_parser("server", help="an IDL interface, a server, a client and a test")
    s.add_argument("name")
    s.add_argument("--boot", action="store_true", help="also start it from /etc/boot.conf")
    s = sub.add_parser("policy", help="a user-level scheduling policy and its host test")
    s.add_argument("name")
    args = ap.parse_args(argv)
    if not NAME_RE.fullmatch(args.name):
        print("k42 new: '%s' is not a name: [a-z][a-z0-9_]*, up to 16 characters" % args.name,
              file=sys.stderr)
        return 2
    try:
        if args.kind == "server":
            new_server(args.root, args.name, args.boot)
        else:
            new_policy(args.root, args.name)
    except (ScaffoldError, OSError) as e:
        print("k42 new: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
