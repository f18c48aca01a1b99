# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""What can go wrong between the daemon and the controller, in words that fit both command sets.

The command sets (gcs.py, native.py) and the serial line raise these; the daemon reacts to the
kind of failure and to a controller error's meaning (its attributes), never to a command set's
error numbers, which only the command set that defines them interprets:

  ControllerFailure      base of them all
    LinkLost             the device itself failed (unplugged, EIO, terminal server gone):
                         close the port and open it again
    NoReply              the controller stayed silent, or stopped half-way through a reply
    GarbledReply         the controller said something that is not the reply expected
    ControllerError      the controller refused a command or flagged a fault, and said why
    NotSupported         the device answered, but it is not a controller this daemon drives
"""

_SHOWN_BYTES = 120  # how much of a bad reply an error message quotes


def show(received):
    """A bad reply, quoted for an error message without flooding the log."""
    if len(received) > _SHOWN_BYTES:
        return f'{received[:_SHOWN_BYTES]!r}... ({len(received)} bytes)'
    return repr(received)


class ControllerFailure(Exception):
    """Base of every failure of the controller or of the line to it."""


class LinkLost(ControllerFailure):
    """The port cannot be opened, read or written: treat the link as lost and reopen.

    reason says what went wrong without naming the port: str() puts the port first, so that
    the status and the log name it exactly once."""

    def __init__(self, url, reason):
        super().__init__(url, reason)
        self.url = url
        self.reason = reason

    def __str__(self):
        return f'serial port {self.url}: {self.reason}'


class NoReply(ControllerFailure):
    """No reply, or only part of one, arrived before the controller fell silent."""

    def __init__(self, command, timeout, received=b''):
        super().__init__(command, timeout, received)
        self.command = command
        self.timeout = timeout
        self.received = received

    def __str__(self):
        if self.received:
            return (f'incomplete reply to {self.command!r}: received {show(self.received)}, '
                    f'then {self.timeout:g} s of silence')
        return f'no reply to {self.command!r} within {self.timeout:g} s'


class GarbledReply(ControllerFailure):
    """The controller sent bytes that are not the reply the command expects."""

    def __init__(self, command, received, problem):
        super().__init__(command, received, problem)
        self.command = command
        self.received = received
        self.problem = problem

    def __str__(self):
        return f'unexpected reply to {self.command!r}: {self.problem}; received {show(self.received)}'


class ControllerError(ControllerFailure):
    """The controller refused a command or flagged a fault.

    code and text are the command set's own number and its meaning there (shown to people);
    what the daemon acts on is said by the command set that raised it:
      stopped_by_command  the "error" only confirms a stop we sent: no fault
      servo_fault         the controller switched the servo (motor) off by itself, e.g. a
                          following error: the position can no longer be trusted
    """

    def __init__(self, code, text, command, stopped_by_command=False, servo_fault=False):
        super().__init__(code, text, command)
        self.code = code
        self.text = text
        self.command = command
        self.stopped_by_command = stopped_by_command
        self.servo_fault = servo_fault

    def __str__(self):
        return f'controller refused {self.command!r}: error {self.code} ({self.text})'


class NotSupported(ControllerFailure):
    """The device answered, but it is not a controller this daemon can drive."""
