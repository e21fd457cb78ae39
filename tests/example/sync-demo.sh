#!/usr/bin/env bash
# sync-demo.sh TAILPOD: the reconcile part of `make demo`. Runs `tailpod sync` against
# tests/example/repo (published as a file:// remote with the system git) inside the test sandbox
# (tests/sandbox: a private mount namespace with its own /etc, /home, /run, /var and cgroup tree,
# and stub useradd, userdel, loginctl and systemctl that record what they are asked to do), so
# nothing on this machine changes. The scenarios: the first sync deploys, the second is a no-op,
# a secret deployed as a Podman secret, removing a spec removes its workload, a change that fails
# the health gate is rolled back and held until a fix, an emptied repo is refused, a workload backed up and restored onto
# another uid and subuid range; then `tailpod gc --dry-run` and `tailpod doctor`.
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
# The sandbox's systemctl fails the next restart of echo.service, as one whose process exits at once:
# the unit down with result exit-code, its journal (the journalctl stub's file) saying why.
echo "systemctl fail:1 1 *restart echo.service" >>"$sb/run/tailpod-sandbox/faults"
echo_uid=$(awk -F: '$1 == "echo" { print $3 }' "$sb/etc/passwd")
rm -rf "$sb/cgroup/user.slice/user-$echo_uid.slice/user@$echo_uid.service/app.slice/echo.service"
mkdir -p "$sb/run/tailpod-sandbox/result/echo" "$sb/run/tailpod-sandbox/journal/$echo_uid"
echo "exit-code 125" >"$sb/run/tailpod-sandbox/result/echo/echo.service"
printf '%s\n' "Trying to pull docker.io/ealen/echo-server:broken..." \
	"Error: docker.io/ealen/echo-server:broken: manifest unknown" \
	"echo.service: Main process exited, code=exited, status=125/n/a" \
	>"$sb/run/tailpod-sandbox/journal/$echo_uid/echo.service"
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

say "5b. backup: echo's data to a pax tar.gz, restored onto echo with another uid and subuid range"
# echo's bind-mounted logs: files of its own uid and of a container uid (its subuid start + 99).
read -r uid sub < <(awk -F: '$1 == "echo" { print $3 }' "$sb/etc/passwd" | tr '\n' ' '
	awk -F: '$1 == "echo" { print $2 }' "$sb/etc/subuid")
mkdir -p "$sb/home/echo/logs/app" && echo "GET / 200" >"$sb/home/echo/logs/access.log"
echo "started" >"$sb/home/echo/logs/app/server.log" && ln -s access.log "$sb/home/echo/logs/latest"
chown -R "$uid:$uid" "$sb/home/echo/logs" && chown "$((sub + 99)):$((sub + 99))" "$sb/home/echo/logs/app/server.log"
owners() { (cd "$sb/home/echo/logs" && find . -mindepth 1 -printf '  %U:%G %M %p\n' | sort -k3); }
echo "echo is uid $uid, subuids from $sub; its logs (owner, mode, path):"
owners
bk_run() {
	local status=0
	echo "\$ tailpod backup $*" | sed 's/[0-9]\{8\}T[0-9]\{6\}Z/TS/g'
	sandbox_tp "$sb" backup "$1" --config "$work/config.env" "${@:2}" 2>&1 | sed 's/[0-9]\{8\}T[0-9]\{6\}Z/TS/g; s/^/  /' ||
		status=${PIPESTATUS[0]}
	[ "$status" = 0 ] || echo "  (exit $status)"
}
mkdir -p "$sb/var/lib/tailpod/backups" && chmod 0700 "$sb/var/lib/tailpod/backups" # create needs it to exist
bk_run create --workload echo
archive=$(cd "$sb/var/lib/tailpod/backups" && ls echo-*.tar.gz)
bk_run list
bk_run verify "/var/lib/tailpod/backups/$archive"
echo "in the archive, owners container-relative (echo's uid as 0, subuid start+k as k+1):"
tar -tvzf "$sb/var/lib/tailpod/backups/$archive" | grep ' home/logs/.' | awk '{ print "  " $2, $1, $6, $7, $8 }' | sed 's/ *$//' | sort -k3
# As another host has echo: another uid and subuid start, its data gone.
sed -i "s/^echo:x:$uid:$uid:/echo:x:2000:2000:/" "$sb/etc/passwd"
sed -i "s/^echo:x:$uid:/echo:x:2000:/" "$sb/etc/group"
sed -i 's/^echo:.*/echo:400000:65536/' "$sb/etc/subuid" "$sb/etc/subgid"
sed -i "s/^UID=$uid\$/UID=2000/" "$sb/state/workloads/echo"
rm -rf "$sb/home/echo/logs" && chown -R 2000:2000 "$sb/home/echo"
echo "echo moved to uid 2000, subuids from 400000 (as on another host); its logs gone"
bk_run restore "/var/lib/tailpod/backups/${archive}"
echo "echo's logs restored, owners mapped (uid -> 2000, subuid start+99 -> 400099):"
owners

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
