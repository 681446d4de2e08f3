# Sourced by tools/setup.sh and tools/setup-bench.sh: a private APT
# configuration for ppc64el packages in a cache directory, so target
# packages are fetched without touching the machine's dpkg architectures
# (dpkg --add-architecture breaks apt-get update on these machines).
# Callers define log().

# The Debian mirror this machine already uses (never hard-coded).
debian_mirror() {
	local uri=""
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
			/etc/apt/sources.list.d/debian.sources)
	fi
	if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
		uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($i !~ /security/) { print $i; exit } else break } }' \
			/etc/apt/sources.list)
	fi
	[ -n "$uri" ] || { log "cannot find a Debian mirror in /etc/apt"; exit 1; }
	printf '%s\n' "$uri"
}

# private_apt DIR [deb-src]: set up DIR as a private ppc64el APT tree (of
# source packages with deb-src), update its index, and print the apt.conf
# to use with APT_CONFIG.
private_apt() {
	local apt=$1 kind=${2:-deb}
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs" || exit 1
	printf '%s [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s bookworm main\n' \
		"$kind" "$(debian_mirror)" > "$apt/sources.list"
	cat > "$apt/apt.conf" <<CONF
Dir::Etc::SourceList "$apt/sources.list";
Dir::Etc::SourceParts "/nonexistent";
Dir::State::Lists "$apt/lists";
Dir::Cache "$apt/cache";
APT::Architecture "ppc64el";
APT::Architectures { "ppc64el"; };
APT::Sandbox::User "root";
CONF
	# Runs in a command substitution, where set -e does not reach: check.
	APT_CONFIG="$apt/apt.conf" apt-get update -qq >&2 ||
		{ log "apt-get update of the private ppc64el index failed"; exit 1; }
	printf '%s\n' "$apt/apt.conf"
}
