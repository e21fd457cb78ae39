#!/bin/sh
# verify-against-podman.sh: diff core/quadlet_keys.c against the supported*Keys maps of a Podman
# source tree. Not wired into the build; see README beside this file.
#
#   verify-against-podman.sh PODMAN_SRC    # unpacked tree, or pkg/systemd/quadlet/quadlet.go itself
#   verify-against-podman.sh --list PODMAN_SRC   # only print podman's "Section Key" lines
#
# Exit status: 0 the tables match, 1 they differ, 2 usage or setup error.
set -eu

list_only=0
if [ "${1:-}" = --list ]; then
	list_only=1
	shift
fi
if [ $# -ne 1 ]; then
	echo "usage: $0 [--list] PODMAN_SRC" >&2
	exit 2
fi

src=$1
if [ -d "$src" ]; then
	go=$src/pkg/systemd/quadlet/quadlet.go
	rawversion=$src/version/rawversion/version.go
else
	go=$src
	rawversion=
fi
if [ ! -r "$go" ]; then
	echo "$0: cannot read $go" >&2
	exit 2
fi

# Resolve the Key* and *Group constants, then print "Section Key" for each supported key. Two
# layouts are understood: v5.4.x, one `supportedContainerKeys = map[string]bool{` per section, and
# v5.5+ (groupsInfo), `GroupName: ContainerGroup,` followed by `SupportedKeys: map[string]bool{`.
# Entries are one `KeyName: true,` per line. Anything unresolved or unparsed is an error.
extract() {
	awk '
	/^\t*Key[A-Za-z0-9]+ *= *"/ {
		v = $0; sub(/^[^"]*"/, "", v); sub(/".*/, "", v); konst[$1] = v; next
	}
	/^\t*[A-Za-z]+Group *= *"/ {
		v = $0; sub(/^[^"]*"/, "", v); sub(/".*/, "", v); group[$1] = v; next
	}
	/supported[A-Za-z]+Keys *= *map\[string\]bool *\{/ {
		sec = $1; sub(/^supported/, "", sec); sub(/Keys$/, "", sec); inmap = 1; next
	}
	/^\t*GroupName: *[A-Za-z]+Group,/ {
		g = $2; sub(/,$/, "", g)
		if (!(g in group)) { print "unresolved group: " g > "/dev/stderr"; bad = 1 }
		pending = group[g]; next
	}
	/^\t*SupportedKeys: *map\[string\]bool *\{/ { sec = pending; inmap = 1; next }
	inmap && /^\t*\}/ { inmap = 0; next }
	inmap && /^\t*Key[A-Za-z0-9]+ *:/ { k = $1; sub(/:$/, "", k); ref[++n] = sec " " k; next }
	inmap && /^\t*"[^"]+" *:/ { k = $1; gsub(/[":]/, "", k); lit[++n] = sec " " k; next }
	inmap && /[^ \t]/ && !/^\t*\/\// { print "unparsed: " $0 > "/dev/stderr"; bad = 1 }
	END {
		if (n == 0) { print "no supported*Keys maps found" > "/dev/stderr"; exit 1 }
		for (i = 1; i <= n; i++) {
			if (i in lit) { print lit[i]; continue }
			split(ref[i], p, " ")
			if (!(p[2] in konst)) { print "unresolved: " ref[i] > "/dev/stderr"; bad = 1; continue }
			print p[1] " " konst[p[2]]
		}
		exit bad
	}' "$1" | LC_ALL=C sort
}

podman_keys=$(extract "$go") || { echo "$0: could not parse $go" >&2; exit 2; }
if [ "$list_only" = 1 ]; then
	printf '%s\n' "$podman_keys"
	exit 0
fi

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

${CC:-cc} -std=gnu11 -Wall -Wextra -Werror -I"$top/core" "$here/dump.c" \
	"$top/core/quadlet_keys.c" -o "$tmp/dump" || exit 2
"$tmp/dump" >"$tmp/dump.out" || exit 2
ours_version=$(sed -n 's/^# podman //p' "$tmp/dump.out")
grep -v '^#' "$tmp/dump.out" | LC_ALL=C sort >"$tmp/ours"
printf '%s\n' "$podman_keys" >"$tmp/podman"

if [ -n "$rawversion" ] && [ -r "$rawversion" ]; then
	theirs_version=$(sed -n 's/^const RawVersion = "\(.*\)"/\1/p' "$rawversion")
	if [ "$theirs_version" != "$ours_version" ]; then
		echo "note: tables say podman $ours_version, source tree is $theirs_version" >&2
	fi
fi

if diff -u --label "podman $go" --label "tailpod core/quadlet_keys.c ($ours_version)" \
	"$tmp/podman" "$tmp/ours"; then
	echo "match: $(wc -l <"$tmp/ours") keys in $(cut -d' ' -f1 "$tmp/ours" | uniq | wc -l) sections"
	exit 0
fi
exit 1
