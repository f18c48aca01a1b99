# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""Status and return codes shared by the daemon, the focus command and telescope software.

The numbers are a contract: opsd, pipelined and the dashboards compare against them, so
existing values never change and new ones are appended (doc/design.md section 3.2).
"""


# Step counts are encoder counts, which the controllers keep in 32 bits: a larger count is a
# typo in a config, a bad argument or a garbled reply.
STEP_LIMIT = 2 ** 31 - 1

# How a reference run finds its reference, per command set: GCS references on the reference
# switch (FRF) or a limit switch (FNL, FPL); the native set searches the reference switch's
# edge, starting positive (FE0), negative (FE1), or in the direction the signal says (FE2 for
# standard PI stages, FE3 for stages with an inverted signal). See doc/gcs-c863.md and
# doc/mercury-native.md.
REFERENCE_MODES = {'gcs': ('FRF', 'FNL', 'FPL'), 'native': ('FE0', 'FE1', 'FE2', 'FE3')}


class CommandStatus:
    """Return codes of the Pyro control methods and exit codes of the focus command."""
    Succeeded = 0
    Failed = 1
    Blocked = 2
    InvalidControlIP = 3
    PositionOutsideLimits = 6
    NotConnected = 7
    NotDisconnected = 8
    NotHomed = 9
    Stopped = 10
    Timeout = 11
    ControllerError = 12
    InvalidArgument = 13
    CommunicationError = 14

    # Client-side only: the command never reached the daemon or was abandoned.
    TerminatedByUser = -100
    Unreachable = -101

    _messages = {
        Succeeded: 'command succeeded',
        Failed: 'command failed',
        Blocked: 'another command is already running',
        InvalidControlIP: 'command not accepted from this IP',
        PositionOutsideLimits: 'position is outside the focuser limits',
        NotConnected: 'focuser is not connected (run `focus init`)',
        NotDisconnected: 'focuser is already connected',
        NotHomed: 'focuser is not homed (run `focus home`)',
        Stopped: 'motion was stopped before reaching its target',
        Timeout: 'motion did not finish in time; the axis was stopped',
        ControllerError: 'the controller reported an error (see `focus status`)',
        InvalidArgument: 'invalid argument',
        CommunicationError: 'lost communication with the controller (see `focus status`)',
        TerminatedByUser: 'terminated by user',
        Unreachable: 'unable to communicate with focus daemon',
    }

    @classmethod
    def message(cls, error_code):
        """Returns a human readable string describing an error code."""
        if error_code in cls._messages:
            return cls._messages[error_code]
        return f'Unknown error ({error_code})'


class FocuserStatus:
    """State of the focuser as reported by report_status()['status']."""
    Disabled = 0
    Initializing = 1
    Idle = 2
    Moving = 3
    Homing = 4
    NotHomed = 5
    Error = 6

    _labels = {
        Disabled: 'OFFLINE',
        Initializing: 'INITIALIZING',
        Idle: 'IDLE',
        Moving: 'MOVING',
        Homing: 'HOMING',
        NotHomed: 'NOT HOMED',
        Error: 'ERROR',
    }

    _colors = {
        Disabled: 'red',
        Initializing: 'yellow',
        Idle: 'green',
        Moving: 'yellow',
        Homing: 'yellow',
        NotHomed: 'yellow',
        Error: 'red',
    }

    @classmethod
    def label(cls, status, formatting=False):
        """Returns a human readable label for a status, with rich markup if formatting is True."""
        label = cls._labels.get(status, 'UNKNOWN')
        if not formatting:
            return label
        color = cls._colors.get(status, 'red')
        return f'[b][{color}]{label}[/{color}][/b]'
