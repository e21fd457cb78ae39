#!/usr/bin/env bash
# fetch-demo.sh TAILPOD: the fetch part of `make demo`. Publishes tests/example/repo as a git
# remote in a scratch directory (with the system git: tailpod itself never runs git), then shows
# `tailpod sync --fetch-only` reading it through libgit2 and printing what it would deploy. It
# runs as root in the test sandbox (tests/sandbox), whose /etc has the tailpod-fetch user the
# fetch drops to; nothing on this machine changes.
set -euo pipefail

tailpod=$(realpath "$1")
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/tailpod-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 0711 "$work" # the fetch user reads the file:// remote and writes state-fetch here
export TP_TOP=$top TP_BIN=$tailpod TP_QEMU=
. "$top/tests/sandbox/lib.sh"
sandbox_new "$work/sandbox"

git init -q --bare -b main "$work/origin.git"
cp -a "$top/tests/example/repo" "$work/checkout"
git -C "$work/checkout" init -q -b main
git -C "$work/checkout" add -A
git -C "$work/checkout" -c user.name=demo -c user.email=demo@example.invalid commit -q -m example
git -C "$work/checkout" push -q "$work/origin.git" main

cat >"$work/config.env" <<CFG
TAILPOD_GIT_URL=file://$work/origin.git
TAILPOD_STATE_DIR=$work/state
TAILPOD_TRANSFORM_DIR=$top/tests/example/transforms
CFG
echo "\$ tailpod sync --fetch-only --config config.env   # TAILPOD_GIT_URL=file://.../origin.git"
sandbox_tp "$work/sandbox" sync --fetch-only --config "$work/config.env"
