#!/usr/bin/env bash
# k42 set-up: installs the host packages the build needs (apt-get) and
# fetches the ppc64el packages (musl, libfdt) into a cache outside the tree
# through a private APT configuration -- never dpkg --add-architecture,
# which breaks apt on these machines (see docs/building.md).
#
# Also fetches Debian's busybox-static (ppc64el) for the Linux personality
# into $CACHE/busybox-ppc64el/busybox (never committed; docs/linux.md),
# and the lwip source package into $CACHE/lwip/src (docs/network.md).
#
# Idempotent: a second run checks and returns without fetching anything.
# Prints the sysroot directory on its last line of stdout (the busybox
# binary is at ../busybox-ppc64el/busybox beside it).
set -euo pipefail

CACHE=${K42_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/k42}
HOST_PKGS=(gcc libc6-dev gcc-powerpc64le-linux-gnu binutils-powerpc64le-linux-gnu
           qemu-system-ppc qemu-system-data meson ninja-build device-tree-compiler
           cpio python3 python3-matplotlib gdb-multiarch libfdt-dev e2fsprogs)
TARGET_PKGS=(musl musl-dev libfdt-dev)
SYSROOT="$CACHE/sysroot-ppc64el"
STAMP="$SYSROOT/.k42-packages"

log() { printf 'k42 setup: %s\n' "$*" >&2; }
# shellcheck source=tools/apt-private.sh
. "$(dirname "${BASH_SOURCE[0]}")/apt-private.sh"

missing_host_pkgs() {
	local p
	for p in "${HOST_PKGS[@]}"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			printf '%s\n' "$p"
	done
}

install_host_pkgs() {
	local missing
	missing=$(missing_host_pkgs)
	[ -z "$missing" ] && return 0
	# shellcheck disable=SC2086
	if [ "$(id -u)" -ne 0 ]; then
		log "missing host packages; run as root:"
		echo "  apt-get update && apt-get install -y" $missing >&2
		exit 1
	fi
	log "installing host packages:" $missing
	apt-get update -qq >&2
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2
}

fetch_target_pkgs() {
	local want apt="$CACHE/apt" conf
	want="${TARGET_PKGS[*]}"
	if [ -f "$STAMP" ] && [ "$(head -n1 "$STAMP")" = "$want" ]; then
		return 0
	fi
	log "fetching ppc64el packages into $CACHE: $want"
	conf=$(private_apt "$apt")
	rm -f "$apt"/debs/*.deb
	(cd "$apt/debs" && APT_CONFIG="$conf" apt-get download -qq "${TARGET_PKGS[@]}" >&2)
	rm -rf "$SYSROOT.new"
	mkdir -p "$SYSROOT.new"
	for deb in "$apt"/debs/*.deb; do
		dpkg-deb -x "$deb" "$SYSROOT.new"
	done
	write_musl_specs "$SYSROOT.new" "$SYSROOT"
	{ echo "$want"; (cd "$apt/debs" && ls); } > "$SYSROOT.new/.k42-packages"
	rm -rf "$SYSROOT"
	mv "$SYSROOT.new" "$SYSROOT"
}

# GCC specs that point Debian's cross gcc at the extracted musl (from
# musl-dev's own musl-gcc.specs, with the paths moved into the sysroot).
write_musl_specs() {
	local tree=$1 final=$2 orig
	orig="$tree/usr/lib/powerpc64le-linux-musl/musl-gcc.specs"
	[ -f "$orig" ] || { log "musl-dev has no musl-gcc.specs"; exit 1; }
	sed -e "s|/usr/include/powerpc64le-linux-musl|$final/usr/include/powerpc64le-linux-musl|g" \
	    -e "s|/usr/lib/powerpc64le-linux-musl|$final/usr/lib/powerpc64le-linux-musl|g" \
	    "$orig" > "$tree/musl-gcc.specs"
}

# busybox-static in a directory (and APT tree) of its own, so its stamp
# never disturbs the sysroot's.
fetch_busybox() {
	local out="$CACHE/busybox-ppc64el" apt="$CACHE/apt-busybox" conf tmp
	if [ -x "$out/busybox" ] && [ "$(head -n1 "$out/.k42-packages" 2>/dev/null)" = "busybox-static" ]; then
		return 0
	fi
	log "fetching busybox-static (ppc64el) into $out"
	conf=$(private_apt "$apt")
	rm -f "$apt"/debs/*.deb
	(cd "$apt/debs" && APT_CONFIG="$conf" apt-get download -qq busybox-static >&2)
	tmp="$out.new"
	rm -rf "$tmp"
	mkdir -p "$tmp/x"
	dpkg-deb -x "$apt"/debs/busybox-static_*.deb "$tmp/x"
	cp "$tmp/x/bin/busybox" "$tmp/busybox"
	rm -rf "$tmp/x"
	{ echo "busybox-static"; (cd "$apt/debs" && ls); } > "$tmp/.k42-packages"
	rm -f "$apt"/debs/*.deb
	rm -rf "$out"
	mv "$tmp" "$out"
}

# lwIP's source package for the network server (docs/network.md), unpacked
# into $CACHE/lwip/src; built with the project's own lwipopts.h, never
# committed. Only the upstream tarball is used (Debian's patches are for
# its Unix port).
fetch_lwip() {
	local out="$CACHE/lwip" apt="$CACHE/apt-src" conf tmp orig
	if [ -f "$out/src/src/core/tcp.c" ] && [ "$(head -n1 "$out/.k42-packages" 2>/dev/null)" = "lwip" ]; then
		return 0
	fi
	log "fetching the lwip source package into $out"
	conf=$(private_apt "$apt" deb-src)
	tmp="$out.new"
	rm -rf "$tmp"
	mkdir -p "$tmp/dl" "$tmp/src"
	(cd "$tmp/dl" && APT_CONFIG="$conf" apt-get source --download-only -qq lwip >&2)
	orig=$(ls "$tmp"/dl/lwip_*.orig.tar.*)
	tar -xf "$orig" -C "$tmp/src" --strip-components=1
	[ -f "$tmp/src/src/core/tcp.c" ] || { log "the lwip source package has no src/core/tcp.c"; exit 1; }
	{ echo "lwip"; (cd "$tmp/dl" && ls); } > "$tmp/.k42-packages"
	rm -rf "$tmp/dl"
	rm -rf "$out"
	mv "$tmp" "$out"
}

install_host_pkgs
fetch_target_pkgs
fetch_busybox
fetch_lwip
printf '%s\n' "$SYSROOT"
