#!/usr/bin/env bash
# backup.sh TAILPOD RUSAGE FLOOR: `make bench` for `tailpod backup` (issue 20). One workload whose
# named volume holds MiB (default 256; TAILPOD_BENCH_BACKUP_MIB=1024 is the issue's 1 GiB) as
# many small files (a quarter of the bytes, 1-8 KiB each, half of each compressible text) and 3
# large ones (half random, half text), owned by the workload's uid and a subuid. Wall time, CPU
# time and peak RSS of `backup create` and `backup restore` (in the test sandbox) beside GNU
# tar's `tar -czf` and `tar -xzf` of the same directory — restore onto no volume beside tar into
# an empty directory, and --force over the volume beside tar over the existing tree — and beside
# the floor: reading every byte (tests/bench/floor.c) and, for restore, `cp -a` of the data. One
# run each, the page cache warm. --force's replaced tree is removed in the background after the
# exit (restore waits for it at most a second): the time until it is gone is printed too.
# Figures, not pass/fail.
set -euo pipefail

tailpod=$(realpath "$1")
rusage=$(realpath "$2")
floor=$(realpath "$3")
top=$(cd "$(dirname "$0")/../.." && pwd)
mib=${TAILPOD_BENCH_BACKUP_MIB:-256}
work=$(mktemp -d /tmp/tailpod-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 0711 "$work"
export TP_TOP=$top TP_BIN=$tailpod TP_QEMU=
. "$top/tests/sandbox/lib.sh"

sb=$work/sb
sandbox_new "$sb"
mkdir "$work/repo"
printf '[Container]\nImage=docker.io/library/busybox:1.36\nExec=sleep infinity\nVolume=bench-data:/data\n' \
	>"$work/repo/bench.container"
git init -q --bare -b main "$work/origin.git"
git -C "$work/repo" init -q -b main && git -C "$work/repo" add -A &&
	git -C "$work/repo" -c user.name=b -c user.email=b@b commit -q -m bench &&
	git -C "$work/repo" push -q "$work/origin.git" main
printf 'TAILPOD_GIT_URL=file://%s/origin.git\nTAILPOD_STATE_DIR=%s/state\nTAILPOD_HEALTH_SETTLE=0\n' \
	"$work" "$sb" >"$work/config.env"
sandbox_tp "$sb" sync --config "$work/config.env" >/dev/null 2>&1
mkdir -p "$sb/var/lib/tailpod/backups" && chmod 0700 "$sb/var/lib/tailpod/backups"

uid=$(awk -F: '$1 == "bench" { print $3 }' "$sb/etc/passwd")
sub=$(awk -F: '$1 == "bench" { print $2 }' "$sb/etc/subuid")
vols=$sb/home/bench/.local/share/containers/storage/volumes
data=$vols/bench-data/_data
mkdir -p "$data"
python3 - "$data" "$mib" <<'PY'
import os, random, sys
root, mib = sys.argv[1], int(sys.argv[2])
rnd = random.Random(20)
text = b"".join(b"%06d GET /api/item/%d 200 %d ms\n" % (i, i * 7, i % 97) for i in range(200000))
def blob(n):  # half random bytes, half log-like text
    return os.urandom(n // 2) + text[rnd.randrange(len(text) - n):][: n - n // 2]
small, i = mib * (1 << 20) // 4, 0
while small > 0:
    d = os.path.join(root, "d%03d" % (i // 200))
    os.makedirs(d, exist_ok=True)
    n = rnd.randrange(1024, 8193)
    with open(os.path.join(d, "f%05d" % i), "wb") as f:
        f.write(blob(n))
    small, i = small - n, i + 1
for k in range(3):
    with open(os.path.join(root, "large%d.bin" % k), "wb") as f:
        for _ in range(mib // 4):
            f.write(blob(1 << 20))
print("data: %d small files, 3 large, %d MiB" % (i, mib))
PY
chown -R "$uid:$uid" "$vols" && chown -R "$((sub + 99)):$((sub + 99))" "$data/d000"

run() { sandbox_run "$sb" "$rusage" "$@" 2>/dev/null | tail -n 1; }
row() { printf 'backup %5d MiB  %-34s %s\n' "$mib" "$1" "$2"; }
row "floor (read every byte)" "$(run "$floor" "$data")"
row "tailpod backup create" "$(run "$tailpod" backup create --config "$work/config.env" --workload bench)"
row "tar -czf" "$(run tar -C "$vols" -czf "$work/gnu.tar.gz" bench-data)"
archive=$(ls "$sb/var/lib/tailpod/backups"/bench-*.tar.gz)
printf 'backup %5d MiB  archives: ours %d MiB, tar -czf %d MiB\n' "$mib" \
	$(($(stat -c %s "$archive") >> 20)) $(($(stat -c %s "$work/gnu.tar.gz") >> 20))
row "floor (cp -a of the data)" "$(run cp -a "$data" "$work/copy")"
rm -rf "$work/copy"
# Two cases, each beside GNU tar doing the same: onto a host where the volume does not exist
# (tar into an empty directory), and --force over the existing volume (tar over the existing
# tree, which it unlinks and rewrites member by member). The ratio is of wall times.
wall() { sed -n 's/^wall \([0-9.]*\) s.*/\1/p' <<<"$1"; }
pair() {
	row "$1" "$2"
	row "$3" "$4"
	printf 'backup %5d MiB  ratio %-28s %s\n' "$mib" "($5)" \
		"$(awk -v a="$(wall "$2")" -v b="$(wall "$4")" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }')"
}
rel=/var/lib/tailpod/backups/${archive##*/}
mkdir "$work/x"
gnu_fresh=$(run tar -C "$work/x" --numeric-owner -xzpf "$work/gnu.tar.gz")
rm -rf "$vols/bench-data"
ours_fresh=$(run "$tailpod" backup restore --config "$work/config.env" "$rel")
pair "tailpod backup restore (no volume)" "$ours_fresh" "tar -xzf (into an empty dir)" \
	"$gnu_fresh" "fresh host"
gnu_force=$(run tar -C "$work/x" --numeric-owner -xzpf "$work/gnu.tar.gz")
ours_force=$(run "$tailpod" backup restore --config "$work/config.env" --force "$rel")
pair "tailpod backup restore --force" "$ours_force" "tar -xzf (over the existing tree)" \
	"$gnu_force" "--force, over a volume"
gone=$(date +%s%N)
while ls -A "$sb/home/bench" | grep -q '^\.tailpod-restore\.'; do sleep 0.1; done
printf 'backup %5d MiB  the replaced tree gone %.1f s after restore --force exited\n' "$mib" \
	"$(awk -v a="$gone" -v b="$(date +%s%N)" 'BEGIN { print (b - a) / 1e9 }')"
