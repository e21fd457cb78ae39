#!/usr/bin/env bash
# boot.sh: boot a real Debian kernel under qemu with an initramfs made of three concatenated
# archives — busybox-static with the test's /init, tailpod's overlay exactly as `make initramfs`
# writes it, and an example repository — and capture the serial console. The /init
# (tests/initramfs/init) runs tailpod and powers off; the caller asserts the log.
#
#   boot.sh --arch ARCH --overlay FILE --repo DIR --transforms DIR --log FILE
#
# x86_64 on an x86_64 host tries KVM first when /dev/kvm is usable, and falls back to TCG when
# the KVM boot fails (a /dev/kvm may exist and still be unable to run a stock kernel): the KVM
# attempt is watched and stopped at the first sign of failure. aarch64 runs under TCG.
# Every boot is bounded: BOOT_TIMEOUT seconds (default 120), and the KVM attempt must start
# /init within BOOT_KVM_PROBE seconds (default 20). Prints one summary line:
#   boot ARCH: accel A, S s, kernel VERSIONS[, kvm: why it was not used]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
die() {
	printf 'boot.sh: error: %s\n' "$*" >&2
	exit 1
}

arch="" overlay="" repo="" transforms="" log=""
while [ $# -gt 0 ]; do
	case $1 in
	--arch) arch=$2; shift 2 ;;
	--overlay) overlay=$2; shift 2 ;;
	--repo) repo=$2; shift 2 ;;
	--transforms) transforms=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	*) die "unknown argument '$1'" ;;
	esac
done
[ -n "$arch" ] && [ -f "$overlay" ] && [ -d "$repo" ] && [ -d "$transforms" ] && [ -n "$log" ] ||
	die "usage: boot.sh --arch ARCH --overlay FILE --repo DIR --transforms DIR --log FILE"
limit=${BOOT_TIMEOUT:-120}
probe=${BOOT_KVM_PROBE:-20}

deps=$("$here/boot-deps.sh" "$arch")
kernel=$(sed -n 's/^KERNEL=//p' <<<"$deps")
busybox=$(sed -n 's/^BUSYBOX=//p' <<<"$deps")
versions=$(sed -n 's/^VERSIONS=//p' <<<"$deps")

work=$(mktemp -d "${TMPDIR:-/tmp}/tailpod-boot.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The base archive: busybox (its applets are linked by /init), mount points, /init.
base=$work/base
mkdir -p "$base/bin" "$base/dev" "$base/proc" "$base/sys" "$base/tmp"
install -m 0755 "$busybox" "$base/bin/busybox"
install -m 0755 "$here/init" "$base/init"
# The example repository and transforms, as /example/repo and /example/transforms.
mkdir -p "$work/example/example"
cp -a "$repo" "$work/example/example/repo"
cp -a "$transforms" "$work/example/example/transforms"

newc() { (cd "$1" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 -n; }
{
	newc "$base"
	cat "$overlay"
	newc "$work/example"
} >"$work/initrd.gz"

case $arch in
x86_64)
	qemu=(qemu-system-x86_64 -machine pc -m 256)
	console=ttyS0
	;;
aarch64)
	qemu=(qemu-system-aarch64 -machine virt -cpu cortex-a57 -m 256)
	console=ttyAMA0
	;;
*) die "unknown arch $arch" ;;
esac
qemu+=(-smp 1 -nodefaults -no-user-config -display none -no-reboot -kernel "$kernel"
	-initrd "$work/initrd.gz" -append "console=$console panic=-1 quiet")

# run ACCEL [QEMU ARGS]: one bounded boot; the serial console goes to $log, qemu's own messages
# to $work/qemu.err. Returns 0 when /init reached its end marker.
run() {
	local accel=$1 pid
	shift
	: >"$log"
	: >"$work/qemu.err"
	# In a subshell whose stderr is qemu's too, so a qemu that aborts is reported there, not
	# by this shell's job control.
	(timeout -k 5 "$limit" "${qemu[@]}" -accel "$accel" "$@" -serial "file:$log"; exit $?) \
		2>"$work/qemu.err" &
	pid=$!
	if [ "$accel" = kvm ]; then
		# A KVM that cannot run the guest either stops it ("KVM internal error", after which
		# qemu waits forever) or leaves it spinning without output: stop it at the first such
		# sign, or when /init has not started within the probe's bound (a working KVM gets
		# there in about a second; TCG needs a few).
		local t0=$SECONDS
		while kill -0 "$pid" 2>/dev/null; do
			if grep -q 'KVM internal error\|emulation failure' "$work/qemu.err" ||
				{ [ $((SECONDS - t0)) -ge "$probe" ] && ! grep -q '^TP-BOOT' "$log"; }; then
				echo "no progress within ${probe}s" >>"$work/qemu.err"
				kill "$pid" 2>/dev/null || true
				break
			fi
			sleep 0.2
		done
	fi
	wait "$pid" || true
	grep -q '^TP-DONE' "$log"
}

accel=tcg kvm_note=""
start=$(date +%s.%N)
if [ "$arch" = x86_64 ] && [ "$(uname -m)" = x86_64 ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	if run kvm -cpu host; then
		accel=kvm
	else
		kvm_note=", kvm: $(grep -v 'warning:' "$work/qemu.err" | head -n 1 | cut -c1-100)"
		[ -n "${kvm_note#, kvm: }" ] || kvm_note=", kvm: boot did not finish"
		start=$(date +%s.%N)
	fi
fi
if [ "$accel" = tcg ] && ! run tcg; then
	sed 's/^/  qemu: /' "$work/qemu.err" >&2
	die "$arch boot under TCG did not finish within ${limit}s; serial log: $log"
fi
printf 'boot %s: accel %s, %s s, %s%s\n' "$arch" "$accel" \
	"$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')" "$versions" "$kvm_note"
