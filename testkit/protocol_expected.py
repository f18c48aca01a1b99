# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""An in-memory serial port for byte-exact protocol tests: `expected://<name>` in pyserial.

A test lists the exchanges it expects, as data (the style of PyMeasure's expected_protocol):
pairs of (bytes the host must send, bytes the controller answers, or None for silence). The
protocol layer under test opens `expected://<name>` exactly as it opens a device, through
serial.serial_for_url; this port checks each request as it is written and queues the reply at
once. Nothing waits, so hundreds of exchanges run in milliseconds. Timing, framing across
reads, unplugging and the stop byte racing a reply stay on a real pseudo-terminal (peer.py).

pyserial finds the handler through serial.protocol_handler_packages, which peer.py extends with
this package.
"""
import serial

SCRIPTS = {}  # name -> Script, registered by peer.expected_protocol


class Script:
    """The expected exchanges of one test, and what went differently."""

    def __init__(self, steps):
        self.steps = list(steps)
        self.sent = b''        # written by the host, not yet matched to a request
        self.problems = []

    def take(self, data):
        """Matches the host's bytes against the next requests; returns the replies they earn."""
        self.sent += data
        replies = b''
        while self.steps and len(self.sent) >= len(self.steps[0][0]):
            request, reply = self.steps.pop(0)
            received, self.sent = self.sent[:len(request)], self.sent[len(request):]
            if received != request:
                self.problems.append(f'controller expected {request!r}, received {received!r}')
                self.steps.clear()
                break
            replies += reply or b''
        return replies


class Serial(serial.SerialBase):
    """The port side of a Script: writes go to it, its replies wait to be read."""

    def __init__(self, *args, **kwargs):
        self._script = None
        self._replies = b''
        super().__init__(*args, **kwargs)

    def open(self):
        name = self.portstr.split('://', 1)[1]
        if name not in SCRIPTS:
            raise serial.SerialException(f'no expected exchanges registered as {name!r}')
        self._script = SCRIPTS[name]
        self.is_open = True

    def close(self):
        self.is_open = False

    def _reconfigure_port(self, *args, **kwargs):
        """Baud rate, framing and timeouts mean nothing in memory."""

    @property
    def in_waiting(self):
        return len(self._replies)

    def read(self, size=1):
        """What the controller has answered so far; b'' at once if nothing (a silent line)."""
        if not self.is_open:
            raise serial.PortNotOpenError()
        data, self._replies = self._replies[:size], self._replies[size:]
        return data

    def write(self, data):
        if not self.is_open:
            raise serial.PortNotOpenError()
        self._replies += self._script.take(bytes(data))
        return len(data)

    def reset_input_buffer(self):
        self._replies = b''

    def reset_output_buffer(self):
        pass
