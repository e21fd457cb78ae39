#!/usr/bin/env bash
# fetch-demo.sh TAILPOD: the fetch part of `make demo`. Publishes tests/example/repo as a git
# remote in a scratch directory (with the system git: tailpod itself never runs git), then shows
# `tailpod sync --fetch-only` reading it through libgit2 and printing what it would deploy.
set -euo pipefail

tailpod=$(realpath "$1")
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/tailpod-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT

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
"$tailpod" sync --fetch-only --config "$work/config.env"
