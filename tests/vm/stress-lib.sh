# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Helpers shared by the reliability tests (t-stress-*.sh, t-fault-*.sh,
# t-secrets-*.sh; docs/reliability.md). Source after lib.sh and
# target-lib.sh.
#
# Size:
#   STRESS_SCALE          1 in `make check`; `make stress` (tests/vm/stress.sh)
#                         puts a bigger value into /mkey/tests/stress.env,
#                         which this file reads. Tests multiply their loop
#                         counts and data sizes by it.
#   scaled N              N * STRESS_SCALE
# Processes:
#   alive PID             PID runs and is not a zombie (kill -0 is also true
#                         for an exited child that no one has waited for
#                         yet, for instance while its parent shell waits for
#                         a command substitution)
# fio:
#   fio_clean LOG         fio's output LOG shows every job with err=0 and no
#                         verify complaint
#   fio_mib LOG KIND      total MiB of KIND (READ or WRITE) in LOG's summary
#   figure TEXT           a "# figure: TEXT" diagnostic; docs/reliability.md
#                         quotes these lines (grep '# figure:' build/vm/logs/*.log)
# Kernel log:
#   kmsg_clean            no page allocation failure, OOM kill, or dm-mkey
#                         crypto error in the whole kernel log (the runner
#                         already fails a test on oops/WARN/BUG/hung task)
#   kmsg_count TEXT       how many kernel log lines since the last kmsg_mark
#                         contain TEXT

STRESS_SCALE=1
# shellcheck source=/dev/null
[ -f "$MKEY_TESTS/stress.env" ] && . "$MKEY_TESTS/stress.env"
case "$STRESS_SCALE" in '' | *[!0-9]*) STRESS_SCALE=1 ;; esac
[ "$STRESS_SCALE" -ge 1 ] || STRESS_SCALE=1

scaled() {
	echo $(($1 * STRESS_SCALE))
}

alive() {
	[ -r "/proc/$1/stat" ] || return 1
	_st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$_st" ] && [ "$_st" != Z ] && [ "$_st" != X ]
}

fio_clean() {
	/usr/bin/grep -q 'err= 0' "$1" || return 1
	if /usr/bin/grep -E 'err= *[1-9]|verify: bad|verify failed|bad magic|crc32c: verify' "$1"; then
		return 1
	fi
	return 0
}

# The group summary lines: "  WRITE: bw=..., io=24.0MiB (25.2MB), run=...".
fio_mib() {
	awk -v kind="$2:" '
	$1 == kind {
		for (i = 2; i <= NF; i++) if ($i ~ /^io=/) {
			v = $i; sub(/^io=/, "", v); sub(/,$/, "", v)
			n = v + 0
			if (v ~ /GiB/) n *= 1024
			else if (v ~ /KiB/) n /= 1024
			else if (v ~ /TiB/) n *= 1048576
			else if (v !~ /MiB/) n /= 1048576
			t += n
		}
	}
	END { printf "%.0f\n", t }' "$1"
}

figure() {
	echo "# figure: $*"
}

kmsg_clean() {
	if dmesg | /usr/bin/grep -E 'page allocation failure|Out of memory|oom-kill|invoked oom-killer|mkey: .*(encryption|decryption|asynchronous crypto) failed'; then
		return 1
	fi
	return 0
}

kmsg_count() {
	kmsg_since | /usr/bin/grep -cF -- "$1"
}
