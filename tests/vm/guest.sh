#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/vm/guest.sh - what runs inside the VM, as pid 1, in the host's root
# (tests/vm/init set it up). Reads /run/vmresults/env (written by vmtest.sh),
# runs tests/run.sh on the chosen set with its output on the console and in
# /run/vmresults/out.log, writes the exit status to /run/vmresults/rc and
# powers off. Without an rc file the host counts the kernel as failed.
RES=/run/vmresults
# shellcheck disable=SC1091
. $RES/env
export PATH=$RES/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8
export O O19 V TEST_UNIT_EXCLUDE
cd "$TOP" || exit 1
hostname vmtest-"$KLINE"
ip link set lo up
echo "# vmtest-guest: $(uname -r), $(nproc) CPUs, up $(cut -d' ' -f1 /proc/uptime) s"

if [ -n "${VMTEST_CMD:-}" ]; then
	# a look around (VMTEST_CMD): its output, then a closing line of its status
	{ bash -c "$VMTEST_CMD"; rc=$?; [ $rc = 0 ] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"; exit $rc; } 2>&1 | tee $RES/out.log
else
	tests/run.sh -t "$PATTERN" 2>&1 | tee $RES/out.log
fi
echo "${PIPESTATUS[0]}" >$RES/rc.tmp
sync
mv $RES/rc.tmp $RES/rc
echo "# vmtest-guest: done after $(cut -d' ' -f1 /proc/uptime) s of uptime"
sync
echo o >/proc/sysrq-trigger
sleep 30
