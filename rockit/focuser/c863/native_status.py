# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The native status report (TS, %), decoded by what arrives: its sources disagree.

doc/mercury-native.md section 2 gives each bit with its source and class; in short:

* SIX bytes, the layout of the C-862/C-863 (DC servo, LM629 motion chip), as drivers proven on
  that hardware read it (EPICS motorPI drvPIC862.cc/.h, labtools pi/conf.py) and as the
  manual's own example "S:04 02 00 03 02 00" has it: byte 1 the LM629 status (busy b0,
  trajectory complete b2, maximum position error b5, motor loop off b7), byte 2 internal flags
  (echo on b0), byte 3 motor loop flags (move direction b2), byte 4 signal line status (limit
  switches active high b1, find edge in progress b2), byte 5 signal line inputs (reference b1,
  positive limit b2, negative limit b3, raw levels), byte 6 the error number (labtools).
* THREE bytes, the table MS176E prints [40] (ready b0, on target b1, reference drive b2, motor
  off b5; limits in byte 2 b0/b2; the error number in byte 3), which EPICS's C-663 stepper
  driver reads: so it may be the stepper's.
* Any other length is kept raw, and nothing is read from it.

A field a layout does not define is None. The daemon ends moves on the moving flag (\\) and the
position, never on these bits (controller/native_axis.py); it acts only on the motor-off bit
and the error number, which both layouts define.
"""
import re
from collections import namedtuple

from .errors import GarbledReply

SIX_BYTE = 'six-byte'      # C-862/C-863 hardware drivers and the manual's example
THREE_BYTE = 'three-byte'  # the manual's table [40] (the C-663 stepper driver's too)

# Error numbers by layout. Six bytes: labtools pi/conf.py (ERROR_CODES, the last byte).
# Three bytes: MS176E [40].
ERRORS = {
    SIX_BYTE: {
        0: 'no error',
        1: 'command not found',
        2: 'first command character was not a letter',
        3: 'character following command was not a digit',
        4: 'value too large',
        5: 'value too small',
        6: 'continuation character was not a comma',
        7: 'command buffer overflow',
        8: 'macro storage overflow',
    },
    THREE_BYTE: {
        0: 'no error',
        1: 'RS-232 timeout',
        2: 'RS-232 overflow',
        3: 'macro storage full',
        4: 'macro out of range',
        5: 'wrong macro command',
        6: 'command error',
    },
}

_STATUS = re.compile(r'S:([0-9A-Fa-f]{2}(?: [0-9A-Fa-f]{2})*)\Z')

_FIELDS = ('raw', 'layout', 'motor_off', 'busy', 'on_target', 'referencing', 'negative_limit',
           'positive_limit', 'reference_signal', 'following_error', 'echo_on', 'error')


def _bit(value, bit):
    return bool((value >> bit) & 1)


def _six_byte_fields(raw):
    """EPICS drvPIC862.h's five registers and labtools' error number in byte 6. Byte 5 holds
    the switches' raw levels: byte 4 bit 1 says whether active means high (EPICS inverts them
    when it is clear)."""
    status, internal, _loop, lines, inputs, error = raw
    active_high = _bit(lines, 1)
    return {
        'motor_off': _bit(status, 7), 'busy': _bit(status, 0), 'on_target': None,
        'referencing': _bit(lines, 2), 'negative_limit': _bit(inputs, 3) == active_high,
        'positive_limit': _bit(inputs, 2) == active_high, 'reference_signal': _bit(inputs, 1),
        'following_error': _bit(status, 5), 'echo_on': _bit(internal, 0), 'error': error}


def _three_byte_fields(raw):
    """MS176E's table [40]."""
    status, lines, error = raw
    return {
        'motor_off': _bit(status, 5), 'busy': None, 'on_target': _bit(status, 1), 'referencing': _bit(status, 2),
        'negative_limit': _bit(lines, 0), 'positive_limit': _bit(lines, 2), 'reference_signal': _bit(lines, 1),
        'following_error': None, 'echo_on': None, 'error': error}


_LAYOUTS = {6: (SIX_BYTE, _six_byte_fields), 3: (THREE_BYTE, _three_byte_fields)}


class NativeStatus(namedtuple('NativeStatus', _FIELDS)):
    """A decoded TS report. raw is its bytes as a tuple; layout SIX_BYTE, THREE_BYTE or None
    (another length: nothing decoded); every other field is None where the layout has none."""
    __slots__ = ()

    @classmethod
    def from_bytes(cls, raw):
        raw = tuple(raw)
        layout, decode = _LAYOUTS.get(len(raw), (None, None))
        fields = decode(raw) if decode else dict.fromkeys(_FIELDS[2:])
        return cls(raw=raw, layout=layout, **fields)

    @classmethod
    def parse(cls, text):
        """Decodes 'S:04 02 00 03 02 00': hex bytes, two digits each, separated by spaces."""
        match = _STATUS.match(text)
        if not match:
            raise GarbledReply('TS', text, 'expected a status report such as "S:04 02 00 03 02 00"')
        return cls.from_bytes(int(field, 16) for field in match.group(1).split())

    @property
    def servo(self):
        """The servo loop holds the axis (the motor is on); None if the layout cannot say."""
        return None if self.motor_off is None else not self.motor_off

    @property
    def text(self):
        """The report as the controller sent it, for the log."""
        return 'S:' + ' '.join(f'{byte:02X}' for byte in self.raw)

    def describe(self):
        """One line for the log at connect: the layout and what it says."""
        if self.layout is None:
            return f'{self.text} ({len(self.raw)} bytes: a layout this daemon does not know; nothing decoded)'
        flags = [name for name in ('motor_off', 'busy', 'on_target', 'referencing', 'negative_limit',
                                   'positive_limit', 'reference_signal', 'following_error', 'echo_on')
                 if getattr(self, name)]
        return (f'{self.text} ({self.layout} layout: {", ".join(flags) or "no flags"}; '
                f'error {self.error}: {error_text(self.error, self.layout)})')


def error_text(code, layout):
    """The meaning of a native error number in the layout that reported it."""
    return ERRORS.get(layout, {}).get(code, f'unknown native error {code}')
