"""The ppc64le compiler command and the user-program flags of the build, for
tests that compile generated stubs for the target. Meson passes them in the
environment (tests/stubgen/meson.build), so a test compiles with exactly the
flags libk42 and the servers use: freestanding, -nostdinc, k42's own libc
headers. Nothing reaches a header that ./k42 did not install."""

import os


class NoTargetCompiler(Exception):
    pass


def target_cc():
    """[compiler, flags...] for the ppc64le user build, from the environment
    meson sets (K42_TARGET_CC and K42_TARGET_CFLAGS, newline-separated)."""
    cc = os.environ.get("K42_TARGET_CC", "")
    flags = os.environ.get("K42_TARGET_CFLAGS", "")
    if not cc or not flags:
        raise NoTargetCompiler(
            "K42_TARGET_CC/K42_TARGET_CFLAGS are not set: run this test "
            "through ./k42 test (or meson test -C build)")
    return [a for a in cc.split("\n") if a] + [a for a in flags.split("\n") if a]
