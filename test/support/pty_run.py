"""Runs a command under a pseudo-terminal and types into it, for tests of
interactive commands (the `dv query` shell, test/cli/query-shell.test.ts).
Node has no pty of its own; Python's standard library does.

Reads a JSON spec on stdin:
  argv, cwd, env          the command (env replaces the environment)
  stdout                  "pipe" (default: captured apart from the terminal) or "pty"
  steps                   [{"expect": REGEX, "delay": SECONDS, "run": ARGV, "send": TEXT}, ...]:
                          wait until REGEX matches the terminal output (ANSI escapes removed)
                          after where the previous step's match ended, wait `delay`, run ARGV
                          to its end (in cwd, with env: another process acting meanwhile),
                          then type TEXT
  timeout                 seconds each expect and the final wait for exit may take (default 30)
The stdin and stderr of the command are the terminal's slave side, which
becomes its controlling terminal (Ctrl-C in cooked mode is a SIGINT).

Prints one JSON document: {"code", "signal", "terminal", "stdout", "failed"}; "failed" names
the step whose expect timed out (the command is then killed), or is null.
"""
import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[>=]")


def main():
    spec = json.load(sys.stdin)
    timeout = spec.get("timeout", 30)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 200, 0, 0))
    to_pty = spec.get("stdout") == "pty"

    def controlling_terminal():
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    child = subprocess.Popen(
        spec["argv"], cwd=spec.get("cwd"), env=spec.get("env"),
        stdin=slave, stdout=slave if to_pty else subprocess.PIPE, stderr=slave,
        start_new_session=True, preexec_fn=controlling_terminal,
    )
    os.close(slave)
    terminal = bytearray()
    stdout = bytearray()
    streams = {master: terminal}
    if child.stdout is not None:
        streams[child.stdout.fileno()] = stdout

    def pump(wait):
        """Reads what is ready within `wait` seconds; False once nothing is left to read."""
        if not streams:
            time.sleep(wait)
            return False
        ready, _, _ = select.select(list(streams), [], [], wait)
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the slave side is closed
                data = b""
            if data:
                streams[fd].extend(data)
            else:
                del streams[fd]
        return True

    def text():
        return ANSI.sub("", terminal.decode("utf-8", "replace"))

    failed = None
    position = 0
    for index, step in enumerate(spec.get("steps", [])):
        if "expect" in step:
            pattern = re.compile(step["expect"])
            deadline = time.monotonic() + timeout
            while True:
                match = pattern.search(text(), position)
                if match:
                    position = match.end()
                    break
                if time.monotonic() > deadline or (child.poll() is not None and master not in streams):
                    failed = {"step": index, "expect": step["expect"]}
                    break
                pump(0.05)
            if failed:
                break
        if step.get("delay"):
            end = time.monotonic() + step["delay"]
            while time.monotonic() < end:
                pump(min(0.05, max(0.0, end - time.monotonic())))
        if "run" in step:
            subprocess.run(step["run"], cwd=spec.get("cwd"), env=spec.get("env"), stdin=subprocess.DEVNULL, capture_output=True, check=True)
        if "send" in step:
            os.write(master, step["send"].encode("utf-8"))
    if failed:
        os.killpg(child.pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while child.poll() is None and time.monotonic() < deadline:
        pump(0.05)
    if child.poll() is None:
        failed = failed or {"step": "exit", "expect": "the command to exit"}
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    # what is still buffered once it has exited
    end = time.monotonic() + 2
    while streams and time.monotonic() < end:
        pump(0.05)
    code = child.returncode
    json.dump({
        "code": code if code >= 0 else None,
        "signal": -code if code < 0 else None,
        "terminal": text(),
        "stdout": stdout.decode("utf-8", "replace"),
        "failed": failed,
    }, sys.stdout)


main()
