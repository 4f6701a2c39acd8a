#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Filter: nest a KTAP stream one level deeper (4 spaces). Lines that are not
# KTAP (compiler output, a guest's console chatter) become "# " diagnostics,
# carriage returns and blank lines are dropped. Line-buffered, so results
# show up as they happen.
#
#   some-test | tests/lib/ktap-nest.sh
exec sed -u \
	-e 's/\r$//' \
	-e '/^[[:space:]]*$/d' \
	-e '/^[[:space:]]*\(#\|K\{0,1\}TAP version \|[0-9]\{1,\}\.\.[0-9]\{1,\}\|ok\( \|$\)\|not ok\( \|$\)\|Bail out!\)/!s/^/# /' \
	-e 's/^/    /'
