# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""A C-863 axis driven with GCS 2.0 commands (gcs.py); see doc/gcs-c863.md.

Steps are encoder counts: steps = physical position * 0xE / 0xF (the counts-per-unit
parameters, read at connect).

Where the evidence about the firmware is thin, nothing hangs on one fact alone (§2.11): the
parameters that only time a move are optional, the end of a move does not wait forever for the
on-target bit of #4, error 10 is ours only if we sent a stop, and #4 is cross-checked at connect
against the GCS queries that report the same bits.
"""
import logging
import time
from collections import namedtuple

from ..constants import STEP_LIMIT
from ..errors import ControllerError, GarbledReply, NoReply, NotSupported
from ..gcs import GCSPort, StatusRegister
from ..gcs_errors import is_stop
from .axis import PolledAxis, trapezoid_time
from .interface import ControllerInfo, Snapshot

log = logging.getLogger(__name__)

# GCS parameter IDs read at connect.
COUNTS_PER_UNIT_NUMERATOR = 0xE
COUNTS_PER_UNIT_DENOMINATOR = 0xF
ACCELERATION = 0xB
DECELERATION = 0xC
SETTLE_WINDOW = 0x36  # counts
SETTLE_TIME = 0x3F    # seconds

# Assumed when the controller refuses 0x36 / 0x3F (guesses, §2.11): they only time the wait for
# the on-target bit and word the message when it never comes.
DEFAULT_SETTLE_WINDOW = 10
DEFAULT_SETTLE_TIME = 0.1
# How much longer than the settle time a rest may go without the on-target bit before ONT? is
# asked. The controller's settle timer starts only once the servo has brought the axis into the
# window, some time after the profile ends (lag, overshoot); half a second covers that for a
# focuser stage and still ends a move that never settles in seconds, not at move_timeout.
SETTLE_MARGIN = 0.5

# The models whose #4 bit map the manual gives (MS249E p. 126); another C-863 is assumed to share it.
MANUAL_MODELS = ('C-863.11', 'C-863.12')
FAMILY = 'C-863'

# What ONT? and POS? said of a rest that outlasted the settle time without the on-target bit.
RestVerdict = namedtuple('RestVerdict', 'on_target position')


class SettleWatch:
    """How long the axis has rested, servo on, without the on-target bit of #4 (bit 15).

    A move ends when bit 13 (moving) clears and bit 15 comes. A settle window (0x36) that the
    servo never enters, or a firmware whose bit 15 stays 0 (Odemis saw ONT? stay 0 after a stop
    on a C-867), would hold every move until move_timeout. So once such a rest outlasts the
    settle time (0x3F) + SETTLE_MARGIN, the controller judges it once (GCSController._judge_rest)
    and the verdict stands until the rest ends.
    """

    def __init__(self, settle_time):
        self.settle_time = settle_time
        self.verdict = None
        self._since = None

    def due(self, unsettled, now):
        """Whether to judge the rest now. unsettled: at rest, servo on, bit 15 clear; anything
        else ends the rest and forgets its verdict."""
        if not unsettled:
            self.forget()
            return False
        if self._since is None:
            self._since = now
        return self.verdict is None and now - self._since > self.settle_time + SETTLE_MARGIN

    def forget(self):
        """A new motion: what was judged of the last rest says nothing of the next."""
        self._since = self.verdict = None


def status_disagreements(before, after, register, servo, on_target):
    """Where queries read between two #4 reads (before, after) contradict #4, one phrase each.

    register (SRG?), servo (SVO?) and on_target (ONT?) are None when refused, and left out then.
    A bit that changed between the two reads (the axis settling as the servo came on) is left
    out too: the queries may have seen either side of the change."""
    steady = ~(before.raw ^ after.raw)
    problems = []
    if register is not None and (register.raw ^ after.raw) & steady:
        names = StatusRegister.bit_names((register.raw ^ after.raw) & steady)
        problems.append(f'SRG? answered {register.raw:#06x} where #4 answered {after.raw:#06x} '
                        f'({", ".join(names)})')
    for query, field, value in (('SVO?', 'servo', servo), ('ONT?', 'on_target', on_target)):
        mask = StatusRegister.mask(field)
        if value is not None and steady & mask and getattr(after, field) != value:
            problems.append(f'{query} says {int(value)} where #4 has {StatusRegister.bit_names(mask)[0]} '
                            f'= {int(not value)}')
    return problems


class GCSController(PolledAxis):
    """A C-863 axis (the .11/.12, or another model with a warning) driven with GCS 2.0 commands."""
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
        self._settle_window = DEFAULT_SETTLE_WINDOW
        self._settle = SettleWatch(DEFAULT_SETTLE_TIME)

    # ---- connecting ------------------------------------------------------------------------

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
            latched = self._error_at_connect()
            self._read_geometry()
            self._read_motion_profile()
            self._read_settling()
            low, high = self._port.travel_range()
            if not (latched and latched.servo_fault) and not self._port.servo():
                self._port.set_servo(True)
            self._cross_check_status()
            self._latched_error = latched
            self._forget_target()
            model, serial_number, firmware = info
            return ControllerInfo(model, serial_number, firmware, *sorted((self.to_steps(low), self.to_steps(high))),
                                  f'{model} s/n {serial_number} firmware {firmware}', self._counts_per_unit)
        except Exception:
            self.close()
            raise

    def _identify(self):
        """Any C-863 is driven; only the .11/.12 bit map of #4 is documented, so another
        model is a warning (and the cross-check of #4 at connect tells more)."""
        idn = self._port.identify()
        model = GCSPort.model(idn)
        if model.split('.')[0] != FAMILY:
            raise NotSupported(f'device on {self._url} is not a GCS C-863: *IDN? answered {idn!r}')
        if not model.startswith(MANUAL_MODELS):
            log.warning('*IDN? answered %r: not a C-863.11/.12; the bit map of the status register #4 is '
                        'assumed from the C-863.12 manual (MS249E p. 126)', idn)
        fields = [f.strip() for f in idn.split(',')] + ['?', '?']
        return model, fields[2], fields[3]

    def _error_at_connect(self):
        """The error latched before we connected, for the first poll to report. A 10 is a stop
        from before this connection (ours before the link was lost, or someone else's): the
        axis is at rest by now and nothing waits on it, so it is only logged."""
        error = self._port.error()
        if error is not None and is_stop(error):
            log.info('error 10 latched at connect: the controller was stopped before this connection')
            return None
        return error

    def _read_geometry(self):
        numerator = self._port.parameter_float(COUNTS_PER_UNIT_NUMERATOR)
        denominator = self._port.parameter_float(COUNTS_PER_UNIT_DENOMINATOR)
        if numerator <= 0 or denominator <= 0:
            raise NotSupported(f'controller counts-per-unit parameters are invalid ({numerator}/{denominator})')
        self._counts_per_unit = numerator / denominator

    def _read_motion_profile(self):
        """VEL?, 0xB and 0xC only predict how long a move takes (expected_motion_time), so a
        refusal costs that prediction, never the connection: 0xB/0xC fall back to ACC?/DEC?,
        and without a value the prediction is 0 (the daemon polls at moving_loop_delay)."""
        port = self._port
        untimed = 'moves are not timed: their end is found by polling alone'
        self._velocity = self._optional(f'no velocity known: {untimed}', ('VEL?', port.velocity))
        self._acceleration = self._optional(f'no acceleration known: {untimed}',
                                            ('SPA? 0xB', lambda: port.parameter_float(ACCELERATION)),
                                            ('ACC?', port.acceleration))
        self._deceleration = self._optional(f'no deceleration known: {untimed}',
                                            ('SPA? 0xC', lambda: port.parameter_float(DECELERATION)),
                                            ('DEC?', port.deceleration))

    def _read_settling(self):
        """0x36 and 0x3F: how long a rest may wait for the on-target bit (SettleWatch), and the
        words for a move that never settles; refused, the defaults of §2.11 stand in."""
        self._settle_window = self._optional_parameter(SETTLE_WINDOW, DEFAULT_SETTLE_WINDOW, 'counts')
        self._settle = SettleWatch(self._optional_parameter(SETTLE_TIME, DEFAULT_SETTLE_TIME, 's'))

    def _optional_parameter(self, pid, default, unit):
        value = self._optional(f'{default:g} {unit} is assumed for 0x{pid:X}',
                               (f'SPA? 0x{pid:X}', lambda: self._port.parameter_float(pid)))
        return default if value is None else value

    def _optional(self, otherwise, *sources):
        """The value of the first source (name, read) the controller answers, or None.

        A refusal, silence or garbage is logged in one line, with what is used instead (the next
        source, or `otherwise` when none is left). ERR? is read after each failure (a refusal's
        own check has read it already), so that nothing stays latched for a poll to report."""
        problems = []
        for name, read in sources:
            try:
                value = read()
            except (ControllerError, NoReply, GarbledReply) as error:
                problems.append(self._failure(error))
                continue
            if problems:
                log.warning('%s; read with %s instead', '; '.join(problems), name)
            return value
        log.warning('%s; %s', '; '.join(problems), otherwise)
        return None

    def _failure(self, error):
        """How an optional query failed, having cleared what it may have latched."""
        if isinstance(error, ControllerError):
            return str(error)
        code = self._port.read_error()
        return f'{error} (then ERR? {code})' if code else str(error)

    def _cross_check_status(self):
        """#4 against SRG? 1 1 (the same register), SVO? (bit 12) and ONT? (bit 15), read
        between two #4 reads: a disagreement is a warning naming the bits, never a refusal,
        since only the C-863.12's bit map is documented."""
        port = self._port
        before = port.status_register()
        register = self._optional('#4 is not compared with SRG?', ('SRG?', port.status_query))
        servo = port.servo()
        on_target = self._optional('#4 is not compared with ONT?', ('ONT?', port.on_target))
        problems = status_disagreements(before, port.status_register(), register, servo, on_target)
        if problems:
            log.warning('the status register #4 disagrees with the queries: %s; its bit map is assumed '
                        'from the C-863.12 manual (MS249E p. 126)', '; '.join(problems))

    # ---- units -------------------------------------------------------------------------------

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

    # ---- polling -----------------------------------------------------------------------------

    def poll(self, track_position=True):
        """Reads the axis state with as few bytes as the situation allows.

        Idle and unchanged costs one #4 exchange (8 bytes, 8 ms at 9600 baud). The position is
        read as _position_wanted() says; the reference flag when referencing or servo state
        changed; the error register when #4 flags an error or a stop of ours is unconfirmed;
        ONT? and POS? once when a rest outlasts the settle time without the on-target bit.
        """
        stops = self._stops_sent
        status = self._port.status_register()
        last = self._last
        fresh = last is None
        busy = status.moving or status.referencing
        verdict, judged_now = self._rest_verdict(status, busy)
        commanded = not self._target_unknown  # else the target becomes where the axis rests
        on_target = status.on_target or (verdict is not None and (verdict.on_target or not commanded))
        at_rest = not busy and (on_target or not status.servo or verdict is not None)
        changed = fresh or status.raw != last.status_register

        if judged_now:
            position = verdict.position
        elif self._position_wanted(fresh, track_position, busy, changed, at_rest):
            position = self.to_steps(self._port.position())
        else:
            position = last.position
        target = self._current_target(position, at_rest, lambda: self.to_steps(self._port.target()), stops)
        halted = None if on_target or verdict is None else self._not_settling(verdict.position, target)
        if fresh or (changed and (status.referencing, status.servo) != (last.referencing, last.servo)):
            referenced = False if status.referencing else self._port.referenced()
        else:
            referenced = last.referenced
        error = self._port.error() if status.error or self._port.stop_unread else None

        return self._keep(Snapshot(position, target, status.moving, on_target, status.referencing, referenced,
                                   status.servo, error or self._take_latched_error(), status.raw, halted), stops)

    def _rest_verdict(self, status, busy):
        """(verdict, read by this poll) on a rest without the on-target bit (SettleWatch)."""
        due = self._settle.due(not busy and status.servo and not status.on_target, time.monotonic())
        if due:
            self._settle.verdict = self._judge_rest()
        return self._settle.verdict, due

    def _judge_rest(self):
        """Asks ONT? and POS? about a rest that outlasted the settle time without the on-target
        bit of #4 (SettleWatch). ONT? saying on target is believed, and the disagreement logged."""
        on_target = self._port.on_target()
        position = self.to_steps(self._port.position())
        if on_target:
            log.warning('#4 did not set its on-target bit (15) within %g s, but ONT? says on target at %d steps: '
                        'taken as on target', self._settle.settle_time + SETTLE_MARGIN, position)
        return RestVerdict(on_target, position)

    def _not_settling(self, position, target):
        """Why a move at rest will not reach its target, in one line (Snapshot.halted)."""
        distance = abs(position - target)
        if distance > self._settle_window:
            where = f'outside the on-target window of {self._settle_window:g} counts'
        else:
            where = f'yet not on target within the window of {self._settle_window:g} counts'
        return (f'not settling: at rest at {position} steps, {distance} steps from the target {target}, {where} '
                f'for {self._settle.settle_time:g} s (check parameters 0x36/0x3F)')

    def _take_latched_error(self):
        """An error kept for the next poll (found latched at connect, or someone else's stop
        read in a command's check), reported once."""
        error, self._latched_error = self._latched_error, None
        return error

    # ---- motion ------------------------------------------------------------------------------

    def _accepted_unless_refused(self, command):
        """Runs a command and its ERR? check. Error 10 there does not refuse it (a refusal
        latches its own code): our own stop, sent from another thread, arrived between the two;
        or someone else stopped the controller since the last ERR?, which the next poll reports."""
        try:
            command()
        except ControllerError as e:
            if not is_stop(e):
                raise
            if not e.stopped_by_command:
                self._latched_error = e

    def move_to(self, steps):
        """Starts an absolute move; raises ControllerError if the controller refuses it."""
        self._settle.forget()
        self._move(steps, lambda: self._accepted_unless_refused(lambda: self._port.move(self.to_units(steps))))

    def home(self):
        """Starts the reference run configured by reference_mode (servo on, RON 1 first).

        A stop of ours that arrives during these steps (its error 10 read in one of their checks,
        or sent between them) leaves the reference run unstarted. A stop from before, or from
        someone else, does not: FRF is sent."""
        stops = self._stops_sent
        self._settle.forget()
        self._await_rest()
        port = self._port
        if not port.servo():
            self._accepted_unless_refused(lambda: port.set_servo(True))
        self._accepted_unless_refused(lambda: port.set_reference_mode(True))
        if self._stops_sent == stops:
            self._accepted_unless_refused(lambda: port.reference(self._reference_mode))

    def stop(self):
        """Stops all motion, reference runs included, at once (#24: one byte, sent ahead of polls)."""
        self._stop(lambda port: port.stop_all())

    def expected_motion_time(self, from_steps, to_steps):
        """Seconds a trapezoidal move needs, from the controller's own VEL/ACC/DEC (0 when the
        controller refused one of them at connect).

        The daemon polls at the moving rate until then and quickly afterwards, so that the end
        of a move is noticed within a few tens of milliseconds without polling hard all along.
        """
        distance = abs(self.to_units(to_steps) - self.to_units(from_steps))
        return trapezoid_time(distance, self._velocity, self._acceleration, self._deceleration)
