# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""No stop is lost: a stop that arrives while a move or a reference run waits to start prevents
it, and stops that race a lost link come back as codes, never as exceptions.

The poll thread is held by the simulator's slow replies, so that a motion command waits in the
daemon's queue for as long as the test needs; the simulator's event log then shows whether any
motion command reached the controller.
"""
import time

import pytest

from conftest import wait_until
from rockit.focuser.c863.constants import CommandStatus
from test_daemon import BOTH_PROTOCOLS, in_background, start_long_move, wait_for_label
from testkit.events import motion_commands

# Long enough that a Pyro call or two fit easily in the wait, even on a loaded machine.
HELD_REPLY = 1.5
# How long the stoppers may go on before the daemon reports the pulled cable (it sees it at
# the next write or poll: well under a second unloaded).
STOPPING_TIMEOUT = 20


@BOTH_PROTOCOLS
@pytest.mark.parametrize('command, args, label', [('move', (200000, False), 'MOVING'),
                                                  ('home', (), 'HOMING')], ids=['move', 'home'])
def test_a_stop_while_the_motion_waits_behind_a_poll_prevents_it(start_ready_daemon, command, args, label):
    daemon = start_ready_daemon(serial_timeout=3)
    simulator = daemon.simulator
    start = daemon.status()['current_steps']
    simulator.reply_delay = HELD_REPLY
    seen = len(simulator.events)
    wait_until(lambda: [e for e in simulator.events[seen:] if e[1] == 'command'], 5, 'a poll held by a slow reply')
    thread, result = in_background(daemon.call, command, *args)
    wait_for_label(daemon, label)  # the command was accepted and waits for the poll thread
    assert daemon.call('stop') == CommandStatus.Succeeded
    simulator.reply_delay = 0.0
    thread.join(15)
    assert result == [CommandStatus.Stopped]
    assert motion_commands(simulator, seen) == [], 'the motion started after the stop'
    status = wait_for_label(daemon, 'IDLE')
    assert status['current_steps'] == status['target_steps'] == start


def test_stops_racing_a_lost_link_return_codes_never_exceptions(ready_daemon):
    """Four clients stop again and again while the cable is pulled: every stop returns a code
    (Succeeded before the loss, CommunicationError once it is seen), never an exception."""
    daemon = ready_daemon
    thread, result = start_long_move(daemon)
    answered = []

    def stop_until_the_link_is_lost():
        codes = []
        with daemon.proxy() as proxy:
            deadline = time.monotonic() + STOPPING_TIMEOUT
            while CommandStatus.CommunicationError not in codes and time.monotonic() < deadline:
                codes.append(proxy.stop())
                answered.append(codes[-1])
        return codes
    stoppers = [in_background(stop_until_the_link_is_lost) for _ in range(4)]
    wait_until(lambda: len(answered) >= 8, 10, 'the stoppers to get going')
    daemon.simulator.unplug()
    for stopper, _ in stoppers:
        stopper.join(STOPPING_TIMEOUT + 5)
    for _, outcome in stoppers:
        codes = outcome[0]
        assert isinstance(codes, list), f'a stopper failed: {codes!r}'
        assert set(codes) <= {CommandStatus.Succeeded, CommandStatus.CommunicationError}, codes
        assert codes[-1] == CommandStatus.CommunicationError, f'no stop met the lost link: {codes}'
    thread.join(30)
    assert result in ([CommandStatus.Stopped], [CommandStatus.CommunicationError])
    daemon.simulator.replug()
    status = wait_for_label(daemon, 'IDLE', timeout=15)
    assert status['current_steps'] == status['target_steps']
    assert 'Traceback' not in daemon.output()
