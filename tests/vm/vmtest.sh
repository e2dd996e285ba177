#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/vm/vmtest.sh - run a named set of shakeoff's tests inside Debian's own
# kernels under qemu (in the manner of the kernel's selftests vmtest.sh and
# virtme). make vmtest runs it after building everything on the host.
#
#   tests/vm/vmtest.sh [KERNEL_LINE...]        (default: 6.1 6.12)
#
# For each kernel line (6.1, 6.12, ...):
#  - apt-cache picks the newest plain flavour linux-image-LINE.*-amd64-unsigned
#    (the -cloud- flavours have no 9p); apt-get download fetches it once into
#    $O/vm/debs, dpkg-deb unpacks it into $O/vm/<package>/;
#  - an initramfs of busybox-static, tests/vm/init and the modules that mount the
#    root (decompressed) is built next to it;
#  - qemu boots it (KVM if a probe boot works, TCG otherwise) with the host's /
#    read-only over virtio-9p and a read-write 9p share for the results;
#  - inside, tests/vm/guest.sh runs tests/run.sh on the set of tests/vm/sets/LINE
#    (TESTS, UNIT_EXCLUDE for test_unit, GUEST_ENV: VAR=VALUE words for the
#    tests' environment; every test with VMTEST_ALL=1: a
#    new kernel line needs only its set file), and the run's closing line
#    "N passed, N failed[, N skipped]" is printed again here per kernel.
# A kernel fails when a test fails, when nothing passed, or when the guest
# dies, panics or runs past VMTEST_TIMEOUT seconds (default 1500) without
# writing its result. The script exits 1 if any kernel failed.
#
# The tree may be anywhere, also under /tmp.
#
# Environment: O (build directory, default build), O19 (the clang 19 build
# whose BPF objects are load-checked as well, default $O-clang19),
# VMTEST_ALL=1, VMTEST_TESTS="test_a test_b" (instead of the set's TESTS; its
# own run directory, so that it can run next to a full run), VMTEST_CMD="..."
# (a shell command to run inside instead of the tests, for a look around:
# its output is shown, its status is the result), VMTEST_TIMEOUT, VMTEST_ACCEL (kvm or tcg: skip the probe),
# VMTEST_MEM (MiB, default 2048), VMTEST_CPUS (default 2), VMTEST_JOBS=2 (all
# kernels at once, see below), V=1 (also show the
# guest's kernel messages and the tests' other output).
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-build}
case $O in /*) ;; *) O=$TOP/$O ;; esac
O19=${O19:-$O-clang19}
case $O19 in /*) ;; *) O19=$TOP/$O19 ;; esac
VMDIR=$O/vm
VMTEST_ALL=${VMTEST_ALL:-0}
VMTEST_TIMEOUT=${VMTEST_TIMEOUT:-2700}
VMTEST_MEM=${VMTEST_MEM:-2048}
VMTEST_CPUS=${VMTEST_CPUS:-2}
V=${V:-0}
QEMU=${QEMU:-qemu-system-x86_64}
# Modules the initramfs loads to mount the root, in this order (with their
# dependencies first). Built-in ones (virtio_pci on 6.12) are skipped; the
# rest (veth, sch_ingress, cls_bpf, nf_*) load on demand from the chroot.
BOOT_MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
	netfs fscache 9pnet 9pnet_virtio 9p overlay"

say() { echo "# vmtest: $*"; }
die() {
	echo "vmtest: $*" >&2
	exit 1
}

# newest_package LINE: the newest plain amd64 image of a kernel line, e.g.
# linux-image-6.1.0-41-amd64-unsigned or linux-image-6.12.118+deb12-amd64-unsigned.
newest_package() {
	local re="^linux-image-${1//./\\.}(\\.[0-9]+)*(-[0-9]+)?(\\+deb[0-9]+)?-amd64-unsigned\$"
	apt-cache search --names-only "$re" 2>/dev/null | awk '{print $1}' | grep -E "$re" | sort -V | tail -n 1
}

# fetch LINE: sets PKG, KROOT (the unpacked package), KVER and VMLINUZ.
fetch() {
	local deb
	PKG=$(newest_package "$1")
	if [ -z "$PKG" ]; then
		say "no linux-image-$1.*-amd64-unsigned in apt's lists: apt-get update"
		apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null 2>&1
		PKG=$(newest_package "$1")
	fi
	[ -n "$PKG" ] || { echo "vmtest: no Debian kernel package for line $1 (apt-cache search linux-image-$1)"; return 1; }
	KROOT=$VMDIR/$PKG
	if [ ! -e "$KROOT/.unpacked" ]; then
		mkdir -p "$VMDIR/debs"
		deb=$(ls "$VMDIR/debs/${PKG}_"*.deb 2>/dev/null | tail -n 1)
		if [ -z "$deb" ]; then
			say "downloading $PKG"
			(cd "$VMDIR/debs" && apt-get download -qq "$PKG" 2>&1 | grep -v "^W: Download is performed unsandboxed") ||
				true
			deb=$(ls "$VMDIR/debs/${PKG}_"*.deb 2>/dev/null | tail -n 1)
			[ -n "$deb" ] || { echo "vmtest: apt-get download $PKG failed"; return 1; }
		fi
		rm -rf "$KROOT"
		mkdir -p "$KROOT"
		dpkg-deb -x "$deb" "$KROOT" || { echo "vmtest: cannot unpack $deb"; return 1; }
		KVER=$(ls "$KROOT/lib/modules" | head -n 1)
		# The package ships no modules.dep; modprobe needs one (here and in the guest).
		depmod -b "$KROOT" "$KVER" || { echo "vmtest: depmod failed for $KVER"; return 1; }
		touch "$KROOT/.unpacked"
	fi
	KVER=$(ls "$KROOT/lib/modules" | head -n 1)
	VMLINUZ=$KROOT/boot/vmlinuz-$KVER
	[ -r "$VMLINUZ" ] || { echo "vmtest: $VMLINUZ missing in $PKG"; return 1; }
}

# initramfs: $KROOT/initramfs.cpio.gz with busybox, the init script and the
# boot modules (decompressed: busybox insmod reads plain .ko), listed in
# load order in /modules.
initramfs() {
	local d=$KROOT/initramfs m line ko
	rm -rf "$d"
	mkdir -p "$d/bin" "$d/mods" "$d/proc" "$d/sys" "$d/dev" "$d/newroot"
	cp /bin/busybox "$d/bin/busybox" || return 1
	cp "$TOP/tests/vm/init" "$d/init" && chmod 755 "$d/init"
	: >"$d/modules"
	for m in $BOOT_MODULES; do
		modprobe -d "$KROOT" -S "$KVER" --show-depends "$m" 2>/dev/null | while read -r line; do
			case $line in insmod\ *) ;; *) continue ;; esac
			ko=$(awk '{print $2}' <<<"$line")
			base=$(basename "$ko")
			base=${base%.xz}
			base=${base%.zst}
			grep -qx "$base" "$d/modules" && continue
			case $ko in
			*.xz) xz -dc "$ko" >"$d/mods/$base" ;;
			*.zst) zstd -qdc "$ko" >"$d/mods/$base" ;;
			*) cp "$ko" "$d/mods/$base" ;;
			esac
			echo "$base" >>"$d/modules"
		done
	done
	(cd "$d" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$KROOT/initramfs.cpio.gz"
}

# qemu_run ACCEL RESULTS CMDLINE_EXTRA: boot the kernel; the console goes to stdout.
qemu_run() {
	local accel=$1 res=$2 extra=$3 cpu=max
	timeout -k 10 "$VMTEST_TIMEOUT" "$QEMU" -accel "$accel" -cpu "$cpu" -m "$VMTEST_MEM" \
		-smp "$VMTEST_CPUS" -no-reboot -display none -monitor none -serial stdio -nic none \
		-kernel "$VMLINUZ" -initrd "$KROOT/initramfs.cpio.gz" \
		-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=root,mount_tag=root \
		-fsdev local,id=res,path="$res",security_model=none,multidevs=remap \
		-device virtio-9p-pci,fsdev=res,mount_tag=results \
		-append "console=ttyS0 panic=-1 oops=panic quiet loglevel=${VM_LOGLEVEL:-1} $extra" </dev/null
}

# probe_accel: KVM where a trivial boot under it works, TCG otherwise.
probe_accel() {
	local res=$VMDIR/probe
	if [ -n "${VMTEST_ACCEL:-}" ]; then
		ACCEL=$VMTEST_ACCEL
		return
	fi
	ACCEL=tcg
	[ -w /dev/kvm ] || return 0
	rm -rf "$res" && mkdir -p "$res"
	VMTEST_TIMEOUT=60 qemu_run kvm "$res" vmtest.probe=1 >"$res/console" 2>&1
	if [ -e "$res/probe-ok" ]; then ACCEL=kvm; fi
}

# stamp: the seconds since boot on each "# test_..." line (where the time goes).
stamp() {
	local t0=$SECONDS line
	while IFS= read -r line; do
		case $line in "# test_"* | "# fuzz"*) line="$line [+$((SECONDS - t0)) s]" ;; esac
		printf '%s\n' "$line"
	done
}

# run_kernel LINE: boot one kernel, run its set; prints the closing line.
run_kernel() {
	local line=$1 res set pattern start rc summary t
	fetch "$line" || return 1
	initramfs || { echo "vmtest: cannot build the initramfs for $KVER"; return 1; }
	res=$VMDIR/run-$line${VMTEST_TESTS:+-custom}${VMTEST_CMD:+-cmd}
	rm -rf "$res" && mkdir -p "$res"
	TESTS= UNIT_EXCLUDE= GUEST_ENV=
	if [ "$VMTEST_ALL" = 1 ]; then
		pattern=.
	else
		set=$TOP/tests/vm/sets/$line
		[ -r "$set" ] || { echo "$line: FAIL: no test set $set"; return 1; }
		# shellcheck disable=SC1090
		. "$set"
		TESTS=${VMTEST_TESTS:-$TESTS}
		pattern="^($(tr -s ' \t' '\n' <<<"$TESTS" | grep . | paste -sd '|'))\$"
	fi
	# What the guest runs, read by tests/vm/guest.sh.
	{
		printf 'TOP=%q\nO=%q\nO19=%q\nPATTERN=%q\nV=%q\nKLINE=%q\n' "$TOP" "$O" "$O19" "$pattern" "$V" "$line"
		printf 'TEST_UNIT_EXCLUDE=%q\nVMTEST_CMD=%q\n' "$UNIT_EXCLUDE" "${VMTEST_CMD:-}"
		for v in $GUEST_ENV; do printf 'export %q\n' "$v"; done
	} >"$res/env"
	# modprobe on the guest kernel's modules (the host has none of its own
	# under /lib/modules): for the kernel's on-demand loads and on PATH.
	mkdir -p "$res/bin"
	printf '#!/bin/sh\nexec /usr/sbin/modprobe -d %q -S %q "$@"\n' "$KROOT" "$KVER" >"$res/bin/modprobe"
	chmod 755 "$res/bin/modprobe"
	say "$line: $PKG ($KVER), $ACCEL, tests matching $pattern"
	start=$(date +%s)
	if [ "$V" = 1 ]; then
		qemu_run "$ACCEL" "$res" vmtest.run=1 2>&1 | sed -u 's/\r$//' | tee "$res/console"
	else
		qemu_run "$ACCEL" "$res" vmtest.run=1 2>&1 | sed -u 's/\r$//' | tee "$res/console" |
			grep --line-buffered -E '^(ok |FAIL |skip |# |vmtest-guest: )' | stamp
	fi
	rc=${PIPESTATUS[0]}
	t=$(($(date +%s) - start))
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$res/out.log" 2>/dev/null | tail -n 1)
	if [ ! -e "$res/rc" ]; then
		case $rc in
		124 | 137) why="timed out after $VMTEST_TIMEOUT s" ;;
		*) why="the guest died before writing its result (qemu status $rc)" ;;
		esac
		grep -E 'Kernel panic|BUG:|Oops|vmtest-guest:' "$res/console" | head -n 5 | sed 's/^/# console: /'
		grep -v '^\[' "$res/console" | tail -n 5 | sed 's/^/# console tail: /'
		echo "$line: FAIL: $why; ${summary:-no closing line} [$t s]"
		return 1
	fi
	if [ -z "$summary" ]; then
		echo "$line: FAIL: the guest wrote no closing line [$t s]"
		return 1
	fi
	case $summary in
	0\ passed*)
		echo "$line: $summary: FAIL: nothing passed (everything skipped?) [$t s]"
		return 1
		;;
	esac
	echo "$line ($KVER): $summary [$t s, $ACCEL]"
	[ "$(cat "$res/rc")" = 0 ]
}

[ "$(id -u)" = 0 ] || die "needs root (qemu's 9p root share, apt-get download)"
command -v "$QEMU" >/dev/null || die "$QEMU not installed (make deps)"
[ -x /bin/busybox ] || die "busybox not installed (make deps: busybox-static)"
KERNELS=${*:-${KERNELS:-6.1 6.12}}
mkdir -p "$VMDIR"

overall=0
results=()
first=1
for k in $KERNELS; do
	if [ $first = 1 ]; then
		if fetch "$k" && initramfs; then probe_accel; else ACCEL=tcg; fi
		say "accelerator: $ACCEL"
		first=0
	fi
done
# VMTEST_JOBS=2 (or more) boots all the kernels at once (CI: 6.1's set
# spends minutes waiting on its clock, 6.12's computing); their lines are
# prefixed with the kernel line. Each kernel's packages are fetched first,
# one at a time.
jobs=${VMTEST_JOBS:-1}
pids=()
for k in $KERNELS; do
	r=$VMDIR/result-$k${VMTEST_TESTS:+-custom}${VMTEST_CMD:+-cmd}
	if [ "$jobs" -le 1 ]; then
		run_kernel "$k" 2>&1 | tee "$r"
		rcs[${#results[@]}]=${PIPESTATUS[0]}
		results+=("$r")
		continue
	fi
	fetch "$k" >/dev/null 2>&1 || true # once, before the parallel runs
	( run_kernel "$k" 2>&1 | tee "$r" | sed -u "s/^/[$k] /"; exit "${PIPESTATUS[0]}" ) &
	pids+=($!)
	results+=("$r")
done
for i in "${!pids[@]}"; do
	wait "${pids[$i]}"
	rcs[$i]=$?
done
summary=()
for i in "${!results[@]}"; do
	if [ "${rcs[$i]}" = 0 ]; then
		summary+=("ok   $(tail -n 1 "${results[$i]}")")
	else
		summary+=("FAIL $(tail -n 1 "${results[$i]}")")
		overall=1
	fi
done
echo "vmtest summary:"
for r in "${summary[@]}"; do echo "  $r"; done
if [ $overall = 0 ]; then echo "vmtest: all kernels passed"; else echo "vmtest: FAILED"; fi
exit $overall
