#!/usr/bin/env bash
# check.sh TAILPOD RUSAGE FLOOR: `make bench` for check — generated repos of 100, 1 000 and 10 000
# specs, each checked (median wall time of 5 runs, its CPU time, peak RSS) beside the floor measured in the
# same run (FLOOR, tests/bench/floor.c: open, read and close every file of the repo and the
# transforms, nothing else), the ratio of the two, and quadsync's figure where the issue has one
# (issue 16); then one workload rendered. Runs in the test sandbox, whose config.env raises
# TAILPOD_MAX_WORKLOADS past the generated workloads. Figures, not pass/fail; but a repo that
# does not check clean is reported as an error, since the figures would be wrong.
set -euo pipefail

tailpod=$(realpath "$1")
rusage=$(realpath "$2")
floor=$(realpath "$3")
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/tailpod-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export TP_TOP=$top TP_BIN=$tailpod TP_QEMU=
. "$top/tests/sandbox/lib.sh"
sb=$work/sb
sandbox_new "$sb"
echo TAILPOD_MAX_WORKLOADS=20000 >"$sb/etc/tailpod/config.env"

# median CMD...: the line of rusage with the median wall time of 5 runs of CMD in the sandbox.
median() {
	for _ in 1 2 3 4 5; do
		sandbox_run "$sb" "$rusage" "$@"
	done | sort -t' ' -k2,2n | sed -n 3p
}
wall() { set -- $1; echo "$2"; }
cpu() { set -- $1; echo "$5"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else printf "-" }'; }

declare -A quadsync=([10000]='quadsync 0.29 s, 12 MiB')
for n in 100 1000 10000; do
	"$top/tests/bench/gen-repo.sh" "$n" "$work/$n"
	files=$(find "$work/$n/repo" -type f | wc -l)
	bytes=$(du -sb "$work/$n/repo" | cut -f1)
	result=$(median "$tailpod" check -q --transforms "$work/$n/transforms" "$work/$n/repo")
	case $result in *"exit 0") ;; *) echo "bench: check found errors in the generated repo" >&2; exit 1 ;; esac
	floor_result=$(median "$floor" "$work/$n/repo" "$work/$n/transforms")
	printf 'check  %5d specs (%5d files, %7d bytes): %s\n' "$n" "$files" "$bytes" "$result"
	printf 'check  %5d specs, floor (open+read+close): %s\n' "$n" "$floor_result"
	printf 'check  %5d specs: %s the floor (wall), %s (cpu)%s\n' "$n" \
		"$(ratio "$(wall "$result")" "$(wall "$floor_result")")" \
		"$(ratio "$(cpu "$result")" "$(cpu "$floor_result")")" \
		"${quadsync[$n]:+; predecessor: ${quadsync[$n]}}"
	printf 'render %5d specs, one pod:                      ' "$n"
	sandbox_run "$sb" "$rusage" sh -c '"$1" check -q --transforms "$2" "$3" --render w000006 >/dev/null' _ \
		"$tailpod" "$work/$n/transforms" "$work/$n/repo"
done
