#!/bin/sh
# gen-quadlet-keys.sh: regenerate core/quadlet_keys_table.c, the quadlet keys of every Podman
# release since v4.4.0 and of main, from a clone of https://github.com/containers/podman.
#
#   third_party/podman/gen-quadlet-keys.sh PODMAN_GIT_DIR   # a clone or a bare mirror, fetched
#
# Prints the key count per section (the unit test's expected figures). Needs git and python3 at
# development time only; the build uses the generated file. Exit status 0, 1 when something in
# quadlet.go or quadlet-key-flags.txt needs a human (the message says what), 2 usage.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 PODMAN_GIT_DIR" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
gitdir=$(git -C "$1" rev-parse --absolute-git-dir) || exit 2
out=$top/core/quadlet_keys_table.c

python3 "$here/gen-quadlet-keys.py" "$gitdir" "$here/quadlet-key-flags.txt" "$out.tmp"
clang-format -i "$out.tmp" 2>/dev/null || true
mv "$out.tmp" "$out"
