"""Compile step of the stubgen fuzzer (fuzz.py): write every distinct
successful output and syntax-check it twice, many files per invocation, in
parallel: with the host gcc (as the host loopback tests build stubs) and with
the ppc64le compiler and the build's own user-program flags (target_cc.py)."""

import concurrent.futures
import os
import re
import subprocess
import tempfile

# The project's own warning set (top-level meson.build), plus -Werror.
WARN = ["-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-Wshadow",
        "-Wstrict-prototypes", "-Wmissing-prototypes", "-Wpointer-arith",
        "-Wwrite-strings", "-Wvla", "-Wimplicit-fallthrough", "-Wformat=2",
        "-Wundef"]
BATCH = 40


def _run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    return r.returncode, r.stderr


def compile_all(distinct, args, repo, target):
    """Compiles every distinct output with the host compiler and with
    `target` ([cc, flags...] for ppc64le, or None to skip that half).
    Returns (number of outputs compiled, [(case, compiler output)])."""
    items = sorted(distinct.values(), key=lambda v: v[0])
    if not items:
        return 0, []
    inc = ["-I", os.path.join(repo, "abi", "include")]
    failures = []
    with tempfile.TemporaryDirectory(prefix="stubgen-fuzz-") as tmp:
        files = []
        owner = {}
        for case, outputs in items:
            d = os.path.join(tmp, "case%d" % case)
            os.mkdir(d)
            for name, text in outputs.items():
                if name.endswith(".md"):
                    continue
                path = os.path.join(d, name)
                with open(path, "w") as f:
                    f.write(text)
                if name.endswith(".c"):
                    files.append(path)
            owner["case%d" % case] = case
        cmds = []
        for k in range(0, len(files), BATCH):
            std = "-std=c11" if (k // BATCH) % 2 == 0 else "-std=gnu11"
            cmds.append([args.cc, std] + WARN + inc + files[k:k + BATCH])
        if target:
            for k in range(0, len(files), BATCH):
                cmds.append(target + ["-std=gnu11"] + WARN + files[k:k + BATCH])
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            results = list(pool.map(_run, cmds))
        for cmd, (rc, err) in zip(cmds, results):
            if rc == 0:
                continue
            cases = sorted({owner[m] for m in re.findall(r"(case\d+)/", err)
                            if m in owner})
            failures.append((cases[0] if cases else -1,
                             "%s: %s" % (os.path.basename(cmd[0]), err[:3000])))
        print("fuzz: compiled %d outputs (%d .c files, %d gcc runs%s)"
              % (len(items), len(files), len(cmds),
                 ", each for the host and for ppc64le" if target else
                 ", host only"))
    return len(items), failures
