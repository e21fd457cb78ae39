# trace.sh: reading a syscall trace of tailpod — strace -f's, or qemu-user's -strace — for the
# tests and benches that count calls (sourced by tests/applets/lib.sh and tests/bench/sync.sh).
#
#   own_calls TRACE     the lines that are the traced process's own: its first PID's and its
#                       threads', not a child's
#   trace_calls         on stdin, lines of a trace; on stdout "PID NAME RESULT", a call a line: a
#                       call another thread's output split is counted once, on its
#                       "<... NAME resumed>" line

# strace -f prefixes each line with the calling thread's id: a thread is own when an own thread
# started it, a clone with CLONE_THREAD whose result is its id — on the same line, or on the
# "<... clone resumed>" line when another thread's output split the call. The new thread may
# print before that result: the ids are gathered in a first pass over the trace. qemu-user's
# -strace prefixes the process's id, which its threads share.
own_calls() {
	awk 'FNR == NR {
			if (FNR == 1) own[$1] = 1
			if (own[$1] && $2 ~ /^clone3?\(/ && /CLONE_THREAD/) started[$1] = 1
			if (own[$1] && started[$1] && /^[0-9]+ +(clone3?\(|<\.\.\. clone3? resumed>)/ &&
			    match($0, /= [0-9]+$/)) {
				own[substr($0, RSTART + 2)] = 1
				started[$1] = 0
			}
			next
		}
		own[$1]' "$1" "$1"
}
export -f own_calls

trace_calls() {
	sed -nE -e 's/^([0-9]+) +([a-z0-9_]+)\(.*\) += (-?[0-9]+).*/\1 \2 \3/p' \
		-e 's/^([0-9]+) +<\.\.\. ([a-z0-9_]+) resumed>.*\) += (-?[0-9]+).*/\1 \2 \3/p'
}
export -f trace_calls
