#!/bin/bash
# guest.sh: the whole flow of issue 9, run as root inside the Debian guest by
# tailpod-vmtest.service from the read-only share (tests/vm/run.sh prepared it). It provisions the
# guest as Ignition would, then drives real systemd, logind, shadow and rootless Podman through
# the shipped units and prints one line per assertion on the console:
#   TPVM ok NAME            TPVM FAIL NAME: WHY            TPVM PHASE N DONE
# The host side (tests/vm/run.sh) counts them. Phase 1 ends with a reboot; phase 2 runs after it
# (the guest's runner starts this script at every boot; /var/lib/tpvm/phase says which).
# No fixed sleeps: every wait polls a condition under a deadline.
set -uo pipefail

share=$(cd "$(dirname "$0")" && pwd)
phase_file=/var/lib/tpvm/phase
export PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

exec 3>&1 # the console, for diagnostics printed from inside a check (whose output is captured)
ok() { echo "TPVM ok $1"; }
failures=0
fail() {
	echo "TPVM FAIL $1: $2"
	failures=$((failures + 1))
}
# What the journal says, for a failure: sync's runs and the user managers' units.
dump_journal() {
	echo "TPVM-JOURNAL begin"
	journalctl -b --no-pager -o short-monotonic -n 60 -u tailpod-sync.service -u 'tailpod-mint-key@*' | tail -n 60
	journalctl -b --no-pager -o short-monotonic -n 80 _SYSTEMD_USER_UNIT=web.service + \
		_SYSTEMD_USER_UNIT=cache-pod.service + _SYSTEMD_USER_UNIT=cache-a.service + \
		_SYSTEMD_USER_UNIT=cache-b.service + SYSLOG_IDENTIFIER=quadlet-generator | tail -n 80
	# Each workload's outcome and error (never a secret: status.json holds none).
	grep -o '{"name":"[^}]*"result":"failed"[^}]*}' /var/lib/tailpod/status.json 2>/dev/null | cut -c1-600
	echo "TPVM-JOURNAL end"
}
check() { # NAME COMMAND...: ok when COMMAND succeeds
	local name=$1
	shift
	if "$@" >/tmp/tpvm.out 2>&1; then ok "$name"; else fail "$name" "$(tail -c 300 /tmp/tpvm.out | tr '\n' ' ')"; fi
}
# wait_for SECONDS COMMAND...: poll COMMAND every 0.5 s until it succeeds or SECONDS of wall time
# have passed (under TCG one poll can take seconds: counting polls would stretch the limit).
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.5
	done
}

uid_of() { id -u "$1" 2>/dev/null; }
user_active() { # NAME UNIT
	systemctl --user -M "$1@" is-active --quiet "$2"
}
started_at() { # NAME UNIT: the service's start time (monotonic microseconds)
	systemctl --user -M "$1@" show -P ActiveEnterTimestampMonotonic "$2"
}
status_of() { # NAME: "action/result" of the workload in status.json (compact JSON)
	grep -o "\"name\":\"$1\",\"action\":\"[a-z]*\",\"result\":\"[a-z]*\"" /var/lib/tailpod/status.json |
		sed 's/.*"action":"\([a-z]*\)","result":"\([a-z]*\)"/\1\/\2/'
}
run_sync() { # run the shipped service once, wait for it, print tailpod's exit status
	systemctl reset-failed tailpod-sync.service 2>/dev/null
	systemctl start tailpod-sync.service
	systemctl show -P ExecMainStatus tailpod-sync.service
}
branch() { # use BRANCH of the test repository from now on
	sed -i "s/^TAILPOD_GIT_BRANCH=.*/TAILPOD_GIT_BRANCH=$1/" /etc/tailpod/config.env
}
http_get() { # PORT: what the workload's busybox httpd answers
	busybox wget -q -T 5 -O - "http://127.0.0.1:$1/" 2>/dev/null
}
members_active() { # the cache pod's two containers, waited for (each shows why when it fails)
	active_within 120 cache cache-a.service && active_within 120 cache cache-b.service
}
# Checks run some of these in `bash -c`: a child shell sees only exported functions.
status_is() { # NAME ACTION/RESULT: or print the workload's row of status.json (its error)
	[ "$(status_of "$1")" = "$2" ] && return 0
	grep -o "{\"name\":\"$1\",[^}]*}" /var/lib/tailpod/status.json
	return 1
}
deployed_ok() { # NAME: created by the first sync, or unchanged by a timer run after it
	[ "$(status_of "$1")" = none/ok ] || status_is "$1" create/ok
}
export -f status_of status_is deployed_ok http_get
# active_within SECONDS NAME UNIT: wait for the user unit; when it never comes up, show on the
# console why (its status and the user's journal), at once — a later time limit must not hide it.
active_within() {
	wait_for "$1" user_active "$2" "$3" && return 0
	{
		echo "TPVM-DIAG begin $2 $3"
		systemctl --user -M "$2@" status --no-pager -l -n 40 "$3" 2>&1 | tail -n 60
		journalctl -b --no-pager -o short-monotonic -n 60 _UID="$(uid_of "$2")" 2>&1 | tail -n 60
		echo "TPVM-DIAG end"
	} >&3
	return 1
}

# --- Provisioning, as Ignition would do it -------------------------------------------------------
provision() {
	install -m 0755 "$share/tailpod" /usr/local/bin/tailpod
	install -m 0644 "$share"/units/* /etc/systemd/system/
	install -D -m 0644 "$share/sysusers.d/tailpod.conf" /etc/sysusers.d/tailpod.conf
	install -D -m 0644 "$share/tmpfiles.d/tailpod.conf" /etc/tmpfiles.d/tailpod.conf
	systemd-sysusers && systemd-tmpfiles --create /etc/tmpfiles.d/tailpod.conf
	install -d -m 0755 /etc/tailpod /etc/tailpod/transforms
	install -d -m 0700 /etc/tailpod/secrets
	install -m 0644 "$share"/transforms/* /etc/tailpod/transforms/
	install -m 0644 "$share/mint-key.conf" /etc/tailpod/mint-key.conf
	install -m 0600 "$share/oauth.env" /etc/tailpod/secrets/oauth.env
	install -m 0644 "$share/test-ca.pem" /etc/tailpod/test-ca.pem
	# A writable copy of the repository: libgit2 reads a bare repository over file://.
	cp -a "$share/origin.git" /srv/origin.git
	cat >/etc/tailpod/config.env <<-EOF
		TAILPOD_GIT_URL=file:///srv/origin.git
		TAILPOD_GIT_BRANCH=main
		# Under TCG a restart that takes seconds on a host takes minutes (kube play above all).
		TAILPOD_COMMAND_TIMEOUT=600
		# The health gate's bound likewise: a first start that imports the test image in
		# ExecStartPre= beside three other deploys can take minutes under TCG.
		TAILPOD_HEALTH_TIMEOUT=600
	EOF
	# The test image, a tar of the guest's busybox that each workload's ExecStartPre= (the
	# test's _base transform) imports into its user's storage: no registry is reachable.
	mkdir -p /tmp/box/bin /tmp/box/www
	cp /bin/busybox /tmp/box/bin/busybox
	for a in sh httpd sleep cat; do ln -sf busybox "/tmp/box/bin/$a"; done
	echo tpvm >/tmp/box/www/index.html
	tar -C /tmp/box -cf /srv/tpbox.tar . && chmod 0644 /srv/tpbox.tar
	echo "10.0.2.2 tsapi.test" >>/etc/hosts
	# People and accounts sync must never touch.
	useradd -m -G sudo -s /bin/bash alice
	useradd -r -M -s /usr/sbin/nologin svc
	systemctl daemon-reload
	systemctl enable --now tailpod-mint-key.socket
	systemctl enable tailpod-sync.timer # as Ignition does; started below
	provision_types
	provision_secrets
}

# --- issue 15 (TYPES): the image imgweb.image pulls, as an archive (no registry is reachable) ---
provision_types() {
	local store=/tmp/tpimg-store
	mkdir -p /tmp/tpimg/www && cp -a /tmp/box/bin /tmp/tpimg/ && echo tpimg >/tmp/tpimg/www/index.html
	tar -C /tmp/tpimg -cf /tmp/tpimg.tar . &&
		podman --root "$store/root" --runroot "$store/run" --storage-driver vfs import -q /tmp/tpimg.tar localhost/tpimg:latest >/dev/null &&
		podman --root "$store/root" --runroot "$store/run" --storage-driver vfs save -q --format docker-archive \
			-o /srv/tpimg.tar localhost/tpimg:latest && chmod 0644 /srv/tpimg.tar
}

# A .kube with its YAML and a container whose image is a .image, deployed by the first sync.
check_types() {
	local home
	home=$(getent passwd kubeweb | cut -d: -f6)
	check "types: the .kube's YAML deployed beside it" test -s "$home/.config/containers/systemd/kubeweb.yaml"
	check "types: quadlet generated kubeweb.service" test -e "/run/user/$(uid_of kubeweb)/systemd/generator/kubeweb.service"
	check "types: kubeweb.service active" active_within 180 kubeweb kubeweb.service
	check "types: the .kube's pod answers" wait_for 60 bash -c '[ "$(busybox wget -q -T 5 -O - http://127.0.0.1:18082/)" = tpvm ]'
	check "types: quadlet generated imgweb-image.service" test -e "/run/user/$(uid_of imgweb)/systemd/generator/imgweb-image.service"
	check "types: imgweb.service active" active_within 180 imgweb imgweb.service
	check "types: the .image-backed container answers" wait_for 60 bash -c '[ "$(busybox wget -q -T 5 -O - http://127.0.0.1:18083/)" = tpimg ]'
}
# --- end of issue 15's block -------------------------------------------------------------------

# --- issue 17 (SECRETS): vault's [Secrets] value, pushed by sync through vault's own manager ----
# The host identity run.sh made with `tailpod secret keygen` (its values are encrypted to it).
provision_secrets() {
	install -m 0600 "$share/age.key" /etc/tailpod/secrets/age.key
}
vault_podman_secrets() { # what `podman secret ls` says as vault, in its own session
	runuser -u vault -- env -C / XDG_RUNTIME_DIR="/run/user/$(uid_of vault)" \
		podman secret ls --format '{{.Name}}'
}
# The first sync created vault-tpvm-secret in vault's Podman; the container serves its value.
check_secrets() {
	check "secrets: vault created by the first sync" deployed_ok vault
	check "secrets: vault.service active" active_within 180 vault vault.service
	check "secrets: the secret reaches the container" wait_for 60 bash -c '[ "$(http_get 18091)" = tpvm-secret-1 ]'
	check "secrets: podman secret ls as the user lists it" bash -c \
		"$(declare -f uid_of vault_podman_secrets); vault_podman_secrets | grep -qx vault-tpvm-secret"
}
# The change branch re-encrypted another value: replaced in Podman, vault restarted with it.
check_secrets_changed() {
	check "secrets: the changed value is served" wait_for 180 bash -c '[ "$(http_get 18091)" = tpvm-secret-2 ]'
}
# --- end of issue 17's block -------------------------------------------------------------------
# --- issue 20 (BACKUP): vault's named volume vault-data, archived by the shipped (hardened) backup
# unit for vault alone, changed, then restored with --force; the archive holds none of vault's
# secret (Podman's secret store is left out and listed as such in the MANIFEST). The sync timer
# is paused meanwhile: backup and restore take sync's lock and a timer run would make them 75. ---
backup_dropin=/etc/systemd/system/tailpod-backup.service.d/tpvm.conf
sync_idle() { [ "$(systemctl show -P ActiveState tailpod-sync.service)" = inactive ]; }
restored_served() { # ARCHIVE: restored with --force, then the first content served again
	tailpod backup restore -q --force "$1" >/dev/null &&
		wait_for 120 bash -c '[ "$(http_get 18092)" = tpvm-data-1 ]'
}
archived_no_secret() { # ARCHIVE: the backup unit's run wrote it, with the volume, without the secret
	local status
	status=$(systemctl show -P ExecMainStatus tailpod-backup.service)
	[ "$status" = 0 ] || { echo "tailpod-backup.service exit $status"; return 1; }
	[ -s "$1" ] || { echo "no archive '$1'"; return 1; }
	# Members are named from the home: home/... (README "backup"). No grep -q in these pipes:
	# under pipefail its early exit would fail them on the writer's SIGPIPE.
	tar -tzf "$1" | grep -x 'home/.local/share/containers/storage/volumes/vault-data/_data/index.html' >/dev/null ||
		{ echo "no volume member in: $(tar -tzf "$1" | head -n 20 | tr '\n' ' ')"; return 1; }
	gzip -dc "$1" | grep -a "Podman's secret store" >/dev/null || { echo "MANIFEST lists no secret store"; return 1; }
	! gzip -dc "$1" | grep -a tpvm-secret-1 >/dev/null || { echo "the secret's value is in the archive"; return 1; }
}
check_backup() {
	local vol archive
	vol=$(getent passwd vault | cut -d: -f6)/.local/share/containers/storage/volumes/vault-data/_data
	check "backup: vault's named volume is served" wait_for 120 bash -c '[ "$(http_get 18092)" = tpvm-data-1 ]'
	systemctl stop tailpod-sync.timer && wait_for 900 sync_idle
	mkdir -p "${backup_dropin%/*}"
	printf '[Service]\nExecStart=\nExecStart=/usr/local/bin/tailpod backup create --workload vault\n' >"$backup_dropin"
	systemctl daemon-reload
	systemctl start tailpod-backup.service
	archive=$(ls -t /var/lib/tailpod/backups/vault-*.tar.gz 2>/dev/null | head -n 1)
	check "backup: the unit archived vault's volume, none of its secret" archived_no_secret "$archive"
	echo tpvm-data-2 >"$vol/index.html" # into the existing file: its owner stays the user's
	check "backup: vault started again after the copy, serving the changed data" \
		wait_for 120 bash -c '[ "$(http_get 18092)" = tpvm-data-2 ]'
	check "backup: restore --force: the first content is served again" restored_served "$archive"
	rm -f "$backup_dropin" && systemctl daemon-reload
	systemctl start tailpod-sync.timer
}
# --- end of issue 20's block -------------------------------------------------------------------
# --- issue 21 (ROLLOUT): web pointed at a command that exits at once fails the health gate and is
# rolled back to the serving version, the reason quoting its journal; the next run holds it
# (touches nothing); a fix deploys (its HealthURL answering, as the first sync's did) ----------
check_rollout() {
	local web_t
	branch badweb
	check "rollout: a web that exits at once: sync exit 1" test "$(run_sync)" = 1
	check "rollout: web reported rolled back" bash -c \
		'[ "$(status_of web)" = update/failed ] && grep -q "\"name\":\"web\".*\"rolled_back\":true" /var/lib/tailpod/status.json'
	check "rollout: web answers again" wait_for 60 bash -c '[ "$(http_get 18080)" = tpvm ]'
	# The reason carries what the real journal holds for the unit (issue 21: journalctl matched on
	# the user's uid and the unit, as root in the hardened service).
	check "rollout: the reason quotes web.service's journal" bash -c \
		'grep -o "{\"name\":\"web\",[^}]*}" /var/lib/tailpod/status.json | grep -q "(web.service: .*journal: "'
	web_t=$(started_at web web.service)
	check "rollout: the next run holds web: exit 1" test "$(run_sync)" = 1
	check "rollout: held web not restarted" test "$(started_at web web.service)" = "$web_t"
	check "rollout: the run says web is held" bash -c \
		'journalctl -u tailpod-sync.service -o cat | grep -q "web: held at "'
	branch fixweb
	check "rollout: a fixed web: sync exit 0" test "$(run_sync)" = 0
	check "rollout: fixed web updated and answers" bash -c \
		'[ "$(status_of web)" = update/ok ] && [ "$(http_get 18080)" = tpvm ]'
}
# --- end of issue 21's block -------------------------------------------------------------------

phase1() {
	provision
	check "provision: tailpod installed" tailpod --version

	# 2. The timer's first sync deploys both workloads.
	systemctl start tailpod-sync.timer
	# status.json is written when a run ends: the timer's run is over once it exists and the
	# service is inactive again. Under TCG on a busy host the first run (every user, every image
	# import, every health gate) can take many minutes; a check made while it still ran would read
	# ExecMainStatus 0 and judge a host half deployed.
	wait_for 1200 bash -c '[ -s /var/lib/tailpod/status.json ] && [ "$(systemctl show -P ActiveState tailpod-sync.service)" = inactive ]'
	check "first sync: exit 0" bash -c '[ -s /var/lib/tailpod/status.json ] && [ "$(systemctl show -P ActiveState tailpod-sync.service)" = inactive ] && [ "$(systemctl show -P ExecMainStatus tailpod-sync.service)" = 0 ]'
	[ "$failures" -eq 0 ] || dump_journal
	for u in cache web; do
		check "first sync: user $u with subuid and subgid" bash -c "grep -q '^$u:' /etc/subuid && grep -q '^$u:' /etc/subgid"
		check "first sync: linger $u" test -e /var/lib/systemd/linger/$u
		check "first sync: user manager of $u" systemctl is-active --quiet "user@$(uid_of $u).service"
	done
	check "first sync: quadlet generated web.service" test -e "/run/user/$(uid_of web)/systemd/generator/web.service"
	check "first sync: web.service active" active_within 120 web web.service
	check "first sync: cache-pod.service active" active_within 120 cache cache-pod.service
	check "first sync: both pod members active" members_active
	check "first sync: web answers" wait_for 60 bash -c '[ "$(busybox wget -q -T 5 -O - http://127.0.0.1:18080/)" = tpvm ]'
	check "first sync: the pod answers" wait_for 60 bash -c '[ "$(busybox wget -q -T 5 -O - http://127.0.0.1:18081/)" = tpvm ]'
	check "first sync: web is in the mint group" bash -c 'id -nG web | grep -qw tailpod-mint'
	check_types
	check_secrets
	check_backup
	# --- Issue 22: the app duo/ — one user, its tree, two containers on its own network --------
	check "app: duo is one workload, one user" bash -c 'getent passwd duo && deployed_ok duo'
	check "app: its tree deployed, data beside the units" test -f \
		"$(getent passwd duo | cut -d: -f6)/.config/containers/systemd/duo/back-www/index.html"
	check "app: quadlet read the sub-directories" bash -c \
		"test -e /run/user/$(uid_of duo)/systemd/generator/front.service && test -e /run/user/$(uid_of duo)/systemd/generator/duo-network.service"
	check "app: back.service active" active_within 120 duo back.service
	check "app: front.service active" active_within 120 duo front.service
	check "app: front reaches back by name and answers" wait_for 60 bash -c '[ "$(http_get 18084)" = "duo back" ]'
	# --- end of issue 22's app
	# Issue 13: the fetch ran as tailpod-fetch under its seccomp filter (a real kernel has it),
	# from a sync unit that systemd itself rates at most 6.0 exposed.
	check "fetch: the repository belongs to tailpod-fetch" bash -c \
		'[ "$(stat -c %U /var/lib/tailpod-fetch/repo.git)" = tailpod-fetch ] && [ ! -e /var/lib/tailpod/repo.git ]'
	check "fetch: filtered by seccomp" bash -c \
		'journalctl -u tailpod-sync.service -o cat | grep -q "fetched " && ! journalctl -u tailpod-sync.service -o cat | grep -q seccomp'
	check "sync unit: hardened (exposure <= 6.0, no CAP_SYS_ADMIN)" bash -c \
		'systemd-analyze security --threshold=60 tailpod-sync.service >/dev/null && ! systemctl show -P CapabilityBoundingSet tailpod-sync.service | grep -q cap_sys_admin'
	if [ "$failures" -gt 0 ] && [ -e /mnt/tpshare/stop-on-failure ]; then
		dump_journal
		systemctl --user -M web@ status web.service --no-pager -l | tail -n 30
		systemctl --user -M cache@ status cache-a.service --no-pager -l | tail -n 30
		return
	fi

	# 7. mint-key through the socket: the key file the ExecStartPre= wrote.
	keyfile=/run/user/$(uid_of web)/ts-authkeys/web.env
	check "mint-key: key file 0600 in web's runtime dir" bash -c "[ \"\$(stat -c '%a %U' $keyfile)\" = '600 web' ]"
	check "mint-key: the key came from the API" grep -q '^TS_AUTHKEY=tskey-' "$keyfile"
	check "mint-key: a user outside the mint group is refused" bash -c \
		"! runuser -u alice -- tailpod mint-key --via /run/tailpod/mint-key.sock --output /run/user/$(uid_of alice)/ts-authkeys/x.env"

	# 3. A second sync changes nothing.
	web_t=$(started_at web web.service) cache_t=$(started_at cache cache-pod.service)
	check "second sync: exit 0" test "$(run_sync)" = 0
	check "second sync: web unchanged" status_is web none/ok
	check "second sync: no restart" test "$(started_at web web.service) $(started_at cache cache-pod.service)" = "$web_t $cache_t"

	# 4. Drift: a stopped service and a deleted quadlet are repaired.
	systemctl --user -M web@ stop web.service
	rm "$(getent passwd web | cut -d: -f6)/.config/containers/systemd/web.container"
	check "drift: sync exit 0" test "$(run_sync)" = 0
	check "drift: reported as repaired" status_is web repair/ok
	check "drift: quadlet back" test -e "$(getent passwd web | cut -d: -f6)/.config/containers/systemd/web.container"
	check "drift: web.service active again" active_within 60 web web.service

	# 5. One spec changed: only that workload restarts; one removed: it goes, the other stays.
	web_t=$(started_at web web.service) cache_t=$(started_at cache cache-pod.service)
	branch change
	check "change: sync exit 0" test "$(run_sync)" = 0
	check "change: web updated" status_is web update/ok
	check "change: web restarted" test "$(started_at web web.service)" != "$web_t"
	check "change: cache not restarted" test "$(started_at cache cache-pod.service)" = "$cache_t"
	check_secrets_changed
	check_rollout
	branch remove
	check "remove: sync exit 0" test "$(run_sync)" = 0
	check "remove: user web gone" bash -c '! getent passwd web'
	check "remove: linger gone" test ! -e /var/lib/systemd/linger/web
	check "remove: home gone" test ! -e /home/web
	check "remove: cache untouched" test "$(started_at cache cache-pod.service)" = "$cache_t"

	# 6. Guards: an empty repository is refused; people and system accounts are never touched.
	branch empty
	check "empty: sync exit 3" test "$(run_sync)" = 3
	check "empty: cache still there" user_active cache cache-pod.service
	check "guards: alice untouched" bash -c 'getent passwd alice && test -d /home/alice && id -nG alice | grep -qw sudo'
	check "guards: system user untouched" getent passwd svc
	branch remove
	check "back to a valid repo: sync exit 0" test "$(run_sync)" = 0

	[ "$failures" -eq 0 ] || dump_journal
	mkdir -p /var/lib/tpvm && echo 2 >"$phase_file"
	echo "TPVM PHASE 1 DONE"
	# The runner powers off when run.sh returns: reboot instead and never return; shutdown
	# stops the runner's unit and this script with it, and the next boot runs phase 2.
	systemctl reboot
	exec sleep infinity
}

# 8. After the reboot the timer syncs again (no fixed delay) and the workload comes back.
phase2() {
	check "reboot: timer enabled" systemctl is-enabled --quiet tailpod-sync.timer
	# Under TCG beside the other test passes (tests/run.sh runs them together), boot, the timer's
	# first tick and its sync took longer than 240 s once: the wait is generous, the check strict.
	check "reboot: a sync ran after boot" wait_for 900 bash -c \
		'[ -s /var/lib/tailpod/status.json ] && [ "$(systemctl show -P ActiveState tailpod-sync.service)" = inactive ] && [ -n "$(journalctl -b -u tailpod-sync.service -o cat | grep "commit ")" ]'
	check "reboot: cache-pod.service active" active_within 120 cache cache-pod.service
	check "reboot: the pod answers" wait_for 60 bash -c '[ "$(busybox wget -q -T 5 -O - http://127.0.0.1:18081/)" = tpvm ]'
	[ "$failures" -eq 0 ] || dump_journal
	echo 3 >"$phase_file"
	echo "TPVM PHASE 2 DONE"
}

case $(cat "$phase_file" 2>/dev/null || echo 1) in
1) phase1 ;;
2) phase2 ;;
*) echo "TPVM nothing to do" ;;
esac
