#!/usr/bin/env bash
# boot.sh: boot the tests/vm guest (tests/vm/mkimage.sh) once under qemu and wait until it powers
# off. The guest's tailpod-vmtest.service mounts DIR (a read-only 9p share, mount_tag tpshare) at
# /mnt/tpshare, runs /mnt/tpshare/run.sh and powers off; its serial console is captured to LOG,
# which the caller asserts.
#
#   boot.sh --share DIR --log LOG [--arch ARCH] [--image IMAGEDIR] [--timeout SEC]
#           [--append 'ARGS'] [--overlay FILE] [--allow-reboot]
#   boot.sh --interactive [--share DIR] [...]   serial console on this terminal (Ctrl-A X quits),
#                                               tailpod.vmtest=off: log in as root, no password
#
# The guest boots a copy-on-write qcow2 overlay of the cached base.raw (a new one in a temporary
# directory, or --overlay FILE, created when missing and kept: a second boot.sh with the same
# FILE boots the same disk again); the cache is opened read-only and never changes. -kernel and
# -initrd come from the image directory (IMAGEDIR, default: what `mkimage.sh ARCH` prints,
# building it when the recipe changed). 2 GiB, 2 CPUs, qemu user networking (virtio-net, DHCP
# in the guest), a virtio RNG. A guest reboot ends qemu like a poweroff unless --allow-reboot
# (then the guest boots the same disk again and runs run.sh again: run.sh keeps its own state on
# the guest's disk to tell the boots apart; the summary's "runner at" is the first boot's).
# --append adds kernel command-line words.
#
# LOG is the raw serial console: lines end in CR LF and systemd writes terminal escape sequences
# when it opens the console, so match markers anywhere in a line, not at its start. A test boot
# masks the serial getty (its login prompt would land between the test's lines); the kernel and
# systemd are quiet except for failures.
#
# Acceleration: KVM when /dev/kvm can really run the guest kernel, TCG otherwise. /dev/kvm may
# exist and still fail a stock kernel ("KVM internal error ... emulation failure" in the kernel's
# decompressor, seen on nested machines), so a short probe first boots the kernel alone under KVM
# (no initrd, no root: it panics and qemu exits, ~1 s when KVM works) and watches for that error;
# TP_VM_ACCEL=kvm|tcg skips the probe.
#
# Every boot is bounded by a wall-clock limit: --timeout or TP_VM_TIMEOUT (default 600 s); the
# KVM probe by TP_VM_KVM_PROBE (default 15 s). Prints one summary line on stdout:
#   vm ARCH: accel A[ (kvm: why not)], runner at S s, off at S s, run.sh rc=N
# "runner at" is the wall-clock time from qemu's start to the guest runner's first marker.
# Exit status: 0 when run.sh ran and exited 0 and the guest powered off; 1 when run.sh failed,
# did not run or the guest stopped without finishing it; 2 usage; 124 the limit was hit (qemu
# is killed).
#
# Env: TP_VM_TIMEOUT, TP_VM_KVM_PROBE, TP_VM_ACCEL (auto|kvm|tcg), TP_VM_MEM (MiB, 2048),
#      TP_VM_SMP (2).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
usage() {
	printf 'usage: boot.sh --share DIR --log LOG [--arch ARCH] [--image DIR] [--timeout SEC]\n' >&2
	printf '               [--append ARGS] [--overlay FILE] [--allow-reboot] [--interactive]\n' >&2
	exit 2
}
die() { # MESSAGE [STATUS]
	printf 'boot.sh: error: %s\n' "$1" >&2
	exit "${2:-1}"
}

arch=x86_64 image="" share="" log="" append="" overlay="" reboot=0 interactive=0
limit=${TP_VM_TIMEOUT:-600}
while [ $# -gt 0 ]; do
	case $1 in
	--arch) arch=${2:?}; shift 2 ;;
	--image) image=${2:?}; shift 2 ;;
	--share) share=${2:?}; shift 2 ;;
	--log) log=${2:?}; shift 2 ;;
	--timeout) limit=${2:?}; shift 2 ;;
	--append) append=${2:?}; shift 2 ;;
	--overlay) overlay=${2:?}; shift 2 ;;
	--allow-reboot) reboot=1; shift ;;
	--interactive) interactive=1; shift ;;
	*) usage ;;
	esac
done
[ "$interactive" = 1 ] || { [ -n "$share" ] && [ -n "$log" ]; } || usage
[ -z "$share" ] || [ -d "$share" ] || die "--share $share is not a directory" 2
[[ $limit =~ ^[0-9]+$ ]] || die "--timeout wants seconds, not '$limit'" 2
probe_limit=${TP_VM_KVM_PROBE:-15}
mem=${TP_VM_MEM:-2048}
smp=${TP_VM_SMP:-2}

case $arch in
x86_64)
	qemu=(qemu-system-x86_64 -machine pc)
	kvm_cpu=(-cpu host)
	tcg_cpu=()
	console=ttyS0
	;;
aarch64)
	qemu=(qemu-system-aarch64 -machine virt)
	kvm_cpu=(-cpu host)
	tcg_cpu=(-cpu cortex-a57)
	console=ttyAMA0
	;;
*) die "unknown arch '$arch' (x86_64 or aarch64)" 2 ;;
esac
for tool in "${qemu[0]}" qemu-img; do
	command -v "$tool" >/dev/null || die "$tool not found; run third_party/deps.sh"
done
qemu+=(-nodefaults -no-user-config -display none)

if [ -z "$image" ]; then
	image=$("$here/mkimage.sh" "$arch" | tail -n 1) || die "mkimage.sh $arch failed"
fi
for f in base.raw vmlinuz initrd.img; do
	[ -f "$image/$f" ] || die "$image/$f missing: not a mkimage.sh image directory"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/tailpod-vmboot.XXXXXX")
qemu_pid=""
cleanup() {
	if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
		kill -KILL "$qemu_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
# qemu's option syntax: a comma inside a value is written twice (not in -serial file:PATH, which
# takes the rest of the word as it is).
qv() { printf '%s' "${1//,/,,}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# --- acceleration ------------------------------------------------------------------------------
accel=${TP_VM_ACCEL:-auto} kvm_note=""
kvm_usable() {
	[ "$(uname -m)" = "$arch" ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]
}
# kvm_probe: 0 when the kernel reaches its "no root" panic under KVM within probe_limit.
kvm_probe() {
	local pid t0=$SECONDS
	: >"$work/probe.log"
	"${qemu[@]}" -accel kvm "${kvm_cpu[@]}" -m 256 -no-reboot -kernel "$image/vmlinuz" \
		-append "console=$console panic=-1 root=/dev/nonexistent" \
		-serial "file:$work/probe.log" 2>"$work/probe.err" &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		if grep -q 'KVM internal error\|emulation failure' "$work/probe.err" ||
			[ $((SECONDS - t0)) -ge "$probe_limit" ]; then
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.1
	done
	wait "$pid" 2>/dev/null || true
	if grep -q 'Kernel panic\|VFS: ' "$work/probe.log"; then
		return 0
	fi
	kvm_note=$(grep -m 1 -v 'warning:' "$work/probe.err" | cut -c1-80 || true)
	[ -n "$kvm_note" ] || kvm_note="kernel did not reach its panic within ${probe_limit}s"
	return 1
}
case $accel in
auto)
	accel=tcg
	if ! kvm_usable; then
		kvm_note="no usable /dev/kvm for $arch"
	elif kvm_probe; then
		accel=kvm
	fi
	;;
kvm | tcg) ;;
*) die "TP_VM_ACCEL must be auto, kvm or tcg, not '$accel'" 2 ;;
esac
if [ "$accel" = kvm ]; then
	qemu+=(-accel kvm "${kvm_cpu[@]}")
else
	qemu+=(-accel tcg "${tcg_cpu[@]}")
fi

# --- the boot ----------------------------------------------------------------------------------
if [ -z "$overlay" ]; then
	overlay=$work/overlay.qcow2
fi
if [ ! -f "$overlay" ]; then
	qemu-img create -q -f qcow2 -b "$(cd "$image" && pwd)/base.raw" -F raw "$overlay" ||
		die "qemu-img create $overlay failed"
fi

cmdline="root=/dev/vda rootfstype=ext4 rw console=$console panic=-1 quiet fsck.mode=skip"
# A test run has no getty on the console: its login prompt would land between the test's lines.
if [ "$interactive" = 1 ]; then
	cmdline+=" tailpod.vmtest=off"
else
	cmdline+=" systemd.mask=serial-getty@$console.service"
fi
[ -z "$append" ] || cmdline+=" $append"
qemu+=(-m "$mem" -smp "$smp" -kernel "$image/vmlinuz" -initrd "$image/initrd.img"
	-append "$cmdline"
	-drive "file=$(qv "$overlay"),format=qcow2,if=none,id=root,cache=unsafe,discard=unmap"
	-device "virtio-blk-pci,drive=root"
	-nic "user,model=virtio-net-pci"
	-device virtio-rng-pci)
[ -z "$share" ] ||
	qemu+=(-virtfs "local,path=$(qv "$(cd "$share" && pwd)"),mount_tag=tpshare,security_model=none,readonly=on")
[ "$reboot" = 1 ] || qemu+=(-no-reboot)

if [ "$interactive" = 1 ]; then
	printf 'boot.sh: %s guest, accel %s%s; Ctrl-A X quits qemu\n' "$arch" "$accel" \
		"${kvm_note:+ (kvm: $kvm_note)}" >&2
	"${qemu[@]}" -serial mon:stdio
	exit
fi

mkdir -p "$(dirname "$log")"
: >"$log"
start=$(now)
"${qemu[@]}" -serial "file:$log" 2>"$work/qemu.err" &
qemu_pid=$!
runner_at="" timed_out=0
while kill -0 "$qemu_pid" 2>/dev/null; do
	if [ -z "$runner_at" ] && grep -q 'TAILPOD-VMTEST-START' "$log"; then
		runner_at=$(since "$start")
	fi
	if [ "$(since "$start" | cut -d. -f1)" -ge "$limit" ]; then
		timed_out=1
		kill -TERM "$qemu_pid" 2>/dev/null || true
		sleep 2
		kill -KILL "$qemu_pid" 2>/dev/null || true
		break
	fi
	sleep 0.2
done
qemu_rc=0
wait "$qemu_pid" || qemu_rc=$?
qemu_pid=""
off_at=$(since "$start")
[ -n "$runner_at" ] || ! grep -q 'TAILPOD-VMTEST-START' "$log" || runner_at="?"

end=$(sed -n 's/.*TAILPOD-VMTEST-END rc=\([0-9]*\).*/\1/p' "$log" | tail -n 1)
note=${kvm_note:+ (kvm: $kvm_note)}
printf 'vm %s: accel %s%s, runner at %s s, off at %s s, run.sh rc=%s\n' "$arch" "$accel" "$note" \
	"${runner_at:-never}" "$off_at" "${end:-none}"

show_tail() {
	printf 'boot.sh: last lines of %s:\n' "$log" >&2
	# Without the terminal escape sequences systemd writes when it opens the console.
	tail -n 25 "$log" | tr -d '\r' | sed 's/\x1b\[[0-9;?!]*[a-zA-Z]//g; s/\x1b\][0-9]*\x07//g; s/^/  | /' >&2
	[ ! -s "$work/qemu.err" ] || sed 's/^/  qemu: /' "$work/qemu.err" | head -n 20 >&2
}
if [ "$timed_out" = 1 ]; then
	show_tail
	die "time limit of ${limit}s hit; qemu killed (raise --timeout or TP_VM_TIMEOUT)" 124
fi
if [ "$qemu_rc" != 0 ]; then
	show_tail
	die "qemu exited with status $qemu_rc"
fi
if [ -z "$end" ]; then
	show_tail
	if grep -q 'TAILPOD-VMTEST-NO' "$log"; then
		die "the guest ran nothing: $(grep -m 1 -o 'TAILPOD-VMTEST-NO.*' "$log" | tr -d '\r')"
	fi
	die "the guest stopped before run.sh finished (no TAILPOD-VMTEST-END marker)"
fi
[ "$end" = 0 ] || die "run.sh exited with status $end; serial log: $log"
