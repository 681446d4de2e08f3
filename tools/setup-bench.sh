#!/usr/bin/env bash
# k42 bench set-up: the Linux baseline of ./k42 bench needs Debian's ppc64el
# kernel (vmlinux from linux-image-6.1.0-*-powerpc64le) and busybox-static.
# Both are fetched through a private APT configuration in the cache, like
# tools/setup.sh does for musl (never dpkg --add-architecture; the mirror is
# read from /etc/apt at run time), and unpacked into $CACHE/linux-ppc64el/:
#   vmlinux   the kernel (ELF, bootable with qemu -kernel)
#   busybox   static busybox for the initramfs
#   boot/     the rest of the kernel package's /boot (config, System.map)
# Runs tools/setup.sh first (host packages, musl sysroot).
#
# Idempotent: a stamp records what was fetched; a second run fetches nothing.
# Prints two lines on stdout: the musl sysroot, then (last line) the
# linux-ppc64el directory.
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

if ! { [ -f "$STAMP" ] && [ "$(head -n1 "$STAMP")" = "$WANT" ] &&
       [ -f "$OUT/vmlinux" ] && [ -x "$OUT/busybox" ]; }; then
	fetch
fi
printf '%s\n' "$SYSROOT"
printf '%s\n' "$OUT"
