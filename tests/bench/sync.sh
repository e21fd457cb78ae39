#!/usr/bin/env bash
# sync.sh TAILPOD RUSAGE: `make bench` for the reconcile — 200 workloads in the test sandbox
# (tests/sandbox: stub useradd, loginctl, systemctl), the first sync that deploys them all, then a
# no-op sync of the healthy host: wall time, peak RSS and the number of child processes it
# started (counted by strace as clone/fork calls; the target is 0). Figures, not pass/fail; needs
# root (unshare) and strace.
set -euo pipefail

tailpod=$(realpath "$1")
rusage=$(realpath "$2")
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/tailpod-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export TP_TOP=$top TP_BIN=$tailpod TP_QEMU=
. "$top/tests/sandbox/lib.sh"

n=200
sb=$work/sandbox
sandbox_new "$sb"
mkdir "$work/repo"
for i in $(seq -w 1 $n); do
	printf '[Container]\nImage=docker.io/library/busybox:1.36\nExec=httpd -f -p %d\n' \
		$((8000 + 10#$i)) >"$work/repo/w$i.container"
done
git init -q --bare -b main "$work/origin.git"
git -C "$work/repo" init -q -b main
git -C "$work/repo" add -A
git -C "$work/repo" -c user.name=b -c user.email=b@b commit -q -m bench
git -C "$work/repo" push -q "$work/origin.git" main
cat >"$work/config.env" <<CFG
TAILPOD_GIT_URL=file://$work/origin.git
TAILPOD_STATE_DIR=$sb/state
TAILPOD_TRANSFORM_DIR=$work/none
CFG

printf 'sync   %d workloads, first deploy (stub commands): ' "$n"
sandbox_run "$sb" "$rusage" "$tailpod" sync --config "$work/config.env" 2>/dev/null | tail -n 1
printf 'sync   %d workloads, healthy, no-op:              ' "$n"
sandbox_run "$sb" "$rusage" "$tailpod" sync --config "$work/config.env" 2>/dev/null | tail -n 1
if command -v strace >/dev/null; then
	sandbox_run "$sb" strace -f -qq -o "$work/trace" -e trace=clone,clone3,fork,vfork \
		"$tailpod" sync --config "$work/config.env" >/dev/null 2>&1
	printf 'sync   %d workloads, healthy, no-op: %d child processes\n' "$n" \
		"$(grep -c -E '^[0-9]+ +(clone|clone3|fork|vfork)\(' "$work/trace" || true)"
else
	echo "sync   child processes: not counted (no strace)"
fi
