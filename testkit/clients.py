# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""Byte-level clients of a simulated (or real) C-863, one per command set, as the tests drive it.

Each opens the device exclusively (as the daemon does), writes raw requests and cuts what comes
back into replies by the command set's framing rule. Bytes read past the end of one reply (a
pipelined reply arriving in the same read) are kept for the next, so replies come back one by
one, in order: "no reply" is proven by the next query's reply being the first to arrive.
"""
import re
import time

import serial

from .waiting import wait_until


class SerialClient:
    """What both command sets share: the port, the reply buffer and waiting on a condition."""

    END = None  # a compiled pattern: where a reply ends (set by each command set)

    def __init__(self, device, baud=115200):
        self.port = serial.serial_for_url(device, baudrate=baud, timeout=0.02, exclusive=True)
        self._received = b''  # read from the port but not yet returned: the next replies

    def close(self):
        self.port.close()

    def send(self, data):
        self.port.write(data)

    def next_reply(self, timeout=2.0):
        """The bytes of one complete reply, up to and including its end."""
        deadline = time.monotonic() + timeout
        while True:
            end = self.END.search(self._received)
            if end:
                reply, self._received = self._received[:end.end()], self._received[end.end():]
                return reply
            if time.monotonic() > deadline:
                partial, self._received = self._received, b''  # given up with the error
                raise TimeoutError(f'incomplete reply after {timeout} s: {partial!r}')
            self._received += self.port.read(max(1, self.port.in_waiting))

    def wait(self, predicate, timeout=10.0, message='condition'):
        return wait_until(predicate, timeout, message, interval=0.005)


class GCSClient(SerialClient):
    """GCS 2.0: a reply ends at a LF not preceded by a space (a space-LF continues it)."""

    END = re.compile(rb'(?<! )\n')

    def reply(self, timeout=2.0):
        return self.next_reply(timeout)

    def ask(self, request):
        """Sends a query and returns its reply as text."""
        self.send(request)
        return self.reply().decode('latin-1')

    def value(self, query):
        """`POS? 1` -> the text right of '=' in the one-line reply."""
        return self.ask(query.encode() + b'\n').rstrip('\n').split('=', 1)[1]

    def number(self, query):
        return float(self.value(query))

    def error(self):
        return int(self.ask(b'ERR?\n'))

    def do(self, command):
        """A set command that must succeed (ERR? 0)."""
        self.send(command.encode() + b'\n')
        code = self.error()
        assert code == 0, f'{command} -> error {code}'

    def refused(self, request):
        """The error code a request leaves behind, having checked that it got no reply."""
        self.send(request)
        return self.error()


class NativeClient(SerialClient):
    """Native Mercury commands (C-863.10): a report ends in CR LF ETX."""

    END = re.compile(rb'\r\n\x03')

    def report(self, timeout=2.0):
        return self.next_reply(timeout)

    def ask(self, request):
        """Sends a request and returns its report's bytes."""
        self.send(request)
        return self.report()

    def position(self):
        return int(self.ask(b"'")[2:-3])

    def target(self):
        return int(self.ask(b'TT\r')[2:-3])

    def moving(self):
        return self.ask(b'\\') == b'1\r\n\x03'

    def status(self):
        """The TS report's bytes as integers."""
        return [int(field, 16) for field in self.ask(b'%')[2:-3].split()]

    def wait_still(self, timeout=10.0):
        """Polls '\\' like the rockit daemon until the motor stops; returns the position."""
        self.wait(lambda: not self.moving(), timeout, 'the motor to stop')
        return self.position()


CLIENTS = {'gcs': GCSClient, 'native': NativeClient}
