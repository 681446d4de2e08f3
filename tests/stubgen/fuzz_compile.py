"""Compile step of the stubgen fuzzer (fuzz.py): write a deduplicated,
seeded sample of successful outputs and syntax-check them with gcc, many
files per invocation, in parallel; a few also with the ppc64le cross
compiler when it is installed."""

import concurrent.futures
import os
import random
import re
import shutil
import subprocess
import tempfile

# The project's own warning set (top-level meson.build), plus -Werror.
WARN = ["-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-Wshadow",
        "-Wstrict-prototypes", "-Wmissing-prototypes", "-Wpointer-arith",
        "-Wwrite-strings", "-Wvla", "-Wimplicit-fallthrough", "-Wformat=2",
        "-Wundef"]
BATCH = 40
CROSS = "powerpc64le-linux-gnu-gcc"
CROSS_SAMPLE = 40


def _run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    return r.returncode, r.stderr


def compile_samples(distinct, args, repo):
    """Returns (number of outputs compiled, [(case, compiler output)])."""
    items = sorted(distinct.values(), key=lambda v: v[0])
    if len(items) > args.compile:
        items = sorted(random.Random(args.seed).sample(items, args.compile),
                       key=lambda v: v[0])
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
        cross = shutil.which(CROSS)
        if cross:
            some = files[:2 * CROSS_SAMPLE]
            for k in range(0, len(some), BATCH):
                cmds.append([cross, "-std=gnu11"] + WARN + inc +
                            some[k:k + BATCH])
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
                 ", some for ppc64le" if cross else ""))
    return len(items), failures
