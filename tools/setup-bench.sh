#!/usr/bin/env bash
# k42 bench set-up: the Linux baseline of ./k42 bench needs Debian's ppc64el
# kernel (vmlinux from linux-image-6.1.0-*-powerpc64le) and busybox-static.
# Both are fetched through a private APT configuration in the cache, like
# tools/setup.sh does for musl (never dpkg --add-architecture; the mirror is
# read from /etc/apt at run time), and unpacked into $CACHE/linux-ppc64el/:
#   vmlinux   the kernel (ELF, bootable with qemu -kernel)
#   busybox   static busybox for the initramfs
#   boot/     the rest of the kernel package's /boot (config, System.map)
# and, for the disk and network rows, the kernel's virtio and ext4 modules
# (Debian builds them as modules, not into the image) into
# $CACHE/linux-ppc64el-modules/ (a directory of its own, so the layout of
# linux-ppc64el/ stays as it was):
#   *.ko        virtio_pci, virtio_blk, virtio_net, ext4 and what they need
#   load-order  their file names, each after the modules it depends on
# Runs tools/setup.sh first (host packages, musl sysroot).
#
# Idempotent: a stamp records what was fetched; a second run fetches nothing.
# Prints three lines on stdout: the musl sysroot, the linux-ppc64el
# directory, then (last line) the modules directory.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${K42_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/k42}
OUT="$CACHE/linux-ppc64el"
STAMP="$OUT/.k42-bench-packages"
# What the stamp must say for the cache to count as complete; bump the
# trailing tag when the layout of $OUT changes.
WANT="linux-image-powerpc64le busybox-static layout=1"

log() { printf 'k42 setup-bench: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
# shellcheck source=tools/apt-private.sh
. "$ROOT/tools/apt-private.sh"

# Host packages and the musl sysroot (its last stdout line).
SYSROOT=$("$ROOT/tools/setup.sh" | tail -n 1)
[ -d "$SYSROOT" ] || die "tools/setup.sh did not produce a sysroot"

fetch() {
	# A private APT directory of its own, so this never races with
	# tools/setup.sh (which empties its debs/ directory on every fetch).
	local apt="$CACHE/apt-bench" conf kpkg deb tmp
	log "updating the private ppc64el package index"
	conf=$(private_apt "$apt")
	# The metapackage names the current ABI's image, e.g. linux-image-6.1.0-NN-powerpc64le.
	kpkg=$(APT_CONFIG="$conf" apt-cache depends linux-image-powerpc64le |
		awk '$1 ~ /Depends:/ && $2 ~ /^linux-image-6\.1\.0-.*-powerpc64le$/ { print $2; exit }')
	[ -n "$kpkg" ] || die "apt-cache depends linux-image-powerpc64le names no linux-image-6.1.0-*-powerpc64le"
	log "fetching $kpkg busybox-static into $CACHE"
	rm -f "$apt"/debs/*.deb
	(cd "$apt/debs" && APT_CONFIG="$conf" apt-get download -qq "$kpkg" busybox-static >&2)

	tmp="$OUT.new"
	rm -rf "$tmp"
	mkdir -p "$tmp/x"
	# Only /boot of the kernel package: its modules (hundreds of MB) are not
	# needed for an initramfs on the hvc console.
	deb=$(ls "$apt"/debs/linux-image-*.deb)
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/x" ./boot
	mv "$tmp/x/boot" "$tmp/boot"
	ln -s "boot/$(cd "$tmp/boot" && ls vmlinux-*)" "$tmp/vmlinux"
	[ -f "$tmp/vmlinux" ] || die "$kpkg has no /boot/vmlinux-*"
	dpkg-deb -x "$apt"/debs/busybox-static_*.deb "$tmp/x"
	cp "$tmp/x/bin/busybox" "$tmp/busybox"
	rm -rf "$tmp/x"
	{ echo "$WANT"; (cd "$apt/debs" && ls); } > "$tmp/.k42-bench-packages"
	# The .debs are unpacked; drop them (the kernel package is ~60 MB).
	rm -f "$apt"/debs/*.deb
	rm -rf "$OUT"
	mv "$tmp" "$OUT"
}

MODS="$CACHE/linux-ppc64el-modules"
# The modules the Linux baseline loads (insmod, in load-order) before it
# mounts the bench disk or brings up eth0.
WANT_MODS="virtio_pci virtio_blk virtio_net ext4 crc32c_generic"

fetch_modules() {
	# The kernel package the stamp of $OUT names, fetched again for its
	# /lib/modules (not kept in $OUT: hundreds of MB unpacked).
	local apt="$CACHE/apt-bench-modules" conf deb tmp kdeb kpkg
	kdeb=$(grep '^linux-image-.*\.deb$' "$STAMP" | head -n 1)
	[ -n "$kdeb" ] || die "$STAMP names no kernel package"
	kpkg=${kdeb%%_*}
	log "fetching $kpkg again for its virtio and ext4 modules"
	conf=$(private_apt "$apt")
	rm -f "$apt"/debs/*.deb
	(cd "$apt/debs" && APT_CONFIG="$conf" apt-get download -qq "$kpkg" >&2)
	deb=$(ls "$apt"/debs/linux-image-*.deb)
	tmp="$MODS.new"
	rm -rf "$tmp"
	mkdir -p "$tmp/x"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/x" ./lib/modules
	# No modules.dep in the package (depmod makes it at install time): the
	# closure comes from each module's own "depends=" field.
	python3 - "$tmp" $WANT_MODS <<'PY' || die "resolving the modules' dependencies failed"
import glob, os, re, shutil, sys
out, want = sys.argv[1], sys.argv[2:]
found = {}
for path in glob.glob(os.path.join(out, "x/lib/modules/*/kernel/**/*.ko"), recursive=True):
    found[os.path.basename(path)[:-3].replace("-", "_")] = path
order = []
def add(name, seen=()):
    if name in order:
        return
    if name not in found or name in seen:
        sys.exit("module %s not found (or a dependency loop)" % name)
    m = re.search(rb"depends=([^\0]*)\0", open(found[name], "rb").read())
    for dep in (m.group(1).decode().split(",") if m else []):
        if dep:
            add(dep.replace("-", "_"), seen + (name,))
    order.append(name)
for name in want:
    add(name)
with open(os.path.join(out, "load-order"), "w") as f:
    for name in order:
        shutil.copyfile(found[name], os.path.join(out, name + ".ko"))
        f.write(name + ".ko\n")
PY
	rm -rf "$tmp/x"
	{ echo "$WANT_MODS"; echo "$kdeb"; } > "$tmp/.k42-bench-modules"
	rm -f "$apt"/debs/*.deb
	rm -rf "$MODS"
	mv "$tmp" "$MODS"
}

if ! { [ -f "$STAMP" ] && [ "$(head -n1 "$STAMP")" = "$WANT" ] &&
       [ -f "$OUT/vmlinux" ] && [ -x "$OUT/busybox" ]; }; then
	fetch
fi
if ! { [ -f "$MODS/.k42-bench-modules" ] &&
       [ "$(head -n1 "$MODS/.k42-bench-modules")" = "$WANT_MODS" ] &&
       [ "$(sed -n 2p "$MODS/.k42-bench-modules")" = "$(grep '^linux-image-.*\.deb$' "$STAMP" | head -n 1)" ] &&
       [ -f "$MODS/load-order" ]; }; then
	fetch_modules
fi
printf '%s\n' "$SYSROOT"
printf '%s\n' "$OUT"
printf '%s\n' "$MODS"
