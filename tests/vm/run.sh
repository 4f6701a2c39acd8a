#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run guest test scripts in the test VM, one fresh VM per script, and report
# KTAP on stdout (one result per script, the script's own KTAP nested in it).
#
#   tests/vm/run.sh [options] [TEST...]
#
#   TEST       t-smoke, t-smoke.sh, tests/vm/t-smoke.sh, demo, or the path of
#              any guest script (it is added to the image's /mkey/tests)
#              default: every tests/vm/t-*.sh, then demo
#   --list     print the default test names and exit
#   --shell    boot the VM with an interactive shell on this terminal
#              (leave with 'poweroff -f', or Ctrl-A X)
#   --no-image use build/vm/initramfs.img as it is (do not refresh it)
#   --bin FILE put FILE in /mkey/bin (repeatable; default: the project's
#              binaries that are built, see VM_GUEST_BINS in tests/vm/Makefile.inc)
#   --add FILE put FILE in /mkey/tests too (data or a helper module for a test)
#
# Environment:
#   TEST_KVER     kernel to boot (default: scripts/debian-kver.sh)
#   VM_TIMEOUT    default per-test timeout in seconds (600); a script's
#                 header may say "# timeout: N"
#   VM_MEM        guest memory in MiB (2048; a "# memory:" header wins),
#                 VM_SMP guest CPUs (2)
#   VM_QEMU_ARGS  extra qemu arguments (word-split)
#   VM_LOGDIR     where serial logs go (build/vm/logs)
#   MKEY_STALE_LIST  a file listing outputs (dm-mkey.ko, programs) whose
#                 build just failed: they stay out of the image (run-all.sh)
#
# A script's header (its first 30 lines) may also say "# disks: 64M 1G ...":
# the runner attaches fresh sparse virtio disks of those sizes (/dev/vda, ...);
# and "# memory: MiB": the guest gets that much memory instead of VM_MEM.
# VM_TIMEOUT_FACTOR (default 1) multiplies every test's timeout (make stress).
#
# A test fails when its KTAP reports a failure or misses results, when the
# script exits non-zero, when the guest times out, panics or oopses, or when
# the guest kernel log shows a warning, BUG, oops, lockup or hung task.
set -eu
set -o pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
vmdir="$top/tests/vm"
logdir=${VM_LOGDIR:-$top/build/vm/logs}
mem=${VM_MEM:-2048}
smp=${VM_SMP:-2}
default_timeout=${VM_TIMEOUT:-600}

# Kernel log lines that fail a test (extended regex, case-sensitive).
bad_kernel_log='WARNING:|BUG:|Oops|general protection fault|Call Trace|KASAN|UBSAN|kernel BUG|blocked for more than|hung_task|unable to handle|Kernel panic|detected stall|soft lockup|hard LOCKUP'

die() {
	echo "vm/run: $*" >&2
	exit 2
}

shell=0
image=1
list=0
bins=()
bins_given=0
extra_files=()
tests=()
while [ $# -gt 0 ]; do
	case "$1" in
	--shell) shell=1 ;;
	--no-image) image=0 ;;
	--list) list=1 ;;
	--bin) bins+=("$2"); bins_given=1; shift ;;
	--add) extra_files+=(--add "$2"); shift ;;
	-h | --help) sed -n '3,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	-*) die "unknown option '$1' (see --help)" ;;
	*) tests+=("$1") ;;
	esac
	shift
done

# Guest tests: tests/vm/t-*.sh, and tests/*/guest/t-*.sh (guest tests kept
# beside a component's unit tests); then the demo.
guest_scripts() {
	local f
	for f in "$vmdir"/t-*.sh "$top"/tests/*/guest/t-*.sh; do
		[ -f "$f" ] && echo "$f"
	done
	[ -f "$vmdir/demo.sh" ] && echo "$vmdir/demo.sh"
	return 0
}

default_tests() {
	guest_scripts | while read -r f; do basename "$f" .sh; done
}

# find_test NAME: the script of a test name.
find_test() {
	local f
	for f in $(guest_scripts); do
		[ "$(basename "$f" .sh)" = "${1%.sh}" ] && { echo "$f"; return 0; }
	done
	return 1
}

if [ "$list" = 1 ]; then
	default_tests
	exit 0
fi

kver=${TEST_KVER:-$("$top/scripts/debian-kver.sh")} || die "cannot find the Debian kernel; run 'make deps'"
kernel="/boot/vmlinuz-$kver"
[ -r "$kernel" ] || die "$kernel not readable; run 'make deps'"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found; run 'make deps'"

# Resolve test arguments to (name, script path); scripts outside tests/vm
# are added to the image.
[ ${#tests[@]} -eq 0 ] && [ "$shell" = 0 ] && mapfile -t tests < <(default_tests)
names=()
scripts=()
adds=()
for t in "${tests[@]}"; do
	case "$t" in
	*/*)
		[ -f "$t" ] || die "no such test script: $t"
		p=$(cd "$(dirname "$t")" && pwd)/$(basename "$t")
		[ "$(dirname "$p")" = "$vmdir" ] || adds+=(--add "$p")
		;;
	*) p=$(find_test "$t") || die "no such test: $t (--list shows the tests)"
		[ "$(dirname "$p")" = "$vmdir" ] || adds+=(--add "$p")
		;;
	esac
	for n in "${names[@]}"; do
		[ "$n" != "$(basename "$p" .sh)" ] ||
			die "two tests named $n: guest scripts need unique names (they share /mkey/tests)"
	done
	names+=("$(basename "$p" .sh)")
	scripts+=("$p")
done

# is_stale FILE: its build failed in this test run; do not test it.
is_stale() {
	[ -n "${MKEY_STALE_LIST:-}" ] && [ -f "$MKEY_STALE_LIST" ] &&
		grep -qxF -- "$1" "$MKEY_STALE_LIST"
}

# The project's binaries that exist; the fragments say which ones there are.
if [ "$bins_given" = 0 ]; then
	for b in $(make -s --no-print-directory -C "$top" print-VM_GUEST_BINS 2>/dev/null); do
		case "$b" in /*) ;; *) b="$top/$b" ;; esac
		if is_stale "$b"; then
			echo "# not in the image (its build failed): $b"
		elif [ -f "$b" ]; then
			bins+=("$b")
		fi
	done
fi
ko_args=()
if is_stale "$top/kernel/dm-mkey.ko"; then
	echo "# not in the image (its build failed): $top/kernel/dm-mkey.ko"
	ko_args=(--no-ko)
fi

mkdir -p "$logdir" "$top/build/vm"
img="$top/build/vm/initramfs.img"
if [ "$image" = 1 ]; then
	bin_args=()
	for b in "${bins[@]}"; do bin_args+=(--bin "$b"); done
	# One builder at a time: several people may share this tree.
	img=$(TEST_KVER="$kver" flock "$top/build/vm/.lock" \
		"$vmdir/mkinitramfs.sh" "${ko_args[@]}" "${bin_args[@]}" "${adds[@]}" "${extra_files[@]}") ||
		die "building the initramfs failed"
fi
[ -r "$img" ] || die "no $img; run without --no-image"
# Boot a private link to this image: another run in the same tree may
# replace build/vm/initramfs.img (by rename) while this one is going.
own_img="$top/build/vm/.initramfs.$$.img"
ln -f "$img" "$own_img" 2>/dev/null || cp "$img" "$own_img"
trap 'rm -f "$own_img"' EXIT
img=$own_img

# header_value SCRIPT KEY: the value of a "# KEY: value" line in the header.
header_value() {
	head -n 30 "$1" | sed -n "s/^#[[:space:]]*$2:[[:space:]]*//p" | head -n 1
}

qemu_base=(qemu-system-x86_64 -accel tcg -cpu max -smp "$smp"
	-no-reboot -nodefaults -no-user-config -display none
	-kernel "$kernel" -initrd "$img")
# console=ttyS1: kernel messages on their own channel, never mixed into KTAP.
# panic=-1 + -no-reboot: a panic ends the VM at once; oops=panic and
# hung_task_panic=1 turn an oops or a hung task into such a panic, so a
# broken kernel ends the test in seconds instead of at the timeout.
# printk.devkmsg=on: the markers tests write to /dev/kmsg are never dropped.
append_base="console=ttyS1,115200 loglevel=7 printk.devkmsg=on panic=-1 oops=panic hung_task_panic=1 softlockup_panic=1"
# shellcheck disable=SC2206 # word splitting of VM_QEMU_ARGS is intended
extra=(${VM_QEMU_ARGS:-})

if [ "$shell" = 1 ]; then
	echo "vm/run: booting $kver with a shell on this terminal (Ctrl-A X quits)" >&2
	echo "vm/run: kernel log in $logdir/shell.kernel.log" >&2
	"${qemu_base[@]}" -m "$mem" "${extra[@]}" -serial mon:stdio \
		-serial "file:$logdir/shell.kernel.log" \
		-append "$append_base mkey.test=shell"
	exit
fi

echo "KTAP version 1"
echo "# kernel $kver, image ${img%/.initramfs.*}/initramfs.img"
echo "1..${#names[@]}"
failed=0
for i in "${!names[@]}"; do
	n=$((i + 1))
	name=${names[$i]}
	script=${scripts[$i]}
	log="$logdir/$name.log"
	klog="$logdir/$name.kernel.log"
	qerr="$logdir/$name.qemu.log"
	echo "    # Subtest: $name"
	to=$(header_value "$script" timeout)
	to=${to:-$default_timeout}
	header_error=
	case "$to" in '' | *[!0-9]*) header_error="bad '# timeout:' header '$to' (seconds)" ;; esac
	[ -n "$header_error" ] || to=$((to * ${VM_TIMEOUT_FACTOR:-1}))
	tmem=$(header_value "$script" memory)
	tmem=${tmem:-$mem}
	case "$tmem" in '' | *[!0-9]*) header_error="bad '# memory:' header '$tmem' (MiB)" ;; esac
	disk_args=()
	d=0
	for size in $(header_value "$script" disks); do
		img_d="$top/build/vm/disks/$name.$d.img"
		mkdir -p "$(dirname "$img_d")"
		rm -f "$img_d"
		truncate -s "$size" "$img_d" 2>/dev/null || header_error="bad '# disks:' size '$size'"
		disk_args+=(-drive "file=$img_d,if=virtio,format=raw,cache=unsafe")
		d=$((d + 1))
	done
	if [ -n "$header_error" ]; then
		failed=$((failed + 1))
		echo "    # $script: $header_error"
		echo "not ok $n $name"
		continue
	fi
	rm -f "$klog" "$klog.test"
	from=

	start=$(date +%s)
	rc=0
	timeout -k 10 "$to" "${qemu_base[@]}" -m "$tmem" "${extra[@]}" "${disk_args[@]}" \
		-monitor none -serial stdio -serial "file:$klog" \
		-append "$append_base mkey.test=$name mkey.disks=$d mkey.timeout=$to" \
		</dev/null 2>"$qerr" | sed -u 's/\r$//' | tee "$log" |
		"$top/tests/lib/ktap-nest.sh" || rc=${PIPESTATUS[0]}
	secs=$(($(date +%s) - start))

	reasons=()
	skip_reason=
	read -r p f s < <(awk -v out=counts -f "$top/tests/lib/ktap.awk" "$log")
	exit_line=$(sed -n 's/^# mkey-vm: exit \([0-9]*\)$/\1/p' "$log" | tail -n 1)
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		reasons+=("timed out after ${to}s (set '# timeout: N' in the script header if it needs longer)")
	elif [ "$rc" != 0 ]; then
		reasons+=("qemu exited with status $rc: $(tail -n 3 "$qerr" 2>/dev/null | tr '\n' ' ' || true)")
	fi
	if ! grep -Eq '^(KTAP version|TAP version|[0-9]+\.\.[0-9]+)' "$log"; then
		reasons+=("no KTAP output from the guest")
	elif [ "$p" = 0 ] && [ "$f" = 0 ] && grep -Eq '^1\.\.0( |$)' "$log"; then
		skip_reason=$(sed -n 's/^1\.\.0 *# *SKIP *//p' "$log" | head -n 1)
		skip_reason=${skip_reason:-skipped}
	fi
	if [ -z "$exit_line" ]; then
		[ "$rc" = 124 ] || [ "$rc" = 137 ] ||
			reasons+=("the guest stopped before the test finished (panic? see the kernel log)")
	elif [ "$exit_line" != 0 ]; then
		reasons+=("the test script exited with status $exit_line")
	fi
	# Scan the kernel log from the moment the test started (the boot itself
	# is Debian's business); the whole log if the test never started.
	# The watchdog's own dump of a hung guest is not a second problem.
	if [ -f "$klog" ]; then
		sed -i 's/\r$//' "$klog"
		from=$(grep -n 'mkey-vm: start ' "$klog" | head -n 1 | cut -d: -f1 || true)
		tail -n +"${from:-1}" "$klog" | sed '/mkey-vm: .* still running after/,$d' >"$klog.test"
		bad=$(grep -E "$bad_kernel_log" "$klog.test" | head -n 5 || true)
		[ -n "$bad" ] && reasons+=("kernel log shows a problem:" "$bad")
	else
		reasons+=("no kernel log (qemu did not start?)")
	fi
	rm -f "$klog.test"

	if [ "$f" != 0 ] || [ ${#reasons[@]} -gt 0 ]; then
		failed=$((failed + 1))
		for r in "${reasons[@]}"; do
			printf '%s\n' "$r" | sed 's/^/    # /'
		done
		# The kernel log since the test started (all of it if it never did).
		[ -n "$from" ] || from=1
		echo "    # last lines of the kernel log ($klog):"
		{ tail -n +"$from" "$klog" 2>/dev/null || true; } | tail -n 30 | sed 's/^/    #   /'
		echo "    # serial log: $log"
		echo "    # $name: ${secs}s"
		echo "not ok $n $name"
	elif [ -n "$skip_reason" ]; then
		echo "    # $name: ${secs}s"
		echo "ok $n $name # SKIP $skip_reason"
	else
		echo "    # $name: ${secs}s"
		echo "ok $n $name"
	fi
done
[ "$failed" = 0 ]
