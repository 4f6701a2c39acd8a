#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Drive a QEMU guest over its serial console, expect-style.

    console.py --log FILE [--timeout S] [--expect RE [--send TEXT]]...
               [--fail-on RE]... [--stop] -- qemu-system-x86_64 ARGS...

QEMU must have the console on its standard input and output
(-serial stdio). Everything the guest prints is saved to --log (carriage
returns and terminal escapes removed). The steps run in order: each
--expect waits for a regular expression in the output that follows the
previous match, and the --send after it (if any) is typed, with a newline.
--fail-on stops the run as soon as its expression shows up. --stop ends
QEMU once the last step has matched (a guest that will not power off by
itself, such as one in emergency mode). Standard library only (it runs on
a fresh Debian machine).

Exit status: 0 when every step matched and QEMU exited by itself (the
guest powered off; with --stop: was stopped) before --timeout; 1 when a step did not match before
QEMU exited; 2 on a --fail-on match; 3 on the timeout (QEMU is killed).
The reason goes to standard error, with the last lines of the console.
"""
import argparse
import os
import re
import select
import signal
import subprocess
import sys
import time

ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\r")


def main():
    p = argparse.ArgumentParser(add_help=True)
    p.add_argument("--log", required=True)
    p.add_argument("--timeout", type=float, default=600)
    p.add_argument("--expect", action="append", default=[], dest="steps",
                   type=lambda s: ("expect", s))
    p.add_argument("--send", action="append", dest="steps",
                   type=lambda s: ("send", s))
    p.add_argument("--fail-on", action="append", default=[])
    p.add_argument("--stop", action="store_true")
    p.add_argument("qemu", nargs=argparse.REMAINDER)
    a = p.parse_args()
    qemu = a.qemu[1:] if a.qemu and a.qemu[0] == "--" else a.qemu
    if not qemu:
        p.error("no QEMU command after --")

    # Pair each expectation with what to type after it.
    steps = []
    for kind, text in a.steps:
        if kind == "expect":
            steps.append([re.compile(text), None, text])
        elif steps and steps[-1][1] is None:
            steps[-1][1] = text
        else:
            p.error("--send %r has no --expect before it" % text)
    fails = [re.compile(f) for f in a.fail_on]

    log = open(a.log, "wb")
    proc = subprocess.Popen(qemu, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            start_new_session=True)
    fd = proc.stdout.fileno()
    os.set_blocking(fd, False)
    text = ""       # everything seen, cleaned
    pending = b""   # the start of an escape sequence the next read completes
    pos = 0         # where the next expectation starts looking
    step = 0
    deadline = time.monotonic() + a.timeout
    result, why = None, ""

    def tail():
        return "\n".join(text.splitlines()[-25:])

    while result is None:
        left = deadline - time.monotonic()
        if left <= 0:
            result, why = 3, "timed out after %ds" % a.timeout
            break
        r, _, _ = select.select([fd], [], [], min(left, 1.0))
        chunk = b""
        if r:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                chunk = b""
            if not chunk:           # QEMU closed its output: it is gone
                break
            # An escape sequence split between two reads waits for its end.
            chunk = pending + chunk
            esc = chunk.rfind(b"\x1b")
            if esc >= 0 and len(chunk) - esc < 16 and not ANSI.match(chunk, esc):
                chunk, pending = chunk[:esc], chunk[esc:]
            else:
                pending = b""
            clean = ANSI.sub(b"", chunk)
            log.write(clean)
            log.flush()
            text += clean.decode("utf-8", "replace")
        for f in fails:
            m = f.search(text)
            if m:
                result, why = 2, "the console showed %r" % m.group(0)
                break
        while result is None and step < len(steps):
            rx, send, src = steps[step]
            m = rx.search(text, pos)
            if not m:
                break
            pos = m.end()
            step += 1
            if send is not None:
                time.sleep(0.3)     # let the guest switch echo off, etc.
                try:
                    proc.stdin.write(send.encode() + b"\n")
                    proc.stdin.flush()
                except BrokenPipeError:
                    pass
                log.write(("\n[console.py typed %r after %r]\n" % (send, src)).encode())
        if a.stop and step == len(steps) and result is None:
            time.sleep(2)           # the rest of the message, for the log
            try:
                while True:
                    more = os.read(fd, 65536)
                    if not more:
                        break
                    log.write(ANSI.sub(b"", more))
            except (BlockingIOError, OSError):
                pass
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            result = 0
            break
        if proc.poll() is not None and not r:
            break

    if result is None:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            result, why = 3, "QEMU did not exit after closing its output"
    if result is None:
        if step < len(steps):
            result, why = 1, "the guest stopped before the console showed %r (step %d of %d)" % (
                steps[step][2], step + 1, len(steps))
        else:
            result = 0
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    log.close()
    if result:
        sys.stderr.write("console.py: %s\n" % why)
        sys.stderr.write("console.py: last lines of the console (%s):\n" % a.log)
        for line in tail().splitlines():
            sys.stderr.write("  | %s\n" % line)
    return result


if __name__ == "__main__":
    sys.exit(main())
