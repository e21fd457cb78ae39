#!/usr/bin/env bash
# doctor.sh TAILPOD RUSAGE FLOOR: `make bench` for `tailpod doctor` on a healthy host of 50
# workloads (tests/bench/healthy-host.py, in the test sandbox): wall time (median of 5), CPU time
# and peak RSS beside the floor (tests/bench/floor.c: open, read and close every file of the homes
# and the state directory, what doctor reads most of), and the child processes it starts (strace
# -f: none — it reads files and cgroups instead of running systemctl). Figures, not pass/fail.
set -euo pipefail

tailpod=$(realpath "$1")
rusage=$(realpath "$2")
floor=$(realpath "$3")
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/tailpod-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 0711 "$work"
export TP_TOP=$top TP_BIN=$tailpod TP_QEMU=
. "$top/tests/sandbox/lib.sh"

n=50
sandbox_new "$work/sb"
"$top/tests/bench/healthy-host.py" "$n" "$work" "$work/sb"
mkdir -p "$work/sb/run/systemd/system" # systemd "runs": the service and manager rows are read too
printf 'TAILPOD_GIT_URL=file://%s/origin.git\nTAILPOD_STATE_DIR=%s/sb/state\nTAILPOD_HEALTH_SETTLE=0\n' "$work" "$work" \
	>"$work/config.env"

# median CMD...: the rusage line with the median wall time of 5 runs in the sandbox.
median() {
	for _ in 1 2 3 4 5; do
		sandbox_run "$work/sb" "$rusage" "$@" 2>/dev/null | tail -n 1
	done | sort -t' ' -k2,2n | sed -n 3p
}
printf 'doctor %5d workloads, healthy: %s\n' "$n" \
	"$(median "$tailpod" doctor --config "$work/config.env")"
printf 'doctor %5d workloads, floor (open+read+close of homes and state): %s\n' "$n" \
	"$(median "$floor" "$work/sb/home" "$work/sb/state")"
sandbox_run "$work/sb" strace -f -qq -o "$work/trace" "$tailpod" doctor --config "$work/config.env" \
	>/dev/null 2>&1 || true
printf 'doctor %5d workloads: %d child processes, %d syscalls\n' "$n" \
	"$(grep -c -E '^[0-9]+ +(clone|clone3|fork|vfork)\(' "$work/trace" || true)" \
	"$(grep -c -v -E '^[0-9]+ +(\+\+\+|---)' "$work/trace" || true)"
