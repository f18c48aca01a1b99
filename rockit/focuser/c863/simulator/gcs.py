# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""PI's GCS 2.0 command set as a C-863.11/.12 speaks it, interpreted on top of the simulated axis.

The interpreter takes the bytes that arrive on the wire, one at a time with their arrival time,
and returns the reply bytes (or None). Facts and their certainty come from
doc/gcs-c863.md (section numbers below refer to it):

* Lines end in LF; mnemonics are case-insensitive; arguments are separated by spaces. A CR is
  not a separator (strict, like the firmware is assumed to be), so `ERR?\\r` is unknown.
* Single bytes 0x04 (#4), 0x05 (#5), 0x07 (#7), 0x08 (#8), 0x18 (#24) are commands of their
  own, answered at once, even in the middle of a partly received line (§1.5).
* Optional address prefix `N ` or `N 0 ` (also before a single byte: `1 \\x04`). Lines for
  other addresses are ignored; unaddressed lines are for controller 1 only; 255 is broadcast
  (executed, never answered). Replies to addressed requests start with `0 N ` on the first
  line only (§1.6).
* One element (axis or parameter) per line; a line is executed entirely or not at all: every
  check happens before anything changes (§1.2).
* Replies: every line but the last ends in SP LF (§1.3). A refused query gets no reply at all.
* The error register keeps the last error until ERR? reads and clears it (§2.2).
* Where the reference is unsure which code the firmware raises, ERROR_CODES in gcs_tables.py
  is the one place that decides.

This file is the firmware's frame: power-on state, byte framing, addresses, dispatch and RBT.
The commands live beside it, by kind: gcs_queries.py (identity, capabilities, error and status
registers), gcs_motion.py (servo, referencing, motion, stops), gcs_parameters.py (VEL, ACC, DEC,
SPA); gcs_syntax.py parses their arguments, gcs_tables.py holds error codes and parameters.

Not modelled: macros, the "incomplete line then silence" timer (307), SEP?/WPA, servo dither,
commands blocked while an error is pending (an Odemis model, not documented for the C-863).

Firmware variants and faults a test may set on the interpreter (sim.firmware) at any time:

  refused_commands      mnemonics answered as unknown (error 2, no reply), e.g. {'ACC?'}
  refused_parameters    parameter IDs SPA/SPA? refuse as unknown (error 54, no reply), e.g. {0xB}
  on_target_fault       None, or ON_TARGET_FAULTS' 'never' (neither #4 bit 15 nor ONT? ever
                        says on target) or 'register' (#4/SRG? bit 15 stays 0, ONT? is true)
  stop_error_unflagged  error 10 latched leaves #4 bit 8 (the error flag) clear
"""
import re

from .firmware import Firmware, LineBuffer
from .gcs_syntax import BYTE_COMMANDS, LINE_COMMANDS, command, no_arguments
from .gcs_tables import ACCELERATION, DECELERATION, ERROR_CODES, PARAMETERS, VELOCITY, Refused
# HLP? lists the line commands in the order they were defined: these imports keep the manual's
# order (identification, status, motion, parameters; RBT, defined below, last).
from .gcs_queries import GCSQueryCommands
from .gcs_motion import GCSMotionCommands
from .gcs_parameters import GCSParameterCommands

LF = 0x0A
BROADCAST = 255
MAX_LINE = 256      # bytes; a longer line is discarded with 'line_too_long'
# on_target_fault -> which on-target reports stay 0 ('register': #4 and SRG? bit 15).
ON_TARGET_FAULTS = {'never': ('register', 'ONT?'), 'register': ('register',)}

_DIGITS = re.compile(r'[0-9]+')
_ADDRESS_PREFIX = re.compile(rb'([0-9]+) (?:[0-9]+ )?')


class GCSInterpreter(GCSQueryCommands, GCSMotionCommands, GCSParameterCommands, Firmware):
    """A C-863 controller speaking GCS 2.0: byte framing, commands, error register, parameters.

    receive(byte, t) is fed every byte at its arrival time t and returns reply bytes or None.
    record(t, name, detail) is told about commands, stops and axis events (the simulator's
    event log). Times may only go forwards; an earlier t is treated as the latest time seen.
    """

    def __init__(self, axis, address=1, model='C-863.12', serial_number='0123456789',
                 record=None, flash=None, now=0.0):
        self.serial_number = serial_number
        self.flash = {pid: parameter.default for pid, parameter in PARAMETERS.items()}
        self.flash.update(flash or {})
        self.nul_before_multiline = False  # Odemis saw a NUL before HLP?/HPA? replies (§1.3)
        self.limit_switches_active_low = False  # #4 bits 0/2 are raw line levels (§1.5)
        self.reboot_seconds = 2.0  # RBT: input ignored for this long (§2.10)
        self.refused_commands = set()
        self.refused_parameters = set()
        self.on_target_fault = None
        self.stop_error_unflagged = False
        super().__init__(axis, address, model, record, now)

    def _power_on(self, t):
        """Registers as after power-on: servo off (the axis), RON 1, error 0, RAM = flash."""
        self.error = 0
        self.reference_mode = True
        self.parameters = dict(self.flash)
        self._line = LineBuffer(MAX_LINE)
        self._deaf_until = 0.0
        self._configure_axis(t)

    def _configure_axis(self, t):
        p = self.parameters
        self.axis.configure(t, velocity=p[VELOCITY], acceleration=p[ACCELERATION],
                            deceleration=p[DECELERATION], reference_velocity=p[0x50],
                            settle_window=p[0x36] / self.counts_per_unit, settle_time=p[0x3F])

    @property
    def counts_per_unit(self):
        return self.parameters[0x0E] / self.parameters[0x0F]

    def reports_on_target(self, t, by):
        """Whether `by` ('register' for #4/SRG? bit 15, or 'ONT?') says on target, unless
        on_target_fault keeps it 0."""
        if by in ON_TARGET_FAULTS.get(self.on_target_fault, ()):
            return False
        return self.axis.on_target(t)

    # --- what Firmware asks of a command set ----------------------------------------------------

    def _servo_dropped(self):
        self.error = ERROR_CODES['following_error']

    def _assumed_reference(self):
        """Start-up "referenced" is as if `SVO 1 1` and FRF had been done: the switch reads 0x16."""
        return self.parameters[0x16]

    def _axis_event(self, t, name, detail):
        if name == 'limit_switch':
            self.error = ERROR_CODES['limit_switch']
        super()._axis_event(t, name, detail)

    def _registers(self, t):
        axis = self.axis
        return {
            'referenced': axis.referenced,
            'referencing': axis.referencing is not None,
            'reference_mode': self.reference_mode,
            'error': self.error,
            'counts_per_unit': self.counts_per_unit,
            'min': self.parameters[0x30],
            'max': self.parameters[0x15],
            'velocity': self.parameters[VELOCITY],
        }

    # --- framing -------------------------------------------------------------------------------

    def receive(self, byte, t):
        """One byte arrived at time t; returns the reply bytes, if any."""
        t = self._now(t)
        if t < self._deaf_until:
            return None
        if byte in BYTE_COMMANDS:
            return self._single_byte(byte, t)
        if byte == LF:
            line = self._line.take()
            return None if line is None else self._execute_line(line, t)
        if self._line.overflowed:
            return None
        if not self._line.add(byte):
            self.error = ERROR_CODES['line_too_long']
        return None

    def _single_byte(self, byte, t):
        """A single-byte command; a partly received line that is just an address prefix
        (`1 `) addresses it, any other partial line is left to continue."""
        address, text = None, chr(byte)
        prefix = _ADDRESS_PREFIX.fullmatch(self._line.data)
        if prefix:
            address, text = int(prefix.group(1)), prefix.group(0).decode('latin-1') + text
            self._line.clear()
        self._record(t, 'command', text)
        if not self._for_me(address):
            return None
        reply = BYTE_COMMANDS[byte].function(self, t)
        return None if reply is None else self._reply([reply], address)

    def _execute_line(self, text, t):
        tokens = [token for token in text.split(' ') if token]
        address = None
        if tokens and _DIGITS.fullmatch(tokens[0]):
            address = int(tokens.pop(0))
            if tokens and _DIGITS.fullmatch(tokens[0]):
                tokens.pop(0)  # the sender's address: always the PC, 0
        if not tokens:
            return None  # empty line, or an address alone
        self._record(t, 'command', text)
        if not self._for_me(address):
            return None
        mnemonic, args = tokens[0].upper(), tokens[1:]
        try:
            entry = None if mnemonic in self.refused_commands else LINE_COMMANDS.get(mnemonic)
            if entry is None:
                raise Refused('unknown_command')
            lines = entry.function(self, args, t)
        except Refused as refusal:
            self.error = refusal.code
            return None
        return None if lines is None else self._reply(lines, address)

    def _for_me(self, address):
        if address is None:
            return self.address == 1
        return address in (self.address, BROADCAST)

    def _reply(self, lines, address):
        if address == BROADCAST:
            return None
        text = ' \n'.join(lines) + '\n'
        if address is not None:
            text = f'0 {self.address} ' + text
        if self.nul_before_multiline and len(lines) > 1:
            text = '\x00' + text
        return text.encode('latin-1')

    # --- reboot ---------------------------------------------------------------------------------

    @command('RBT', 'RBT', 'Reboot System')
    def _rbt(self, args, t):
        """Power-on state, and deaf to input while the firmware restarts (§2.10)."""
        no_arguments(args)
        self.power_cycle(t)
        self._deaf_until = t + self.reboot_seconds
