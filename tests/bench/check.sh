#!/usr/bin/env bash
# check.sh TAILPOD RUSAGE FLOOR: `make bench` for check — generated repos of 100, 1 000 and 10 000
# specs, each checked beside the floor measured in the same run (FLOOR, tests/bench/floor.c: open,
# read and close every file of the repo and the transforms, nothing else), in 7 pairs run
# alternately, check then floor, so that the machine's drift during the run touches both alike:
# each one's median wall time (its CPU time, peak RSS), and the median of the 7 pairs' ratios;
# quadsync's figure where the issue has one (issue 16); then one workload rendered. Runs in the test
# sandbox, whose config.env raises TAILPOD_MAX_WORKLOADS past the generated workloads. Figures,
# not pass/fail; but a repo that does not check clean is reported as an error, since the figures
# would be wrong.
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

PAIRS=7

# pairs FILE A... -- B...: PAIRS runs of commands A and B in the sandbox, alternating, into FILE
# as "A_LINE|B_LINE" lines of rusage's output.
pairs() {
	local out=$1 i
	local -a a=() b=()
	shift
	while [ "$1" != -- ]; do a+=("$1"); shift; done
	shift
	b=("$@")
	: >"$out"
	for ((i = 0; i < PAIRS; i++)); do
		printf '%s|%s\n' "$(sandbox_run "$sb" "$rusage" "${a[@]}")" \
			"$(sandbox_run "$sb" "$rusage" "${b[@]}")" >>"$out"
	done
}
# median_of FILE FIELD: the line of field FIELD (1 check, 2 floor) with the median wall time.
median_of() { cut -d'|' -f"$2" "$1" | sort -t' ' -k2,2n | sed -n "$(((PAIRS + 1) / 2))p"; }
# pair_ratio FILE COLUMN: the median over the pairs of check's figure over the floor's (2 wall, 5 cpu).
pair_ratio() {
	awk -F'|' -v c="$2" '{ split($1, a, " "); split($2, b, " "); print (b[c] > 0 ? a[c] / b[c] : 0) }' "$1" |
		sort -n | sed -n "$(((PAIRS + 1) / 2))p" | awk '{ printf "%.2fx", $1 }'
}

declare -A quadsync=([10000]='quadsync 0.29 s, 12 MiB')
for n in 100 1000 10000; do
	"$top/tests/bench/gen-repo.sh" "$n" "$work/$n"
	files=$(find "$work/$n/repo" -type f | wc -l)
	bytes=$(du -sb "$work/$n/repo" | cut -f1)
	pairs "$work/pairs" "$tailpod" check -q --transforms "$work/$n/transforms" "$work/$n/repo" -- \
		"$floor" "$work/$n/repo" "$work/$n/transforms"
	result=$(median_of "$work/pairs" 1)
	if cut -d'|' -f1 "$work/pairs" | grep -v -q 'exit 0$'; then
		echo "bench: check found errors in the generated repo" >&2
		exit 1
	fi
	floor_result=$(median_of "$work/pairs" 2)
	printf 'check  %5d specs (%5d files, %7d bytes): %s\n' "$n" "$files" "$bytes" "$result"
	printf 'check  %5d specs, floor (open+read+close): %s\n' "$n" "$floor_result"
	printf 'check  %5d specs: %s the floor (wall), %s (cpu), medians of %d pairs%s\n' "$n" \
		"$(pair_ratio "$work/pairs" 2)" "$(pair_ratio "$work/pairs" 5)" "$PAIRS" \
		"${quadsync[$n]:+; predecessor: ${quadsync[$n]}}"
	printf 'render %5d specs, one pod:                      ' "$n"
	sandbox_run "$sb" "$rusage" sh -c '"$1" check -q --transforms "$2" "$3" --render w000006 >/dev/null' _ \
		"$tailpod" "$work/$n/transforms" "$work/$n/repo"
done
