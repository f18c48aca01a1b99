"""The focuser axis as the daemon sees it: integer steps, limits, home, move, stop, poll.

This is the narrow interface between the daemon and a protocol. The daemon calls only
connect(), poll(), move_to(), home(), stop(), expected_motion_time() and close(); everything
about the command set (mnemonics, units, error registers, how "referenced" is known) stays
behind it. Two implementations, chosen by the config key "protocol" (make_controller):

  GCSController     C-863.11/.12, GCS 2.0. Steps are encoder counts: steps = physical
                    position * 0xE / 0xF (the counts-per-unit parameters, read at connect).
  NativeController  C-863.10, PI's native Mercury commands. Steps are the controller's own
                    counts; see the class for what the native set cannot report.
"""
import logging
import math
import threading
from dataclasses import dataclass
from typing import Optional

from .gcs import ControllerError, GCSError, GCSPort, PortError, ProtocolError
from .native import NativeControllerError, NativePort

log = logging.getLogger(__name__)

# GCS parameter IDs read at connect.
COUNTS_PER_UNIT_NUMERATOR = 0xE
COUNTS_PER_UNIT_DENOMINATOR = 0xF
ACCELERATION = 0xB
DECELERATION = 0xC

# The controller counts in 32 bits.
MAX_COUNTS = 2 ** 31 - 1

# A position error too large: the controller switched the servo off (sign varies by firmware).
FOLLOWING_ERRORS = (1024, -1024)

# Error 10 is what HLT/STP/#24 leave behind: it confirms our own stop, it is not a fault.
STOPPED_BY_COMMAND = 10

SUPPORTED_MODELS = ('C-863.11', 'C-863.12')


class IdentityError(GCSError):
    """The device answered, but it is not a controller this daemon can drive."""


@dataclass(frozen=True)
class ControllerInfo:
    """What connect() learns once: who the controller is and the axis geometry in steps.
    A native controller has no serial number (None)."""
    model: str
    serial_number: Optional[str]
    firmware: str
    min_steps: int
    max_steps: int
    command_set: str = 'GCS'
    # Encoder counts per physical unit (GCS 0xE/0xF); None where the command set has no units.
    counts_per_unit: Optional[float] = None

    @property
    def description(self):
        if self.command_set == 'native':
            return f'{self.model} firmware {self.firmware} (native Mercury commands)'
        return f'{self.model} s/n {self.serial_number} firmware {self.firmware}'


@dataclass(frozen=True)
class Snapshot:
    """One poll's view of the axis. position/target are None until read after a change."""
    position: Optional[int]
    target: Optional[int]
    moving: bool
    on_target: bool
    referencing: bool
    referenced: bool
    servo: bool
    error: Optional[ControllerError]
    status_register: int


class _PolledAxis:
    """What both controllers keep between polls, and the rules they share for it.

    The target is the last one commanded, or where the axis comes to rest after a stop, a
    reference run or a reconnect. A stop may come from another thread at any moment, so each
    is counted: a move that a stop overtook does not claim its target.

    The stop bookkeeping (_stops_sent, _target_unknown, _last) is shared by the poll thread
    and a stopping thread and changes only under _bookkeeping. Invariant: a poll that a stop
    overlapped (the count changed while it read) neither becomes the base of the next poll
    nor settles the target, so the poll after a stop always reads the axis afresh.
    """

    def __init__(self, url):
        self._url = url
        self._port = None
        self._last = None
        self._target = None          # last commanded target, in steps
        self._target_unknown = True  # after a stop, reference run or reconnect: where it rests
        self._stops_sent = 0
        self._bookkeeping = threading.Lock()

    def close(self):
        if self._port is not None:
            self._port.close()
            self._port = None

    def _forget_last_poll(self):
        """After a command the next poll reads everything, even if the status looks the same."""
        with self._bookkeeping:
            self._last = None

    def _keep(self, snapshot, stops):
        """Returns the poll's snapshot, kept as the next poll's base unless a stop was sent
        since the poll began (stops is the count then)."""
        with self._bookkeeping:
            if self._stops_sent == stops:
                self._last = snapshot
        return snapshot

    def _forget_target(self):
        """After a reconnect nothing is known until the first poll."""
        self._last, self._target, self._target_unknown = None, None, True

    @staticmethod
    def _position_wanted(fresh, track_position, busy, changed, at_rest):
        """Read the position while moving and whenever the status changed, unless track_position
        is False: near the predicted end of a move the daemon wants the end noticed, not the last
        few counts, so then only the status is read until the axis is at rest on target."""
        return fresh or (track_position and (busy or changed)) or (changed and at_rest)

    def _current_target(self, position, at_rest, read_target, stops):
        """The target for a poll that began at stop count `stops` (read_target() asks the
        controller when nothing else says)."""
        with self._bookkeeping:
            if self._target_unknown and at_rest and self._stops_sent == stops:
                # After a stop, a reference run or a reconnect the axis is where it stopped: that
                # is the target from now on (the controller's own may hold a fraction of a count).
                self._target, self._target_unknown = position, False
            target = self._target
        if target is None:
            target = read_target()
            with self._bookkeeping:
                self._target = target if self._target is None else self._target
        return target

    def _move(self, steps, start):
        """Starts a move with start() and takes steps as the target, unless a stop sent
        meanwhile (from another thread) leaves the axis wherever it comes to rest."""
        stops = self._stops_sent
        start()
        with self._bookkeeping:
            self._target, self._target_unknown = steps, self._stops_sent != stops
            self._last = None

    def _stop(self, send_stop):
        """Counts the stop, sends it with send_stop(port) from the calling thread, and leaves the
        target to the next poll that sees the axis at rest."""
        port = self._port
        if port is None:
            raise PortError(self._url, 'closed')
        with self._bookkeeping:
            self._stops_sent += 1
            self._target_unknown = True
            self._last = None
        send_stop(port)


class GCSController(_PolledAxis):
    """A C-863.11/.12 axis driven with GCS 2.0 commands."""

    def __init__(self, url, baudrate, timeout, address=1, reference_mode='FRF'):
        super().__init__(url)
        self._baudrate = baudrate
        self._timeout = timeout
        # Address 1 answers unaddressed requests, which saves 6 bytes per exchange.
        self._address = None if address == 1 else address
        self._reference_mode = reference_mode
        self._counts_per_unit = 1.0
        self._latched_error = None
        self._velocity = None
        self._acceleration = None
        self._deceleration = None

    def connect(self):
        """Opens the port, checks the device is a GCS C-863 and reads the axis geometry.

        Switches the servo on (it holds the axis where it is; nothing moves) so that an axis
        that is still referenced can be used at once, unless a following error is latched:
        that fault (say, from the power glitch that also reset the USB hub) must be seen, so
        it is kept for the first poll and the servo stays off until a reference run.
        Never starts a motion.
        """
        self._port = GCSPort(self._url, self._baudrate, self._timeout, self._address)
        try:
            info = self._identify()
            latched = self._port.read_error()
            self._read_geometry()
            low, high = self._port.travel_range()
            if latched not in FOLLOWING_ERRORS and not self._port.servo():
                self._port.set_servo(True)
            self._latched_error = ControllerError(latched, 'ERR?') if latched else None
            self._forget_target()
            return ControllerInfo(info[0], info[1], info[2], *sorted((self.to_steps(low), self.to_steps(high))),
                                  counts_per_unit=self._counts_per_unit)
        except Exception:
            self.close()
            raise

    def _identify(self):
        idn = self._port.identify()
        model = GCSPort.model(idn)
        if not model.startswith(SUPPORTED_MODELS):
            raise IdentityError(f'device on {self._url} is not a GCS C-863 (.11/.12): *IDN? answered {idn!r}')
        fields = [f.strip() for f in idn.split(',')] + ['?', '?']
        return model, fields[2], fields[3]

    def _read_geometry(self):
        numerator = self._port.parameter_float(COUNTS_PER_UNIT_NUMERATOR)
        denominator = self._port.parameter_float(COUNTS_PER_UNIT_DENOMINATOR)
        if numerator <= 0 or denominator <= 0:
            raise IdentityError(f'controller counts-per-unit parameters are invalid ({numerator}/{denominator})')
        self._counts_per_unit = numerator / denominator
        self._velocity = self._port.velocity()
        self._acceleration = self._port.parameter_float(ACCELERATION)
        self._deceleration = self._port.parameter_float(DECELERATION)

    def to_steps(self, position):
        """Physical units to encoder counts. A value that is no 32-bit count (a maintenance
        tool's 1e305 travel limit, a garbled reply) is refused rather than carried along."""
        steps = position * self._counts_per_unit
        if not abs(steps) <= MAX_COUNTS:  # also refuses NaN and infinity
            raise ProtocolError('position', repr(position).encode(),
                                f'{position} units is {steps} counts: no position a C-863 can have')
        return int(round(steps))

    def to_units(self, steps):
        return steps / self._counts_per_unit

    def poll(self, track_position=True):
        """Reads the axis state with as few bytes as the situation allows.

        Idle and unchanged costs one #4 exchange (8 bytes, 8 ms at 9600 baud). The position is
        read as _position_wanted() says; the reference flag when referencing or servo state
        changed; the error register when #4 flags an error.
        """
        stops = self._stops_sent
        status = self._port.status_register()
        last = self._last
        fresh = last is None
        busy = status.moving or status.referencing
        at_rest = not busy and (status.on_target or not status.servo)
        changed = fresh or status.raw != last.status_register

        if self._position_wanted(fresh, track_position, busy, changed, at_rest):
            position = self.to_steps(self._port.position())
        else:
            position = last.position
        target = self._current_target(position, at_rest, lambda: self.to_steps(self._port.target()), stops)
        if fresh or (changed and (status.referencing, status.servo) != (last.referencing, last.servo)):
            referenced = False if status.referencing else self._port.referenced()
        else:
            referenced = last.referenced
        error = self._read_error() if status.error else self._take_latched_error()

        return self._keep(Snapshot(position, target, status.moving, status.on_target, status.referencing,
                                   referenced, status.servo, error, status.raw), stops)

    @staticmethod
    def _accepted_unless_refused(command):
        """Runs a motion command and its ERR? check. Error 10 there means our own stop (sent
        from another thread) arrived between the two: the command was accepted, then stopped."""
        try:
            command()
        except ControllerError as e:
            if e.code != STOPPED_BY_COMMAND:
                raise

    def _take_latched_error(self):
        """The error found latched at connect, reported once."""
        error, self._latched_error = self._latched_error, None
        return error

    def _read_error(self):
        code = self._port.read_error()
        return ControllerError(code, 'ERR?') if code else None

    def move_to(self, steps):
        """Starts an absolute move; raises ControllerError if the controller refuses it."""
        self._move(steps, lambda: self._accepted_unless_refused(lambda: self._port.move(self.to_units(steps))))

    def home(self):
        """Starts the reference run configured by reference_mode (servo on, RON 1 first).

        A stop that arrives during these steps (error 10 in one of their checks, or sent
        between them) ends the sequence: the reference run is then not started at all."""
        stops = self._stops_sent
        self._target_unknown = True
        self._forget_last_poll()
        try:
            self.enable_servo()
            self._port.set_reference_mode(True)
            if self._stops_sent == stops:
                self._port.reference(self._reference_mode)
        except ControllerError as e:
            if e.code != STOPPED_BY_COMMAND:
                raise

    def enable_servo(self):
        if not self._port.servo():
            self._port.set_servo(True)

    def stop(self):
        """Stops all motion, reference runs included, at once (#24: one byte, sent ahead of polls)."""
        self._stop(lambda port: port.stop_all())

    def expected_motion_time(self, from_steps, to_steps):
        """Seconds a trapezoidal move needs, from the controller's own VEL/ACC/DEC.

        The daemon polls at the moving rate until then and quickly afterwards, so that the end
        of a move is noticed within a few tens of milliseconds without polling hard all along.
        """
        distance = abs(self.to_units(to_steps) - self.to_units(from_steps))
        return trapezoid_time(distance, self._velocity, self._acceleration, self._deceleration)


def trapezoid_time(distance, velocity, acceleration, deceleration):
    """Seconds to travel distance from rest to rest: accelerate, cruise, decelerate (or a
    triangle for short moves). 0 when anything is unknown or zero."""
    v, a, d = velocity, acceleration, deceleration
    if not distance or not (v and a and d):
        return 0.0
    ramps = v * v / (2 * a) + v * v / (2 * d)
    if distance >= ramps:
        return distance / v + v / (2 * a) + v / (2 * d)
    peak = math.sqrt(2 * distance * a * d / (a + d))
    return peak / a + peak / d


# home() declares the position to be this before it searches the reference edge, so that a
# search that fails, is stopped, or is cut short by a restart leaves a count the controller
# itself shows to be unreferenced. A search travels far less than REFERENCED_FLOOR - this.
UNREFERENCED_POSITION = -1000000000
REFERENCED_FLOOR = -500000000
# The top of the native controller's counter (its MA range).
NATIVE_MAX_STEPS = 1073741822
# PI's own code for "servo switched off automatically" (PI_MOTION_ERROR): how an uncommanded
# motor-off, which the native set does not otherwise explain, is reported.
MOTOR_SWITCHED_OFF = -1024


class NativeController(_PolledAxis):
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
            return ControllerInfo(model, None, firmware, REFERENCED_FLOOR, NATIVE_MAX_STEPS, 'native')
        except Exception:
            self.close()
            raise

    def _check_board(self):
        """TB: the board that answers is the one selected (MS176E p. 9)."""
        board = self._port.board_number()
        if board != self._board:
            raise IdentityError(f'board {board} answered on {self._url} after selecting board {self._board}')

    def _identify(self):
        version = self._port.version()
        model, firmware = NativePort.model_and_firmware(version)
        if model.split('.')[0] != 'C-863':  # 'C-863' or an ordering number such as 'C-863.10'
            raise IdentityError(f'device on {self._url} is not a C-863 speaking native Mercury commands: '
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
            return ControllerError(MOTOR_SWITCHED_OFF, 'TS')
        if status.error and status.error != previous:
            return NativeControllerError(status.error, 'TS')
        return None

    def move_to(self, steps):
        """Starts an absolute move (MA); NativeControllerError if the controller flags an error."""
        self._move(steps, lambda: self._port.move(steps))

    def home(self):
        """Starts a reference run in one line: motor on, the marker count, find edge. The poll
        that sees the search end completes it (see poll())."""
        self._searching, self._search_seen, self._referenced = True, False, False
        try:
            self._port.command(f'MN,DH{UNREFERENCED_POSITION},{self._reference_mode}')
        except GCSError:
            self._searching = False
            raise
        self._motor_on = True
        self._target_unknown = True
        self._forget_last_poll()

    def enable_servo(self):
        if not self._port.status().servo:
            self._port.motor_on()
        self._motor_on = True

    def stop(self):
        """Stops at once ('!', one byte ahead of any poll): moves and reference runs alike.
        The target becomes where the axis stopped, so nothing resumes (as it would after ST)."""
        self._searching = False
        self._stop(lambda port: port.abort())

    def expected_motion_time(self, from_steps, to_steps):
        """Seconds a trapezoidal move needs at the programmed velocity (TY) and acceleration (TL)."""
        return trapezoid_time(abs(to_steps - from_steps), self._velocity, self._acceleration, self._acceleration)


def make_controller(config):
    """The controller the config's "protocol" asks for, not yet connected."""
    if config.protocol == 'native':
        return NativeController(config.serial_port, config.serial_baud, config.serial_timeout,
                                config.controller_address, config.reference_mode, config.reference_position)
    return GCSController(config.serial_port, config.serial_baud, config.serial_timeout,
                         config.controller_address, config.reference_mode)
