# lib.sh: the sandbox for black-box tests that run tailpod as root (DESIGN.md §7, issues 6 and
# 23), sourced by tests/applets/lib.sh. A sandbox is a directory SB that a private mount namespace
# (tests/sandbox/enter, which runs `unshare --mount` as root) lays over the host so that it owns
# every path tailpod reads or writes: overlays on /etc, /usr/lib and /usr/local (and /lib where
# it is not a symlink) whose upper layers SB/etc, SB/usr/lib, SB/usr/local, SB/lib hold the files
# below written whole, with SB's own directories mounted over tailpod's (/etc/tailpod,
# /etc/quadsync) and systemd's unit directories (core/names scans their User= and DynamicUser=),
# so no file of the host's shows through there; SB/home on /home, SB/run on /run, SB/var on /var, SB/cgroup on
# /sys/fs/cgroup, and stub useradd, userdel, usermod, loginctl and systemctl (tests/sandbox/stubs)
# wherever core/exec would find the real ones. No systemd runs: the stubs record their calls and
# keep the fake files in line. Nothing is written to the host or created on its root.
#
#   sandbox_new SB            a fresh sandbox: root, core (uid 1000, protected), nobody and
#                             tailpod-fetch (989, sync's fetch runs as it); groups wheel,
#                             tailpod (990, managed) and tailpod-mint (991); login.defs
#                             with UID_MIN 1000; core's subuid/subgid ranges; empty altfiles
#                             (/usr/lib/passwd, /usr/lib/group), no /etc/tailpod files, no
#                             system units; SB/state, an empty state directory for
#                             TAILPOD_STATE_DIR
#   sandbox_run SB CMD...     run CMD as root inside; the caller's environment is kept, and
#                             TP_SANDBOX names SB
#   sandbox_tp SB ARGS...     run the binary under test inside (through $TP_QEMU)
#   sandbox_fault SB STUB ACTION TIMES PATTERN
#                             inject a fault (format in tests/sandbox/stubs/.stublib)
#   sandbox_calls SB          the stubs' calls so far, one "NAME ARGS..." per line
#   sandbox_linger SB         users with linger enabled, one per line
#   sandbox_owned             the directories a sandbox replaces whole, one per line (a host's
#                             files there never show inside)

SANDBOX_DIR=$TP_TOP/tests/sandbox

# Directories the sandbox replaces whole (tests/sandbox/owned): tailpod's settings, quadsync's,
# and every unit directory core/names scans.
sandbox_owned() {
	cat "$SANDBOX_DIR/owned"
}

sandbox_new() {
	local sb=$1 dir
	mkdir -p "$sb"/{etc,home,run/user,run/tailpod-sandbox,cgroup/user.slice,state,usr/lib,lib}
	mkdir -p "$sb"/var/{lib/systemd/linger,tmp} "$sb/usr/local/sbin"
	ln -sfn /run "$sb/var/run"
	# tests/sandbox/enter mounts each over the host's, whose entries never show.
	while read -r dir; do mkdir -p "$sb$dir"; done <"$SANDBOX_DIR/owned"
	: >"$sb/etc/.tailpod-sandbox"
	: >"$sb/run/tailpod-sandbox/marker"
	: >"$sb/run/tailpod-sandbox/calls"
	cat >"$sb/etc/passwd" <<-'EOT'
		root:x:0:0:root:/root:/bin/bash
		nobody:x:65534:65534:Kernel Overflow User:/:/usr/sbin/nologin
		core:x:1000:1000:CoreOS Admin:/home/core:/bin/bash
		tailpod-fetch:x:989:989:tailpod git fetch:/var/lib/tailpod-fetch:/usr/sbin/nologin
	EOT
	cat >"$sb/etc/group" <<-'EOT'
		root:x:0:
		wheel:x:10:core
		nobody:x:65534:
		tailpod-fetch:x:989:
		tailpod:x:990:
		tailpod-mint:x:991:
		core:x:1000:
	EOT
	cat >"$sb/etc/shadow" <<-'EOT'
		root:!:20000::::::
		nobody:!:20000::::::
		core:!:20000::::::
		tailpod-fetch:!:20000::::::
	EOT
	sed 's/:.*/:!::/' "$sb/etc/group" >"$sb/etc/gshadow"
	echo 'core:100000:65536' >"$sb/etc/subuid"
	echo 'core:100000:65536' >"$sb/etc/subgid"
	cat >"$sb/etc/login.defs" <<-'EOT'
		UID_MIN 1000
		UID_MAX 60000
		GID_MIN 1000
		GID_MAX 60000
		SUB_UID_MIN 100000
		SUB_UID_COUNT 65536
	EOT
	: >"$sb/usr/lib/passwd"
	: >"$sb/usr/lib/group"
	chmod 0600 "$sb/etc/shadow" "$sb/etc/gshadow"
	mkdir -p "$sb/home/core"
}

sandbox_run() {
	local sb=$1
	shift
	"$SANDBOX_DIR/enter" "$sb" "$@"
}

sandbox_tp() {
	local sb=$1
	shift
	# shellcheck disable=SC2086 # TP_QEMU is empty on the native architecture
	sandbox_run "$sb" $TP_QEMU "$TP_BIN" "$@"
}

sandbox_fault() {
	local sb=$1
	shift
	echo "$*" >>"$sb/run/tailpod-sandbox/faults"
}

sandbox_calls() {
	cat "$1/run/tailpod-sandbox/calls"
}

sandbox_linger() {
	ls "$1/var/lib/systemd/linger" 2>/dev/null || true
}

export SANDBOX_DIR
export -f sandbox_owned sandbox_new sandbox_run sandbox_tp sandbox_fault sandbox_calls sandbox_linger
