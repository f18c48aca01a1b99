# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""What both simulated firmwares (GCS in gcs.py, native in native.py) do the same way.

Both take the bytes of the wire one at a time with their arrival time, keep a line until its
end character, run commands found in a table that decorators fill, and share the axis, the
event log and the fault injection. The command sets differ in everything a client sees; the
bookkeeping around them does not, so it lives here once.
"""
from collections import namedtuple

Command = namedtuple('Command', 'function syntax description')


class CommandTable(dict):
    """key (a mnemonic, or the byte of a single-character command) -> Command.

    Filled by decorating the handlers, so the table that dispatches (and that GCS HLP? lists)
    never disagrees with the code that runs. Entries keep the order the handlers were defined in.
    """

    def register(self, *keys, syntax=None, description=None):
        def register(function):
            for key in keys:
                self[key] = Command(function, syntax, description)
            return function
        return register


class LineBuffer:
    """The line being received, up to max_length bytes; a longer line is dropped as a whole
    when its end arrives (the firmwares never execute the part that fitted)."""

    def __init__(self, max_length):
        self.max_length = max_length
        self.overflowed = False
        self._bytes = bytearray()

    @property
    def data(self):
        """The bytes received since the line began (empty once it overflowed)."""
        return bytes(self._bytes)

    def add(self, byte):
        """Keeps byte; returns False when it does not fit (the line has overflowed)."""
        if self.overflowed or len(self._bytes) >= self.max_length:
            self.overflowed = True
            self._bytes.clear()
            return False
        self._bytes.append(byte)
        return True

    def clear(self):
        """Forgets the bytes received so far; an overflowed line stays dropped until its end."""
        self._bytes.clear()

    def take(self):
        """The line's end arrived: its text, or None if it overflowed. The next line begins."""
        text, self._bytes = self._bytes.decode('latin-1'), bytearray()
        if self.overflowed:
            self.overflowed = False
            return None
        return text


class Firmware:
    """The part of a simulated controller that is not its command set.

    record(t, name, detail) is told about commands, stops and axis events (the simulator's
    event log). Times may only go forwards; an earlier t is treated as the latest time seen.
    A subclass sets what its _power_on() needs, then calls this __init__; it provides
    _power_on(t), the registers in _registers(t) and the value a reference run gives the
    reference switch in _assumed_reference(), and has counts_per_unit and error.
    """

    def __init__(self, axis, address, model, record, now):
        self.axis = axis
        self.address = address
        self.model = model
        self._record = record or (lambda t, name, detail: None)
        self._latest = now
        axis.notify = self._axis_event
        self._power_on(now)

    def _now(self, t):
        self._latest = max(self._latest, t)
        return self._latest

    # --- events from outside (fault injection, the simulator's timers) -------------------------

    def advance(self, t):
        """Applies what the axis did by t; returns reports that became due (None here)."""
        self.axis.advance(self._now(t))

    def next_due(self):
        return self.axis.next_due()

    def power_cycle(self, t):
        t = self._now(t)
        self.axis.power_cycle(t)
        self._power_on(t)
        self._record(t, 'power_cycle', None)

    def following_error(self, t):
        """The servo gives up: the carriage stops where it is, and the firmware notes it."""
        t = self._now(t)
        self.axis.servo_fault(t)
        self._servo_dropped()
        self._record(t, 'following_error', self.axis.position(t))

    def _servo_dropped(self):
        """What the command set remembers of a following error (nothing by default)."""

    def inject_error(self, t, code):
        self.error = code
        self._record(self._now(t), 'error', code)

    def assume_referenced(self, t):
        """Start-up as if a previous session had switched the servo on and referenced."""
        t = self._now(t)
        self.axis.assume_referenced(t, self._assumed_reference())
        self.axis.set_servo(t, True)

    def _axis_event(self, t, name, detail):
        self._record(t, name, detail)

    def state(self, t):
        """The controller's view for tests, in reported units (mm), with its registers."""
        t = self._now(t)
        axis = self.axis
        state = {
            'position': self._quantized(axis.position(t)),
            'target': axis.target(t),
            'moving': axis.moving(t),
            'on_target': axis.on_target(t),
            'servo': axis.servo,
        }
        state.update(self._registers(t))
        state['physical_position'] = axis.physical_position(t)
        return state

    def _quantized(self, position):
        """What the encoder can resolve: whole counts."""
        return round(position * self.counts_per_unit) / self.counts_per_unit
