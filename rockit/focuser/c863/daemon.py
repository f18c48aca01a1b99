"""The focuser daemon: one polling thread that owns the controller, and the Pyro methods.

Threads and who may touch what:
- The poll thread is the only one that talks to the controller (connect, poll, move, home,
  close). Pyro methods hand it work through a queue and wait for the result.
- stop() is the one exception: it writes the controller's one-byte stop (#24) itself, so a
  stop goes out at once, ahead of any queued or in-flight poll.
- report_status() only copies the report the poll thread publishes after every poll, so it
  never waits on the serial line.
- One motion command (move, home, initialize) at a time: a second gets Blocked.

The state shown to users is derived from facts in one place, _derive_status().
"""
import contextlib
import datetime
import logging
import queue
import reprlib
import threading
import time
from concurrent.futures import Future
from dataclasses import replace

import Pyro4

from . import systemd
from .constants import STEP_LIMIT, CommandStatus, FocuserStatus
from .controller import make_controller
from .errors import ControllerError, ControllerFailure, LinkLost, NoReply, NotSupported

log = logging.getLogger('c863_focusd')

# Consecutive failed polls (timeouts, garbled replies) before the link is declared lost.
FAILED_POLLS_BEFORE_LINK_LOST = 3
# Near the predicted end of a move, poll back to back (one #4 exchange) for up to this long.
FAST_POLL_WINDOW = 2.0
FAST_POLL_DELAY = 0.005
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


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def is_step_count(value):
    """True for a plain int of sane size. bool is an int in Python, but never a step count."""
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= STEP_LIMIT


class FocuserDaemon:
    """Pyro-exposed focuser. Construct, start(), serve through Pyro, close()."""

    def __init__(self, config):
        self._config = config
        self._requests = queue.Queue()
        self._motion_lock = threading.Lock()
        self._lock = threading.Lock()
        self._updated = threading.Condition(self._lock)
        self._closing = threading.Event()

        # Facts, written by the poll thread (and stop()) under self._lock.
        self._controller = None     # open controller, or None
        self._info = None           # ControllerInfo from the last connect
        self._snapshot = None       # last Snapshot
        self._polls = 0             # number of snapshots taken; waiters compare against it
        self._wanted = False        # initialize() asked for the controller, shutdown() withdrew
        self._connecting = False
        self._link_problem = None   # why the link is down while we keep retrying
        self._failed_polls = 0
        self._next_retry = 0.0
        self._fault = None          # servo dropped without being asked to
        self._last_error = None     # last controller error as shown in the status
        self._activity = None       # 'moving' or 'homing' while such a command runs
        self._stops = 0             # number of stop() calls; waiters compare against it
        self._fast_poll_from = None  # monotonic time the current move should end
        self._disabled_reason = 'not initialized: run `focus init`'
        self._shown = (None, None)
        self._report = {}
        self._publish()

        self._watchdog = systemd.watchdog_interval()
        self._thread = threading.Thread(target=self._run, name='poll', daemon=True)

    # ---- life cycle -------------------------------------------------------------------------

    def start(self):
        self._thread.start()

    def close(self):
        """Stops any motion and closes the port: the daemon never exits with the motor running."""
        self._closing.set()
        self._stop_if_moving('daemon exiting')
        self._requests.put(None)
        self._thread.join(timeout=self._config.serial_timeout * 2 + 1)
        with self._lock:
            self._close_controller()

    # ---- Pyro API ---------------------------------------------------------------------------

    @Pyro4.expose
    def report_status(self):
        """The cached state; never touches the serial line (pipelined allows it 1 s)."""
        with self._lock:
            report = dict(self._report)
        report['date'] = utc_now()
        return report

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

        The stop byte goes out before anything is logged: the request is logged after it."""
        if not self._client_allowed():
            code = CommandStatus.InvalidControlIP
        else:
            with self._lock:
                wanted, connected = self._wanted, self._controller is not None
            if not wanted:
                code = CommandStatus.NotConnected
            elif not connected:  # the link is down and being retried: `focus init` would not help
                code = CommandStatus.CommunicationError
            else:
                code = self._stop_motion('stop requested')
        self._log_command('stop', ())
        return self._result('stop', code)

    @Pyro4.expose
    def shutdown(self):
        """Stops any motion and closes the port."""
        self._log_command('shutdown', ())
        if not self._client_allowed():
            return self._result('shutdown', CommandStatus.InvalidControlIP)
        with self._lock:
            wanted = self._wanted
        if not wanted:
            return self._result('shutdown', CommandStatus.NotConnected)
        self._stop_if_moving('shutting down')
        return self._result('shutdown', self._in_poll_thread(self._disconnect))

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
        with self._lock:
            position = self._report.get('current_steps')
        where = f' (at {position} steps)' if position is not None else ''
        log.log(level, '%s: %s%s', name, CommandStatus.message(code), where)
        return code

    def _in_poll_thread(self, action):
        """Runs action in the poll thread (the controller's owner) and returns its result."""
        future = Future()
        self._requests.put((action, future))
        return future.result()

    # ---- the commands (run by Pyro threads; controller work goes through the poll thread) ----

    def _initialize(self):
        with self._lock:
            if self._wanted:
                return CommandStatus.NotDisconnected
        return self._in_poll_thread(self._connect_first_time)

    def _move(self, steps, relative):
        with self._lock:
            refusal = self._refusal_for_motion()
            if refusal is not None:
                return refusal
            target = self._snapshot.target + steps if relative else steps
            if not self._within_limits(target):
                return CommandStatus.PositionOutsideLimits
            stops = self._stops
        with self._showing('moving'):
            return self._move_and_wait(target, time.monotonic() + self._config.move_timeout, stops)

    def _home(self):
        with self._lock:
            if not self._wanted:
                return CommandStatus.NotConnected
            if self._controller is None:
                return CommandStatus.CommunicationError
            if not self._within_limits(self._config.nominal_focus_position):
                return CommandStatus.PositionOutsideLimits
            stops = self._stops
        deadline = time.monotonic() + self._config.home_timeout
        with self._showing('homing'):
            result = self._reference_run(deadline, stops)
            if result != CommandStatus.Succeeded:
                return result
            return self._move_and_wait(self._config.nominal_focus_position, deadline, stops)

    def _refusal_for_motion(self):
        """Why a move cannot start now, or None. Lock held."""
        if not self._wanted:
            return CommandStatus.NotConnected
        if self._controller is None:
            return CommandStatus.CommunicationError
        if not self._snapshot.referenced:
            return CommandStatus.NotHomed
        if self._fault:
            return CommandStatus.ControllerError
        return None

    def _within_limits(self, steps):
        """The intersection of the configured and the controller's range. Lock held."""
        low, high = self._limits()
        return low <= steps <= high

    def _limits(self):
        return (max(self._config.min_position, self._info.min_steps),
                min(self._config.max_position, self._info.max_steps))

    @contextlib.contextmanager
    def _showing(self, activity):
        """Shows Moving/Homing from the moment a command starts until it returns."""
        with self._lock:
            self._activity = activity
            self._publish()
        try:
            yield
        finally:
            with self._lock:
                self._activity = None
                self._publish()

    def _reference_run(self, deadline, stops):
        started = self._in_poll_thread(lambda: self._start_motion(stops, self._start_reference_run))
        if started != CommandStatus.Succeeded:
            return started
        outcome = self._wait_for_end(deadline, stops, lambda s: not s.referencing and not s.moving)
        if outcome != CommandStatus.Succeeded:
            return outcome
        with self._lock:
            if not self._snapshot.referenced:
                log.error('reference run ended but the controller is not referenced')
                return CommandStatus.ControllerError if self._last_error else CommandStatus.Failed
        log.info('reference run succeeded')
        return CommandStatus.Succeeded

    def _move_and_wait(self, target, deadline, stops):
        started = self._in_poll_thread(lambda: self._start_motion(stops, lambda c: self._start_move(c, target)))
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
        with self._lock:
            first_poll = self._polls

            def ended():
                if self._controller is None or self._stops != stops or self._fault:
                    return True
                snapshot = self._snapshot
                idle = not (snapshot.moving or snapshot.referencing)
                # An error, or a servo that is off (power cycle), ends it: the target is out of reach.
                return self._polls > first_poll and (
                    finished(snapshot) or (idle and (snapshot.error is not None or not snapshot.servo)))

            if not self._updated.wait_for(ended, max(0.0, deadline - time.monotonic())):
                outcome = CommandStatus.Timeout
            elif self._stops != stops:
                outcome = CommandStatus.Stopped
            elif self._controller is None:
                return CommandStatus.CommunicationError
            elif self._fault:
                return CommandStatus.ControllerError
            elif finished(self._snapshot):
                return CommandStatus.Succeeded
            elif not self._snapshot.referenced:
                return CommandStatus.NotHomed
            else:
                return CommandStatus.ControllerError
        if outcome == CommandStatus.Timeout:
            self._stop_motion('timed out')
        self._wait_until_still()
        return outcome

    def _wait_until_still(self):
        """After a stop, waits until a poll shows the axis at rest, so the target is final."""
        with self._lock:
            first_poll = self._polls
            self._updated.wait_for(lambda: self._controller is None or (
                self._polls > first_poll and self._at_rest(self._snapshot)), STOP_CONFIRM_TIMEOUT)

    def _stop_if_moving(self, reason):
        with self._lock:
            snapshot = self._snapshot
            moving = self._controller is not None and snapshot is not None and bool(
                snapshot.moving or snapshot.referencing or self._activity)
        if moving:
            self._stop_motion(reason)

    def _stop_motion(self, reason):
        """Sends the controller's stop byte from the calling thread, ahead of the poll thread."""
        with self._lock:
            controller = self._controller
            if controller is None:
                return CommandStatus.NotConnected
            self._stops += 1
            self._fast_poll_from = time.monotonic()
            self._updated.notify_all()
        try:
            controller.stop()
        except ControllerFailure as e:
            log.error('stop (%s) could not be sent: %s', reason, e)
            return CommandStatus.CommunicationError
        log.info('stop sent (%s): %s', reason, controller.stop_command)
        self._requests.put(None)  # wake the poll thread to confirm the stop quickly
        return CommandStatus.Succeeded

    # ---- the poll thread --------------------------------------------------------------------

    def _run(self):
        while not self._closing.is_set():
            self._feed_watchdog()
            request = self._next_request(self._poll_delay())
            if request is not None:
                action, future = request
                future.set_result(self._guarded(action))
            with self._lock:
                controller, wanted = self._controller, self._wanted
            if controller is not None:
                self._poll(controller)
            elif wanted and time.monotonic() >= self._next_retry:
                self._reconnect()

    def _next_request(self, timeout):
        try:
            return self._requests.get(timeout=timeout)
        except queue.Empty:
            return None

    def _guarded(self, action):
        """Runs a request; a protocol failure becomes a code, never an exception in the thread."""
        try:
            return action()
        except ControllerError as e:
            self._show_error(e)
            return CommandStatus.ControllerError
        except ControllerFailure as e:
            with self._lock:
                self._lose_link(str(e))
            return CommandStatus.CommunicationError
        except Exception as e:  # pylint: disable=broad-except
            self._unexpected(e)
            return CommandStatus.Failed

    def _show_error(self, error):
        with self._lock:
            self._record_error(error)
            self._publish()

    def _unexpected(self, error):
        """A failure that is not the protocol's (a bug, or a device answering absurd values):
        logged with its traceback, and handled like a lost link, so the poll thread lives on
        and the daemon reconnects afresh."""
        log.exception('unexpected %s in the poll thread: %s', type(error).__name__, error)
        with self._lock:
            if self._controller is not None:
                self._lose_link(f'unexpected {type(error).__name__}: {error}')

    def _poll_delay(self):
        """Seconds until the next poll: idle rate, moving rate, or fast around a move's end."""
        with self._lock:
            now = time.monotonic()
            if self._controller is None:
                delay = max(0.0, self._next_retry - now) if self._wanted else 3600.0
            elif self._activity or self._snapshot.moving or self._snapshot.referencing:
                delay = self._config.moving_loop_delay
                if self._fast_poll_from is not None:
                    until_end = self._fast_poll_from - now
                    delay = min(delay, until_end) if until_end > 0 else FAST_POLL_DELAY
            else:
                delay = self._config.idle_loop_delay
        if self._watchdog:
            delay = min(delay, self._watchdog)
        return delay

    def _fast_polling(self):
        """True from a move's predicted end (or a stop) until it is seen to end. Lock held."""
        return self._fast_poll_from is not None and self._fast_poll_from <= time.monotonic()

    def _poll(self, controller):
        with self._lock:
            track_position = not self._fast_polling()
        try:
            snapshot = controller.poll(track_position)
        except LinkLost as e:
            with self._lock:
                self._lose_link(str(e))
            return
        except ControllerError as e:
            # A query went unanswered and ERR? then held an error: the link works and the
            # error is news (it may also be one raised while the controller was silent).
            self._show_error(e)
            return
        except ControllerFailure as e:
            with self._lock:
                self._failed_polls += 1
                if self._failed_polls >= FAILED_POLLS_BEFORE_LINK_LOST:
                    self._lose_link(str(e))
                elif self._failed_polls == 1:
                    log.warning('poll failed (will retry): %s', e)
            return
        except Exception as e:  # pylint: disable=broad-except
            self._unexpected(e)
            return
        with self._lock:
            self._failed_polls = 0
            self._take(snapshot)
            self._publish()

    def _take(self, snapshot):
        """Accepts a new snapshot: notes errors, faults and lost references. Lock held."""
        previous = self._snapshot
        if snapshot.error is not None:
            self._record_error(snapshot.error)
        if previous is not None and previous.referenced and not snapshot.referenced and not snapshot.referencing:
            log.error('controller lost its reference (power cycle?): run `focus home`')
        if previous is not None and previous.servo and not snapshot.servo and snapshot.referenced:
            self._fault = 'servo switched off by the controller (following error?): run `focus home`'
            log.error(self._fault)
        if self._fast_poll_from is not None and (self._at_rest(snapshot) or
                                                 time.monotonic() > self._fast_poll_from + FAST_POLL_WINDOW):
            self._fast_poll_from = None
        self._snapshot = snapshot
        self._polls += 1
        self._updated.notify_all()

    @staticmethod
    def _at_rest(snapshot):
        """Settled on target, or stopped for good because the servo is off."""
        return not (snapshot.moving or snapshot.referencing) and (snapshot.on_target or not snapshot.servo)

    def _record_error(self, error):
        """Keeps a controller error (code and text in its own command set's terms) for the
        status and the log; one that only confirms our stop is no fault."""
        code, text = error.code, error.text
        if error.stopped_by_command:
            log.info('controller confirmed the stop (error %d)', code)
            return
        self._last_error = {'code': code, 'text': text, 'date': utc_now()}
        log.error('controller error %d: %s', code, text)
        if error.servo_fault:
            self._fault = f'following error ({text}): run `focus home`'

    # ---- connecting, losing and restoring the link (poll thread) -----------------------------

    def _connect_first_time(self):
        with self._lock:
            self._connecting = True
            self._publish()
        try:
            self._open_controller()
        except Exception as e:  # pylint: disable=broad-except
            with self._lock:
                self._connecting = False
                self._disabled_reason = f'initialize failed: {self._explain(e)}'
                log.error(self._disabled_reason, exc_info=not isinstance(e, ControllerFailure))
                self._publish()
            return CommandStatus.Failed
        with self._lock:
            self._connecting = False
            self._wanted = True
            self._disabled_reason = None
            self._publish()
        return CommandStatus.Succeeded

    def _open_controller(self):
        """Connects and takes a first snapshot (the caller holds no lock: this does I/O)."""
        controller = make_controller(self._config)
        info = controller.connect()
        snapshot = controller.poll()
        with self._lock:
            self._controller, self._info = controller, info
            self._link_problem, self._failed_polls, self._fault = None, 0, None
            self._snapshot = None
            self._take(snapshot)
        log.info('connected to %s on %s; %s', info.description, self._config.serial_port,
                 'referenced' if snapshot.referenced else 'not referenced: run `focus home`')

    def _reconnect(self):
        try:
            self._open_controller()
        except Exception as e:  # pylint: disable=broad-except
            with self._lock:
                self._next_retry = time.monotonic() + self._retry_delay()
                reason = self._explain(e)
                if reason != self._link_problem:
                    log.warning('still no controller: %s', reason, exc_info=not isinstance(e, ControllerFailure))
                    self._link_problem = reason
                self._publish()
            return
        log.info('serial link restored')
        with self._lock:
            self._publish()

    def _retry_delay(self):
        return max(1.0, self._config.idle_loop_delay)

    def _lose_link(self, reason):
        """Closes the port after a failure and schedules reconnection. Lock held."""
        self._close_controller()
        self._fast_poll_from = None
        self._link_problem = reason
        self._next_retry = time.monotonic() + self._retry_delay()
        log.error('lost the serial link: %s; retrying every %.0f s', reason, self._retry_delay())
        self._updated.notify_all()
        self._publish()

    def _close_controller(self):
        if self._controller is not None:
            self._controller.close()
            self._controller = None

    def _disconnect(self):
        with self._lock:
            self._close_controller()
            self._wanted = False
            self._link_problem = None
            self._disabled_reason = 'shut down: run `focus init`'
            self._updated.notify_all()
            self._publish()
        return CommandStatus.Succeeded

    def _explain(self, error):
        """One line for the status and the log on why the controller could not be used."""
        if not isinstance(error, ControllerFailure):
            return f'{self._config.serial_port}: unexpected {type(error).__name__}: {error}'
        if isinstance(error, NoReply):
            return (f'no reply from a controller on {self._config.serial_port} at {self._config.serial_baud} baud '
                    f'(powered? cable? baud rate DIP switches?): {error}')
        if isinstance(error, NotSupported):
            return str(error)
        return f'{self._config.serial_port}: {error}'

    def _start_motion(self, stops, start):
        """Starts a motion with start(controller) in the poll thread, unless a stop came since
        the caller read the stop count `stops`: a stop is never lost to a motion that was still
        waiting in the queue (it returns Stopped, and nothing is sent).

        A stop that arrives while start() is on the wire may reach the controller ahead of the
        motion command, which would then run: so if the count changed meanwhile, the stop is
        sent once more, after it. (A stop counted later writes its byte later still.)
        """
        with self._lock:
            controller = self._controller
            if controller is None:
                return CommandStatus.CommunicationError
            if self._stops != stops:
                log.info('motion not started: a stop came first')
                return CommandStatus.Stopped
        start(controller)
        with self._lock:
            overtaken = self._stops != stops
        if overtaken:
            controller.stop()
            with self._lock:
                self._fast_poll_from = time.monotonic()
            log.info('stop sent again: it crossed the start of the motion')
        return CommandStatus.Succeeded

    def _start_move(self, controller, target):
        with self._lock:
            distance_from = self._snapshot.position
        controller.move_to(target)
        end = time.monotonic() + controller.expected_motion_time(distance_from, target)
        with self._lock:
            self._fast_poll_from = end
            self._snapshot = replace(self._snapshot, target=target, moving=True, on_target=False)
            self._publish()

    def _start_reference_run(self, controller):
        controller.home()
        with self._lock:
            self._fault = None
            self._snapshot = replace(self._snapshot, referencing=True, referenced=False)
            self._publish()

    # ---- what users see ---------------------------------------------------------------------

    def _derive_status(self):
        """The state machine, read off the facts. Lock held. Returns (status, message)."""
        if self._connecting:
            return FocuserStatus.Initializing, f'connecting to {self._config.serial_port}'
        if not self._wanted:
            return FocuserStatus.Disabled, self._disabled_reason or 'not initialized: run `focus init`'
        if self._controller is None:
            return FocuserStatus.Error, f'serial link lost ({self._link_problem}); retrying'
        snapshot = self._snapshot
        if snapshot.referencing or self._activity == 'homing':
            return FocuserStatus.Homing, 'reference run in progress'
        if snapshot.moving or self._activity == 'moving':
            return FocuserStatus.Moving, ''
        if self._fault:
            return FocuserStatus.Error, self._fault
        if not snapshot.referenced:
            return FocuserStatus.NotHomed, 'not homed: run `focus home`'
        return FocuserStatus.Idle, ''

    def _publish(self):
        """Rebuilds the cached report and logs a state change once. Lock held."""
        status, message = self._derive_status()
        report = {'status': status, 'status_label': FocuserStatus.label(status), 'message': message}
        if self._controller is not None and self._snapshot is not None:
            snapshot, info = self._snapshot, self._info
            low, high = self._limits()
            report.update({
                'controller': info.description,
                'serial_port': self._config.serial_port,
                'referenced': snapshot.referenced,
                'servo': snapshot.servo,
                'moving': snapshot.moving or snapshot.referencing,
                'min_steps': low,
                'max_steps': high,
                'nominal_steps': self._config.nominal_focus_position,
                'counts_per_unit': info.counts_per_unit,  # Alpaca's StepSize; None: no units known
                'last_error': dict(self._last_error) if self._last_error else None,
            })
            if snapshot.referenced and not snapshot.referencing:
                report['current_steps'] = snapshot.position
                report['target_steps'] = snapshot.target
        self._report = report
        if (status, message) != self._shown:
            self._shown = (status, message)
            log.info('state: %s%s', FocuserStatus.label(status), f' ({message})' if message else '')
            systemd.notify(f'STATUS={FocuserStatus.label(status)} {message}'.strip())

    def _feed_watchdog(self):
        if self._watchdog:
            systemd.notify('WATCHDOG=1')
