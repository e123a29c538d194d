"""Runs `vivarium run` on a pseudo-terminal, as a user at a terminal does, and reports
what the confined program of the vivarium process holds, then types a line for input().

usage: run_under_pty.py VIVARIUM [--output-dir DIR]
Prints one fact per line (the test compares them); exits 0 unless it could not look.
"""
import os
import pty
import select
import sys
import time

binary = sys.argv[1]
code = "print('ready', flush=True)\nline = input('> ')\nprint('got', line[::-1])\n"
pid, master = pty.fork()
if pid == 0:
    os.execv(binary, [binary, "run", *sys.argv[2:], "-c", code])


def read_until(needle, seconds=120):
    seen = b""
    deadline = time.monotonic() + seconds
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if not ready:
            continue
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the terminal's last holder closed it
            break
        if not data:
            break
        seen += data
    return seen


def is_terminal(target):
    return target.startswith(("/dev/pts/", "/dev/tty", "/dev/ptmx", "/dev/console"))


def find_program(client):
    """The process named vivarium-prog whose stdout is a pipe the client holds: the
    client's child with --no-daemon, the warm zygote's otherwise."""
    held = set()
    for fd in os.listdir(f"/proc/{client}/fd"):
        try:
            held.add(os.readlink(f"/proc/{client}/fd/{fd}"))
        except OSError:
            pass
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if open(f"/proc/{entry}/comm").read().strip() != "vivarium-prog":
                continue
            if os.readlink(f"/proc/{entry}/fd/1") in held:
                return entry
        except OSError:
            continue
    return None


first = read_until(b"> ")
child = find_program(pid)
print("program found:", child is not None)
print("parent holds the terminal:", is_terminal(os.readlink(f"/proc/{pid}/fd/0")))
if child:
    targets = {int(fd): os.readlink(f"/proc/{child}/fd/{fd}") for fd in os.listdir(f"/proc/{child}/fd")}
    for fd in (0, 1, 2):
        print(f"fd {fd}:", "pipe" if targets.get(fd, "").startswith("pipe:") else targets.get(fd, "closed"))
    print("terminal descriptors:", [t for t in targets.values() if is_terminal(t)])
    stat = open(f"/proc/{child}/stat").read()
    print("controlling terminal:", stat.rsplit(")", 1)[1].split()[4])  # tty_nr, 0 for none
os.write(master, b"hello\n")
rest = read_until(b"got olleh")
_, status = os.waitpid(pid, 0)
output = (first + rest).decode(errors="replace").replace("\r\n", "\n")
print("output:", repr(output))
print("exit:", os.waitstatus_to_exitcode(status))
