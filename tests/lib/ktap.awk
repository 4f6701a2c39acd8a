# SPDX-License-Identifier: GPL-2.0
#
# KTAP parser and aggregator for dm-mkey's test harness.
#
#   awk -f tests/lib/ktap.awk [-v out=summary|counts] [-v notes=1] [FILE...]
#
# Reads a KTAP (or TAP 13/14) stream, nested by indentation as KTAP v1 and
# KUnit do (kselftest_harness.h output is plain TAP 13 at indent 0, which is
# the same thing), and counts *leaf* results:
#
#   - a test whose subtests were printed (indented, before its own result
#     line) counts its subtests, not itself; if it says "not ok" but none of
#     its subtests failed, it adds one failure of its own (a crash after the
#     last subtest, a failed cleanup, a kernel warning found by the runner);
#   - a test with no subtests counts itself;
#   - "# SKIP" (any case) counts as skipped, "# TODO" as skipped (a known
#     gap, not a failure), "# XFAIL" as passed;
#   - a plan that promised more results than came (a crashed test, a guest
#     that panicked, a "Bail out!") counts each missing result as failed;
#   - lines that are none of version / plan / result are ignored, so console
#     noise between KTAP lines does not break parsing.
#
# Output (on stdout, after the whole stream has been read):
#   out=summary (default)  "N passed, N failed" plus ", N skipped" if any
#   out=counts             "P F S" (three numbers, for scripts)
#   out=failures           one line per failed leaf test, as its path of
#                          names from the top ("vm/t-smoke/read back"), then
#                          the summary line
# With notes=1, every missing result and unexplained failure is described on
# stderr as a "# " line.

function note(msg) {
	if (notes)
		print "# ktap: " msg > "/dev/stderr"
}

function push(ind) {
	depth++
	lind[depth] = ind; plan[depth] = -1; nres[depth] = 0
	tp[depth] = 0; tf[depth] = 0; ts[depth] = 0
	haschild[depth] = 0; cp[depth] = 0; cf[depth] = 0; cs[depth] = 0
	bail[depth] = 0; started[depth] = 0
	pf[depth] = ""; cfl[depth] = ""
}

# Failure paths are kept as newline-separated lists: pf[d] for the tests of
# level d that are complete, cfl[d] for the subtests of the result to come.
function addf(list, item) {
	return list == "" ? item : list "\n" item
}

function prefix(list, name,   n, a, i, out) {
	out = ""
	n = split(list, a, "\n")
	for (i = 1; i <= n; i++)
		out = addf(out, name "/" a[i])
	return out
}

function resname(line) {
	sub(/^(not )?ok[ \t]*[0-9]*[ \t]*(-[ \t]*)?/, "", line)
	sub(/[ \t]+#.*$/, "", line)
	return line == "" ? "(unnamed)" : line
}

# Close the innermost level: account for subtests that never got their
# parent's result line and for results its plan promised but never came,
# then hand the level's totals to the level above (or to the grand total).
function pop(   missing) {
	if (haschild[depth]) {
		tp[depth] += cp[depth]; tf[depth] += cf[depth]; ts[depth] += cs[depth]
		nres[depth]++
		pf[depth] = addf(pf[depth], prefix(cfl[depth], "(no result line)"))
		if (cf[depth] == 0) {
			tf[depth]++
			pf[depth] = addf(pf[depth], "(subtests without a result line)")
			note("subtests at depth " depth " ended without their parent's result line: counted as one failure")
		}
		haschild[depth] = 0; cfl[depth] = ""
	}
	if (plan[depth] > nres[depth]) {
		missing = plan[depth] - nres[depth]
		tf[depth] += missing
		pf[depth] = addf(pf[depth], "(" missing " missing result" (missing > 1 ? "s" : "") ")")
		note("plan 1.." plan[depth] " at depth " depth " but " nres[depth] " results" (bail[depth] ? " (bailed out)" : "") ": " missing " missing counted as failed")
	}
	if (depth > 1) {
		haschild[depth - 1] = 1
		cp[depth - 1] += tp[depth]; cf[depth - 1] += tf[depth]; cs[depth - 1] += ts[depth]
		cfl[depth - 1] = addf(cfl[depth - 1], pf[depth])
	} else {
		gp += tp[depth]; gf += tf[depth]; gs += ts[depth]
		gfl = addf(gfl, pf[depth])
	}
	depth--
}

# Make the innermost level the one at indentation `ind`, opening or closing
# levels as needed.
function level(ind) {
	while (depth > 0 && lind[depth] > ind)
		pop()
	if (depth == 0 || lind[depth] < ind)
		push(ind)
}

function result(line,   isok, dir, rp, rf, rs, name) {
	isok = (line !~ /^not ok/)
	dir = ""
	if (match(line, /[ \t]#[ \t]*[A-Za-z]+/)) {
		dir = toupper(substr(line, RSTART, RLENGTH))
		sub(/^[ \t]#[ \t]*/, "", dir)
	}
	if (haschild[depth] && cp[depth] + cf[depth] + cs[depth] > 0) {
		rp = cp[depth]; rf = cf[depth]; rs = cs[depth]
		name = resname(line)
		if (cfl[depth] != "")
			pf[depth] = addf(pf[depth], prefix(cfl[depth], name))
		if (!isok && dir != "SKIP" && dir != "TODO" && rf == 0) {
			rf = 1
			pf[depth] = addf(pf[depth], name)
			note("'" line "' failed although none of its subtests did: counted as one failure")
		}
	} else if (dir == "SKIP" || dir == "TODO") {
		rp = 0; rf = 0; rs = 1
	} else if (dir == "XFAIL") {
		rp = 1; rf = 0; rs = 0
	} else if (isok) {
		rp = 1; rf = 0; rs = 0
	} else {
		rp = 0; rf = 1; rs = 0
		pf[depth] = addf(pf[depth], resname(line))
	}
	haschild[depth] = 0; cp[depth] = 0; cf[depth] = 0; cs[depth] = 0; cfl[depth] = ""
	tp[depth] += rp; tf[depth] += rf; ts[depth] += rs
	nres[depth]++
}

BEGIN {
	depth = 0; gp = 0; gf = 0; gs = 0
	if (out == "")
		out = "summary"
}

{
	line = $0
	sub(/\r+$/, "", line)
	match(line, /^[ \t]*/)
	ind = RLENGTH
	body = substr(line, ind + 1)

	if (body ~ /^K?TAP version [0-9]+/) {
		level(ind)
		# A new document at a depth that already has one: the previous
		# sibling ended without a parent result line in between.
		if (started[depth]) {
			pop()
			level(ind)
		}
		started[depth] = 1
	} else if (body ~ /^[0-9]+\.\.[0-9]+/) {
		level(ind)
		started[depth] = 1
		split(body, pl, /[^0-9]+/)
		plan[depth] = pl[2] + 0
	} else if (body ~ /^(not )?ok([ \t]|$)/) {
		level(ind)
		started[depth] = 1
		result(body)
	} else if (body ~ /^Bail out!/) {
		level(ind)
		bail[depth] = 1
	}
}

END {
	while (depth > 0)
		pop()
	if (out == "counts") {
		print gp, gf, gs
	} else {
		if (out == "failures" && gfl != "")
			print gfl
		s = gp " passed, " gf " failed"
		if (gs > 0)
			s = s ", " gs " skipped"
		print s
	}
}
