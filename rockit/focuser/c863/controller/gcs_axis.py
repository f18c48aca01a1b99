# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""A C-863.11/.12 axis driven with GCS 2.0 commands (gcs.py); see doc/gcs-c863.md.

Steps are encoder counts: steps = physical position * 0xE / 0xF (the counts-per-unit
parameters, read at connect).
"""
from ..errors import ControllerError, GarbledReply, NotSupported
from ..gcs import GCSPort
from ..gcs_errors import controller_error
from .axis import PolledAxis, trapezoid_time
from .interface import ControllerInfo, Snapshot
from ..constants import STEP_LIMIT

# GCS parameter IDs read at connect.
COUNTS_PER_UNIT_NUMERATOR = 0xE
COUNTS_PER_UNIT_DENOMINATOR = 0xF
ACCELERATION = 0xB
DECELERATION = 0xC

SUPPORTED_MODELS = ('C-863.11', 'C-863.12')


class GCSController(PolledAxis):
    """A C-863.11/.12 axis driven with GCS 2.0 commands."""
    command_set = 'gcs'
    reports_referenced = True   # FRF?
    has_travel_range = True     # TMN?/TMX?
    stop_command = '#24 (stop all)'

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
            latched = self._read_error()
            self._read_geometry()
            low, high = self._port.travel_range()
            if not (latched and latched.servo_fault) and not self._port.servo():
                self._port.set_servo(True)
            self._latched_error = latched
            self._forget_target()
            model, serial_number, firmware = info
            return ControllerInfo(model, serial_number, firmware, *sorted((self.to_steps(low), self.to_steps(high))),
                                  f'{model} s/n {serial_number} firmware {firmware}', self._counts_per_unit)
        except Exception:
            self.close()
            raise

    def _identify(self):
        idn = self._port.identify()
        model = GCSPort.model(idn)
        if not model.startswith(SUPPORTED_MODELS):
            raise NotSupported(f'device on {self._url} is not a GCS C-863 (.11/.12): *IDN? answered {idn!r}')
        fields = [f.strip() for f in idn.split(',')] + ['?', '?']
        return model, fields[2], fields[3]

    def _read_geometry(self):
        numerator = self._port.parameter_float(COUNTS_PER_UNIT_NUMERATOR)
        denominator = self._port.parameter_float(COUNTS_PER_UNIT_DENOMINATOR)
        if numerator <= 0 or denominator <= 0:
            raise NotSupported(f'controller counts-per-unit parameters are invalid ({numerator}/{denominator})')
        self._counts_per_unit = numerator / denominator
        self._velocity = self._port.velocity()
        self._acceleration = self._port.parameter_float(ACCELERATION)
        self._deceleration = self._port.parameter_float(DECELERATION)

    def to_steps(self, position):
        """Physical units to encoder counts. A value that is no 32-bit count (a maintenance
        tool's 1e305 travel limit, a garbled reply) is refused rather than carried along."""
        steps = position * self._counts_per_unit
        if not abs(steps) <= STEP_LIMIT:  # also refuses NaN and infinity
            raise GarbledReply('position', repr(position).encode(),
                                f'{position} units is {steps} counts: no position a C-863 can have')
        return round(steps)

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
            if not e.stopped_by_command:
                raise

    def _take_latched_error(self):
        """The error found latched at connect, reported once."""
        error, self._latched_error = self._latched_error, None
        return error

    def _read_error(self):
        code = self._port.read_error()
        return controller_error(code, 'ERR?') if code else None

    def move_to(self, steps):
        """Starts an absolute move; raises ControllerError if the controller refuses it."""
        self._move(steps, lambda: self._accepted_unless_refused(lambda: self._port.move(self.to_units(steps))))

    def home(self):
        """Starts the reference run configured by reference_mode (servo on, RON 1 first).

        A stop that arrives during these steps (error 10 in one of their checks, or sent
        between them) ends the sequence: the reference run is then not started at all."""
        stops = self._stops_sent
        self._await_rest()
        try:
            if not self._port.servo():
                self._port.set_servo(True)
            self._port.set_reference_mode(True)
            if self._stops_sent == stops:
                self._port.reference(self._reference_mode)
        except ControllerError as e:
            if not e.stopped_by_command:
                raise

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
