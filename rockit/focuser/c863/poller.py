# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The poll thread: the one owner of the controller.

It connects, polls at the idle or moving rate (fast around a move's predicted end), loses and
restores the link, and runs the work the daemon's commands hand it through a queue (connect,
start a motion, disconnect), so that no two threads ever exchange bytes with the controller.
The one exception is a stop, which the daemon writes itself (see daemon.py). Every failure
becomes a state and a code here, never an exception that could end the thread.
"""
import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import replace

from . import systemd
from .constants import CommandStatus
from .controller import make_controller
from .errors import ControllerError, ControllerFailure, LinkLost, NoReply, NotSupported

log = logging.getLogger('c863_focusd')

# Consecutive failed polls (timeouts, garbled replies) before the link is declared lost.
FAILED_POLLS_BEFORE_LINK_LOST = 3
# Near the predicted end of a move, poll back to back (one status exchange).
FAST_POLL_DELAY = 0.005


class Poller:
    """Runs the poll thread over a FocuserState. start(), then run_in_thread() work, close()."""

    def __init__(self, state):
        self._state = state
        self._config = state.config
        self._requests = queue.Queue()
        self._closing = threading.Event()
        self._failed_polls = 0
        self._retry_at_once = False  # the last poll went unanswered for the first time
        self._watchdog = systemd.watchdog_interval()
        self._thread = threading.Thread(target=self._run, name='poll', daemon=True)

    def start(self):
        self._thread.start()

    def close(self):
        """Ends the thread (waiting at most for one exchange's timeouts) and closes the port."""
        self._closing.set()
        self.wake()
        self._thread.join(timeout=self._config.serial_timeout * 2 + 1)
        with self._state.lock:
            self._state.close_controller()

    def wake(self):
        """Polls at once (after a stop, to see the axis come to rest quickly)."""
        self._requests.put(None)

    def run_in_thread(self, action):
        """Runs action in the poll thread and returns its result (a CommandStatus)."""
        future = Future()
        self._requests.put((action, future))
        return future.result()

    # ---- the loop ----------------------------------------------------------------------------

    def _run(self):
        state = self._state
        while not self._closing.is_set():
            if self._watchdog:
                systemd.notify('WATCHDOG=1')
            request = self._next_request(self._poll_delay())
            if request is not None:
                action, future = request
                future.set_result(self._guarded(action))
            with state.lock:
                controller, wanted = state.controller, state.wanted
            if controller is not None:
                self._poll(controller)
            elif wanted and time.monotonic() >= state.next_retry:
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
            with self._state.lock:
                self._lose_link(str(e))
            return CommandStatus.CommunicationError
        except Exception as e:
            self._unexpected(e)
            return CommandStatus.Failed

    def _show_error(self, error):
        with self._state.lock:
            self._state.record_error(error)
            self._state.publish()

    def _unexpected(self, error):
        """A failure that is not the protocol's (a bug, or a device answering absurd values):
        logged with its traceback, and handled like a lost link, so the poll thread lives on
        and the daemon reconnects afresh."""
        log.exception('unexpected %s in the poll thread: %s', type(error).__name__, error)
        with self._state.lock:
            if self._state.controller is not None:
                self._lose_link(f'unexpected {type(error).__name__}: {error}')

    def _poll_delay(self):
        """Seconds until the next poll: idle rate, moving rate, or fast around a move's end."""
        state = self._state
        with state.lock:
            now = time.monotonic()
            if state.controller is not None and self._retry_at_once:
                # A reply lost once (EPICS: a C-862 may drop characters) is asked for again at
                # once, not a poll period later; the silence already took serial_timeout.
                delay = 0.0
            elif state.controller is None:
                delay = max(0.0, state.next_retry - now) if state.wanted else 3600.0
            elif state.activity or state.snapshot.moving or state.snapshot.referencing:
                delay = self._config.moving_loop_delay
                if state.fast_poll_from is not None:
                    until_end = state.fast_poll_from - now
                    delay = min(delay, until_end) if until_end > 0 else FAST_POLL_DELAY
            else:
                delay = self._config.idle_loop_delay
        if self._watchdog:
            delay = min(delay, self._watchdog)
        return delay

    def _poll(self, controller):
        state = self._state
        with state.lock:
            track_position = not state.fast_polling()
        try:
            snapshot = controller.poll(track_position)
        except LinkLost as e:
            with state.lock:
                self._lose_link(str(e))
            return
        except ControllerError as e:
            # A query went unanswered and the error register then held an error: the link
            # works and the error is news (it may be one raised while the controller was silent).
            self._show_error(e)
            return
        except ControllerFailure as e:
            with state.lock:
                self._failed_polls += 1
                self._retry_at_once = isinstance(e, NoReply) and self._failed_polls == 1
                if self._failed_polls >= FAILED_POLLS_BEFORE_LINK_LOST:
                    self._lose_link(str(e))
                elif self._failed_polls == 1:
                    log.warning('poll failed (will retry%s): %s', ' at once' if self._retry_at_once else '', e)
            return
        except Exception as e:
            self._unexpected(e)
            return
        with state.lock:
            self._failed_polls, self._retry_at_once = 0, False
            state.take(snapshot)
            state.publish()

    # ---- connecting, losing and restoring the link -------------------------------------------

    def connect_first_time(self):
        """initialize(): connects, or says in the status why it could not."""
        state = self._state
        with state.lock:
            state.connecting = True
            state.publish()
        try:
            self._open_controller()
        except Exception as e:
            with state.lock:
                state.connecting = False
                state.disabled_reason = f'initialize failed: {self._explain(e)}'
                log.error(state.disabled_reason, exc_info=not isinstance(e, ControllerFailure))
                state.publish()
            return CommandStatus.Failed
        with state.lock:
            state.connecting = False
            state.wanted = True
            state.disabled_reason = None
            state.publish()
        return CommandStatus.Succeeded

    def _open_controller(self):
        """Connects and takes a first snapshot (no lock held: this does I/O)."""
        controller = make_controller(self._config)
        info = controller.connect()
        snapshot = controller.poll()
        state = self._state
        with state.lock:
            state.controller, state.info = controller, info
            state.link_problem, state.fault = None, None
            self._failed_polls, self._retry_at_once = 0, False
            state.snapshot = None
            state.take(snapshot)
        log.info('connected to %s on %s; %s', info.description, self._config.serial_port,
                 'referenced' if snapshot.referenced else 'not referenced: run `focus home`')

    def _reconnect(self):
        state = self._state
        try:
            self._open_controller()
        except Exception as e:
            with state.lock:
                state.next_retry = time.monotonic() + self._retry_delay()
                reason = self._explain(e)
                if reason != state.link_problem:
                    log.warning('still no controller: %s', reason, exc_info=not isinstance(e, ControllerFailure))
                    state.link_problem = reason
                state.publish()
            return
        log.info('serial link restored')
        with state.lock:
            state.publish()

    def _retry_delay(self):
        return max(1.0, self._config.idle_loop_delay)

    def _lose_link(self, reason):
        """Closes the port after a failure and schedules reconnection. Lock held."""
        state = self._state
        state.close_controller()
        state.fast_poll_from = None
        state.link_problem = reason
        state.next_retry = time.monotonic() + self._retry_delay()
        log.error('lost the serial link: %s; retrying every %.0f s', reason, self._retry_delay())
        state.updated.notify_all()
        state.publish()

    def disconnect(self):
        """shutdown(): closes the port and stops retrying."""
        state = self._state
        with state.lock:
            state.close_controller()
            state.wanted = False
            state.link_problem = None
            state.disabled_reason = 'shut down: run `focus init`'
            state.updated.notify_all()
            state.publish()
        return CommandStatus.Succeeded

    def _explain(self, error):
        """One line for the status and the log on why the controller could not be used."""
        port, baud = self._config.serial_port, self._config.serial_baud
        if not isinstance(error, ControllerFailure):
            return f'{port}: unexpected {type(error).__name__}: {error}'
        if isinstance(error, NoReply):
            return (f'no reply from a controller on {port} at {baud} baud '
                    f'(powered? cable? baud rate DIP switches?): {error}')
        if isinstance(error, NotSupported):
            return str(error)
        if isinstance(error, LinkLost):
            return str(error)  # names the port: 'serial port /dev/focuser: <reason>'
        return f'{port}: {error}'

    # ---- starting motions --------------------------------------------------------------------

    def start_motion(self, stops, start):
        """Starts a motion with start(controller), unless a stop came since the caller read
        the stop count `stops`: a stop is never lost to a motion that was still waiting in the
        queue (it returns Stopped, and nothing is sent).

        A stop that arrives while start() is on the wire may reach the controller ahead of the
        motion command, which would then run: so if the count changed meanwhile, the stop is
        sent once more, after it. (A stop counted later writes its byte later still.)
        """
        state = self._state
        with state.lock:
            controller = state.controller
            if controller is None:
                return CommandStatus.CommunicationError
            if state.stops != stops:
                log.info('motion not started: a stop came first')
                return CommandStatus.Stopped
        start(controller)
        with state.lock:
            overtaken = state.stops != stops
        if overtaken:
            controller.stop()
            with state.lock:
                state.fast_poll_from = time.monotonic()
            log.info('stop sent again: it crossed the start of the motion')
        return CommandStatus.Succeeded

    def start_move(self, controller, target):
        state = self._state
        with state.lock:
            distance_from = state.snapshot.position
        # The move starts when its command arrives, not when move_to() has also read back the
        # controller's verdict (ERR?, TS after a pause): the end is predicted from before it.
        sent = time.monotonic()
        controller.move_to(target)
        end = sent + controller.expected_motion_time(distance_from, target)
        with state.lock:
            state.fast_poll_from = end
            state.snapshot = replace(state.snapshot, target=target, moving=True, on_target=False)
            state.publish()

    def start_reference_run(self, controller):
        controller.home()
        state = self._state
        with state.lock:
            state.fault = None
            state.snapshot = replace(state.snapshot, referencing=True, referenced=False)
            state.publish()
