#!/usr/bin/env bash
# run.sh TAILPOD [ARCH]: `make vm-test` — the whole flow of issue 9 in a real systemd + Podman
# guest. Prepares a read-only share (the binary, the shipped units, sysusers/tmpfiles files, a test
# repository with one branch per scenario, a transform that mints keys, the mint-key policy and a
# test CA), starts the Tailscale API mock on the host (the guest reaches it as tsapi.test, which
# its /etc/hosts maps to 10.0.2.2, qemu's user-network address of the host: a DNS name because
# BearSSL checks DNS names only), builds or reuses the cached guest image (tests/vm/mkimage.sh), boots it
# (tests/vm/boot.sh) and asserts what tests/vm/flow/guest.sh printed on the console. Prints one
# "PASS: ..." or "FAIL: ..." per assertion and "counts P F", like the applet tests, or
# "SKIP: reason" when the guest cannot be built or booted here.
set -uo pipefail

tailpod=$(realpath "$1")
arch=${2:-x86_64}
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/tailpod-vm.XXXXXX)
mock_pid=""
cleanup() {
	[ -z "$mock_pid" ] || kill "$mock_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
skip() {
	echo "SKIP: vm $arch: $*"
	exit 0
}

# --- The test repository: one branch per scenario ------------------------------------------------
commit_branch() { # BRANCH MESSAGE
	git -C "$work/repo" add -A &&
		git -C "$work/repo" -c user.name=vm -c user.email=vm@vm commit -q --allow-empty -m "$2" &&
		git -C "$work/repo" push -q "$work/share/origin.git" "HEAD:refs/heads/$1"
}

# --- issue 15 (TYPES): a .kube with its YAML, a container whose image is a .image ---------------
# kubeweb: kube play of a pod answering on 18082 (_base.kube imports the test image first);
# imgweb: its image pulled by imgweb.image from an archive the guest makes (no registry), 18083.
make_repo_types() {
	local r=$1
	cat >"$r/kubeweb.kube" <<-'EOF'
		[Unit]
		Description=tpvm kubeweb: a kube play workload

		[Kube]
		Yaml=kubeweb.yaml

		[Service]
		# kube play does in one start job what a .pod spreads over several (the pause image,
		# the service container, the pod, its container): under TCG that outlasts the default 90 s.
		TimeoutStartSec=900

		[Install]
		WantedBy=default.target
	EOF
	cat >"$r/kubeweb.yaml" <<-'EOF'
		apiVersion: v1
		kind: Pod
		metadata:
		  name: kubeweb
		spec:
		  containers:
		    - name: web
		      image: localhost/tpbox:latest
		      imagePullPolicy: Never
		      command: ["httpd", "-f", "-p", "8082", "-h", "/www"]
		      ports:
		        - containerPort: 8082
		          hostPort: 18082
		          hostIP: 127.0.0.1
	EOF
	printf '[Image]\nImage=docker-archive:/srv/tpimg.tar\nImageTag=localhost/tpimg:latest\n' \
		>"$r/imgweb.image"
	printf '[Container]\nImage=imgweb.image\nPull=never\nRunInit=yes\nExec=%s\nPublishPort=%s\n' \
		"httpd -f -p 8083 -h /www" "127.0.0.1:18083:8083" >"$r/imgweb.container"
}
# --- end of issue 15's block -------------------------------------------------------------------

# --- issue 17 (SECRETS): a workload with a [Secrets] value for the guest's host identity --------
# The identity is made here with the binary under test (`secret keygen`; the guest installs it as
# /etc/tailpod/secrets/age.key) and the values encrypted to it with `secret encrypt`: the guest has
# no git to commit them itself. vault serves its TPVM_SECRET (a Podman secret sync pushed through
# the user's manager) on 18091; the change branch gives it a new value. Issue 20: it also serves
# its named volume vault-data on 18092 (first content written at start when missing), which the
# guest backs up and restores.
tp_host() { # the binary under test on this host (a foreign one through qemu-user)
	if [ "$arch" = x86_64 ]; then "$tailpod" "$@"; else "qemu-$arch-static" "$tailpod" "$@"; fi
}
vault_spec() { # VALUE: vault.container with VALUE encrypted to the guest's identity
	cat <<-'EOF'
		[Unit]
		Description=tpvm vault: serves the secret sync gave it

		[Container]
		Image=localhost/tpbox:latest
		Pull=never
		RunInit=yes
		PublishPort=127.0.0.1:18091:8091
		PublishPort=127.0.0.1:18092:8092
		Volume=vault-data:/data
		Exec=sh -c 'busybox mkdir -p /tmp/s && busybox env | busybox sed -n s/^TPVM_SECRET=//p >/tmp/s/index.html && { busybox test -e /data/index.html || echo tpvm-data-1 >/data/index.html; } && busybox httpd -p 8092 -h /data && exec httpd -f -p 8091 -h /tmp/s'

		[Install]
		WantedBy=default.target

		[Secrets]
	EOF
	# (no $ in Exec=: systemd would expand it; busybox has no printenv)
	printf %s "$1" | TAILPOD_AGE_KEY=$work/age.key tp_host secret encrypt --name TPVM_SECRET
}
make_repo_secrets() { # REPO VALUE
	if [ ! -e "$work/age.key" ]; then
		# A throwaway key: readable in the share (the guest runs as root over 9p), 0600 once
		# installed; the host's copy stays 0600, as encrypt wants of an identity.
		tp_host secret keygen --output "$work/age.key" >/dev/null &&
			install -m 0644 "$work/age.key" "$work/share/age.key" || return 1
	fi
	vault_spec "$2" >"$1/vault.container.new" && mv "$1/vault.container.new" "$1/vault.container"
}
# --- end of issue 17's block -------------------------------------------------------------------
# --- issue 21 (ROLLOUT): on top of "change", web pointed at a command that exits at once
# (badweb), then fixed (fixweb) ------------------------------------------------------------------
make_repo_rollout() {
	local w=$1/mint/web.container
	sed -i "s|^Exec=.*|Exec=sh -c 'exit 3'|" "$w" && commit_branch badweb "web exits at once" &&
		sed -i 's|^Exec=.*|Exec=httpd -f -p 8080 -h /www|; s/^Description=.*/Description=tpvm web, fixed/' "$w" &&
		commit_branch fixweb "web fixed"
}
# --- end of issue 21's block -------------------------------------------------------------------

make_repo() {
	local r=$work/repo
	mkdir -p "$r/mint"
	git init -q --bare -b main "$work/share/origin.git"
	git -C "$r" init -q -b main
	cat >"$r/mint/web.container" <<-'EOF'
		[Unit]
		Description=tpvm web: one container, its key minted at start

		[Container]
		Image=localhost/tpbox:latest
		Pull=never
		RunInit=yes
		Exec=httpd -f -p 8080 -h /www
		PublishPort=127.0.0.1:18080:8080

		[Install]
		WantedBy=default.target

		[X-Tailpod]
		HealthURL=http://127.0.0.1:18080/
	EOF
	cat >"$r/cache.pod" <<-'EOF'
		[Unit]
		Description=tpvm cache: a pod of two

		[Pod]
		PublishPort=127.0.0.1:18081:8081

		[Install]
		WantedBy=default.target
	EOF
	# The pod starts both members at once, and under TCG the first podman calls of one user can
	# race each other (its pause process): a member that loses is started again, as a real
	# deployment would have it.
	printf '[Container]\nImage=localhost/tpbox:latest\nPull=never\nRunInit=yes\nExec=%s\n\n[Service]\nRestart=on-failure\nRestartSec=3\n' \
		"httpd -f -p 8081 -h /www" >"$r/cache-a.container"
	printf '[Container]\nImage=localhost/tpbox:latest\nPull=never\nRunInit=yes\nExec=%s\n\n[Service]\nRestart=on-failure\nRestartSec=3\n' \
		"sleep 1000000" >"$r/cache-b.container"
	make_repo_types "$r"
	make_repo_secrets "$r" tpvm-secret-1 || return 1
	# --- Issue 22: an app directory, duo/ — two containers on the app's own network (in a
	# sub-directory), back serving a data tree beside its unit, front fetching it from back by
	# name (aardvark-dns) and answering on 18084. No transform applies to an app, so each
	# container imports the test image itself.
	mkdir -p "$r/duo/net" "$r/duo/back-www"
	printf '[Network]\nLabel=app=duo\n' >"$r/duo/net/duo.network"
	echo "duo back" >"$r/duo/back-www/index.html"
	cat >"$r/duo/back.container" <<-'EOF'
		[Unit]
		Description=tpvm duo back: serves its data tree to front

		[Container]
		Image=localhost/tpbox:latest
		Pull=never
		RunInit=yes
		Network=duo.network
		NetworkAlias=back
		Volume=./back-www:/data:ro
		Exec=httpd -f -p 8080 -h /data

		[Service]
		ExecStartPre=/bin/sh -c 'podman image exists localhost/tpbox:latest || podman import -q /srv/tpbox.tar localhost/tpbox:latest'

		[Install]
		WantedBy=default.target
	EOF
	cat >"$r/duo/front.container" <<-'EOF'
		[Unit]
		Description=tpvm duo front: what back serves, fetched by name
		Requires=back.service
		After=back.service

		[Container]
		Image=localhost/tpbox:latest
		Pull=never
		RunInit=yes
		Network=duo.network
		PublishPort=127.0.0.1:18084:8080
		Exec=sh -c 'busybox mkdir -p /tmp/w && until busybox wget -q -T 2 -O /tmp/w/index.html http://back:8080/; do sleep 1; done && exec httpd -f -p 8080 -h /tmp/w'

		[Service]
		ExecStartPre=/bin/sh -c 'podman image exists localhost/tpbox:latest || podman import -q /srv/tpbox.tar localhost/tpbox:latest'

		[Install]
		WantedBy=default.target
	EOF
	# --- end of issue 22's app
	commit_branch main "the first workloads: two specs, the file types and an app" &&
		sed -i 's/^Description=.*/Description=tpvm web, changed/' "$r/mint/web.container" &&
		make_repo_secrets "$r" tpvm-secret-2 &&
		commit_branch change "web changed" &&
		make_repo_rollout "$r" &&
		git -C "$r" rm -q mint/web.container && commit_branch remove "web removed" &&
		git -C "$r" rm -q -r . && commit_branch empty "nothing"
}

# --- Keys, policy and the mock API ----------------------------------------------------------------
make_ca() {
	local d=$work/ca
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=tpvm test CA" \
		-keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null &&
		openssl req -newkey rsa:2048 -nodes -subj "/CN=tsapi.test" -keyout "$d/server.key" \
			-out "$d/server.csr" 2>/dev/null &&
		printf 'subjectAltName=DNS:tsapi.test\n' >"$d/san.ext" &&
		openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
			-CAcreateserial -days 2 -extfile "$d/san.ext" -out "$d/server.pem" 2>/dev/null &&
		cp "$d/ca.pem" "$work/share/test-ca.pem"
}

start_mock() {
	python3 "$top/tests/peers/tailscale-mock.py" --cert "$work/ca/server.pem" \
		--key "$work/ca/server.key" --port-file "$work/mock.port" --log "$work/mock.log" \
		--lifetime 3600 &
	mock_pid=$!
	for _ in $(seq 100); do [ -s "$work/mock.port" ] && return 0; sleep 0.1; done
	return 1
}

make_share() {
	local s=$work/share port
	mkdir -p "$s/units" "$s/sysusers.d" "$s/tmpfiles.d" "$s/transforms"
	cp "$tailpod" "$s/tailpod"
	cp "$top"/initramfs/units/* "$s/units/"
	cp "$top/initramfs/sysusers.d/tailpod.conf" "$s/sysusers.d/"
	cp "$top/initramfs/tmpfiles.d/tailpod.conf" "$s/tmpfiles.d/"
	cp "$top/tests/vm/flow/guest.sh" "$s/run.sh"
	# TPVM_STOP_ON_FAILURE=yes: the guest stops at the first failed group and shows the journal.
	[ "${TPVM_STOP_ON_FAILURE:-no}" != yes ] || : >"$s/stop-on-failure"
	cat >"$s/transforms/mint.container" <<-'EOF'
		# The specs in mint/ get a Tailscale auth key before every start.
		[Service]
		+ExecStartPre=/usr/local/bin/tailpod mint-key --via /run/tailpod/mint-key.sock --output %t/ts-authkeys/%N.env
	EOF
	# Every container: the test image into the user's own storage before it starts (no registry
	# is reachable; the guest builds /srv/tpbox.tar from its busybox).
	cat >"$s/transforms/_base.container" <<-'EOF'
		[Service]
		+ExecStartPre=/bin/sh -c 'podman image exists localhost/tpbox:latest || podman import -q /srv/tpbox.tar localhost/tpbox:latest'
	EOF
	# Issue 15: every .kube imports the test image the same way before kube play runs.
	cp "$s/transforms/_base.container" "$s/transforms/_base.kube"
	printf '[Mint]\nTags=tag:tailpod\nGroup=tailpod-mint\n' >"$s/mint-key.conf"
	port=$(cat "$work/mock.port")
	cat >"$s/oauth.env" <<-EOF
		TS_API_CLIENT_ID=tpvm-client
		TS_API_CLIENT_SECRET=tpvm-secret
		TS_API_URL=https://tsapi.test:$port
		TS_CA_BUNDLE=/etc/tailpod/test-ca.pem
	EOF
	make_repo
}

# --- Boot and assert --------------------------------------------------------------------------------
# The checks guest.sh runs (its loops included): a guest that stops early or skips a phase shows
# as a count below the plan, one more failure. Change it with guest.sh.
VM_GUEST_PLAN=77

assert_log() {
	local log=$1 p f line
	p=$(grep -c '^TPVM ok ' "$log")
	f=$(grep -c '^TPVM FAIL ' "$log")
	sed -n 's/^TPVM ok /PASS: vm: /p; s/^TPVM FAIL /FAIL: vm: /p' "$log" | tr -d '\r'
	for line in "TPVM PHASE 1 DONE" "TPVM PHASE 2 DONE"; do
		if grep -q "^$line" "$log"; then
			echo "PASS: vm: $line"
			p=$((p + 1))
		else
			echo "FAIL: vm: '$line' never printed (console log: $log)"
			f=$((f + 1))
		fi
	done
	if [ "$(grep -c '^TPVM \(ok\|FAIL\) ' "$log")" -ne "$VM_GUEST_PLAN" ]; then
		echo "FAIL: vm: planned $VM_GUEST_PLAN guest checks, ran $(grep -c '^TPVM \(ok\|FAIL\) ' "$log")"
		f=$((f + 1))
	fi
	echo "counts $p $f"
}

command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 missing"
mkdir -p "$work/share"
# Our own harness failing is a failure, never a skip.
harness_fail() {
	echo "FAIL: vm: $*"
	echo "counts 0 1"
	exit 0
}
make_ca || harness_fail "openssl could not make the test CA"
start_mock || harness_fail "the Tailscale API mock did not start"
make_share || harness_fail "cannot prepare the share"
image=$("$top/tests/vm/mkimage.sh" "$arch" | tail -n 1) || skip "the guest image cannot be built here"
log=${TPVM_LOG:-$work/console.log}
limit=${TPVM_TIMEOUT:-$([ "$arch" = x86_64 ] && echo 3300 || echo 3600)}
"$top/tests/vm/boot.sh" --arch "$arch" --image "$image" --share "$work/share" --log "$log" \
	--allow-reboot --timeout "$limit" >"$work/boot.out" 2>&1
status=$?
cat "$work/boot.out"
[ $status -eq 0 ] || echo "vm: boot.sh exited $status"
assert_log "$log"
