# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""How a native Mercury command's words become values: the command tables, counts, reports.

Page numbers in brackets refer to PI's manual MS176E, summed up in doc/mercury-native.md.
"""
from .firmware import CommandTable

COUNTS_PER_MM = 10000

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
    """A base command that cannot be executed: error number 6, the rest of its line dropped."""


def to_counts(mm):
    return round(mm * COUNTS_PER_MM)


def to_mm(counts):
    return counts / COUNTS_PER_MM


def report(letter, value):
    """'P:+0000005555': letter, colon, sign, ten digits [18, 39]."""
    return f'{letter}:{value:+011d}'


def required(argument):
    if argument is None:
        raise CommandError('missing argument')
    return argument


def within(value, low, high):
    if not low <= value <= high:
        raise CommandError(f'{value} outside {low}..{high}')
    return value
