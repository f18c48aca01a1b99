# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""A C-863.10 axis driven with PI's native Mercury commands (native.py); see
doc/mercury-native.md. Steps are the controller's own counts."""
import logging

from ..errors import ControllerFailure, NotSupported
from ..native import NativePort, controller_error, motor_switched_off
from .axis import PolledAxis, trapezoid_time
from .interface import ControllerInfo, Snapshot

log = logging.getLogger(__name__)

# home() declares the position to be this before it searches the reference edge, so that a
# search that fails, is stopped, or is cut short by a restart leaves a count the controller
# itself shows to be unreferenced. A search travels far less than REFERENCED_FLOOR - this.
UNREFERENCED_POSITION = -1000000000
REFERENCED_FLOOR = -500000000
# The top of the native controller's counter (its MA range).
NATIVE_MAX_STEPS = 1073741822


class NativeController(PolledAxis):
    """A C-863.10 axis driven with PI's native Mercury commands; steps are its encoder counts.

    The native set cannot say whether the axis is referenced, has no travel range and no serial
    number. What is known instead, and why it is safe:

    * The position is referenced after a reference run of this daemon succeeded: MN, DH to
      UNREFERENCED_POSITION, FE<reference_mode>; when the search ends on its own, away from the
      limit switches with the motor on, DH<reference_position> defines the edge. A search that
      ends on a limit switch, or is stopped, is a failure and no DH follows.
    * After a reconnect or a daemon restart the controller is taken as still referenced if its
      motor is on and its count is not the marker's. Power-up and RT leave the motor off and
      the count at 0 (MS176E p. 7, 33), a following error switches the motor off, and a run that
      did not finish leaves the marker's count: all of these read as NOT referenced, and need
      `focus home`. Only someone switching the motor on by hand between daemon runs (MMCRun,
      a terminal: MN without FE and DH) could fool this. So connect() never switches the motor
      on: an unreferenced controller shows servo off until `focus home`.
    * A power-up also deselects the controller, so it falls silent: the daemon sees a lost
      link, reconnects (selecting it again) and finds it not referenced.
    * A motor that switches itself off while connected is reported as PI's -1024 (servo
      switched off automatically), so the daemon treats it as the following error it is.
    * The limits are the configured ones: the controller only bounds its counter.
    """
    command_set = 'native'
    reports_referenced = False  # judged from our own reference runs (above)
    has_travel_range = False
    stop_command = '! (abort)'

    def __init__(self, url, baudrate, timeout, address=1, reference_mode='FE2', reference_position=0):
        super().__init__(url)
        self._baudrate = baudrate
        self._timeout = timeout
        self._board = address - 1  # address is the device number 1-16, as in GCS mode
        self._reference_mode = reference_mode
        self._reference_position = reference_position
        self._velocity = None
        self._acceleration = None
        self._referenced = False
        self._searching = False    # our find-edge was sent and is not judged yet; stop() ends it
        self._search_seen = False  # ... and a poll has seen it running
        self._motor_on = False     # as last seen; a change to off that we did not ask for is a fault
        self._error_number = 0     # last error number seen in TS, so each is reported once

    def connect(self):
        """Opens the port, selects the board, checks it is a native C-863 and decides from its
        motor state and count whether it is still referenced. Never moves or switches the motor."""
        self._port = NativePort(self._url, self._baudrate, self._timeout, self._board)
        try:
            self._port.select()
            self._check_board()
            model, firmware = self._identify()
            self._velocity = self._port.velocity()
            self._acceleration = self._port.acceleration()
            status = self._port.status()
            position = self._port.position()
            self._motor_on = status.servo
            self._referenced = status.servo and position >= REFERENCED_FLOOR
            self._searching = False
            self._error_number = status.error
            self._forget_target()
            return ControllerInfo(model, None, firmware, REFERENCED_FLOOR, NATIVE_MAX_STEPS,
                                  f'{model} firmware {firmware} (native Mercury commands)')
        except Exception:
            self.close()
            raise

    def _check_board(self):
        """TB: the board that answers is the one selected (MS176E p. 9)."""
        board = self._port.board_number()
        if board != self._board:
            raise NotSupported(f'board {board} answered on {self._url} after selecting board {self._board}')

    def _identify(self):
        version = self._port.version()
        model, firmware = NativePort.model_and_firmware(version)
        if model.split('.')[0] != 'C-863':  # 'C-863' or an ordering number such as 'C-863.10'
            raise NotSupported(f'device on {self._url} is not a C-863 speaking native Mercury commands: '
                                f'VE answered {version!r}')
        return model, firmware

    @staticmethod
    def to_steps(position):
        """Native positions are counts already."""
        return int(position)

    @staticmethod
    def to_units(steps):
        return steps

    def poll(self, track_position=True):
        """Reads the axis state: one TS exchange (23 bytes) when idle and unchanged.

        The moving flag (\\) is read while something moves or TS changed; the position as
        _position_wanted() says, and always during a reference run of ours. When that run has
        ended, this poll judges it and, if it succeeded, defines the edge (DH), so the snapshot
        already shows the result.
        """
        stops = self._stops_sent
        status = self._port.status()
        searching = self._searching  # read after TS: stop() clears it before its stop byte goes out
        last = self._last
        fresh = last is None
        register = status.raw[0] << 8 | status.raw[1]
        changed = fresh or register != last.status_register
        moving = self._port.moving() if changed or last.moving or last.referencing else False
        busy = moving or status.referencing
        at_rest = not busy and (status.on_target or not status.servo)

        if searching or self._position_wanted(fresh, track_position, busy, changed, at_rest):
            position = self._port.position()
        else:
            position = last.position
        if searching and busy:
            self._search_seen = True
        elif searching and self._search_has_run(position):
            position = self._finish_reference_run(status, position)
        target = self._current_target(position, at_rest, self._port.target, stops)
        error = self._new_error(status)

        return self._keep(Snapshot(position, target, moving, status.on_target, status.referencing,
                                   self._referenced, status.servo, error, register), stops)

    def _search_has_run(self, position):
        """A find-edge at rest has run (rather than not started yet) if it was seen running or
        has moved the count away from the marker home() defined just before it."""
        return self._search_seen or position != UNREFERENCED_POSITION

    def _finish_reference_run(self, status, position):
        """Judges a find-edge that has ended; on success defines the edge. Returns the position."""
        self._searching = False
        failure = self._reference_failure(status)
        if failure:
            log.error('reference run failed: %s', failure)
            return position
        self._port.define_home(self._reference_position)
        self._referenced = True
        self._target, self._target_unknown = self._reference_position, False
        return self._reference_position

    def _reference_failure(self, status):
        """Why an ended find-edge did not find the edge, or None."""
        if status.positive_limit or status.negative_limit:
            side = 'positive' if status.positive_limit else 'negative'
            return (f'{self._reference_mode} ended on the {side} limit switch without finding the reference '
                    f'edge (wrong mode for this stage?)')
        if not status.servo:
            return f'the motor switched off during {self._reference_mode}'
        if status.error:
            return f'controller error {status.error} during {self._reference_mode}'
        return None

    def _new_error(self, status):
        """An error to report once: the motor switching itself off, or a new TS error number."""
        switched_off = self._motor_on and not status.servo
        self._motor_on = status.servo
        previous, self._error_number = self._error_number, status.error
        if switched_off:
            return motor_switched_off('TS')
        if status.error and status.error != previous:
            return controller_error(status.error, 'TS')
        return None

    def move_to(self, steps):
        """Starts an absolute move (MA); ControllerError if the controller flags an error."""
        self._move(steps, lambda: self._port.move(steps))

    def home(self):
        """Starts a reference run in one line: motor on, the marker count, find edge. The poll
        that sees the search end completes it (see poll())."""
        self._searching, self._search_seen, self._referenced = True, False, False
        try:
            self._port.command(f'MN,DH{UNREFERENCED_POSITION},{self._reference_mode}')
        except ControllerFailure:
            self._searching = False
            raise
        self._motor_on = True
        self._await_rest()

    def stop(self):
        """Stops at once ('!', one byte ahead of any poll): moves and reference runs alike.
        The target becomes where the axis stopped, so nothing resumes (as it would after ST)."""
        self._searching = False
        self._stop(lambda port: port.abort())

    def expected_motion_time(self, from_steps, to_steps):
        """Seconds a trapezoidal move needs at the programmed velocity (TY) and acceleration (TL)."""
        return trapezoid_time(abs(to_steps - from_steps), self._velocity, self._acceleration, self._acceleration)
