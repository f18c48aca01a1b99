# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""How a GCS line's words become values: the command tables, argument parsing, number format.

Every parser raises Refused before anything has changed, which is what makes a GCS line
execute entirely or not at all (§1.2 of doc/gcs-c863.md).
"""
import re

from .firmware import CommandTable
from .gcs_tables import PARAMETERS, Refused

AXIS = '1'          # the only axis of a C-863

_NUMBER = re.compile(r'[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?')
_INTEGER = re.compile(r'[+-]?[0-9]+|0[xX][0-9a-fA-F]+')
_PARAMETER_ID = re.compile(r'0[xX][0-9a-fA-F]+|[0-9]+')

LINE_COMMANDS = CommandTable()   # mnemonic -> function(self, args, t) -> reply lines or None
BYTE_COMMANDS = CommandTable()   # byte -> function(self, t) -> reply text or None (syntax: '#4')


def command(mnemonic, syntax, description):
    """Registers a line command; HLP? lists the table, so help never disagrees with reality."""
    return LINE_COMMANDS.register(mnemonic, syntax=syntax, description=description)


def single_byte(byte, name, description):
    """Registers a single-byte command such as #4 (0x04)."""
    return BYTE_COMMANDS.register(byte, syntax=name, description=description)


def axis_query(mnemonic, description, value):
    """Registers a query of the one axis: `CMD?` or `CMD? 1` -> `1=<value(self, t)>`."""
    def query(self, args, t):
        optional_axis(args)
        return [f'{AXIS}={value(self, t)}']
    return command(mnemonic, f'{mnemonic} [{{<AxisID>}}]', description)(query)


def no_arguments(args):
    if args:
        raise Refused('syntax')


def optional_axis(args):
    """`CMD` or `CMD 1`: commands and queries whose element list may be omitted (= all axes)."""
    if len(args) > 1:
        raise Refused('one_element')
    if args and args[0] != AXIS:
        raise Refused('wrong_axis')


def axis_and_values(args, count):
    """`CMD 1 value...` with exactly count values -> the values."""
    if len(args) < 1 + count:
        raise Refused('missing_argument')
    if len(args) > 1 + count:
        raise Refused('one_element')
    if args[0] != AXIS:
        raise Refused('wrong_axis')
    return args[1:]


def axis_and_value(args):
    """`CMD 1 value` -> 'value'."""
    return axis_and_values(args, 1)[0]


def number(text):
    """A float as clients send it: %f, %g, signed, zero-padded, with exponent; not nan/inf."""
    if not _NUMBER.fullmatch(text):
        raise Refused('bad_number')
    return float(text)


def flag(text):
    if text not in ('0', '1'):
        raise Refused('syntax')
    return text == '1'


def parameter_id(text):
    """A parameter ID in decimal (`14`) or hex (`0xE`), as EPICS and PIPython send them."""
    if not _PARAMETER_ID.fullmatch(text):
        raise Refused('syntax')
    pid = int(text, 16) if text[:2].lower() == '0x' else int(text)
    if pid not in PARAMETERS:
        raise Refused('unknown_parameter')
    return pid


def parameter_value(pid, text):
    kind = PARAMETERS[pid].type
    if kind == 'CHAR':
        return text
    if kind == 'INT':
        if not _INTEGER.fullmatch(text):
            raise Refused('bad_number')
        return int(text, 0) if text[:2].lower() == '0x' else int(text)
    return number(text)


def format_number(value):
    return f'{value:.6f}'


def format_parameter(pid, value):
    return format_number(value) if PARAMETERS[pid].type == 'FLOAT' else str(value)
