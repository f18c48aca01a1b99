# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""How a native Mercury command's words become values: the command tables, arguments, counts,
reports and error numbers.

Page numbers in brackets refer to PI's manual MS176E, summed up in doc/mercury-native.md.
"""
import re

from .firmware import CommandTable

COUNTS_PER_MM = 10000

# MS176E on command syntax: "MR, for example, must be followed by a minimum of 1 and a maximum
# of 9 digits"; a sign may come first.
MAX_DIGITS = 9
_NUMBER = re.compile(r'-?([0-9]+)\Z')

# The TS report's layouts (native_registers.py), the default first: 'six' bytes as drivers
# proven on C-862/C-863 units read them (LM629 status, flags, signal lines, error number),
# or the 'three' bytes of MS176E's table [40].
STATUS_LAYOUTS = ('six', 'three')

# What went wrong with a command -> its error number in each layout. MS176E [40] has one
# number for every command error; the six-byte layout's table tells them apart, but has none
# for a command the controller's state forbids (a move with the motor off): 1 (?).
ERROR_NUMBERS = {
    'six': {'unknown': 1, 'not_a_letter': 2, 'argument': 3, 'too_large': 4, 'too_small': 5,
            'overflow': 7, 'refused': 1},
    'three': {'unknown': 6, 'not_a_letter': 6, 'argument': 6, 'too_large': 6, 'too_small': 6,
              'overflow': 2, 'refused': 6},
}

# mnemonic -> function(self, argument or None, t); the byte of a character -> function(self, t).
# Both return a report or None.
LINE_COMMANDS = CommandTable()
CHARACTER_COMMANDS = CommandTable()


def command(*mnemonics):
    """Registers a two-letter base command under each of its mnemonics."""
    return LINE_COMMANDS.register(*mnemonics)


def character(char):
    """Registers a single-character command, which acts at once even inside a line [15]."""
    return CHARACTER_COMMANDS.register(ord(char))


def also_character(char):
    """Registers a report command under a single character too, which runs it at once [15, 21]."""
    def register(function):
        character(char)(lambda self, t: function(self, None, t))
        return function
    return register


class CommandError(Exception):
    """A base command that cannot be executed: the rest of its line is dropped, and kind (a key
    of ERROR_NUMBERS' tables) gives the error number."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def to_counts(mm):
    return round(mm * COUNTS_PER_MM)


def to_mm(counts):
    return counts / COUNTS_PER_MM


def report(letter, value):
    """'P:+0000005555': letter, colon, sign, ten digits [18, 39]."""
    return f'{letter}:{value:+011d}'


def argument_value(text):
    """A command's argument: None when absent, else an integer of at most MAX_DIGITS digits;
    more digits make a value too large (too small when negative) (?)."""
    if not text:
        return None
    number = _NUMBER.match(text)
    if not number:
        raise CommandError('argument', f'not a number: {text!r}')
    if len(number.group(1)) > MAX_DIGITS:
        raise CommandError('too_small' if text.startswith('-') else 'too_large',
                           f'more than {MAX_DIGITS} digits: {text!r}')
    return int(text)


def required(argument):
    """A missing argument: what follows the mnemonic is not a digit."""
    if argument is None:
        raise CommandError('argument', 'missing argument')
    return argument


def within(value, low, high):
    if value > high:
        raise CommandError('too_large', f'{value} above {high}')
    if value < low:
        raise CommandError('too_small', f'{value} below {low}')
    return value
