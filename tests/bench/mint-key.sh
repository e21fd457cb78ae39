#!/usr/bin/env bash
# mint-key.sh TAILPOD RUSAGE: `make bench` for mint-key — one mint through the socket service
# (mode 1, as systemd would run it: socket activation, one service per connection, a uid from
# the DynamicUser= range with the OAuth client as its credential) against the
# TLS mock of the Tailscale API on loopback. Prints the service's wall time and peak RSS and the
# number of TLS handshakes (the mock counts connections; the target is 1). Figures only.
set -euo pipefail

tailpod=$(realpath "$1")
rusage=$(realpath "$2")
top=$(cd "$(dirname "$0")/../.." && pwd)
T_ROOT=$(mktemp -d /tmp/tailpod-bench.XXXXXX)
chmod 755 "$T_ROOT" # the service's uid reads the policy and the CA bundle below it
TP_TOP=$top
. "$top/tests/peers/lib.sh" # its EXIT trap stops the servers and removes T_ROOT

M=$T_ROOT/mint
mkdir -p "$M/mock"
make_test_ca "$M/ca" >/dev/null
chmod 755 "$M/ca" && chmod 644 "$M/ca/ca.pem"
python3 "$top/tests/peers/tailscale-mock.py" --cert "$M/ca/server.pem" --key "$M/ca/server.key" \
	--port-file "$M/mock/port" --log "$M/mock/log" --scenario ok --lifetime 120 &
PEER_PIDS+=($!)
wait_for_file "$M/mock/port"
printf 'TS_API_CLIENT_ID=cid\nTS_API_CLIENT_SECRET=secret\nTS_API_URL=https://localhost:%s\nTS_CA_BUNDLE=%s\n' \
	"$(cat "$M/mock/port")" "$M/ca/ca.pem" >"$M/oauth.env"
chmod 600 "$M/oauth.env"
printf '[Mint]\nTags=tag:bench\nGroup=root\nOAuthFile=%s\nRatePerHour=0\n' "$M/oauth.env" >"$M/policy.conf"

# rusage forks the service: the inner shell sets LISTEN_PID to its own pid before it becomes
# tailpod, so the passed socket is still taken. In a private mount namespace with its own /run, as the tests do: the host's /run is untouched.
export M tailpod rusage
unshare -m bash -euo pipefail -c '
	mount -t tmpfs tmpfs /run
	mkdir -p -m 0700 /run/tailpod/mk /run/tailpod/creds
	cp "$M/oauth.env" /run/tailpod/creds/ && chown -R 61999:61999 /run/tailpod/mk /run/tailpod/creds
	export RUNTIME_DIRECTORY=/run/tailpod/mk CREDENTIALS_DIRECTORY=/run/tailpod/creds
	systemd-socket-activate -a -l /run/tailpod/mint-key.sock -E RUNTIME_DIRECTORY -E CREDENTIALS_DIRECTORY \
		sh -c "exec \"$rusage\" /bin/sh -c \"LISTEN_PID=\\\$\\\$ exec setpriv --reuid=61999 --regid=61999 --clear-groups \\\"$tailpod\\\" mint-key --serve -v --policy \\\"$M/policy.conf\\\"\" >/run/tailpod/rusage.out 2>>/run/tailpod/serve.log" 2>/dev/null &
	for i in $(seq 100); do [ -S /run/tailpod/mint-key.sock ] && break; sleep 0.1; done
	"$tailpod" mint-key --via /run/tailpod/mint-key.sock --output /run/tailpod/key.env || cat /run/tailpod/serve.log
	for i in $(seq 50); do [ -s /run/tailpod/rusage.out ] && break; sleep 0.1; done
	kill %1
	printf "mint-key one mint (socket service): %s\n" "$(cat /run/tailpod/rusage.out)"
	printf "mint-key TLS handshakes: %s\n" "$(sed -n "s/.*TLS handshakes: //p" /run/tailpod/serve.log)"
'
printf 'mint-key TLS connections seen by the mock: %s\n' "$(grep -c '^CONN' "$M/mock/log")"
