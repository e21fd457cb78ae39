#!/usr/bin/env bash
# gen-repo.sh N DIR: a desired-state repository of N specs (.container and .pod files) in DIR/repo
# and a transform directory in DIR/transforms, shaped like a real one: half the specs at the root,
# a third in ten directories merged with their transforms, the rest pods of one .pod and three
# members with a volume; every tenth container has a sidecar timer. For `make bench`.
set -euo pipefail

n=$1
out=$2
repo=$out/repo
tr=$out/transforms
rm -rf "$repo" "$tr"
mkdir -p "$repo" "$tr"

img='docker.io/library/alpine:3'
printf '[Container]\nAutoUpdate=registry\n+Label=managed-by=tailpod\n\n[Service]\nRestart=on-failure\n\n[Install]\nWantedBy=default.target\n' >"$tr/_base.container"
printf '[Install]\nWantedBy=default.target\n' >"$tr/_base.pod"
for d in $(seq -w 0 9); do
	mkdir -p "$repo/dir$d"
	printf '[Container]\nContainerName={{.Name}}\n+Environment=TS_HOSTNAME={{.Name}}\n\n[Service]\n+EnvironmentFile=-%%t/ts-authkeys/%%N.env\n+ExecStartPre=/usr/local/bin/tailpod mint-key --via /run/tailpod/mint-key.sock --output %%t/ts-authkeys/%%N.env\n' >"$tr/dir$d.container"
done

made=0
i=0
container() { # container PATH NAME [EXTRA]
	printf '[Unit]\nDescription=bench %s\n\n[Container]\nImage=%s\nEnvironment=N=%s\nPublishPort=127.0.0.1::80\n%b' \
		"$2" "$img" "$2" "${3:-}" >"$1"
}
while [ "$made" -lt "$n" ]; do
	i=$((i + 1))
	name=$(printf 'w%06d' "$i")
	case $((i % 6)) in
	0 | 1 | 2)
		container "$repo/$name.container" "$name"
		if [ $((i % 10)) -eq 0 ]; then
			printf '[Service]\nType=oneshot\nExecStart=/usr/bin/podman exec %s true\n' "$name" >"$repo/$name-job.service"
			printf '[Timer]\nOnCalendar=daily\n\n[Install]\nWantedBy=timers.target\n' >"$repo/$name-job.timer"
		fi
		made=$((made + 1))
		;;
	3 | 4)
		container "$repo/dir$((i % 10))/$name.container" "$name"
		made=$((made + 1))
		;;
	5)
		printf '[Pod]\nPublishPort=127.0.0.1::8080\n' >"$repo/$name.pod"
		for m in a b c; do
			container "$repo/$name-$m.container" "$name-$m" "Volume=$name-data.volume:/data\n"
		done
		printf '[Volume]\nLabel=pod=%s\n' "$name" >"$repo/$name-data.volume"
		made=$((made + 4))
		;;
	esac
done
