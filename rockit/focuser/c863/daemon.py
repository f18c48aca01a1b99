# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The focuser daemon's methods, as Pyro (and the Alpaca server) call them.

Threads and who may touch what:
- The poll thread (poller.py) is the only one that talks to the controller (connect, poll,
  move, home, close). The methods here hand it work and wait for the result.
- stop() is the one exception: it writes the controller's stop itself, so a stop goes out at
  once, ahead of any queued or in-flight poll, and it is counted, so that no motion waiting
  to start can outlive it.
- report_status() only copies the report the poll thread publishes after every poll
  (state.py), so it never waits on the serial line.
- One motion command (move, home, initialize) at a time: a second gets Blocked.
"""
import contextlib
import logging
import reprlib
import threading
import time

import Pyro4

from .approach import LEG_NAMES, plan_approach
from .constants import STEP_LIMIT, CommandStatus
from .errors import ControllerFailure
from .poller import Poller
from .state import FocuserState, at_rest

log = logging.getLogger('c863_focusd')

# How long a stopped command waits for a poll showing the axis at rest before it returns.
STOP_CONFIRM_TIMEOUT = 10.0

_caller = threading.local()


@contextlib.contextmanager
def calling_from(address):
    """Names the caller's IP address, for the access check and the log, while a caller that
    is not a Pyro client (the Alpaca server) calls the methods below on this thread."""
    _caller.address = address
    try:
        yield
    finally:
        del _caller.address


def caller_address():
    """The IP address of whoever called the method running on this thread, or None."""
    address = getattr(_caller, 'address', None)
    if address is None:
        peer = getattr(Pyro4.current_context, 'client_sock_addr', None)
        address = peer[0] if peer else None
    return address


def is_step_count(value):
    """True for a plain int of sane size. bool is an int in Python, but never a step count."""
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= STEP_LIMIT


def log_rest(snapshot):
    """The line that says where a stop left the axis (snapshot: at rest, or None)."""
    if snapshot is None:
        log.warning('stop: the axis was not seen at rest within %.0f s', STOP_CONFIRM_TIMEOUT)
    elif snapshot.referenced:
        log.info('stop: axis at rest at %d steps', snapshot.position)
    else:
        log.info('stop: axis at rest (position unknown: not referenced)')


class FocuserDaemon:
    """Pyro-exposed focuser. Construct, start(), serve through Pyro, close()."""

    def __init__(self, config):
        self._config = config
        self._state = FocuserState(config)
        self._poller = Poller(self._state)
        self._motion_lock = threading.Lock()
        self._rest_watch = threading.Lock()  # held while a thread waits to log where a stop ended

    def start(self):
        self._poller.start()

    def close(self):
        """Stops any motion and closes the port: the daemon never exits with the motor running."""
        self._stop_if_moving('daemon exiting')
        self._poller.close()

    # ---- Pyro API ---------------------------------------------------------------------------

    @Pyro4.expose
    def report_status(self):
        """The cached state; never touches the serial line (pipelined allows it 1 s)."""
        return self._state.report()

    @Pyro4.expose
    def initialize(self):
        """Opens the port and identifies the controller. Never moves the motor."""
        return self._command('initialize', (), self._initialize)

    @Pyro4.expose
    def move(self, steps, relative=True):
        """Moves to steps (absolute) or by steps (relative to the current target); blocks."""
        valid = is_step_count(steps) and isinstance(relative, bool)
        return self._command('move', (steps, relative), lambda: self._move(steps, relative), valid)

    @Pyro4.expose
    def home(self):
        """Reference run, checked, then a move to nominal_focus_position; blocks."""
        return self._command('home', (), self._home)

    @Pyro4.expose
    def stop(self):
        """Stops any motion or reference run now. Accepted in every state.

        The stop byte goes out before anything is logged, but the log reads in the order a
        person expects: the request, "stop sent", and (from another thread, so the caller is not
        held) where the axis came to rest."""
        code = self._refusal_for_stop()
        if code is not None:
            self._log_command('stop', ())
            return self._result('stop', code)
        sent = self._send_stop()
        self._log_command('stop', ())
        code = self._log_stop('stop requested', *sent)
        if code == CommandStatus.Succeeded:
            self._log_rest_after_stop()
        return self._result('stop', code)

    @Pyro4.expose
    def shutdown(self):
        """Stops any motion and closes the port."""
        self._log_command('shutdown', ())
        if not self._client_allowed():
            return self._result('shutdown', CommandStatus.InvalidControlIP)
        with self._state.lock:
            wanted = self._state.wanted
        if not wanted:
            return self._result('shutdown', CommandStatus.NotConnected)
        self._stop_if_moving('shutting down')
        return self._result('shutdown', self._poller.run_in_thread(self._poller.disconnect))

    def _refusal_for_stop(self):
        """Why a stop cannot be sent, or None."""
        if not self._client_allowed():
            return CommandStatus.InvalidControlIP
        with self._state.lock:
            wanted, connected = self._state.wanted, self._state.controller is not None
        if not wanted:
            return CommandStatus.NotConnected
        if not connected:  # the link is down and being retried: `focus init` would not help
            return CommandStatus.CommunicationError
        return None

    # ---- command plumbing -------------------------------------------------------------------

    def _command(self, name, args, action, arguments_valid=True):
        """Logging, access check, argument check, one-at-a-time lock: the frame of every
        motion command."""
        self._log_command(name, args)
        if not self._client_allowed():
            return self._result(name, CommandStatus.InvalidControlIP)
        if not arguments_valid:
            return self._result(name, CommandStatus.InvalidArgument)
        if not self._motion_lock.acquire(blocking=False):
            return self._result(name, CommandStatus.Blocked)
        try:
            return self._result(name, action())
        finally:
            self._motion_lock.release()

    def _client_allowed(self):
        """Control comes only from control_machines; an unknown peer address is refused."""
        return caller_address() in self._config.control_ips

    @staticmethod
    def _log_command(name, args):
        log.info('%s%s requested by %s', name, reprlib.repr(tuple(args)), caller_address() or 'unknown client')

    def _result(self, name, code):
        level = logging.INFO if code == CommandStatus.Succeeded else logging.WARNING
        position = self._state.published('current_steps')
        where = f' (at {position} steps)' if position is not None else ''
        log.log(level, '%s: %s%s', name, CommandStatus.message(code), where)
        return code

    # ---- the commands (controller work goes through the poll thread) -------------------------

    def _initialize(self):
        with self._state.lock:
            if self._state.wanted:
                return CommandStatus.NotDisconnected
        return self._poller.run_in_thread(self._poller.connect_first_time)

    def _move(self, steps, relative):
        state = self._state
        with state.lock:
            refusal = self._refusal_for_motion()
            if refusal is not None:
                return refusal
            target = state.snapshot.target + steps if relative else steps
            if not state.within_limits(target):
                return CommandStatus.PositionOutsideLimits
            stops = state.stops
        with self._showing('moving', target):
            return self._approach_and_wait(target, time.monotonic() + self._config.move_timeout, stops)

    def _home(self):
        state = self._state
        with state.lock:
            if not state.wanted:
                return CommandStatus.NotConnected
            if state.controller is None:
                return CommandStatus.CommunicationError
            if not state.within_limits(self._config.nominal_focus_position):
                return CommandStatus.PositionOutsideLimits
            stops = state.stops
        deadline = time.monotonic() + self._config.home_timeout
        with self._showing('homing'):
            result = self._reference_run(deadline, stops)
            if result != CommandStatus.Succeeded:
                return result
            return self._approach_and_wait(self._config.nominal_focus_position, deadline, stops)

    def _refusal_for_motion(self):
        """Why a move cannot start now, or None. Lock held."""
        state = self._state
        if not state.wanted:
            return CommandStatus.NotConnected
        if state.controller is None:
            return CommandStatus.CommunicationError
        if not state.snapshot.referenced:
            return CommandStatus.NotHomed
        if state.fault:
            return CommandStatus.ControllerError
        return None

    @contextlib.contextmanager
    def _showing(self, activity, target=None):
        """Shows Moving (to target) or Homing from the moment a command is accepted until it
        returns, even while it still waits for the poll thread to start it."""
        with self._state.lock:
            self._state.activity, self._state.commanded_target = activity, target
            self._state.publish()
        try:
            yield
        finally:
            with self._state.lock:
                self._state.activity, self._state.commanded_target = None, None
                self._state.publish()

    def _reference_run(self, deadline, stops):
        poller = self._poller
        started = poller.run_in_thread(lambda: poller.start_motion(stops, poller.start_reference_run))
        if started != CommandStatus.Succeeded:
            return started
        outcome = self._wait_for_end(deadline, stops, lambda s: not s.referencing and not s.moving)
        if outcome != CommandStatus.Succeeded:
            return outcome
        with self._state.lock:
            if not self._state.snapshot.referenced:
                log.error('reference run ended but the controller is not referenced')
                return CommandStatus.ControllerError if self._state.last_error else CommandStatus.Failed
        log.info('reference run succeeded')
        return CommandStatus.Succeeded

    def _approach_and_wait(self, target, deadline, stops):
        """Moves to target in the legs of its approach plan (approach.py), each to rest on its
        own target before the next starts, so that the move ends from the configured side.

        It is one command to the caller: one deadline and one stop count (read when the command
        was accepted) cover every leg, so a stop or timeout in either ends the move, and a leg
        that a stop overtook never starts (start_motion refuses it). target_steps shows target
        throughout, and report_status()'s `approach` names the leg running.
        """
        state = self._state
        with state.lock:
            limits = state.limits()
            plan = plan_approach(target, state.snapshot.position, self._config.approach_steps, limits)
            state.commanded_target = target
        if plan.shortened:
            self._log_shortened(target, plan, limits)
        legs = zip(LEG_NAMES, plan.targets) if len(plan.targets) > 1 else [(None, target)]
        try:
            for name, leg_target in legs:
                if time.monotonic() >= deadline:
                    return CommandStatus.Timeout  # between legs: the axis is at rest already
                if name is not None:
                    log.info('approach: %s leg to %d steps', name, leg_target)
                self._show_leg(name)
                result = self._move_and_wait(leg_target, deadline, stops)
                if result != CommandStatus.Succeeded:
                    return result
            return CommandStatus.Succeeded
        finally:
            self._show_leg(None)

    def _log_shortened(self, target, plan, limits):
        overshoot = target - self._config.approach_steps
        if len(plan.targets) == 1:
            log.info('approach shortened to nothing: the overshoot point %d is outside the limits %d..%d '
                     'and the target %d is on the limit; one leg', overshoot, *limits, target)
        else:
            log.info('approach shortened: the overshoot point %d is outside the limits %d..%d; '
                     'overshooting to %d instead', overshoot, *limits, plan.targets[0])

    def _show_leg(self, name):
        with self._state.lock:
            self._state.approach = name
            self._state.publish()

    def _move_and_wait(self, target, deadline, stops):
        poller = self._poller
        started = poller.run_in_thread(lambda: poller.start_motion(stops, lambda c: poller.start_move(c, target)))
        if started != CommandStatus.Succeeded:
            return started
        return self._wait_for_end(deadline, stops, lambda s: not s.moving and s.on_target)

    def _wait_for_end(self, deadline, stops, finished):
        """Waits for a snapshot, taken after the motion started, in which it has ended.

        Returns Succeeded when finished(snapshot) holds; Stopped if stop() was called since
        the stop count was `stops` (taken before the motion was started, so that a stop in
        the very first milliseconds counts); CommunicationError if the link went down;
        NotHomed if the controller lost its reference (power cycle); ControllerError on a
        fault or controller error; Timeout, after stopping the axis, at the deadline.
        """
        state = self._state
        with state.lock:
            first_poll = state.polls

            def ended():
                if state.controller is None or state.stops != stops or state.fault:
                    return True
                snapshot = state.snapshot
                idle = not (snapshot.moving or snapshot.referencing)
                # An error, a servo that is off (power cycle) or an axis halted short of its
                # target ends it: the target is out of reach.
                return state.polls > first_poll and (finished(snapshot) or (idle and (
                    snapshot.error is not None or not snapshot.servo or snapshot.halted is not None)))

            if not state.updated.wait_for(ended, max(0.0, deadline - time.monotonic())):
                outcome = CommandStatus.Timeout
            elif state.stops != stops:
                outcome = CommandStatus.Stopped
            elif state.controller is None:
                return CommandStatus.CommunicationError
            elif state.fault:
                return CommandStatus.ControllerError
            elif finished(state.snapshot):
                return CommandStatus.Succeeded
            elif not state.snapshot.referenced:
                return CommandStatus.NotHomed
            else:
                return CommandStatus.ControllerError
        if outcome == CommandStatus.Timeout:
            self._stop_motion('timed out')
        self._wait_until_still()
        return outcome

    def _wait_until_still(self):
        """After a stop, waits until a poll shows the axis at rest, so the target is final.
        Returns the snapshot that shows it at rest, or None (link lost, or not at rest in time)."""
        state = self._state
        with state.lock:
            first_poll = state.polls
            still = state.updated.wait_for(lambda: state.controller is None or (
                state.polls > first_poll and at_rest(state.snapshot)), STOP_CONFIRM_TIMEOUT)
            return state.snapshot if still and state.controller is not None else None

    # ---- stopping ---------------------------------------------------------------------------

    def _stop_if_moving(self, reason):
        state = self._state
        with state.lock:
            snapshot = state.snapshot
            moving = state.controller is not None and snapshot is not None and bool(
                snapshot.moving or snapshot.referencing or state.activity)
        if moving:
            self._stop_motion(reason)

    def _stop_motion(self, reason):
        """Counts the stop and sends it from the calling thread, ahead of the poll thread."""
        return self._log_stop(reason, *self._send_stop())

    def _send_stop(self):
        """Counts the stop and sends it; logs nothing, so that nothing delays the byte.
        Returns (code, controller, failure) for _log_stop."""
        state = self._state
        with state.lock:
            controller = state.controller
            if controller is None:  # the link went down since the caller looked
                code = CommandStatus.CommunicationError if state.wanted else CommandStatus.NotConnected
                return code, None, None
            state.stops += 1
            state.fast_poll_from = time.monotonic()
            state.updated.notify_all()
        try:
            controller.stop()
        except ControllerFailure as e:
            return CommandStatus.CommunicationError, controller, e
        self._poller.wake()  # to see the axis come to rest quickly
        return CommandStatus.Succeeded, controller, None

    @staticmethod
    def _log_stop(reason, code, controller, failure):
        """Logs what _send_stop did; returns its code."""
        if failure is not None:
            log.error('stop (%s) could not be sent: %s', reason, failure)
        elif controller is not None:
            log.info('stop sent (%s): %s', reason, controller.stop_command)
        return code

    def _log_rest_after_stop(self):
        """Logs where the axis came to rest, from a thread of its own (one at a time: a stop
        that arrives while one waits is covered by its line)."""
        if not self._rest_watch.acquire(blocking=False):
            return

        def watch():
            try:
                log_rest(self._wait_until_still())
            finally:
                self._rest_watch.release()
        threading.Thread(target=watch, name='stop-rest', daemon=True).start()
