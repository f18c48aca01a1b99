# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""A C-863.10 axis driven with PI's native Mercury commands (native.py); see
doc/mercury-native.md. Steps are the controller's own counts."""
import logging
import time
from dataclasses import replace

from ..errors import ControllerFailure, GarbledReply, NoReply, NotSupported
from ..native import MAX_POSITION, NativePort, controller_error, motor_switched_off
from ..native_status import SIX_BYTE
from .axis import PolledAxis, trapezoid_time
from .interface import ControllerInfo, Snapshot

log = logging.getLogger(__name__)

# home() declares the position to be this before it searches the reference edge, so that a
# search that fails, is stopped, or is cut short by a restart leaves a count the controller
# itself shows to be unreferenced. A search travels far less than REFERENCED_FLOOR - this.
# Nine digits: no argument may have more (MS176E p. 18).
UNREFERENCED_POSITION = -900000000
REFERENCED_FLOOR = -500000000
# The top of the positions the daemon may send (nine digits).
NATIVE_MAX_STEPS = MAX_POSITION

# The layouts of the status report whose motor-off bit is proven on C-862/C-863 hardware
# (EPICS motorPI, labtools): only there does "motor on" let a reference outlive a restart.
PROVEN_LAYOUTS = (SIX_BYTE,)

# An axis at rest (\ = 0) within the settling window is on target once it has stayed there this
# long (the servo may still ring when the trajectory ends; the simulator settles for 20 ms (?)).
SETTLED_FOR = 0.02
# An axis at rest outside the settling window of its target has this long to settle before the
# move counts as ended short (a limit switch, an obstacle). The servo settles in milliseconds;
# this is generous so that a slow settle never ends a good move.
SETTLE_TIME = 0.5
# A find-edge not seen running within this long after FE was sent did not start.
SEARCH_START_TIME = 2.0
# While a motion left running (by an earlier daemon or a hand terminal) ends, at connect: how
# often \ is asked, and for how long before connect() gives up for now. Well inside the unit's
# 30 s watchdog, which the poll thread feeds between reconnection attempts, not during one.
BUSY_POLL_INTERVAL = 0.1
BUSY_WAIT = 10.0

# Tuning commands whose value the controller reports back, and how: the report command and the
# report's letter. GP and GL are MS176E p. 27; TY, TL [41, 38]. DI, DD, SM report nothing there.
TUNING_READBACK = {'DP': ('GP', 'G'), 'DL': ('GL', 'M'), 'SV': ('TY', 'Y'), 'SA': ('TL', 'L')}


class NativeController(PolledAxis):
    """A C-863.10 axis driven with PI's native Mercury commands; steps are its encoder counts.

    The native set cannot say whether the axis is referenced, has no travel range and no serial
    number, and its status report comes in layouts that the manual and the hardware drivers
    describe differently (native_status.py). So this class relies on what the telescope's
    previous daemon proved on this controller: the moving flag (\\) and the position (').

    * A move has ended when \\ is 0; it succeeded when the position then rests within
      settle_window counts of the target (for SETTLED_FOR). One that stays outside for
      SETTLE_TIME ended short.
    * A reference run is MN, the servo tuning, DH to UNREFERENCED_POSITION, FE<reference_mode>.
      It has ended when \\ is 0 again; away from the limit switches with the motor on, it
      succeeded and DH<reference_position> defines the edge. A stopped one is a failure.
    * After a reconnect or a daemon restart the controller is taken as still referenced only if
      its report has a layout whose motor-off bit is proven (PROVEN_LAYOUTS), the motor is on,
      and the count is above REFERENCED_FLOOR. Power-up and RT leave the motor off and the
      count at 0 (MS176E p. 7, 33), a following error switches the motor off, and a run that did
      not finish leaves the marker's count: all of these read as NOT referenced, and need
      `focus home`. So connect() never switches the motor on.
    * A power-up also deselects the controller, so it falls silent: the daemon sees a lost
      link, reconnects (selecting it again) and finds it not referenced.
    * After selecting, connect() sends single-character queries only until \\ is 0: a line
      command would cut short a reference run still going (the previous daemon learnt this).
    * A motor that switches itself off while connected is reported as PI's -1024 (servo
      switched off automatically), so the daemon treats it as the following error it is.
    * The limits are the configured ones: the controller only bounds its counter.
    """
    command_set = 'native'
    reports_referenced = False  # judged from our own reference runs (above)
    has_travel_range = False
    stop_command = '! (abort)'

    def __init__(self, url, baudrate, timeout, address=1, reference_mode='FE2', reference_position=0,
                 tuning=(), settle_window=10, motion_pause=0.02):
        super().__init__(url)
        self._baudrate = baudrate
        self._timeout = timeout
        self._board = address - 1  # address is the device number 1-16, as in GCS mode
        self._reference_mode = reference_mode
        self._reference_position = reference_position
        self._tuning = tuple(tuning)
        self._settle_window = settle_window
        self._motion_pause = motion_pause
        self._velocity = None
        self._acceleration = None
        self._referenced = False
        self._searching = False      # our find-edge was sent and is not judged yet; stop() ends it
        self._search_seen = False    # ... and a poll has seen it running
        self._search_sent_at = None  # monotonic time FE went out
        self._within_since = None      # at rest within the settling window since (monotonic)
        self._off_target_since = None  # at rest outside the settling window since (monotonic)
        self._halted = None          # why the last move ended short of its target, until the next
        self._motor_on = False       # as last seen; a change to off that we did not ask for is a fault
        self._error_number = 0       # last error number seen in TS, so each is reported once

    # ---- connecting ------------------------------------------------------------------------

    def connect(self):
        """Opens the port, selects the board, waits for any motion to end, identifies the
        controller and decides from its status and count whether it is still referenced.
        Never moves or switches the motor."""
        self._port = NativePort(self._url, self._baudrate, self._timeout, self._board, self._motion_pause)
        try:
            self._port.select()
            self._wait_until_still()
            self._check_board()
            model, firmware = self._identify()
            self._velocity = self._port.velocity()
            self._acceleration = self._port.acceleration()
            status = self._port.status()
            log.info('status report at connect: %s', status.describe())
            if status.echo_on:
                status = self._switch_echo_off()
            position = self._port.position()
            self._motor_on = status.servo is True
            self._referenced = (status.layout in PROVEN_LAYOUTS and status.servo is True
                                and position >= REFERENCED_FLOOR)
            self._searching = False
            self._forget_rest()
            self._error_number = status.error or 0
            self._forget_target()
            return ControllerInfo(model or 'unknown model', None, firmware, REFERENCED_FLOOR, NATIVE_MAX_STEPS,
                                  f'{model or "unknown model"} firmware {firmware} (native Mercury commands)')
        except Exception:
            self.close()
            raise

    def _wait_until_still(self):
        """Asks \\ (a single character, which interrupts nothing) until the axis is still. A
        motion that outlasts BUSY_WAIT fails this connect; the daemon tries again later."""
        deadline = time.monotonic() + BUSY_WAIT
        if not self._port.moving():
            return
        log.warning('the controller on %s is moving (a reference run or move left running?): waiting for it '
                    'to end before sending any line command', self._url)
        while self._port.moving():
            if time.monotonic() > deadline:
                raise NotSupported(f'the controller on {self._url} is still moving (a reference run or move left '
                                   f'running?); no line command is sent until it ends')
            time.sleep(BUSY_POLL_INTERVAL)

    def _check_board(self):
        """TB: the board that answers is the one selected (MS176E p. 9)."""
        board = self._port.board_number()
        if board != self._board:
            raise NotSupported(f'board {board} answered on {self._url} after selecting board {self._board}')

    def _identify(self):
        """The model and firmware from VE. Anything that answers TB and VE in native commands
        is driven; a VE naming no C-863 is worth a warning, not a refusal."""
        version = self._port.version()
        model, firmware = NativePort.model_and_firmware(version)
        if model is None or model.split('.')[0] != 'C-863':  # 'C-863' or an ordering number 'C-863.10'
            log.warning('VE on %s answered %r, which names no C-863: driving it as one (native Mercury '
                        'commands); check doc/mercury-native.md before trusting it', self._url, version)
        return model, firmware

    def _switch_echo_off(self):
        """EF (echo off, as labtools sends it); replies are read past an echo either way."""
        log.warning('the controller echoes commands (status: echo on): sending EF (echo off)')
        self._port.send('EF')
        status = self._port.status()
        if status.echo_on:
            log.warning('echo is still on after EF: replies are read past their echo')
        return status

    # ---- units -----------------------------------------------------------------------------

    @staticmethod
    def to_steps(position):
        """Native positions are counts already."""
        return int(position)

    @staticmethod
    def to_units(steps):
        return steps

    # ---- polling ---------------------------------------------------------------------------

    def poll(self, track_position=True):
        """Reads the axis state: one TS exchange when idle and unchanged.

        Near a move's predicted end (track_position False) only \\ is read while it says 1, so
        the end is seen within a 5-byte exchange. Otherwise the moving flag is read while
        something moves, settles or TS changed; the position as _position_wanted() says,
        whenever \\ has just become 0 (then once before TS and once after, so one poll can see
        the axis rest for SETTLED_FOR) and always during a reference run of ours. When that run
        has ended, this poll judges it and, if it succeeded, defines the edge (DH), so the
        snapshot shows the result.
        """
        stops = self._stops_sent
        last = self._last
        first_sample = None
        if not track_position and last is not None and last.moving and not self._searching:
            if self._port.moving():
                return self._keep(replace(last, error=None), stops)
            first_sample = (self._port.position(), time.monotonic())
        status = self._port.status()
        searching = self._searching  # read after TS: stop() clears it before its stop byte goes out
        fresh = last is None
        register = int.from_bytes(bytes(status.raw), 'big')
        changed = fresh or register != last.status_register
        settling = not fresh and last.servo and not (last.moving or last.referencing or last.on_target or last.halted)
        if first_sample is not None:
            moving = False
        else:
            moving = self._port.moving() if searching or changed or last.moving or settling else False
        just_stopped = not moving and (fresh or last.moving or settling)

        if searching or just_stopped or self._position_wanted(fresh, track_position, moving, changed, not moving):
            position = self._port.position()
        else:
            position = last.position
        if searching:
            position = self._follow_reference_run(status, moving, position, stops)
        still = not moving and not self._searching
        target = self._current_target(position, still, self._port.target, stops)
        resting = still and status.servo is not False
        if first_sample is not None:
            self._judge_rest(status, resting, target, *first_sample)
        on_target, halted = self._judge_rest(status, resting, target, position, time.monotonic())
        error = self._new_error(status)

        return self._keep(Snapshot(position, target, moving, on_target, self._searching, self._referenced,
                                   status.servo is not False, error, register, halted), stops)

    def _judge_rest(self, status, at_rest, target, position, now):
        """(on target, halted) for an axis that may have come to rest, with its position read at
        monotonic time now. On target once it has rested within settle_window of the target for
        SETTLED_FOR; halted (why the move ended short, kept until the next one) once it has
        rested outside the window for SETTLE_TIME."""
        if not at_rest:
            self._within_since = self._off_target_since = None
            return False, None
        if abs(position - target) <= self._settle_window:
            self._off_target_since = self._halted = None
            self._within_since = now if self._within_since is None else self._within_since
            return now - self._within_since >= SETTLED_FOR, None
        self._within_since = None
        if self._halted is None:
            self._off_target_since = now if self._off_target_since is None else self._off_target_since
            if now - self._off_target_since >= SETTLE_TIME:
                self._halted = (f'at rest at {position} steps, {position - target:+d} from the target {target}'
                                f'{_limit_text(status)}')
        return False, self._halted

    def _forget_rest(self):
        """A new motion (or a new link): what was seen of the last rest says nothing of the next."""
        self._within_since = self._off_target_since = self._halted = None

    def _follow_reference_run(self, status, moving, position, stops):
        """Notes a find-edge running, or judges one that has ended (\\ is 0 again after it ran,
        or it never started). Returns the position, redefined if the run succeeded.

        A stop sent since this poll began (stops is the count then) may be why \\ reads 0: that
        run was stopped, not finished, and stop() has given it up already."""
        if moving:
            self._search_seen = True
            return position
        with self._bookkeeping:
            if self._stops_sent != stops:
                return position
        if self._search_seen or position != UNREFERENCED_POSITION:
            return self._finish_reference_run(status, position)
        if time.monotonic() - self._search_sent_at >= SEARCH_START_TIME:
            self._searching = False
            log.error('reference run failed: %s did not start (no motion within %g s)',
                      self._reference_mode, SEARCH_START_TIME)
        return position

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
            return (f'{self._reference_mode} ended{_limit_text(status)} without finding the reference edge '
                    f'(wrong mode for this stage?)')
        if status.servo is False:
            return f'the motor switched off during {self._reference_mode}'
        if status.error:
            return f'controller error {status.error} during {self._reference_mode}'
        return None

    def _new_error(self, status):
        """An error to report once: the motor switching itself off, or a new TS error number."""
        switched_off = self._motor_on and status.servo is False
        if status.servo is not None:
            self._motor_on = status.servo
        previous, self._error_number = self._error_number, status.error or 0
        if switched_off:
            return motor_switched_off('TS')
        if status.error and status.error != previous:
            return controller_error(status, 'TS')
        return None

    # ---- motion ----------------------------------------------------------------------------

    def move_to(self, steps):
        """Starts an absolute move (MA); ControllerError if the controller flags an error."""
        self._forget_rest()
        self._move(steps, lambda: self._port.move(steps))

    def home(self):
        """Starts a reference run: motor on, the servo tuning, the marker count, find edge, one
        line each. The poll that sees the search end completes it (see poll()). A stop sent
        meanwhile (from another thread) keeps FE from being sent at all."""
        stops = self._stops_sent
        self._searching, self._search_seen, self._referenced = True, False, False
        self._forget_rest()
        try:
            self._port.command('MN')
            self._motor_on = True
            self._apply_tuning()
            self._port.define_home(UNREFERENCED_POSITION)
            self._search_sent_at = time.monotonic()
            if self._stops_sent == stops:
                self._port.command(self._reference_mode)
        except ControllerFailure:
            self._searching = False
            raise
        self._await_rest()

    def _apply_tuning(self):
        """Sends the configured servo tuning (MN and power-up restore the defaults, MS176E p. 33)
        and logs what the controller reports back where it can."""
        for command in self._tuning:
            self._port.command(command)
            readback = TUNING_READBACK.get(command[:2])
            if readback is None:
                log.info('servo tuning: %s sent (the controller cannot report it back)', command)
                continue
            try:
                value = self._port.report_value(*readback)
            except (GarbledReply, NoReply) as e:  # the setting went out; only its echo is missing
                log.warning('servo tuning: %s sent, but %s did not report it back: %s', command, readback[0], e)
                continue
            level = logging.INFO if value == int(command[2:]) else logging.WARNING
            log.log(level, 'servo tuning: %s sent, %s reports %d', command, readback[0], value)
        if any(command[:2] in ('SV', 'SA') for command in self._tuning):
            self._velocity, self._acceleration = self._port.velocity(), self._port.acceleration()

    def stop(self):
        """Stops at once ('!', one byte ahead of any poll): moves and reference runs alike.
        The target becomes where the axis stopped, so nothing resumes (as it would after ST)."""
        self._searching = False
        self._forget_rest()
        self._stop(lambda port: port.abort())

    def expected_motion_time(self, from_steps, to_steps):
        """Seconds a trapezoidal move needs at the programmed velocity (TY) and acceleration (TL)."""
        return trapezoid_time(abs(to_steps - from_steps), self._velocity, self._acceleration, self._acceleration)


def _limit_text(status):
    """' on the positive limit switch' when the status shows one (else '')."""
    sides = [side for side, hit in (('positive', status.positive_limit), ('negative', status.negative_limit)) if hit]
    return f' on the {" and ".join(sides)} limit switch' if sides else ''
