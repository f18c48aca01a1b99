# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""A slow observatory log slows nothing else, and loses nothing.

On a telescope, rockit.common.log makes a network call per message. Here a stand-in
rockit.common (testkit/slow_log.py), first on the daemon's import path, takes LOG_CALL seconds
per message and appends each message to a file once its call is done. The daemon under test
runs with it while it initializes, homes, moves and stops: status and stop answer in a fraction
of one log call, and every message arrives, in order. The serial trace goes to the journal only.
"""
import threading
import time

import pytest

from conftest import DAEMON_URI, TEST_DAEMON, wait_until
from rockit.focuser.c863.constants import CommandStatus
from test_daemon import in_background, wait_for_label
from testkit import slow_log

LOG_CALL = 0.5

# What a person reading the observatory log must find, in this order (each a substring).
EXPECTED_IN_ORDER = [
    'initialize() requested', 'initialize: command succeeded',
    'home() requested', 'stop() requested', 'stop sent', 'home: motion was stopped',
    'home() requested', 'reference run succeeded', 'home: command succeeded',
    'move(240000, False) requested', 'stop() requested', 'stop sent', 'move: motion was stopped',
]


@pytest.fixture
def slow_log_daemon(tmp_path, make_simulator, daemon_factory):
    """The daemon with the slow observatory log; yields (daemon, path of the received log)."""
    record = tmp_path / 'observatory.log'
    env = slow_log.install(tmp_path / 'slow_site', TEST_DAEMON, DAEMON_URI, LOG_CALL, record)
    yield daemon_factory(simulator=make_simulator(), env=env, trace_serial=True), record


class StatusTimer:
    """Calls report_status back to back on its own thread and keeps the slowest round trip."""

    def __init__(self, daemon):
        self.slowest = 0.0
        self.calls = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(daemon,), daemon=True)
        self._thread.start()

    def _run(self, daemon):
        with daemon.proxy(timeout=1) as proxy:
            while not self._done.is_set():
                started = time.monotonic()
                proxy.report_status()
                self.slowest = max(self.slowest, time.monotonic() - started)
                self.calls += 1

    def stop(self):
        self._done.set()
        self._thread.join(5)


def timed_stop(daemon):
    started = time.monotonic()
    assert daemon.call('stop') == CommandStatus.Succeeded
    return time.monotonic() - started


def received(record):
    return record.read_text().splitlines() if record.exists() else []


def in_order(lines, expected):
    """True if each expected substring is found in a later line than the one before."""
    remaining = iter(lines)
    return all(any(part in line for line in remaining) for part in expected)


def test_a_slow_observatory_log_delays_no_status_and_no_stop_and_loses_nothing(slow_log_daemon):
    daemon, record = slow_log_daemon
    timer = StatusTimer(daemon)
    assert daemon.call('initialize') == CommandStatus.Succeeded

    thread, result = in_background(daemon.call, 'home')
    daemon.simulator.wait_for(lambda state: state['moving'])
    stop_durations = [timed_stop(daemon)]
    thread.join(15)
    assert result == [CommandStatus.Stopped]

    assert daemon.call('home') == CommandStatus.Succeeded
    thread, result = in_background(daemon.call, 'move', 240000, False)
    daemon.simulator.wait_for(lambda state: state['moving'])
    stop_durations.append(timed_stop(daemon))
    thread.join(15)
    assert result == [CommandStatus.Stopped]
    status = wait_for_label(daemon, 'IDLE')
    assert not daemon.simulator.state()['moving']
    assert status['current_steps'] == status['target_steps'] < 240000
    timer.stop()

    # Had a log call run on any of these paths, it would have taken at least LOG_CALL.
    assert timer.calls > 100
    assert timer.slowest < LOG_CALL / 2, f'report_status took {timer.slowest:.3f} s'
    assert max(stop_durations) < LOG_CALL / 2, f'stop() took {max(stop_durations):.3f} s'

    wait_until(lambda: in_order(received(record), EXPECTED_IN_ORDER), 90,
               'the observatory log to receive every message in order; it has:\n' + '\n'.join(received(record)))
    lines = received(record)
    assert not [line for line in lines if 'dropped' in line]
    assert not [line for line in lines if ' -> ' in line or ' <- ' in line], 'serial trace in the observatory log'
    journal = daemon.wait_for_output("-> b'\\x04'")  # the serial trace goes to the journal only
    assert ' <- ' in journal, 'no replies in the serial trace'
