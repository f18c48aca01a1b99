# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""Every byte the probe writes and reads, with its time, grouped into the exchanges it names.

On a first contact the bytes are the evidence: a report that means something other than the
documents say can only be read again from what actually arrived. So the probe's ports are the
daemon's own (NativePort, GCSPort: the same framing, pacing and checks) with a Recording mixin
over the two places of SerialLine where every byte passes, _write and _read_chunk; and bytes
that arrive unasked (a late answer) are recorded as stale before they are dropped.
"""
import time
from collections import namedtuple

from ..errors import ControllerFailure, LinkLost, NoReply
from ..gcs import GCSPort
from ..native import NativePort

OUT, IN, STALE = 'out', 'in', 'stale'

Chunk = namedtuple('Chunk', 't direction data')


class Exchange:
    """One step of the probe: its label, the chunks both ways, and what came of it (value, or
    the failure that is itself evidence). Times are seconds since the probe started."""

    def __init__(self, label, started):
        self.label = label
        self.started = started
        self.chunks = []
        self.value = None
        self.failure = None

    @property
    def ok(self):
        return self.failure is None

    def data(self, direction):
        """The bytes that went one way, joined."""
        return b''.join(chunk.data for chunk in self.chunks if chunk.direction == direction)

    @property
    def sent(self):
        return self.data(OUT)

    @property
    def received(self):
        return self.data(IN)

    @property
    def asked_at(self):
        """When its first byte went out (None if none did)."""
        times = [chunk.t for chunk in self.chunks if chunk.direction == OUT]
        return times[0] if times else None

    @property
    def answered_at(self):
        """When the last byte of the answer arrived (None if none did)."""
        times = [chunk.t for chunk in self.chunks if chunk.direction == IN]
        return times[-1] if times else None

    def show(self):
        """One line of evidence: what went out, what came back (or the failure), how long after."""
        text = f'{self.label}: {self.sent!r} -> '
        if self.received or self.ok:
            text += repr(self.received)
            if self.answered_at is not None:
                text += f' (+{(self.answered_at - self.started) * 1000:.1f} ms)'
        if not self.ok:
            text += f'{" " if self.received else ""}[{self.failure}]'
        return text


class Recorder:
    """The probe's record: its exchanges in order, on one monotonic clock from its start."""

    def __init__(self):
        self.start = time.monotonic()
        self.exchanges = []

    def now(self):
        return time.monotonic() - self.start

    def begin(self, label):
        exchange = Exchange(label, self.now())
        self.exchanges.append(exchange)
        return exchange

    def chunk(self, direction, data):
        """A chunk of bytes; before any step has begun (opening the port) it gets one of its own."""
        if not self.exchanges:
            self.begin('(before the first step)')
        self.exchanges[-1].chunks.append(Chunk(self.now(), direction, bytes(data)))

    def step(self, label, action):
        """Runs action() as one exchange and returns it. What the controller does wrong (silence,
        garbage, an error number) is recorded, not raised: it is what the probe is for. A lost
        link ends the probe."""
        exchange = self.begin(label)
        try:
            exchange.value = action()
        except LinkLost:
            raise
        except ControllerFailure as failure:
            exchange.failure = failure
        return exchange

    @property
    def anything_received(self):
        return any(chunk.direction != OUT for exchange in self.exchanges for chunk in exchange.chunks)


class Recording:
    """Mixin for a SerialLine subclass: every write and every chunk read goes to the recorder."""

    def __init__(self, *args, recorder, **kwargs):
        self.recorder = recorder
        super().__init__(*args, **kwargs)

    def _write(self, data):
        super()._write(data)
        self.recorder.chunk(OUT, data)

    def _read_chunk(self, command, received):
        chunk = super()._read_chunk(command, received)
        self.recorder.chunk(STALE if command is STALE else IN, chunk)
        return chunk

    def _discard_stale_input(self):
        """Reads what waits through _read_chunk first, so a late answer is recorded as stale
        before the port drops it."""
        with self._device('read'):
            waiting = self._serial.in_waiting
        if waiting:
            self._read_chunk(STALE, b'')
        super()._discard_stale_input()

    def write_raw(self, data):
        """Writes bytes without framing or pacing (the probe's query before selection)."""
        self._write(data)

    def listen(self, seconds):
        """Whatever arrives until `seconds` of silence (b'' if nothing): whether a controller that
        should be deaf answers."""
        received = bytearray()
        saved = self._serial.timeout
        self._serial.timeout = seconds
        try:
            while True:
                received += self._read_chunk('listen', received)
        except NoReply:
            return bytes(received)
        finally:
            self._serial.timeout = saved


class RecordingNativePort(Recording, NativePort):
    """NativePort, recorded."""


class RecordingGCSPort(Recording, GCSPort):
    """GCSPort, recorded."""
