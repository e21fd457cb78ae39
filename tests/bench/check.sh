#!/usr/bin/env bash
# check.sh TAILPOD RUSAGE: `make bench` for check — generated repos of 100, 1 000 and 10 000 specs,
# each checked (and one workload rendered) with wall time and peak RSS. Figures, not pass/fail;
# but a repo that does not check clean is reported as an error, since the figures would be wrong.
set -euo pipefail

tailpod=$1
rusage=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/tailpod-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

for n in 100 1000 10000; do
	"$top/tests/bench/gen-repo.sh" "$n" "$work/$n"
	files=$(find "$work/$n/repo" -type f | wc -l)
	bytes=$(du -sb "$work/$n/repo" | cut -f1)
	printf 'check  %5d specs (%5d files, %7d bytes): ' "$n" "$files" "$bytes"
	result=$("$rusage" "$tailpod" check -q --transforms "$work/$n/transforms" "$work/$n/repo")
	echo "$result"
	case $result in *"exit 0") ;; *) echo "bench: check found errors in the generated repo" >&2; exit 1 ;; esac
	printf 'render %5d specs, one pod:                      ' "$n"
	"$rusage" sh -c '"$1" check -q --transforms "$2" "$3" --render w000006 >/dev/null' _ \
		"$tailpod" "$work/$n/transforms" "$work/$n/repo"
done
