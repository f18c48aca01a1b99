"""The focuser axis as the daemon sees it: integer steps, limits, home, move, stop, poll.

This is the narrow interface between the daemon and a protocol. The daemon calls only
connect(), poll(), move_to(), home(), enable_servo(), stop() and close(); everything about GCS
(mnemonics, physical units, error registers) stays behind it, so that the older "native" Mercury
command set can be added beside it without touching the daemon.

Steps are encoder counts: steps = physical position * 0xE / 0xF (the controller's
counts-per-unit parameters, read at connect).
"""
import math
from dataclasses import dataclass
from typing import Optional

from .gcs import ControllerError, GCSError, GCSPort, PortError

# GCS parameter IDs read at connect.
COUNTS_PER_UNIT_NUMERATOR = 0xE
COUNTS_PER_UNIT_DENOMINATOR = 0xF
ACCELERATION = 0xB
DECELERATION = 0xC

# Error 10 is what HLT/STP/#24 leave behind: it confirms our own stop, it is not a fault.
STOPPED_BY_COMMAND = 10

SUPPORTED_MODELS = ('C-863.11', 'C-863.12')


class IdentityError(GCSError):
    """The device answered, but it is not a controller this daemon can drive."""


@dataclass(frozen=True)
class ControllerInfo:
    """What connect() learns once: who the controller is and the axis geometry in steps."""
    model: str
    serial_number: str
    firmware: str
    min_steps: int
    max_steps: int

    @property
    def description(self):
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


class GCSController:
    """A C-863.11/.12 axis driven with GCS 2.0 commands."""

    def __init__(self, url, baudrate, timeout, address=1, reference_mode='FRF'):
        self._url = url
        self._baudrate = baudrate
        self._timeout = timeout
        # Address 1 answers unaddressed requests, which saves 6 bytes per exchange.
        self._address = None if address == 1 else address
        self._reference_mode = reference_mode
        self._port = None
        self._counts_per_unit = 1.0
        self._velocity = None
        self._acceleration = None
        self._deceleration = None
        self._last = None
        self._target = None          # last commanded target, in steps
        self._target_unknown = True  # after a stop, reference run or reconnect: where it rests
        self._stops_sent = 0

    def connect(self):
        """Opens the port, checks the device is a GCS C-863 and reads the axis geometry.

        Switches the servo on (it holds the axis where it is; nothing moves) so that an axis
        that is still referenced can be used at once. Never starts a motion.
        """
        self._port = GCSPort(self._url, self._baudrate, self._timeout, self._address)
        try:
            info = self._identify()
            # Clear an error left from before we connected; a fresh one will mean something.
            self._port.read_error()
            self._read_geometry()
            low, high = self._port.travel_range()
            if not self._port.servo():
                self._port.set_servo(True)
            self._last, self._target, self._target_unknown = None, None, True
            return ControllerInfo(info[0], info[1], info[2], *sorted((self.to_steps(low), self.to_steps(high))))
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

    def close(self):
        if self._port is not None:
            self._port.close()
            self._port = None

    def to_steps(self, position):
        return int(round(position * self._counts_per_unit))

    def to_units(self, steps):
        return steps / self._counts_per_unit

    def poll(self, track_position=True):
        """Reads the axis state with as few bytes as the situation allows.

        Idle and unchanged costs one #4 exchange (8 bytes, 8 ms at 9600 baud). The position is
        read while moving and whenever #4 changed, unless track_position is False: near the
        predicted end of a move the daemon wants the end noticed, not the last few counts, so
        then only #4 is read until the axis is at rest on target. The target is the last one
        commanded, or where the axis came to rest after a stop or reference run; the reference
        flag is read when referencing or servo state changed; the error register when #4
        flags an error.
        """
        status = self._port.status_register()
        last = self._last
        fresh = last is None
        busy = status.moving or status.referencing
        at_rest = not busy and (status.on_target or not status.servo)
        changed = fresh or status.raw != last.status_register

        if fresh or (track_position and (busy or changed)) or (changed and at_rest):
            position = self.to_steps(self._port.position())
        else:
            position = last.position
        if self._target_unknown and at_rest:
            # After a stop, a reference run or a reconnect the axis is where it stopped: that is
            # the target from now on (the controller's own may hold a fraction of a count).
            self._target, self._target_unknown = position, False
        elif self._target is None:
            self._target = self.to_steps(self._port.target())
        target = self._target
        if fresh or (changed and (status.referencing, status.servo) != (last.referencing, last.servo)):
            referenced = False if status.referencing else self._port.referenced()
        else:
            referenced = last.referenced
        error = self._read_error() if status.error else None

        self._last = Snapshot(position, target, status.moving, status.on_target, status.referencing,
                              referenced, status.servo, error, status.raw)
        return self._last

    @staticmethod
    def _accepted_unless_refused(command):
        """Runs a motion command and its ERR? check. Error 10 there means our own stop (sent
        from another thread) arrived between the two: the command was accepted, then stopped."""
        try:
            command()
        except ControllerError as e:
            if e.code != STOPPED_BY_COMMAND:
                raise

    def _forget_last_poll(self):
        """After a command the next poll reads everything, even if #4 happens to look the same."""
        self._last = None

    def _read_error(self):
        code = self._port.read_error()
        return ControllerError(code, 'ERR?') if code else None

    def move_to(self, steps):
        """Starts an absolute move; raises ControllerError if the controller refuses it."""
        stops = self._stops_sent
        self._accepted_unless_refused(lambda: self._port.move(self.to_units(steps)))
        # A stop sent meanwhile (from another thread) leaves the axis wherever it came to rest.
        self._target, self._target_unknown = steps, self._stops_sent != stops
        self._forget_last_poll()

    def home(self):
        """Starts the reference run configured by reference_mode (servo on, RON 1 first)."""
        self.enable_servo()
        self._port.set_reference_mode(True)
        self._accepted_unless_refused(lambda: self._port.reference(self._reference_mode))
        self._target_unknown = True
        self._forget_last_poll()

    def enable_servo(self):
        if not self._port.servo():
            self._port.set_servo(True)

    def stop(self):
        """Stops all motion, reference runs included, at once (#24: one byte, sent ahead of polls)."""
        port = self._port
        if port is None:
            raise PortError(f'{self._url} is closed')
        self._stops_sent += 1
        port.stop_all()
        self._target_unknown = True
        self._forget_last_poll()

    def expected_motion_time(self, from_steps, to_steps):
        """Seconds a trapezoidal move needs, from the controller's own VEL/ACC/DEC.

        The daemon polls at the moving rate until then and quickly afterwards, so that the end
        of a move is noticed within a few tens of milliseconds without polling hard all along.
        """
        distance = abs(self.to_units(to_steps) - self.to_units(from_steps))
        v, a, d = self._velocity, self._acceleration, self._deceleration
        if not distance or not (v and a and d):
            return 0.0
        ramps = v * v / (2 * a) + v * v / (2 * d)
        if distance >= ramps:
            return distance / v + v / (2 * a) + v / (2 * d)
        peak = math.sqrt(2 * distance * a * d / (a + d))
        return peak / a + peak / d
