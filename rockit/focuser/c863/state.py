# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""What the daemon knows about the focuser, the lock that guards it, and what users see of it.

FocuserState holds the facts (the open controller, the last poll's snapshot, the link's
trouble, the command running, the stops counted...). The poll thread changes them, and stop()
counts itself, always under `lock`; a command waiting for its motion to end waits on `updated`,
which is notified after every poll and every change of the link. The state users see is read
off the facts in one function, derive_status(), and published as a cached report after every
change, so report_status() never waits on the serial line.
"""
import datetime
import logging
import threading
import time

from . import systemd
from .constants import FocuserStatus

log = logging.getLogger('c863_focusd')

# Near the predicted end of a move, poll back to back for up to this long.
FAST_POLL_WINDOW = 2.0


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def at_rest(snapshot):
    """Settled on target, or stopped for good: the servo is off, or the controller judged that
    the axis came to rest short of its target (halted)."""
    return not (snapshot.moving or snapshot.referencing) and (
        snapshot.on_target or not snapshot.servo or snapshot.halted is not None)


class FocuserState:
    """The facts and the published report. Every attribute below changes only under `lock`."""

    def __init__(self, config):
        self.config = config
        self.lock = threading.Lock()
        self.updated = threading.Condition(self.lock)
        self.controller = None      # open controller, or None
        self.info = None            # ControllerInfo from the last connect
        self.snapshot = None        # last Snapshot
        self.polls = 0              # number of snapshots taken; waiters compare against it
        self.wanted = False         # initialize() asked for the controller, shutdown() withdrew
        self.connecting = False
        self.link_problem = None    # why the link is down while we keep retrying
        self.next_retry = 0.0       # monotonic time of the next reconnection attempt
        self.fault = None           # servo dropped without being asked to
        self.last_error = None      # last controller error as shown in the status
        self.activity = None        # 'moving' or 'homing' while such a command runs
        self.commanded_target = None  # the target of the move command running, if any
        self.approach = None        # the running leg of a two-leg move (approach.LEG_NAMES), or None
        self.stops = 0              # number of stops sent; a motion compares against it
        self.fast_poll_from = None  # monotonic time the current move should end
        self.disabled_reason = 'not initialized: run `focus init`'
        self._shown = (None, None)
        self._report = {}
        with self.lock:
            self.publish()

    # ---- reading ---------------------------------------------------------------------------

    def report(self):
        """A copy of the published report, dated now."""
        with self.lock:
            report = dict(self._report)
        report['date'] = utc_now()
        return report

    def published(self, key):
        """One value of the published report (None when it has none), without copying it."""
        with self.lock:
            return self._report.get(key)

    def limits(self):
        """The intersection of the configured and the controller's range. Lock held."""
        return (max(self.config.min_position, self.info.min_steps),
                min(self.config.max_position, self.info.max_steps))

    def within_limits(self, steps):
        low, high = self.limits()
        return low <= steps <= high

    def fast_polling(self):
        """True from a move's predicted end (or a stop) until it is seen to end. Lock held."""
        return self.fast_poll_from is not None and self.fast_poll_from <= time.monotonic()

    # ---- changing (lock held) ----------------------------------------------------------------

    def take(self, snapshot):
        """Accepts a new snapshot: notes errors, faults and lost references."""
        previous = self.snapshot
        if snapshot.error is not None:
            self.record_error(snapshot.error)
        if snapshot.halted is not None and (previous is None or previous.halted != snapshot.halted):
            self.record_problem(snapshot.halted)
        if previous is not None and previous.referenced and not snapshot.referenced and not snapshot.referencing:
            log.error('controller lost its reference (power cycle?): run `focus home`')
        if previous is not None and previous.servo and not snapshot.servo and snapshot.referenced:
            self.fault = 'servo switched off by the controller (following error?): run `focus home`'
            log.error(self.fault)
        if self.fast_poll_from is not None and (at_rest(snapshot) or
                                                time.monotonic() > self.fast_poll_from + FAST_POLL_WINDOW):
            self.fast_poll_from = None
        self.snapshot = snapshot
        self.polls += 1
        self.updated.notify_all()

    def record_error(self, error):
        """Keeps a controller error (code and text in its own command set's terms) for the
        status and the log; one that only confirms our stop is no fault."""
        code, text = error.code, error.text
        if error.stopped_by_command:
            log.info('controller confirmed the stop (error %d)', code)
            return
        self.last_error = {'code': code, 'text': text, 'date': utc_now()}
        log.error('controller error %d: %s', code, text)
        if error.servo_fault:
            self.fault = f'following error ({text}): run `focus home`'

    def record_problem(self, text):
        """Keeps a problem the controller did not report as an error, but that ends a move (the
        axis at rest short of its target), for the status (no code) and the log."""
        self.last_error = {'code': None, 'text': text, 'date': utc_now()}
        log.error('move ended short of its target: %s', text)

    def close_controller(self):
        if self.controller is not None:
            self.controller.close()
            self.controller = None

    # ---- what users see ----------------------------------------------------------------------

    def derive_status(self):
        """The state machine, read off the facts. Lock held. Returns (status, message)."""
        if self.connecting:
            return FocuserStatus.Initializing, f'connecting to {self.config.serial_port}'
        if not self.wanted:
            return FocuserStatus.Disabled, self.disabled_reason or 'not initialized: run `focus init`'
        if self.controller is None:
            return FocuserStatus.Error, f'serial link lost ({self.link_problem}); retrying'
        snapshot = self.snapshot
        if snapshot.referencing or self.activity == 'homing':
            return FocuserStatus.Homing, 'reference run in progress'
        if snapshot.moving or self.activity == 'moving':
            return FocuserStatus.Moving, ''
        if self.fault:
            return FocuserStatus.Error, self.fault
        if not snapshot.referenced:
            return FocuserStatus.NotHomed, 'not homed: run `focus home`'
        return FocuserStatus.Idle, ''

    def publish(self):
        """Rebuilds the cached report and logs a state change once. Lock held."""
        status, message = self.derive_status()
        report = {'status': status, 'status_label': FocuserStatus.label(status), 'message': message}
        if self.controller is not None and self.snapshot is not None:
            snapshot, info = self.snapshot, self.info
            low, high = self.limits()
            report.update({
                'controller': info.description,
                'serial_port': self.config.serial_port,
                'referenced': snapshot.referenced,
                'servo': snapshot.servo,
                'moving': bool(snapshot.moving or snapshot.referencing or self.activity),
                'approach': self.approach,
                'min_steps': low,
                'max_steps': high,
                'nominal_steps': self.config.nominal_focus_position,
                'counts_per_unit': info.counts_per_unit,  # Alpaca's StepSize; None: no units known
                'last_error': dict(self.last_error) if self.last_error else None,
            })
            if snapshot.referenced and not snapshot.referencing:
                report['current_steps'] = snapshot.position
                report['target_steps'] = snapshot.target if self.commanded_target is None else self.commanded_target
        self._report = report
        if (status, message) != self._shown:
            self._shown = (status, message)
            log.info('state: %s%s', FocuserStatus.label(status), f' ({message})' if message else '')
            systemd.notify(f'STATUS={FocuserStatus.label(status)} {message}'.strip())
