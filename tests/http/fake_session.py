#!/usr/bin/env python3
"""TEST-ONLY hostile session (VIVARIUM_TEST_FAKE_SESSION): the zygote runs it with the
server's socket on fd 3 and a real session's socket on fd 4. It relays frames both ways,
unless an exec request's code contains "#hostile:MODE#"; then it answers that request
itself with the frames no real session sends (docs/wire-protocol.md)."""
import os
import re
import select
import struct
import sys
import threading
import time

SERVER, REAL = 3, 4
write_lock = threading.Lock()
held = []  # memfds kept open


def head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for info, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | info]) + struct.pack(fmt, n)
    raise ValueError(n)


def cbor(value):
    if value is True:
        return b"\xf5"
    if value is False:
        return b"\xf4"
    if isinstance(value, int):
        return head(0, value) if value >= 0 else head(1, -1 - value)
    if isinstance(value, str):
        data = value.encode()
        return head(3, len(data)) + data
    if isinstance(value, bytes):
        return head(2, len(value)) + value
    if isinstance(value, list):
        return head(4, len(value)) + b"".join(cbor(v) for v in value)
    if isinstance(value, dict):
        return head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    raise TypeError(value)


def result(**fields):
    message = {"type": "result", "std_out": "", "std_err": "", "final": "null", "files": [],
               "runtime_ms": 1, "lost": False}
    message.update(fields)
    return cbor(message)


def read_exact(fd, size):
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            sys.exit(0)
        data += chunk
    return data


def read_frame(fd):
    (length,) = struct.unpack("<Q", read_exact(fd, 8))
    return read_exact(fd, length)


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def send(body, announced=None):
    with write_lock:
        write_all(SERVER, struct.pack("<Q", len(body) if announced is None else announced) + body)


def hostile(mode):
    if mode == "deep":
        send(b"\x81" * 2_000_000 + b"\x00")
    elif mode == "oversized":
        send(b"", announced=1 << 40)
    elif mode == "truncated":
        send(result(std_out="cut short")[:-3])
    elif mode == "wrong_types":
        send(result(std_out=42, lost="no"))
    elif mode == "bad_name_relative":
        send(result(files=[{"path": "../../etc/x", "data": b"x"}]))
    elif mode == "bad_name_absolute":
        send(result(files=[{"path": "/abs", "data": b"x"}]))
    elif mode == "big_stdout":
        # Announced and streamed, not built first: building 100 MiB in Python takes
        # seconds on a loaded machine, and the header alone must be refused.
        size = 100 << 20
        before, after = result(std_out="MARK").split(cbor("MARK"))
        text_head = head(3, size)
        with write_lock:
            write_all(SERVER, struct.pack("<Q", len(before) + len(text_head) + size + len(after)) + before + text_head)
            chunk = b"x" * (1 << 20)
            for _ in range(size >> 20):
                write_all(SERVER, chunk)
            write_all(SERVER, after)
    elif mode == "drip":
        frame = result(std_out="drip")
        frame = struct.pack("<Q", len(frame)) + frame
        for byte in frame:
            with write_lock:
                write_all(SERVER, bytes([byte]))
            time.sleep(0.5)
    elif mode == "stop_reading":
        # Answers, then never reads again: the next request cannot be sent whole.
        send(result(std_out="not reading any more\n"))
        wait_until_the_server_closes()
    elif mode in ("memfd_pin", "memfd_hold"):
        # Native code's way past an RSS watch (issue 9): file pages of a memfd, which RSS
        # does not show. The pin takes 2 GiB and must be killed by the session's cgroup;
        # the hold keeps 150 MiB and answers, to fill the server's total memory budget.
        size = (2 << 30) if mode == "memfd_pin" else (150 << 20)
        fd = os.memfd_create("pin")
        try:
            os.posix_fallocate(fd, 0, size)
        except OSError as error:
            send(result(std_err=f"fallocate refused: {error}\n"))
            return
        held.append(fd)
        send(result(std_out=f"holding {size >> 20} MiB\n"))
    elif mode == "long_output":
        # Honest types, over the output limits: the server cuts them itself.
        send(result(std_out="o" * 3_000_000, std_err="e" * 3_000_000, final="1" * 2_000_000,
                    files=[{"path": f"f{i}.txt", "data": b"x"} for i in range(5)]))
    else:
        sys.exit(f"fake_session: unknown mode {mode!r}")
    # Back to relaying: the server kills this process, or closes its socket.


def wait_until_the_server_closes():
    """Without reading: so that no fake outlives its server."""
    poller = select.poll()
    poller.register(SERVER, getattr(select, "POLLRDHUP", 0x2000))
    while True:
        for _, events in poller.poll():
            if events & (select.POLLHUP | select.POLLERR | getattr(select, "POLLRDHUP", 0x2000)):
                sys.exit(0)


def session_to_server():
    while True:
        body = read_frame(REAL)
        send(body)


def main():
    threading.Thread(target=session_to_server, daemon=True).start()
    while True:
        body = read_frame(SERVER)
        found = re.search(rb"#hostile:([a-z_]+)#", body)
        if found:
            hostile(found.group(1).decode())
        else:
            write_all(REAL, struct.pack("<Q", len(body)) + body)


if __name__ == "__main__":
    try:
        main()
    except (BrokenPipeError, ConnectionResetError):
        sys.exit(0)
