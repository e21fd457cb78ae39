#!/usr/bin/env bash
# run.sh: the test driver behind `make test`. Runs the core unit tests (host build, ASan+UBSan),
# replays the fuzzers' seed corpora (tests/fuzz/corpus), then the black-box applet tests once per
# architecture against the static binary (aarch64 under qemu-user) and once on a host that looks
# installed, these passes side by side, and beside them the VM test of tests/vm (a real systemd +
# Podman guest under qemu); it ends with one line "N passed, N failed, N skipped".
# Every suite says how many checks it expected and how many ran; a difference is a failure, and so
# is a failure of the harness itself (a mock that did not start, a boot that did not happen).
# A skip fails the run unless asked for by name: TP_VM=no leaves the VM test out, and
# TP_ALLOW_SKIP="vm test-NAME..." (names as the summary lines print them) lets those suites skip.
# Exit status 0 only when nothing failed, nothing was skipped unasked and something ran.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
arches="x86_64"
unit_bins=""
fuzz_bins=""
while [ $# -gt 0 ]; do
	case $1 in
	--arches) arches=$2; shift 2 ;;
	--unit) unit_bins=$2; shift 2 ;;
	--fuzz) fuzz_bins=$2; shift 2 ;;
	*) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done

passed=0
failed=0
skipped=0
unasked=0

# skip_suite NAME REASON: count a skipped suite; it fails the run unless TP_ALLOW_SKIP names it.
skip_suite() {
	local name=$1 reason=$2
	skipped=$((skipped + 1))
	if [[ " ${TP_ALLOW_SKIP:-} " == *" $name "* ]]; then
		echo "$name skipped (TP_ALLOW_SKIP): $reason"
	else
		echo "$name skipped, not asked for (TP_ALLOW_SKIP=\"$name\" allows it): $reason"
		unasked=$((unasked + 1))
	fi
}

# Issue 23: the tests' scratch trees go to a TMPDIR of the run's own, and the run ends by checking
# that the host looks as it did before (tests/sandbox/host-listing).
TMPDIR=$(mktemp -d /tmp/tailpod-run.XXXXXX) && chmod 0711 "$TMPDIR" && export TMPDIR || exit 2
trap '[ -z "${vm_pid:-}" ] || kill "$vm_pid" 2>/dev/null; rm -rf "$TMPDIR" "$TMPDIR.before"' EXIT
trap 'exit 130' INT TERM
"$top/tests/sandbox/host-listing" >"$TMPDIR.before"

# cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s), listed below:".
run_unit() {
	local bin=$1 out p f s e rc
	out=$("$top/$bin" 2>&1); rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -n1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | head -n1)
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' <<<"$out" | head -n1)
	p=${p:-0} f=${f:-0} s=${s:-0}
	# A crash (sanitizer abort) or a non-zero status with no failure counted is one failure.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	if [ "$f" -ne 0 ] || [ "$p" -eq 0 ]; then
		printf '%s\n' "$out" | grep -v '^\[ \(RUN\|      OK\) ' | sed "s|^|  $(basename "$bin"): |"
		[ "$f" -eq 0 ] && f=1
	fi
	# cmocka's own count of the tests it was given, "[==========] Running N test(s)."
	e=$(sed -n 's/^\[==========\] Running \([0-9]*\) test.*/\1/p' <<<"$out" | head -n1)
	if [ "${e:-0}" -eq 0 ] || [ "$((p + f + s))" -ne "$e" ]; then
		echo "  $(basename "$bin"): expected ${e:-?} tests, $((p + f + s)) reported"
		f=$((f + 1))
	fi
	printf 'unit %-22s %3d passed, %d failed, %d skipped (of %s)\n' "$(basename "$bin")" "$p" \
		"$f" "$s" "${e:-?}"
	passed=$((passed + p)) failed=$((failed + f))
	# Skipped tests are never counted as passed, and fail the run unless asked for.
	if [ "$s" -ne 0 ]; then
		printf '%s\n' "$out" | grep '^\[  SKIPPED \] ' | sed "s|^|  $(basename "$bin"): |"
		skip_suite "$(basename "$bin")" "$s tests skipped"
	fi
}

# Each fuzz harness replays every file of its committed corpus once (libFuzzer runs the files
# given as arguments and exits): a crash, or fewer inputs run than files, is a failure.
run_fuzz_replay() {
	local bin=$1 name out rc n ran
	name=${bin##*/fuzz-}
	local dir=$top/tests/fuzz/corpus/$name
	n=$(find "$dir" -maxdepth 1 -type f 2>/dev/null | wc -l)
	if [ ! -x "$top/$bin" ] || [ "$n" -eq 0 ]; then
		echo "fuzz $name: harness $bin or corpus $dir missing"
		failed=$((failed + 1)); return
	fi
	out=$(find "$dir" -maxdepth 1 -type f -print0 | sort -z |
		xargs -0 "$top/$bin" -runs=1 2>&1); rc=$?
	ran=$(grep -c '^Executed ' <<<"$out")
	if [ "$rc" -ne 0 ] || [ "$ran" -ne "$n" ]; then
		grep -E 'ERROR|SUMMARY|Running:' <<<"$out" | tail -n 20 | sed "s|^|  fuzz $name: |"
		echo "  fuzz $name: expected $n inputs, $ran ran, exit $rc"
		printf 'fuzz %-23s %3d passed, 1 failed (corpus of %d)\n' "$name" 0 "$n"
		failed=$((failed + 1)); return
	fi
	printf 'fuzz %-23s %3d passed, 0 failed (corpus of %d)\n' "$name" 1 "$n"
	passed=$((passed + 1))
}

# Each tests/applets/*.test and tests/peers/*.test runs in its own bash with the harness loaded; the harness prints
# one "PASS: ..." or "FAIL: ..." per test, "plan N ran M" (N from the file's `plan N`) and a final
# "counts P F" line. No plan, or a plan other than what ran, is one more failure.
# run_applet_tests ARCH [WRAPPER]: WRAPPER runs each file's bash (tests/sandbox/installed-host).
run_applet_tests() {
	local arch=$1 wrap=${2:-} label=applets qemu="" file out p f planned ran t0
	[ -z "$wrap" ] || label=installed
	local bin="$top/build/$arch/tailpod"
	if [ "$arch" = aarch64 ]; then qemu=qemu-aarch64-static; fi
	if [ ! -x "$bin" ]; then
		echo "applets $arch: binary $bin missing"
		failed=$((failed + 1)); return
	fi
	for file in "$top"/tests/applets/*.test "$top"/tests/peers/*.test; do
		[ -e "$file" ] || continue
		# sandbox.test proves the sandbox against the real host, and builds an installed host
		# of its own for that (its "on an installed host" test): it is not rerun inside one.
		if [ -n "$wrap" ] && [ "${file##*/}" = sandbox.test ]; then continue; fi
		t0=$SECONDS
		out=$(TP_ARCH=$arch TP_BIN=$bin TP_QEMU=$qemu TP_TOP=$top \
			$wrap bash -c '. "$TP_TOP/tests/applets/lib.sh"
				case $1 in */peers/*) . "$TP_TOP/tests/peers/lib.sh" ;; esac
				. "$1"; testing_done' _ "$file" 2>&1)
		p=$(sed -n 's/^counts \([0-9]*\) [0-9]*$/\1/p' <<<"$out")
		f=$(sed -n 's/^counts [0-9]* \([0-9]*\)$/\1/p' <<<"$out")
		planned=$(sed -n 's/^plan \([0-9]*\) ran [0-9]*$/\1/p' <<<"$out")
		ran=$(sed -n 's/^plan [0-9a-z]* ran \([0-9]*\)$/\1/p' <<<"$out")
		if [ -z "$p" ]; then p=0 f=1; fi
		grep -v '^counts \|^PASS: \|^plan [0-9a-z]* ran [0-9]*$' <<<"$out" | sed "s|^|  |"
		if [ -z "$planned" ] || [ "$planned" != "$ran" ]; then
			echo "  $(basename "$file"): planned ${planned:-no plan}, ran ${ran:-?} checks"
			f=$((f + 1))
		fi
		# The seconds each suite took: CI has a 90-minute limit (figures, never a verdict).
		printf '%-8s %-8s %-16s %3d passed, %d failed (of %s) %5ds\n' "$label" "$arch" \
			"$(basename "$file")" "$p" "$f" "${planned:-?}" $((SECONDS - t0))
		passed=$((passed + p)) failed=$((failed + f))
	done
}

# The VM test (tests/vm/run.sh): x86_64 only, when the native binary is x86_64. It prints PASS/FAIL
# lines and "counts P F", or one "SKIP: reason" line (no qemu or guest image here), which counts as
# skipped, never as passed, and fails the run unless TP_ALLOW_SKIP names vm.
# TP_VM=no leaves it out (reported as skipped, asked for). It starts first and runs beside the
# other suites (its guest is a qemu of its own, under TCG mostly waiting on itself), so CI's
# 90-minute limit pays for the longer of the two, not their sum; run_vm_test collects it.
vm_pid="" vm_out=$TMPDIR/vm.out vm_t0=0
start_vm_test() {
	local bin="$top/build/x86_64/tailpod"
	[ "${TP_VM:-yes}" != no ] && [ "$(uname -m)" = x86_64 ] && [ -x "$bin" ] || return 0
	vm_t0=$SECONDS
	"$top/tests/vm/run.sh" "$bin" x86_64 >"$vm_out" 2>&1 &
	vm_pid=$!
}

run_vm_test() {
	local out p f
	if [ "${TP_VM:-yes}" = no ]; then
		echo "vm       skipped: TP_VM=no"
		skipped=$((skipped + 1)); return
	fi
	if [ -z "$vm_pid" ]; then
		skip_suite vm "needs an x86_64 host and build/x86_64/tailpod"; return
	fi
	wait "$vm_pid"
	out=$(cat "$vm_out")
	rm -f "$vm_out" # TMPDIR must be empty at the end (host-listing)
	if grep -q '^SKIP: ' <<<"$out"; then
		skip_suite vm "$(sed -n 's/^SKIP: //p' <<<"$out" | head -n1)"; return
	fi
	p=$(sed -n 's/^counts \([0-9]*\) [0-9]*$/\1/p' <<<"$out")
	f=$(sed -n 's/^counts [0-9]* \([0-9]*\)$/\1/p' <<<"$out")
	if [ -z "$p" ]; then p=0 f=1; fi
	grep -v '^counts \|^PASS: ' <<<"$out" | sed "s|^|  |"
	printf 'vm       x86_64   %-16s %3d passed, %d failed %5ds\n' "guest flow" "$p" "$f" \
		$((SECONDS - vm_t0))
	passed=$((passed + p)) failed=$((failed + f))
}

# run_pass_beside NAME ARGS...: run_applet_tests ARGS in the background, its lines and its totals
# kept in $TMPDIR/pass.NAME until collect_passes prints and counts them, in the order started.
# Each suite is one bash mostly waiting on its sandbox's processes, so the passes share two
# cores well; each suite has its own scratch tree and mount namespace, so they cannot meet.
passes=()
run_pass_beside() {
	local name=$1
	shift
	(
		passed=0 failed=0
		run_applet_tests "$@"
		echo "pass-total $passed $failed"
	) >"$TMPDIR/pass.$name" 2>&1 &
	passes+=("$!:$name")
}
collect_passes() {
	local entry out p f
	for entry in "${passes[@]}"; do
		wait "${entry%%:*}"
		out=$TMPDIR/pass.${entry#*:}
		grep -v '^pass-total ' "$out"
		read -r _ p f < <(grep '^pass-total ' "$out") || true
		rm -f "$out" # TMPDIR must be empty at the end (host-listing)
		if [ -z "${p:-}" ]; then
			echo "applets ${entry#*:}: the pass ended without its totals"
			p=0 f=1
		fi
		passed=$((passed + p)) failed=$((failed + f))
	done
}

start_vm_test
for bin in $unit_bins; do run_unit "$bin"; done
for bin in $fuzz_bins; do run_fuzz_replay "$bin"; done
# The first architecture in the foreground, the others and the installed host's pass beside it.
first=${arches%% *}
for arch in $arches; do
	[ "$arch" = "$first" ] || run_pass_beside "$arch" "$arch"
done
# The same suites on a host that looks installed (tests/sandbox/installed-host): x86_64 is enough.
case " $arches " in
*" x86_64 "*) run_pass_beside installed x86_64 "$top/tests/sandbox/installed-host" ;;
esac
[ -z "$first" ] || run_applet_tests "$first"
collect_passes
run_vm_test

if "$top/tests/sandbox/host-listing" --compare "$TMPDIR.before" "$TMPDIR"; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
fi

echo "run.sh: ${SECONDS}s in all"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$unasked" -eq 0 ] || echo "run.sh: $unasked suites skipped without being asked for (TP_ALLOW_SKIP)"
[ "$failed" -eq 0 ] && [ "$unasked" -eq 0 ] && [ "$passed" -gt 0 ]
