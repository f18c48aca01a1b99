# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""What the steps of one probe share, whichever the command set: the config and options, the
recorded port, the record, the findings, and the pace of polling during motion."""
import contextlib
import time
from collections import namedtuple

from ..errors import LinkLost

# Polls during motion: often enough to see a short leg move, and the end of a stop within 0.1 s.
POLL_INTERVAL = 0.05
# The longer move that the probe stops half-way is this many short legs (--distance) long; the
# stop goes out once a poll sees it moving, or after START_WATCH seconds.
LONG_LEG_FACTOR = 10
START_WATCH = 2.0
# How long the probe polls for the axis to come to rest after a stop.
ABORT_WATCH = 2.0

Options = namedtuple('Options', 'motion distance')

# What to check when nothing answers; and why the probe then stops asking (each silence costs a
# timeout, and a wrong protocol would cost one for every step).
CHECK_THE_LINE = 'check serial_port, serial_baud, protocol and the cable'
SILENT = f'nothing answered, so the probe stopped asking: {CHECK_THE_LINE}'


class Abandoned(Exception):
    """The motion sequence cannot go on (a step it needs failed, a reference run failed): the
    probe stops the axis and reports the rest as not tested, with this reason."""


class Session:
    """One probe run: config (Config), options (Options), port (recorded), recorder, findings."""

    def __init__(self, config, options, port, recorder, findings):
        self.config = config
        self.options = options
        self.port = port
        self.recorder = recorder
        self.findings = findings

    def step(self, label, action):
        """One recorded exchange (Recorder.step): failures are kept as evidence."""
        return self.recorder.step(label, action)

    def need(self, label, action):
        """One recorded exchange whose failure ends the motion sequence (Abandoned); its value."""
        return self.check(self.step(label, action)).value

    @staticmethod
    def check(exchange):
        """The exchange, if it succeeded; else Abandoned, naming it."""
        if not exchange.ok:
            raise Abandoned(exchange.show())
        return exchange

    def gave_up_on_silence(self):
        """True (and the guesses not reached say why) if nothing has answered yet."""
        if self.recorder.anything_received:
            return False
        self.findings.unreached(SILENT)
        return True

    def poll_until(self, read, done, timeout):
        """read() every POLL_INTERVAL seconds until done(polls) or timeout seconds have passed;
        returns every poll, the last one deciding (the caller asks done() of it again)."""
        polls = []
        deadline = time.monotonic() + timeout
        while True:
            started = time.monotonic()
            polls.append(read())
            if done(polls) or started > deadline:
                return polls
            time.sleep(max(0.0, started + POLL_INTERVAL - time.monotonic()))


def run_motion(session, sequence, stop):
    """Runs sequence(session). Whatever ends it early (a failed step, Ctrl-C, a bug) first stops
    the axis with stop() (the port's stop byte); the guesses it did not reach say why."""
    try:
        sequence(session)
    except Abandoned as reason:
        _stop(session, stop)
        session.findings.unreached(f'the probe stopped its motion: {reason}')
    except BaseException:
        _stop(session, stop)
        raise


def _stop(session, stop):
    """The stop after an early end; a link already lost cannot carry it, and says so itself."""
    with contextlib.suppress(LinkLost):
        session.step('stop (motion ended early)', stop)


def long_leg(position, low, high, distance):
    """The signed length of the move the probe stops half-way: LONG_LEG_FACTOR short legs towards
    the farther of the configured limits (min_position, max_position), and never past it, so that
    if the stop fails the axis still ends inside them. 0 if there is no room."""
    up, down = high - position, position - low
    length = max(0, min(LONG_LEG_FACTOR * distance, max(up, down)))
    return length if up >= down else -length
