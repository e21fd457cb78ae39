#!/usr/bin/env bash
# sync-demo.sh TAILPOD: the reconcile part of `make demo`. Runs `tailpod sync` against
# tests/example/repo (published as a file:// remote with the system git) inside the test sandbox
# (tests/sandbox: a private mount namespace with its own /etc, /home, /run, /var and cgroup tree,
# and stub useradd, userdel, loginctl and systemctl that record what they are asked to do), so
# nothing on this machine changes. The scenarios: the first sync deploys, the second is a no-op,
# a secret deployed as a Podman secret, removing a spec removes its workload, a change that fails
# the health gate is rolled back and held until a fix, an emptied repo is refused; then `tailpod gc --dry-run` and `tailpod doctor`.
# Needs root (unshare).
set -euo pipefail

tailpod=$(realpath "$1")
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/tailpod-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 0711 "$work" # the fetch user reads the file:// remote and writes state-fetch here
export TP_TOP=$top TP_BIN=$tailpod TP_QEMU=
. "$top/tests/sandbox/lib.sh"

sb=$work/sandbox
sandbox_new "$sb"
git init -q --bare -b main "$work/origin.git"
cp -a "$top/tests/example/repo" "$work/checkout"
git -C "$work/checkout" init -q -b main
commit() {
	git -C "$work/checkout" add -A
	git -C "$work/checkout" -c user.name=demo -c user.email=demo@example.invalid \
		commit -q --allow-empty -m "$1"
	git -C "$work/checkout" push -q "$work/origin.git" main
}
commit example
cat >"$work/config.env" <<CFG
TAILPOD_GIT_URL=file://$work/origin.git
TAILPOD_STATE_DIR=$sb/state
TAILPOD_TRANSFORM_DIR=$top/tests/example/transforms
TAILPOD_HEALTH_SETTLE=1
CFG

say() { printf '\n== %s\n' "$*"; }
sync_run() {
	local status=0
	echo "\$ tailpod sync${*:+ $*}"
	sandbox_tp "$sb" sync --config "$work/config.env" "$@" 2>&1 | sed 's/^/  /' ||
		status=${PIPESTATUS[0]}
	echo "  (exit $status)"
}
commands() {
	echo "system commands sync ran (recorded by the sandbox's stubs):"
	sed 's/^/  /' "$sb/run/tailpod-sandbox/calls"
	[ -s "$sb/run/tailpod-sandbox/calls" ] || echo "  none"
	: >"$sb/run/tailpod-sandbox/calls"
}
show_host() {
	echo "workload users (group tailpod): $(grep '^tailpod:' "$sb/etc/group" | cut -d: -f4)"
	echo "deployed files:"
	(cd "$sb/home" && find . -path '*/.config/*' -type f | sort | sed 's|^\./|  ~|')
}

say "1. first sync: creates a user per workload and deploys its quadlets"
sync_run --dry-run >"$work/plan"
head -n 9 "$work/plan"
echo "  ... ($(wc -l <"$work/plan") lines: --dry-run prints the plan and changes nothing)"
: >"$sb/run/tailpod-sandbox/calls"
sync_run
commands
show_host

say "2. second sync: everything converged, nothing runs"
sync_run
commands

say "3. a secret: encrypted on a laptop to the host's recipient, deployed as a Podman secret"
# The host identity (root, 0600); its recipient is all a repo author needs to encrypt.
chmod 1777 "$sb/run/tailpod-sandbox" && mkdir -m 1777 "$sb/run/tailpod-sandbox/secrets"
(cd "$sb/run/tailpod-sandbox" && : >podman.runs && : >secret.argv && : >secret.stdin &&
	chmod 0666 podman.runs secret.argv secret.stdin)
echo "\$ tailpod secret keygen --output age.key"
"$tailpod" secret keygen --output "$work/age.key" 2>&1 | sed 's/age1.*/age1.../; s/^/  /'
echo "TAILPOD_AGE_KEY=$work/age.key" >>"$work/config.env"
TAILPOD_AGE_KEY=$work/age.key "$tailpod" secret recipient >"$work/recipients"
echo "\$ printf hunter2 | tailpod secret encrypt --name DB_PASSWORD   # appended to echo.container"
line=$(printf hunter2 | TAILPOD_AGE_RECIPIENTS=$work/recipients "$tailpod" secret encrypt --name DB_PASSWORD)
echo "  ${line:0:40}..."
printf '\n[Secrets]\n%s\n' "$line" >>"$work/checkout/echo.container"
commit "echo gets a secret"
sync_run
echo "what the deployed unit says, and how podman got the value:"
grep -h '^Secret=' "$sb"/home/echo/.config/containers/systemd/echo.container | sed 's/^/  /'
sed 's/^/  podman /' "$sb/run/tailpod-sandbox/secret.argv"
echo "  (the value reached podman on stdin only: $(grep -c hunter2 "$sb/run/tailpod-sandbox/secret.argv") argv hits)"
: >"$sb/run/tailpod-sandbox/calls"

say "4. a spec removed from git: its workload, user and files go"
git -C "$work/checkout" rm -q whoami.container
commit "remove whoami"
sync_run
commands
show_host

say "4b. a change that does not come up: rolled back to its good files and held; a fix deploys"
# The sandbox's systemctl fails the next restart of echo.service, as one whose process exits at once.
echo "systemctl fail:1 1 *restart echo.service" >>"$sb/run/tailpod-sandbox/faults"
cp "$sb/home/echo/.config/containers/systemd/echo.container" "$work/echo.good"
sed -i 's|^Image=.*|Image=docker.io/ealen/echo-server:broken|' "$work/checkout/echo.container"
commit "break echo"
sync_run
commands
cmp -s "$work/echo.good" "$sb/home/echo/.config/containers/systemd/echo.container" &&
	echo "echo.container on the host: the good one, byte for byte"
echo "the next sync runs nothing for it, and still exits 1:"
sync_run
commands
sed -i 's|^Image=.*|Image=docker.io/ealen/echo-server:0.9.3|' "$work/checkout/echo.container"
commit "fix echo"
sync_run
commands

say "5. the repo emptied: refused by the empty-state guard, nothing deleted"
git -C "$work/checkout" rm -q -r .
commit "empty"
sync_run
commands
show_host

say "6. gc --dry-run: what no workload uses any more, removed by nothing"
# An atomic write cut short two hours ago, and podman's stub answering as each workload user.
echo partial >"$sb/state/.status.json.0123456789abcdef"
touch -d '-2 hours' "$sb/state/.status.json.0123456789abcdef"
chmod 0777 "$sb/run/tailpod-sandbox"
install -m 0666 /dev/null "$sb/run/tailpod-sandbox/podman.runs"
echo "\$ tailpod gc --dry-run"
sandbox_tp "$sb" gc --config "$work/config.env" --dry-run 2>&1 | sed "s|$sb|SANDBOX|; s/^/  /" ||
	echo "  (exit ${PIPESTATUS[0]})"

say "7. tailpod doctor: the host's health and security posture, read-only"
echo "\$ tailpod doctor"
status=0
sandbox_tp "$sb" doctor --config "$work/config.env" 2>&1 | sed 's/^/  /' || status=${PIPESTATUS[0]}
echo "  (exit $status: the demo host has no units, secrets or systemd installed)"
