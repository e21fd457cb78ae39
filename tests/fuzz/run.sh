#!/usr/bin/env bash
# run.sh: what `make fuzz` runs (never `make test`): seed each harness's corpus from real tools
# (keys from ssh-keygen, known_hosts lines in the formats ssh-keyscan and ssh-keygen -H write),
# then run each libFuzzer harness for SECONDS. A crash leaves build/fuzz/crash-NAME-* and fails.
# Usage: tests/fuzz/run.sh SECONDS build/fuzz/fuzz-NAME...
set -euo pipefail

secs=$1
shift
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/fuzz
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Corpus entries for fuzz-sshkey: 0x01 + the openssh-key-v1 binary, 0x00 + file text.
seed_sshkey() {
	local dir=$1 spec name i=0
	for spec in "ed25519" "ecdsa -b 256" "ecdsa -b 384" "ecdsa -b 521" "rsa -b 1024"; do
		name=$tmp/k$i
		ssh-keygen -q -t $spec -N '' -C "seed $i" -f "$name"
		{ printf '\001'; sed '1d;$d' "$name" | base64 -d; } >"$dir/openssh-$i"
		{ printf '\000'; cat "$name"; } >"$dir/text-$i"
		i=$((i + 1))
	done
	ssh-keygen -q -t rsa -b 1024 -m PEM -N '' -f "$tmp/pem"
	ssh-keygen -q -t ecdsa -m PKCS8 -N '' -f "$tmp/p8"
	ssh-keygen -q -t ed25519 -N secret -f "$tmp/enc"
	for name in pem p8 enc; do
		{ printf '\000'; cat "$tmp/$name"; } >"$dir/text-$name"
	done
}

seed_known_hosts() {
	local dir=$1 key
	ssh-keygen -q -t ed25519 -N '' -f "$tmp/h1"
	ssh-keygen -q -t rsa -b 1024 -N '' -f "$tmp/h2"
	key=$(cut -d' ' -f1,2 "$tmp/h1.pub")
	{
		echo "# comment"
		echo "github.com,Alias $key trailing comment"
		echo "[127.0.0.1]:2222 $(cut -d' ' -f1,2 "$tmp/h2.pub")"
		echo "@revoked * $key"
		echo "@cert-authority *.example.com $key"
		echo "*.example.com $key"
		echo "*.example.com,!bad.example.com,[git?.example.com]:*,a,,b $key"
		echo "*a*a*a*a*a*a*a*b $key"
	} >"$dir/plain"
	cp "$dir/plain" "$tmp/hashed"
	ssh-keygen -q -H -f "$tmp/hashed" >/dev/null 2>&1
	cp "$tmp/hashed" "$dir/hashed"
}

status=0
for bin in "$@"; do
	name=${bin##*/fuzz-}
	corpus=$out/corpus-$name
	mkdir -p "$corpus"
	"seed_$name" "$corpus"
	echo "fuzz $name: ${secs}s, corpus $corpus, log $out/$name.log"
	if ! "$bin" -max_total_time="$secs" -max_len=16384 -print_final_stats=1 \
		-artifact_prefix="$out/crash-$name-" "$corpus" >"$out/$name.log" 2>&1; then
		grep -E 'ERROR|SUMMARY|Test unit written' "$out/$name.log" | head -n 20 >&2
		status=1
	fi
	grep -E 'DONE|^stat::peak_rss_mb' "$out/$name.log" | sed 's/^/  /'
done
exit $status
