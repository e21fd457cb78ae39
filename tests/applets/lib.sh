# lib.sh: the harness for black-box applet tests, sourced by tests/run.sh before each *.test file.
#
#   testing NAME COMMAND EXPECTED [INFILE [STDIN]]
#       runs COMMAND in bash (in a fresh scratch directory, $T) and compares its stdout with
#       EXPECTED. INFILE, when not empty, is written to $T/input first; STDIN is fed to COMMAND.
#       Assert exit codes by ending COMMAND with '; echo "exit=$?"'.
#   tp ARGS...          runs the binary under test (through qemu for aarch64) as root in this
#                       file's sandbox host (host_sandbox), or right here when the caller is
#                       already inside a sandbox (tests/sandbox): tests run as root, and the
#                       host's /etc/tailpod, users, units and state must not change a verdict.
#   tp_as NAME ARGS...  the same through a link called NAME (tailpod-check, check, ...).
#   host_sandbox        prints the directory of this file's sandbox host, made on first use.
#   plan N              at the top of every .test file: the number of `testing` checks it runs.
#   harness_fail WHY    our own set-up failed (a server that did not start): one counted failure.
#   own_calls TRACE, trace_calls
#                       a syscall trace read (tests/trace.sh)
#
# Environment from run.sh: TP_BIN (the static binary), TP_QEMU (empty or qemu-aarch64-static),
# TP_ARCH, TP_TOP (repository root); TMPDIR, when set, is where the scratch tree goes.

tests_passed=0
tests_failed=0
tests_ran=0
tests_planned=""
T_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/tailpod-test.XXXXXX")
# Traversable (not listable by name guessing alone): sync's fetch runs as the unprivileged fetch
# user, which must reach the test's file:// remotes and its state-fetch directory.
chmod 0711 "$T_ROOT"
trap 'rm -rf "$T_ROOT"' EXIT

. "$TP_TOP/tests/sandbox/lib.sh"
. "$TP_TOP/tests/trace.sh"

host_sandbox() {
	local sb=$T_ROOT/host
	[ -d "$sb" ] || sandbox_new "$sb" >&2 || return 1
	echo "$sb"
}

# in_sandbox PROGRAM ARGS...: PROGRAM in this file's sandbox host unless already in a sandbox.
in_sandbox() {
	local sb
	if [ -n "${TP_SANDBOX:-}" ]; then
		# shellcheck disable=SC2086 # TP_QEMU is empty on the native architecture
		$TP_QEMU "$@"
	else
		sb=$(host_sandbox) && sandbox_run "$sb" $TP_QEMU "$@"
	fi
}

tp() {
	in_sandbox "$TP_BIN" "$@"
}

tp_as() {
	local name=$1
	shift
	mkdir -p "$T_ROOT/links"
	ln -sf "$TP_BIN" "$T_ROOT/links/$name"
	in_sandbox "$T_ROOT/links/$name" "$@"
}

export TP_BIN TP_QEMU TP_ARCH TP_TOP T_ROOT
export -f host_sandbox in_sandbox tp tp_as

testing() {
	local name=$1 command=$2 expected=$3 infile=${4:-} stdin=${5:-} actual
	T="$T_ROOT/t$tests_ran"
	tests_ran=$((tests_ran + 1))
	mkdir -p "$T"
	[ -n "$infile" ] && printf '%s' "$infile" >"$T/input"
	actual=$(cd "$T" && printf '%s' "$stdin" | T=$T bash -c "$command" 2>"$T/stderr")
	if [ "$actual" == "$expected" ]; then
		echo "PASS: $name"
		tests_passed=$((tests_passed + 1))
		return 0
	fi
	echo "FAIL: $name"
	echo "  command:  $command"
	diff -u <(printf '%s\n' "$expected") <(printf '%s\n' "$actual") | sed '1,2d; s/^/  /'
	sed 's/^/  stderr: /' "$T/stderr" | head -n 20
	tests_failed=$((tests_failed + 1))
	return 1
}

plan() {
	tests_planned=$1
}


harness_fail() {
	echo "FAIL: harness: $*"
	tests_failed=$((tests_failed + 1))
}

# run.sh fails a file whose plan is missing or differs from the checks it ran.
testing_done() {
	echo "plan ${tests_planned:-none} ran $tests_ran"
	echo "counts $tests_passed $tests_failed"
}
