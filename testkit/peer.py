# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The controller's end of a serial line, played by a test against a protocol layer.

Two transports, one script format: a list of (request the host must send, reply bytes or None
for silence). expected_protocol runs the script in memory (protocol_expected.py) for exchanges
that are only about bytes; Wire plays it on the master end of a real pseudo-terminal, in a
helper thread, for what needs the kernel's tty layer: replies split across reads, timing,
silence, stale input, an unplugged device, a stop byte racing a reply.
"""
import fcntl
import itertools
import os
import select
import struct
import termios
import threading
import time
import tty
from contextlib import contextmanager

import serial

from . import protocol_expected

DEADLINE = 5.0  # seconds a helper waits for something that should happen at once

if 'testkit' not in serial.protocol_handler_packages:
    serial.protocol_handler_packages.append('testkit')  # expected:// (protocol_expected.py)
_script_names = itertools.count()


@contextmanager
def expected_protocol(port_class, steps, **options):
    """A port_class opened on an in-memory line that expects `steps`; on leaving, checks that
    every request came, in order, and nothing else."""
    name = str(next(_script_names))
    script = protocol_expected.SCRIPTS[name] = protocol_expected.Script(steps)
    try:
        port = port_class(f'expected://{name}', **options)
        try:
            yield port
        finally:
            port.close()
        assert not script.problems, script.problems[0]
        assert not script.steps, f'requests never sent: {[request for request, _ in script.steps]}'
        assert script.sent == b'', f'host sent bytes the script did not expect: {script.sent!r}'
    finally:
        del protocol_expected.SCRIPTS[name]


def raw_pty():
    """(master fd, slave fd) of a pseudo-terminal in raw mode: bytes pass unchanged."""
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    return master, slave


def bytes_waiting(fd):
    """Bytes in a tty's input queue, as the kernel counts them."""
    return struct.unpack('I', fcntl.ioctl(fd, termios.TIOCINQ, b'\0\0\0\0'))[0]


class Wire:
    """The controller's end of a pty: reads the requests and writes the replies."""

    def __init__(self, fd):
        self.fd = fd

    def expect(self, request, deadline=DEADLINE):
        """Reads exactly len(request) bytes and checks they are `request`."""
        received = b''
        end = time.monotonic() + deadline
        while len(received) < len(request):
            ready, _, _ = select.select([self.fd], [], [], max(0.0, end - time.monotonic()))
            if not ready:
                break
            chunk = os.read(self.fd, len(request) - len(received))
            if not chunk:
                break
            received += chunk
        assert received == request, f'controller expected {request!r}, received {received!r}'

    def reply(self, data):
        os.write(self.fd, data)

    def pending(self):
        """Bytes the host sent that no script step consumed (writes are already in the
        kernel buffer when a port call returns, so no waiting is needed)."""
        ready, _, _ = select.select([self.fd], [], [], 0)
        return os.read(self.fd, 4096) if ready else b''

    def close(self):
        """The controller goes away: the host's next read or write fails (an unplug)."""
        os.close(self.fd)


def exchanges(*steps):
    """A controller script: for each (request, reply) expect the request, then send the
    reply (None: stay silent, as the controller does after a set command)."""
    def script(wire):
        for request, reply in steps:
            wire.expect(request)
            if reply is not None:
                wire.reply(reply)
    return script


@contextmanager
def playing(wire, script):
    """Runs a controller script in a thread while the body talks to the port, then
    re-raises whatever the script found wrong and checks no request went unanswered."""
    failures = []

    def run():
        try:
            script(wire)
        except BaseException as failure:  # reported in the test's own thread below
            failures.append(failure)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield
    thread.join(DEADLINE * 2)
    assert not thread.is_alive(), 'controller script did not finish'
    if failures:
        raise failures[0]
    assert wire.pending() == b'', 'host sent bytes the controller script did not expect'


def play(wire, *steps):
    return playing(wire, exchanges(*steps))
