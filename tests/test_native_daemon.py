# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The daemon on a native C-863.10 the way the real unit needs it (doc/mercury-native.md):
moves that end short of their target, the servo tuning after MN, the pause after a motion
command, and no argument longer than the nine digits the controller takes.

Each runs the real c863_focusd on a simulated controller, in both layouts of the native status
report where the behaviour must not depend on it.
"""
import re

import pytest

from conftest import EVERY_CONTROLLER, TEST_BAUD
from rockit.focuser.c863.constants import CommandStatus
from test_daemon import wait_for_label
from testkit.events import commands

NATIVE = pytest.mark.parametrize('protocol', ['native'])
BOTH_LAYOUTS = pytest.mark.parametrize('status_layout', ['six', 'three'])
# The simulated stage's positive limit switch, in the steps of a referenced simulator.
POSITIVE_SWITCH = 250000
DIGITS = re.compile(r'[0-9]+')
# The next write in the serial trace and its time since the write before it (serialline.py).
TRACE_WRITE_GAP = re.compile(r"-> b'%' \(\+([0-9.]+) ms\)")


@NATIVE
@BOTH_LAYOUTS
def test_a_move_stopped_short_by_a_limit_switch_is_a_controller_error(start_ready_daemon):
    """The switch stops the carriage and the controller's own target moves there: the move has
    ended (\\ is 0), but not on its target, and the status says where it stopped and why."""
    daemon = start_ready_daemon(max_position=POSITIVE_SWITCH + 10000)
    assert daemon.call('move', POSITIVE_SWITCH + 5000, False) == CommandStatus.ControllerError
    status = wait_for_label(daemon, 'IDLE')
    assert status['current_steps'] == POSITIVE_SWITCH
    assert status['last_error']['code'] is None
    assert status['last_error']['text'] == (f'at rest at {POSITIVE_SWITCH} steps, -5000 from the target '
                                            f'{POSITIVE_SWITCH + 5000} on the positive limit switch')
    daemon.wait_for_output('move ended short of its target')
    assert daemon.call('move', 100000, False) == CommandStatus.Succeeded, 'the next move is not hindered'


@NATIVE
def test_the_configured_tuning_follows_mn_before_the_reference_run(daemon_factory, simulator):
    """Power-up restores the default gains: the telescope's DP350 goes out after every MN, and
    GP shows what the controller took; DI has no report to read back."""
    daemon = daemon_factory(simulator=simulator, servo_tuning=['DP350', 'DI10'])
    assert daemon.call('initialize') == CommandStatus.Succeeded
    assert daemon.call('home') == CommandStatus.Succeeded
    sent = [command for command in commands(simulator) if command[:2] in ('MN', 'DP', 'DI', 'GP', 'DH', 'FE')]
    assert sent[:6] == ['MN', 'DP350', 'GP', 'DI10', 'DH-900000000', 'FE2']
    daemon.wait_for_output('servo tuning: DP350 sent, GP reports 350')
    daemon.wait_for_output('servo tuning: DI10 sent (the controller cannot report it back)')


@EVERY_CONTROLLER
def test_no_command_carries_more_than_nine_digits(start_ready_daemon):
    """MS176E p. 18: an argument has at most nine digits. Home (with its marker count), moves to
    both limits and a stop, then every command the controller received is checked."""
    daemon = start_ready_daemon()
    simulator = daemon.simulator
    assert daemon.call('home') == CommandStatus.Succeeded
    for target in (0, 250000, 125000):
        assert daemon.call('move', target, False) == CommandStatus.Succeeded
    assert daemon.call('stop') == CommandStatus.Succeeded
    sent = commands(simulator)
    assert sent, 'the controller received commands'
    longest = max((len(digits) for command in sent for digits in DIGITS.findall(command)), default=0)
    assert longest <= 9, [command for command in sent if any(len(d) > 9 for d in DIGITS.findall(command))]
    if simulator.protocol == 'native':
        assert 'DH-900000000' in sent, 'the marker count of a native reference run'


@NATIVE
def test_the_byte_after_a_motion_command_waits_for_the_pause(start_ready_daemon):
    """EPICS: a C-862 drops characters sent at once after a move command (they waited 17 ms).
    The daemon's own serial trace (times from its clock) shows the status read after MA going
    out motion_pause after MA has left the wire. (The simulator cannot show it: a loaded machine
    may hand it both in one read, which its wire model then places back to back.)"""
    daemon = start_ready_daemon(motion_pause=0.05, trace_serial=True)
    assert daemon.call('move', 120000, False) == CommandStatus.Succeeded
    output = daemon.wait_for_output('move: command succeeded')  # logged after the exchanges it made
    after_motion = output[output.index("-> b'MA120000\\r'"):]
    gap = float(TRACE_WRITE_GAP.search(after_motion, after_motion.index('\n')).group(1))
    wire = len(b'MA120000\r') * 10 / TEST_BAUD * 1000
    assert gap >= 50 + wire, after_motion[:400]
