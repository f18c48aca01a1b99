# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The daemon's blocking motion commands, run in the background for Alpaca and the setup page.

FocuserDaemon.move() and home() return only when the motion has ended, but Alpaca's Move and
the home action must return at once (ConformU takes a Move of over a second for a synchronous
one). So each runs on its own thread, and the HTTP request waits only until the daemon has
started the motion or refused it. From acceptance until that thread returns the motion counts
as in progress, so IsMoving is true even before the first poll shows the axis moving.
"""
import logging
import threading
import time

from ..constants import CommandStatus, FocuserStatus
from ..daemon import calling_from
from ..state import utc_now

log = logging.getLogger('c863_focusd.alpaca')

# States in which a motion command of the daemon is under way.
MOTION_STATES = (FocuserStatus.Moving, FocuserStatus.Homing)
# How long a request waits for the daemon to start or refuse the motion: Move must return
# within a second.
START_WAIT = 0.8
START_CHECK_INTERVAL = 0.002


class Motions:
    """Starts motion commands on background threads and knows whether one is running."""

    def __init__(self, focuser):
        self._focuser = focuser
        self._lock = threading.Lock()
        self._running = 0
        self._last = None

    def busy(self):
        """True while a motion started here has not returned, or the daemon shows one."""
        with self._lock:
            if self._running:
                return True
        return self._focuser.report_status()['status'] in MOTION_STATES

    def last(self):
        """The last finished command started here: {'command', 'result', 'date'} or None."""
        with self._lock:
            return dict(self._last) if self._last else None

    def start(self, name, command, address):
        """Runs command() (a daemon method) for the caller at address on a new thread.

        Returns Blocked without starting anything if a motion is already under way; otherwise
        Succeeded once the daemon shows the motion (or START_WAIT passed with the command still
        running), or the command's own code if it returned first (a refusal, or a motion so short
        that it has already ended).
        """
        with self._lock:
            if self._running or self._focuser.report_status()['status'] in MOTION_STATES:
                return CommandStatus.Blocked
            self._running += 1
        finished = threading.Event()
        outcome = []

        def run():
            try:
                with calling_from(address):
                    outcome.append(self._focuser_call(name, command))
            finally:
                with self._lock:
                    self._running -= 1
                    result = outcome[0] if outcome else CommandStatus.Failed
                    self._last = {'command': name, 'result': CommandStatus.message(result), 'date': utc_now()}
                finished.set()

        threading.Thread(target=run, name=f'alpaca-{name}', daemon=True).start()
        deadline = time.monotonic() + START_WAIT
        while not finished.wait(START_CHECK_INTERVAL):
            if time.monotonic() > deadline or self._focuser.report_status()['status'] in MOTION_STATES:
                return CommandStatus.Succeeded
        return outcome[0]

    @staticmethod
    def _focuser_call(name, command):
        """The command's code; an exception (a bug) is logged and becomes Failed."""
        try:
            return command()
        except Exception:
            log.exception('alpaca %s raised', name)
            return CommandStatus.Failed
