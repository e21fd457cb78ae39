#!/usr/bin/env bash
# run.sh: what `make fuzz` runs (`make test` only replays the committed corpora, tests/run.sh).
# Each harness's working corpus build/fuzz/corpus-NAME starts from its committed seeds
# (tests/fuzz/corpus/NAME), or for sshkey and known_hosts from real tools (keys from ssh-keygen,
# known_hosts lines in the formats ssh-keyscan and ssh-keygen -H write); then each libFuzzer
# harness runs for SECONDS, one after the other. A crash leaves build/fuzz/crash-NAME-* and fails.
# One line per harness gives its figures: executions, coverage, corpus size, crashes.
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
	if [ -d "$top/tests/fuzz/corpus/$name" ]; then
		cp -p "$top/tests/fuzz/corpus/$name"/* "$corpus"/
	else
		"seed_$name" "$corpus"
	fi
	echo "fuzz $name: ${secs}s, corpus $corpus, log $out/$name.log"
	crashes=0
	if ! "$bin" -max_total_time="$secs" -max_len=16384 -timeout=25 -print_final_stats=1 \
		-artifact_prefix="$out/crash-$name-" "$corpus" >"$out/$name.log" 2>&1; then
		grep -E 'ERROR|SUMMARY|Test unit written' "$out/$name.log" | head -n 20 >&2
		crashes=1
		status=1
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$name.log")
	cov=$(grep -E '^#[0-9]+.*cov: ' "$out/$name.log" | tail -n1 | sed 's/.*cov: \([0-9]*\).*/\1/')
	printf 'fuzz %-14s %s s, %s execs, cov %s, corpus %s files, %s crashes\n' "$name" "$secs" \
		"${execs:-?}" "${cov:-?}" "$(ls "$corpus" | wc -l)" "$crashes"
done
exit $status
