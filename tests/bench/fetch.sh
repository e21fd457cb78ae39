#!/usr/bin/env bash
# fetch.sh TAILPOD RUSAGE: `make bench` for the fetch — `tailpod sync --fetch-only` of a generated
# repo of 1 000 specs over file:// and over ssh (OpenSSH's sshd on loopback, ed25519 deploy key),
# first fetch and an up-to-date second one, with wall time and peak RSS. Figures, not pass/fail.
set -euo pipefail

tailpod=$(realpath "$1")
rusage=$(realpath "$2")
top=$(cd "$(dirname "$0")/../.." && pwd)
T_ROOT=$(mktemp -d /tmp/tailpod-bench.XXXXXX)
chmod 0711 "$T_ROOT" # the fetch runs as the sandbox's tailpod-fetch user
export TP_TOP=$top TP_BIN=$tailpod TP_QEMU=
. "$top/tests/sandbox/lib.sh" # sandbox_new: the peers' lib expects it loaded (tests/applets/lib.sh does)
. "$top/tests/peers/lib.sh"   # its EXIT trap stops the servers and removes T_ROOT
# As root in the test sandbox, whose /etc has the fetch user (the host's may not).
sandbox_new "$T_ROOT/sb"

n=1000
"$top/tests/bench/gen-repo.sh" "$n" "$T_ROOT/gen"
make_origin "$T_ROOT/origin.git" "$T_ROOT/gen/repo" >/dev/null
start_sshd "$T_ROOT/sshd"
ssh-keygen -q -t ed25519 -N '' -f "$T_ROOT/deploy" </dev/null >/dev/null
cat "$T_ROOT/deploy.pub" >"$T_ROOT/sshd/authorized_keys"
ssh-keyscan -p "$SSHD_PORT" -t ecdsa 127.0.0.1 2>/dev/null >"$T_ROOT/known_hosts"

bench() {
	local label=$1 url=$2 dir=$T_ROOT/$1
	mkdir -p "$dir"
	cat >"$dir/config.env" <<CFG
TAILPOD_GIT_URL=$url
TAILPOD_STATE_DIR=$dir/state
TAILPOD_TRANSFORM_DIR=$T_ROOT/gen/transforms
TAILPOD_SSH_KEY=$T_ROOT/deploy
TAILPOD_SSH_KNOWN_HOSTS=$T_ROOT/known_hosts
CFG
	for run in first again; do
		printf 'fetch %-5s %4d specs, %-5s ' "$label" "$n" "$run"
		"$rusage" sh -c '"$1" "$2" "$3" sync --fetch-only -q --config "$4" >/dev/null' _ \
			"$top/tests/sandbox/enter" "$T_ROOT/sb" "$tailpod" "$dir/config.env"
	done
}

bench file "file://$T_ROOT/origin.git"
bench ssh "ssh://root@127.0.0.1:$SSHD_PORT$T_ROOT/origin.git"
