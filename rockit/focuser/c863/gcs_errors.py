# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""PI's GCS error codes (what ERR? returns) and what each means for the daemon.

See doc/gcs-c863.md for where the codes come from. Only this module interprets them: the rest
of the daemon sees a ControllerError whose attributes say what the code means. Error 10 means
"stopped by command", which is no fault when the stop was ours: StopLedger tells whether it was.
"""
import threading
from contextlib import contextmanager

from .errors import ControllerError

# Code -> (PI's constant name, meaning). Positive codes come from the controller through
# ERR?; the negative ones are host-library codes (and -1024, which PI motor controllers
# have been seen to report for a following error).
ERRORS = {
    0: ('PI_CNTR_NO_ERROR', 'no error'),
    1: ('PI_CNTR_PARAM_SYNTAX', 'parameter syntax error'),
    2: ('PI_CNTR_UNKNOWN_COMMAND', 'unknown command'),
    3: ('PI_CNTR_COMMAND_TOO_LONG', 'command too long or input buffer overrun'),
    5: ('PI_CNTR_MOVE_WITHOUT_REF_OR_NO_SERVO',
        'move attempted on an unreferenced axis or with the servo off'),
    7: ('PI_CNTR_POS_OUT_OF_LIMITS', 'position out of limits'),
    8: ('PI_CNTR_VEL_OUT_OF_LIMITS', 'velocity out of limits'),
    10: ('PI_CNTR_STOP', 'controller was stopped by command'),
    15: ('PI_CNTR_INVALID_AXIS_IDENTIFIER', 'invalid axis identifier'),
    17: ('PI_CNTR_PARAM_OUT_OF_RANGE', 'parameter value out of range'),
    23: ('PI_CNTR_ILLEGAL_AXIS', 'illegal axis or channel'),
    24: ('PI_CNTR_PARAM_NR', 'incorrect number of parameters'),
    25: ('PI_CNTR_INVALID_REAL_NR', 'invalid floating point number'),
    26: ('PI_CNTR_MISSING_PARAM', 'parameter missing'),
    31: ('PI_CNTR_AXIS_HAS_NO_REFERENCE', 'axis has no reference sensor'),
    32: ('PI_CNTR_STAGE_HAS_NO_LIM_SWITCH', 'axis has no limit switch'),
    34: ('PI_CNTR_CMD_NOT_ALLOWED_FOR_STAGE', 'command not allowed for this stage type'),
    45: ('PI_CNTR_REFERENCING_FAILED', 'referencing failed'),
    49: ('PI_CNTR_MOVE_TO_LIMIT_SWITCH_FAILED', 'move to limit switch failed'),
    50: ('PI_CNTR_REF_WITH_REF_DISABLED', 'referencing attempted with reference mode off'),
    54: ('PI_CNTR_UNKNOWN_PARAMETER', 'unknown parameter'),
    56: ('PI_CNTR_INVALID_PASSWORD', 'invalid password'),
    60: ('PI_CNTR_PARAM_PROTECTION', 'command level too low to change this parameter'),
    64: ('PI_CNTR_READ_ONLY_PARAMETER', 'parameter is read-only'),
    84: ('PI_CNTR_MOTOR_IS_OFF', 'motor is off'),
    88: ('PI_CNTR_REF_MODE_IS_ON', 'reference mode is on (command needs RON 0)'),
    93: ('PI_CNTR_CMD_NOT_ALLOWED_WHILE_AXIS_IN_MOTION', 'command not allowed while the axis is moving'),
    95: ('PI_CNTR_INVALID_SERVO_STATE_FOR_PARAMETER',
         'parameter cannot be changed in the current servo mode'),
    216: ('PI_CNTR_ON_LIMIT_SWITCH', 'stage has run into a limit switch'),
    304: ('PI_CNTR_RECEIVING_BUFFER_OVERFLOW', 'received command too long'),
    307: ('PI_CNTR_RECEIVING_TIMEOUT', 'timeout while receiving a command'),
    308: ('PI_CNTR_TIMEOUT', 'lengthy operation did not finish in time'),
    555: ('PI_CNTR_UNKNOWN_ERROR', 'unknown controller error'),
    1005: ('PI_CNTR_CONTROLLER_BUSY', 'controller busy with a lengthy operation (e.g. a reference move)'),
    1024: ('PI_CNTR_MOTION_ERROR', 'position error too large, servo switched off automatically'),
    1025: ('PI_CNTR_MAX_MOTOR_OUTPUT_REACHED', 'maximum motor output reached'),
    -7: ('COM_TIMEOUT', 'no reply from the controller in time (host side)'),
    -1004: ('PI_UNEXPECTED_RESPONSE', 'unexpected response from the controller (host side)'),
    -1008: ('PI_CONTROLLER_BUSY', 'controller busy (host side)'),
    -1024: ('PI_MOTION_ERROR', 'position error too large, servo switched off automatically'),
}

# Error 10 is what HLT/STP/#24 leave behind: it confirms a stop, it is not a fault.
STOPPED_BY_COMMAND = 10
# The position error grew too large and the controller switched the servo off (the sign
# varies by firmware).
FOLLOWING_ERRORS = (1024, -1024)


def error_text(code):
    """PI's name and meaning of an error code, for logs and status displays."""
    if code in ERRORS:
        name, meaning = ERRORS[code]
        return f'{name}: {meaning}'
    return f'unknown error {code}'


def controller_error(code, command, our_stop):
    """The ControllerError for a non-zero ERR? code, with PI's text and what it means.

    our_stop: a stop of ours can explain a 10 (StopLedger). A 10 it cannot explain came from
    someone else (a hand terminal, another program): an error to show like any other."""
    ours = code == STOPPED_BY_COMMAND and our_stop
    text = error_text(code)
    if code == STOPPED_BY_COMMAND and not ours:
        text += ' (not by this daemon: another program or a hand terminal?)'
    return ControllerError(code, text, command, stopped_by_command=ours, servo_fault=code in FOLLOWING_ERRORS)


def is_stop(error):
    """Whether a ControllerError says the controller was stopped (ours or not): the command
    whose check read it was accepted, since a refusal would have latched its own code."""
    return error.code == STOPPED_BY_COMMAND


class StopLedger:
    """Which error 10 this port's own stops explain: one sent since ERR? was last read.

    A stop byte goes out from any thread at any moment, even while ERR? is on the wire, so each
    stop is counted twice: begun just before its byte is written, done just after. An ERR?
    reply can show only stops begun before the reply arrived, and surely shows (or has
    overwritten) every stop done before the request went out. A 10 is ours if a stop was begun
    that no earlier read surely saw; a stop begun but not yet done stays unread, so the next
    read may still find its 10.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._begun = 0
        self._done = 0
        self._seen = 0   # stops surely seen by an ERR? read

    @contextmanager
    def sending(self):
        """Around writing a stop byte."""
        with self._lock:
            self._begun += 1
        try:
            yield
        finally:
            with self._lock:
                self._done += 1

    @property
    def unread(self):
        """A stop was sent whose 10 no ERR? read has seen yet."""
        with self._lock:
            return self._begun > self._seen

    def before_reading(self):
        """Called just before ERR? goes out; returns what after_reading() needs."""
        with self._lock:
            return self._done

    def after_reading(self, done_before):
        """Called once ERR? has answered: whether a 10 in its reply may be our own stop."""
        with self._lock:
            ours = self._begun > self._seen
            self._seen = max(self._seen, done_before)
            return ours
