# lib.sh: helpers for peer tests (real git, TLS and ssh servers on loopback), sourced by
# tests/peers/*.test after tests/applets/lib.sh. Every server is started with a lifetime bound
# and killed when the test file's shell exits.

# tp_host ARGS...: the binary under test as root in this file's sandbox host (tests/applets/
# lib.sh: its own /etc with the tailpod-fetch user sync's fetch drops to, /run, /var, /home);
# host_sandbox prints its directory (for "$SANDBOX_DIR/enter" DIR COMMAND under a wrapper). Peer
# servers run on the real host's loopback, which the sandbox shares.
tp_host() {
	tp "$@"
}
export -f tp_host

PEER_PIDS=()
peer_cleanup() {
	local pid
	for pid in "${PEER_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	rm -rf "$T_ROOT"
}
trap peer_cleanup EXIT

# make_test_ca DIR: a CA and a server certificate for 127.0.0.1 / localhost signed by it, plus
# a second CA nobody trusts and a certificate of it for the same names.
make_test_ca() {
	local dir=$1 ca
	mkdir -p "$dir"
	for ca in ca other; do
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=tailpod test $ca" \
			-keyout "$dir/$ca.key" -out "$dir/$ca.pem" 2>/dev/null || return 1
	done
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$dir/san.ext"
	printf 'subjectAltName=DNS:wrong.example\n' >"$dir/wrong.ext"
	peer_sign "$dir" server ca san.ext && peer_sign "$dir" untrusted other san.ext &&
		peer_sign "$dir" wronghost ca wrong.ext
}

peer_sign() {
	local dir=$1 name=$2 ca=$3 ext=$4
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" -keyout "$dir/$name.key" \
		-out "$dir/$name.csr" 2>/dev/null &&
		openssl x509 -req -in "$dir/$name.csr" -CA "$dir/$ca.pem" -CAkey "$dir/$ca.key" \
			-CAcreateserial -days 2 -extfile "$dir/$ext" -out "$dir/$name.pem" 2>/dev/null
}

# wait_for_file FILE: up to 20 s, for a server to publish its port.
wait_for_file() {
	local i
	for i in $(seq 200); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	echo "peer: $1 never appeared" >&2
	return 1
}

# wait_for_port PORT: 100 tries 0.1 s apart (10 s or so), for a server to accept connections
# on loopback PORT.
wait_for_port() {
	local i
	for i in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "peer: nothing listens on 127.0.0.1:$1" >&2
	return 1
}
export -f wait_for_file wait_for_port

# make_origin DIR SRC: a bare repository at DIR whose main branch holds the files of SRC.
make_origin() {
	local bare=$1 src=$2 work
	work=$(mktemp -d "$T_ROOT/work.XXXXXX")
	git init -q --bare -b main "$bare" && bare=$(cd "$bare" && pwd) &&
		cp -a "$src/." "$work/" &&
		git -C "$work" init -q -b main &&
		git -C "$work" add -A &&
		git -C "$work" -c user.name=t -c user.email=t@t commit -q -m initial &&
		git -C "$work" push -q "$bare" main
}

# origin_commit DIR MESSAGE [FILE CONTENT]: add a commit on main of the bare repo DIR.
origin_commit() {
	local bare=$1 msg=$2 work
	work=$(mktemp -d "$T_ROOT/work.XXXXXX")
	git clone -q "$bare" "$work" && {
		[ -z "${3:-}" ] || printf '%s' "$4" >"$work/$3"
		git -C "$work" add -A &&
			git -C "$work" -c user.name=t -c user.email=t@t commit -q --allow-empty -m "$msg" &&
			git -C "$work" push -q origin main
	}
}

# The start_* helpers return 1 when their server did not come up: the caller reports that as a
# harness failure (harness_fail), never as a skip.

# start_https_git ROOT DIR [ARGS...]: git http-backend over TLS; sets HTTPS_PORT.
start_https_git() {
	local root=$1 dir=$2
	shift 2
	rm -f "$dir/port"
	python3 "$TP_TOP/tests/peers/git-https-server.py" --root "$root" --cert "$dir/server.pem" \
		--key "$dir/server.key" --port-file "$dir/port" --log "$dir/https.log" \
		--lifetime 600 "$@" &
	PEER_PIDS+=($!)
	wait_for_file "$dir/port" && HTTPS_PORT=$(cat "$dir/port")
}

# start_git_daemon ROOT: git daemon on a free loopback port; sets DAEMON_PORT.
start_git_daemon() {
	local root=$1 port
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	timeout 600 git daemon --reuseaddr --export-all --base-path="$root" --listen=127.0.0.1 \
		--port="$port" "$root" 2>>"$T_ROOT/git-daemon.log" &
	PEER_PIDS+=($!)
	DAEMON_PORT=$port
	wait_for_port "$port"
}

export -f make_origin origin_commit

# start_sshd DIR: OpenSSH's sshd on a free loopback port, logging in as root with the keys in
# DIR/authorized_keys only; host keys ecdsa and rsa (libssh2 on mbedTLS cannot verify ed25519
# host keys). Sets SSHD_PORT.
start_sshd() {
	local dir=$1 port
	mkdir -p "$dir"
	ssh-keygen -q -t ecdsa -N '' -f "$dir/host_ecdsa" </dev/null >/dev/null
	ssh-keygen -q -t rsa -b 2048 -N '' -f "$dir/host_rsa" </dev/null >/dev/null
	: >"$dir/authorized_keys"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat >"$dir/sshd_config" <<CFG
ListenAddress 127.0.0.1
Port $port
HostKey $dir/host_ecdsa
HostKey $dir/host_rsa
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
LogLevel VERBOSE
CFG
	# sshd needs its privilege separation directory /run/sshd: a tmpfs /run of its own, never the host's.
	unshare --mount --propagation private bash -c 'mount -t tmpfs -o mode=0755 tailpod-sshd /run &&
		mkdir /run/sshd && exec "$@"' _ timeout 600 /usr/sbin/sshd -D -e -f "$dir/sshd_config" 2>>"$dir/sshd.log" &
	PEER_PIDS+=($!)
	SSHD_PORT=$port
	wait_for_port "$port"
}
