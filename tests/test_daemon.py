# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""End-to-end tests of c863_focusd: the real daemon process, real Pyro sockets, and a simulated
C-863 on a real pseudo-terminal. Each test checks what a user or telescope script would see.
"""
import re
import socket
import subprocess
import sys
import threading

import Pyro4.errors
import pytest

from alpaca_support import ALPACA
from alpaca_support import error as alpaca_error
from alpaca_support import put as alpaca_put
from conftest import DAEMON_SCRIPT, DAEMON_URI, EVERY_CONTROLLER, ROOT, script_env, wait_until
from rockit.focuser.c863.constants import CommandStatus, FocuserStatus
from testkit.events import motion_commands

STEPS_PER_MM = 10000
# The representative tests that also run against a C-863.10 speaking native Mercury commands.
BOTH_PROTOCOLS = pytest.mark.parametrize('protocol', ['gcs', 'native'])


def in_background(function, *args):
    """Runs a blocking daemon call in a thread; returns (thread, result list)."""
    result = []

    def run():
        try:
            result.append(function(*args))
        except Exception as e:
            result.append(e)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def start_long_move(daemon, past_mm=None):
    """Starts a move to 240000 steps in the background; returns once the axis is moving
    (and past past_mm, if given)."""
    thread, result = in_background(daemon.call, 'move', 240000, False)
    daemon.simulator.wait_for(lambda s: s['moving'] and (past_mm is None or s['position'] > past_mm))
    return thread, result


def wait_for_label(daemon, label, timeout=10.0):
    return daemon.wait_for_status(lambda r: r['status_label'] == label, timeout, f'status {label}')


# ---- before initialize ---------------------------------------------------------------------

def test_status_before_initialize_is_offline_with_a_hint(daemon):
    status = daemon.status()
    assert status['status'] == FocuserStatus.Disabled
    assert status['status_label'] == 'OFFLINE'
    assert 'focus init' in status['message']
    assert re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', status['date'])
    assert 'current_steps' not in status


@pytest.mark.parametrize('method', ['move', 'home', 'stop', 'shutdown'])
def test_commands_before_initialize_are_not_connected(daemon, method):
    args = (1000,) if method == 'move' else ()
    assert daemon.call(method, *args) == CommandStatus.NotConnected
    assert daemon.status()['status_label'] == 'OFFLINE'


# ---- initialize ----------------------------------------------------------------------------

@BOTH_PROTOCOLS
def test_initialize_identifies_and_never_moves(daemon, simulator, protocol):
    assert daemon.call('initialize') == CommandStatus.Succeeded
    status = wait_for_label(daemon, 'NOT HOMED')
    assert status['controller'].startswith({'gcs': 'C-863.12 s/n', 'native': 'C-863 firmware 1.09'}[protocol])
    assert status['referenced'] is False
    # A native controller's motor stays off until `home`: "on" is how a restarted daemon
    # recognises a controller it referenced (see NativeController).
    assert status['servo'] is (protocol == 'gcs')
    assert 'focus home' in status['message']
    assert 'current_steps' not in status, 'an unreferenced position must not be reported as valid'
    assert (status['min_steps'], status['max_steps']) == (0, 250000)
    assert motion_commands(simulator) == []
    assert not simulator.state()['moving']


def test_initialize_twice_is_not_disconnected(initialized_daemon):
    assert initialized_daemon.call('initialize') == CommandStatus.NotDisconnected


def test_initialize_refuses_a_device_that_is_not_a_c863(daemon_factory, make_simulator):
    daemon = daemon_factory(simulator=make_simulator(model='E-861'))
    assert daemon.call('initialize') == CommandStatus.Failed
    status = daemon.status()
    assert status['status_label'] == 'OFFLINE'
    assert 'not a GCS C-863' in status['message'] and 'E-861' in status['message']


@pytest.mark.parametrize('protocol', ['native'])
def test_a_native_controller_naming_another_model_is_driven_with_a_warning(daemon_factory, make_simulator):
    """The native set has no identification beyond VE's text: a board that answers TB and VE in
    native commands is driven, and the log says what VE named."""
    daemon = daemon_factory(simulator=make_simulator(model='C-663'))
    assert daemon.call('initialize') == CommandStatus.Succeeded
    assert daemon.status()['controller'] == 'C-663 firmware 1.09 (native Mercury commands)'
    daemon.wait_for_output('which names no C-863: driving it as one')


def test_initialize_without_a_device_fails_with_the_reason(daemon_factory, tmp_path):
    daemon = daemon_factory(serial_port=str(tmp_path / 'nothing-here'))
    assert daemon.call('initialize') == CommandStatus.Failed
    assert 'nothing-here' in daemon.status()['message']


@BOTH_PROTOCOLS
def test_daemon_restart_on_a_referenced_controller_does_not_rehome(ready_daemon):
    status = ready_daemon.status()
    assert status['status_label'] == 'IDLE'
    assert status['current_steps'] == status['target_steps'] == 125000
    assert motion_commands(ready_daemon.simulator) == []


# ---- homing --------------------------------------------------------------------------------

@EVERY_CONTROLLER
def test_home_references_then_moves_to_nominal(initialized_daemon, simulator):
    seen = []
    thread, result = in_background(initialized_daemon.call, 'home')
    seen.append(wait_for_label(initialized_daemon, 'HOMING')['status'])
    thread.join(30)
    assert result == [CommandStatus.Succeeded]
    status = initialized_daemon.status()
    assert seen == [FocuserStatus.Homing]
    assert status['status_label'] == 'IDLE' and status['referenced'] is True
    assert status['current_steps'] == status['target_steps'] == 100000
    assert simulator.state()['position'] == pytest.approx(10.0, abs=1e-3)
    assert any(e[1] == 'reference_done' for e in simulator.events)


@EVERY_CONTROLLER
def test_stop_during_home_reports_stopped_and_not_homed(initialized_daemon, simulator):
    thread, result = in_background(initialized_daemon.call, 'home')
    wait_for_label(initialized_daemon, 'HOMING')
    simulator.wait_for(lambda s: s['referencing'])
    assert initialized_daemon.call('stop') == CommandStatus.Succeeded
    thread.join(10)
    assert result == [CommandStatus.Stopped]
    status = wait_for_label(initialized_daemon, 'NOT HOMED')
    assert status['referenced'] is False
    assert not simulator.state()['referencing']
    assert initialized_daemon.call('move', 1000) == CommandStatus.NotHomed


@BOTH_PROTOCOLS
def test_home_timeout_stops_the_reference_run(daemon_factory, simulator):
    daemon = daemon_factory(home_timeout=0.3)
    assert daemon.call('initialize') == 0
    assert daemon.call('home') == CommandStatus.Timeout
    assert not simulator.state()['referencing']
    assert any(e[1] == 'stop' for e in simulator.events)


@EVERY_CONTROLLER
def test_unreferenced_controller_refuses_moves_until_homed(initialized_daemon, simulator):
    assert initialized_daemon.call('move', 1000) == CommandStatus.NotHomed
    assert initialized_daemon.call('move', 1000, False) == CommandStatus.NotHomed
    assert motion_commands(simulator) == []
    assert initialized_daemon.call('home') == CommandStatus.Succeeded
    assert initialized_daemon.call('move', 1000) == CommandStatus.Succeeded


# ---- moves ---------------------------------------------------------------------------------

@EVERY_CONTROLLER
def test_absolute_and_relative_moves(ready_daemon):
    simulator = ready_daemon.simulator
    assert ready_daemon.call('move', 120000, False) == CommandStatus.Succeeded
    status = ready_daemon.status()
    assert status['current_steps'] == status['target_steps'] == 120000
    assert ready_daemon.call('move', -5000) == CommandStatus.Succeeded
    assert ready_daemon.status()['target_steps'] == 115000
    assert ready_daemon.call('move', 123457, False) == CommandStatus.Succeeded
    assert ready_daemon.status()['target_steps'] == 123457, 'target_steps is what was asked'
    assert simulator.state()['position'] == pytest.approx(12.3457, abs=2e-4)


def test_moving_state_is_reported_during_a_move(ready_daemon):
    thread, result = in_background(ready_daemon.call, 'move', 240000, False)
    status = wait_for_label(ready_daemon, 'MOVING')
    assert status['moving'] is True and status['target_steps'] == 240000
    assert 125000 <= status['current_steps'] <= 240000
    thread.join(10)
    assert result == [CommandStatus.Succeeded]


@pytest.mark.parametrize('target', [-1, 250001, 10 ** 9])
def test_targets_outside_the_controller_range_are_refused(idle_daemon, target):
    assert idle_daemon.call('move', target, False) == CommandStatus.PositionOutsideLimits
    assert motion_commands(idle_daemon.simulator, idle_daemon.events_before) == []


@BOTH_PROTOCOLS
def test_limits_are_the_intersection_of_config_and_controller(start_ready_daemon, protocol):
    daemon = start_ready_daemon(min_position=50000, max_position=200000, nominal_focus_position=100000)
    status = daemon.status()
    assert (status['min_steps'], status['max_steps']) == (50000, 200000)
    assert daemon.call('move', 200001, False) == CommandStatus.PositionOutsideLimits
    assert daemon.call('move', -75001) == CommandStatus.PositionOutsideLimits
    assert daemon.call('move', 200000, False) == CommandStatus.Succeeded
    assert motion_commands(daemon.simulator) == {'gcs': ['MOV 1 20.0'], 'native': ['MA200000']}[protocol]


BAD_STEPS = ['1000', 1.5, 1000.0, None, True, False, 2 ** 40, -2 ** 40, float('nan'), float('inf'),
             [1000], {'steps': 1000}]


@pytest.mark.parametrize('steps', BAD_STEPS, ids=repr)
def test_bad_move_arguments_are_invalid_and_change_nothing(idle_daemon, steps):
    assert idle_daemon.call('move', steps) == CommandStatus.InvalidArgument
    assert idle_daemon.call('move', steps, False) == CommandStatus.InvalidArgument
    assert motion_commands(idle_daemon.simulator, idle_daemon.events_before) == []
    assert idle_daemon.status()['status_label'] == 'IDLE'


@pytest.mark.parametrize('relative', ['yes', 1, None, 0.0])
def test_bad_relative_flag_is_invalid(idle_daemon, relative):
    assert idle_daemon.call('move', 1000, relative) == CommandStatus.InvalidArgument
    assert motion_commands(idle_daemon.simulator, idle_daemon.events_before) == []


def test_daemon_stays_healthy_after_bad_arguments(ready_daemon):
    for steps in BAD_STEPS:
        ready_daemon.call('move', steps)
    assert ready_daemon.call('move', 1000) == CommandStatus.Succeeded
    assert ready_daemon.status()['current_steps'] == 126000


def test_second_motion_command_is_blocked(ready_daemon):
    thread, result = in_background(ready_daemon.call, 'move', 240000, False)
    wait_for_label(ready_daemon, 'MOVING')
    assert ready_daemon.call('move', 1000) == CommandStatus.Blocked
    assert ready_daemon.call('home') == CommandStatus.Blocked
    assert ready_daemon.call('initialize') == CommandStatus.Blocked
    thread.join(10)
    assert result == [CommandStatus.Succeeded]
    assert ready_daemon.status()['target_steps'] == 240000


# ---- stop and timeouts ---------------------------------------------------------------------

@EVERY_CONTROLLER
def test_stop_during_move_reports_stopped_and_target_is_where_it_stopped(ready_daemon):
    simulator = ready_daemon.simulator
    thread, result = start_long_move(ready_daemon, past_mm=14)
    assert ready_daemon.call('stop') == CommandStatus.Succeeded
    thread.join(10)
    assert result == [CommandStatus.Stopped]
    status = wait_for_label(ready_daemon, 'IDLE')
    state = simulator.state()
    assert not state['moving']
    assert status['target_steps'] == status['current_steps'] == round(state['position'] * STEPS_PER_MM)
    assert 140000 < status['current_steps'] < 240000
    assert status['last_error'] is None, 'our own stop is not a controller fault'


def test_the_stop_log_reads_request_then_sent_then_where_the_axis_rested(ready_daemon):
    thread, _ = start_long_move(ready_daemon, past_mm=14)
    assert ready_daemon.call('stop') == CommandStatus.Succeeded
    thread.join(10)
    rested = wait_for_label(ready_daemon, 'IDLE')['current_steps']
    output = ready_daemon.wait_for_output('stop: axis at rest at')
    lines = output[output.index('stop() requested by'):].splitlines()
    assert 'stop sent (stop requested)' in lines[1], lines
    assert any(f'stop: axis at rest at {rested} steps' in line for line in lines), lines


@BOTH_PROTOCOLS
def test_stop_in_the_first_milliseconds_of_a_move_is_stopped(daemon_factory, make_simulator):
    """At 9600 baud the stop byte can reach the controller before the daemon's ERR? check of
    its MOV: that error 10 is our own stop, not a refused move."""
    daemon = daemon_factory(simulator=make_simulator(referenced=True, baud=9600), serial_baud=9600)
    assert daemon.call('initialize') == CommandStatus.Succeeded
    for target in (240000, 20000, 240000):
        thread, result = in_background(daemon.call, 'move', target, False)
        daemon.simulator.wait_for(lambda s: s['moving'])
        assert daemon.call('stop') == CommandStatus.Succeeded
        thread.join(10)
        assert result == [CommandStatus.Stopped]
        status = wait_for_label(daemon, 'IDLE')
        assert status['target_steps'] == status['current_steps']
        assert status['last_error'] is None


@EVERY_CONTROLLER
def test_offset_after_a_stop_counts_from_where_the_axis_stopped(ready_daemon):
    thread, _ = start_long_move(ready_daemon, past_mm=14)
    ready_daemon.call('stop')
    thread.join(10)
    stopped_at = wait_for_label(ready_daemon, 'IDLE')['current_steps']
    assert ready_daemon.call('move', 1000) == CommandStatus.Succeeded
    status = ready_daemon.status()
    assert status['target_steps'] == status['current_steps'] == stopped_at + 1000


def test_stop_when_idle_succeeds_and_does_not_move(ready_daemon):
    assert ready_daemon.call('stop') == CommandStatus.Succeeded
    status = wait_for_label(ready_daemon, 'IDLE')
    assert status['current_steps'] == 125000
    assert status['last_error'] is None


@BOTH_PROTOCOLS
def test_move_timeout_halts_the_axis(start_ready_daemon):
    daemon = start_ready_daemon(move_timeout=0.3)
    assert daemon.call('move', 240000, False) == CommandStatus.Timeout
    state = daemon.simulator.state()
    assert not state['moving'], 'a timed-out move must not be left running'
    assert state['position'] < 20
    status = wait_for_label(daemon, 'IDLE')
    assert status['target_steps'] == status['current_steps']


# ---- access control ------------------------------------------------------------------------

@pytest.mark.parametrize('method,args', [('initialize', ()), ('move', (1000,)), ('home', ()),
                                         ('stop', ()), ('shutdown', ())])
def test_control_from_outside_control_machines_is_refused(daemon_factory, method, args):
    daemon = daemon_factory(control_machines=['OneMetreTCS'])
    assert daemon.call(method, *args) == CommandStatus.InvalidControlIP
    assert motion_commands(daemon.simulator) == []
    assert daemon.status()['status_label'] == 'OFFLINE'


def test_a_refusal_to_a_machine_outside_control_machines_says_only_that(daemon_factory):
    """Not `focus init`: that machine may not run it either (the offline daemon's own advice)."""
    daemon = daemon_factory(control_machines=['OneMetreTCS'], **ALPACA)
    number, message = alpaca_error(alpaca_put('connected', Connected='true'))
    assert number == 0x500 + CommandStatus.InvalidControlIP
    assert message.startswith('not a control machine') and 'focus init' not in message
    assert daemon.status()['status_label'] == 'OFFLINE'


def test_status_is_open_to_everyone(daemon_factory):
    daemon = daemon_factory(control_machines=['10.2.6.201'])
    assert daemon.status()['status_label'] == 'OFFLINE'
    assert daemon.call('initialize') == CommandStatus.InvalidControlIP


def test_only_exposed_methods_are_callable(idle_daemon):
    with idle_daemon.proxy() as proxy:
        with pytest.raises(AttributeError):
            proxy._move(1000, True)
        with pytest.raises((AttributeError, Pyro4.errors.PyroError)):
            proxy._stop_motion('x')


# ---- shutdown ------------------------------------------------------------------------------

def test_shutdown_closes_the_port_and_stop_is_then_not_connected(ready_daemon):
    assert ready_daemon.call('shutdown') == CommandStatus.Succeeded
    status = ready_daemon.status()
    assert status['status_label'] == 'OFFLINE'
    assert 'current_steps' not in status
    assert ready_daemon.call('shutdown') == CommandStatus.NotConnected
    assert ready_daemon.call('stop') == CommandStatus.NotConnected
    assert ready_daemon.call('initialize') == CommandStatus.Succeeded
    assert wait_for_label(ready_daemon, 'IDLE')['current_steps'] == 125000


def test_shutdown_during_a_move_stops_the_axis(ready_daemon):
    simulator = ready_daemon.simulator
    thread, result = start_long_move(ready_daemon)
    assert ready_daemon.call('shutdown') == CommandStatus.Succeeded
    thread.join(10)
    assert result == [CommandStatus.Stopped]
    assert not simulator.wait_for(lambda s: not s['moving'], 2)['moving']


def test_daemon_exit_stops_a_moving_axis(ready_daemon):
    simulator = ready_daemon.simulator
    thread, result = start_long_move(ready_daemon)
    ready_daemon.stop()
    state = simulator.wait_for(lambda s: not s['moving'], 2)
    assert state['position'] < 23
    thread.join(5)
    assert result[0] == CommandStatus.Stopped or isinstance(result[0], Pyro4.errors.ConnectionClosedError)
    ready_daemon.wait_for_output('exiting on signal')


def test_bad_config_exits_78_with_one_line(tmp_path):
    bad = tmp_path / 'bad.json'
    bad.write_text('{"daemon": "localhost_test"}')
    result = subprocess.run([sys.executable, str(DAEMON_SCRIPT), str(bad)], capture_output=True,
                            text=True, env=script_env(), timeout=30, check=False)
    assert result.returncode == 78
    assert result.stderr.count('\n') == 1 and str(bad) in result.stderr and 'missing' in result.stderr


# ---- faults and recovery -------------------------------------------------------------------

@BOTH_PROTOCOLS
def test_unplug_and_replug_while_idle_recovers_without_rehoming(ready_daemon):
    simulator = ready_daemon.simulator
    simulator.unplug()
    status = wait_for_label(ready_daemon, 'ERROR')
    assert 'serial link lost' in status['message']
    assert 'current_steps' not in status
    assert ready_daemon.call('move', 1000) == CommandStatus.CommunicationError
    simulator.replug()
    status = wait_for_label(ready_daemon, 'IDLE', timeout=15)
    assert status['current_steps'] == 125000
    assert motion_commands(simulator) == []
    assert ready_daemon.wait_for_output('lost the serial link').count('lost the serial link') == 1


@pytest.mark.parametrize('protocol, status_layout, label', [
    ('gcs', 'six', 'IDLE'), ('native', 'six', 'IDLE'), ('native', 'three', 'NOT HOMED')],
    ids=['gcs', 'native', 'native-three-byte'])
def test_unplug_during_a_move_reports_communication_error(ready_daemon, label):
    """Replugged, the controller is trusted to be still referenced, except a native one whose
    status has the manual's three-byte layout (its motor-off bit is unproven on this hardware)."""
    simulator = ready_daemon.simulator
    thread, result = start_long_move(ready_daemon)
    simulator.unplug()
    thread.join(10)
    assert result == [CommandStatus.CommunicationError]
    simulator.replug()
    status = wait_for_label(ready_daemon, label, timeout=15)
    if label == 'IDLE':
        assert status['current_steps'] == round(simulator.state()['position'] * STEPS_PER_MM)


@EVERY_CONTROLLER
def test_power_cycle_makes_the_focuser_not_homed(ready_daemon):
    simulator = ready_daemon.simulator
    simulator.power_cycle()
    status = wait_for_label(ready_daemon, 'NOT HOMED')
    assert 'current_steps' not in status, 'a stale position must not be reported as valid'
    assert ready_daemon.call('move', 1000) == CommandStatus.NotHomed
    assert ready_daemon.call('home') == CommandStatus.Succeeded
    assert ready_daemon.status()['current_steps'] == 100000


@BOTH_PROTOCOLS
def test_power_cycle_while_unplugged_restores_as_not_homed(ready_daemon):
    simulator = ready_daemon.simulator
    simulator.unplug()
    wait_for_label(ready_daemon, 'ERROR')
    simulator.power_cycle()
    simulator.replug()
    wait_for_label(ready_daemon, 'NOT HOMED', timeout=15)


@EVERY_CONTROLLER
def test_following_error_is_an_error_state_until_homed(ready_daemon, protocol):
    simulator = ready_daemon.simulator
    thread, result = start_long_move(ready_daemon)
    simulator.following_error()
    thread.join(10)
    assert result == [CommandStatus.ControllerError]
    # The error may be shown before the next poll has read the servo state: wait for both.
    status = ready_daemon.wait_for_status(lambda r: r['status_label'] == 'ERROR' and r.get('servo') is False)
    # GCS latches 1024; a native controller only switches its motor off, which the daemon
    # reports as PI's host-side -1024 (servo switched off automatically).
    assert status['last_error']['code'] == {'gcs': 1024, 'native': -1024}[protocol]
    assert 'servo' in status['last_error']['text'].lower() or 'position error' in status['last_error']['text'].lower()
    assert 'focus home' in status['message']
    assert ready_daemon.call('move', 1000) == CommandStatus.ControllerError
    assert ready_daemon.call('home') == CommandStatus.Succeeded
    assert wait_for_label(ready_daemon, 'IDLE')['servo'] is True
    ready_daemon.wait_for_output('following error')


def test_controller_error_codes_are_shown_with_pi_text(ready_daemon):
    ready_daemon.simulator.inject_error(555)
    status = ready_daemon.wait_for_status(lambda r: r['last_error'] is not None)
    assert status['last_error']['code'] == 555
    assert 'unknown' in status['last_error']['text'].lower()
    assert status['status_label'] == 'IDLE'
    ready_daemon.wait_for_output('controller error 555')


def test_refused_move_is_a_controller_error(ready_daemon):
    # The controller's own range is checked by the daemon first; make the controller refuse
    # instead by switching its servo off behind the daemon's back (as a following error does).
    ready_daemon.simulator.following_error()
    wait_for_label(ready_daemon, 'ERROR')
    assert ready_daemon.call('move', 1000) == CommandStatus.ControllerError


@BOTH_PROTOCOLS
def test_mute_controller_is_reported_and_recovers(start_ready_daemon):
    daemon = start_ready_daemon(serial_timeout=0.2)
    simulator = daemon.simulator
    simulator.mute(True)
    status = wait_for_label(daemon, 'ERROR', timeout=15)
    assert 'serial link lost' in status['message']
    simulator.mute(False)
    assert wait_for_label(daemon, 'IDLE', timeout=15)['current_steps'] == 125000


@BOTH_PROTOCOLS
def test_garbage_on_the_line_does_not_hurt(ready_daemon):
    simulator = ready_daemon.simulator
    for _ in range(5):
        simulator.send_garbage(b'\xff\x00garbage\n1=2\n')
    assert ready_daemon.call('move', 1000) == CommandStatus.Succeeded
    assert wait_for_label(ready_daemon, 'IDLE')['current_steps'] == 126000


def test_status_answers_while_the_controller_is_slow(start_ready_daemon):
    daemon = start_ready_daemon(serial_timeout=2)
    daemon.simulator.reply_delay = 0.5
    with daemon.proxy(timeout=1) as proxy:
        for _ in range(5):
            assert proxy.report_status()['status_label'] in ('IDLE', 'ERROR')


# ---- systemd -------------------------------------------------------------------------------

def test_ready_and_watchdog_are_sent_to_notify_socket(daemon_factory, tmp_path):
    path = str(tmp_path / 'notify')
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        sock.settimeout(10)
        daemon_factory(env={'NOTIFY_SOCKET': path, 'WATCHDOG_USEC': '200000'})
        messages = set()
        wait_until(lambda: messages.update(sock.recv(4096).decode().split('\n')) or
                   {'READY=1', 'WATCHDOG=1'} <= messages, 10, f'READY and WATCHDOG, got {messages}')


def test_every_command_and_result_is_logged(ready_daemon):
    ready_daemon.call('move', 1000)
    ready_daemon.call('move', 'x')
    output = ready_daemon.wait_for_output('move: invalid argument')
    assert 'move(1000, True) requested by 127.0.0.1' in output
    assert 'move: command succeeded' in output
    assert "move('x', True) requested by 127.0.0.1" in output
    assert 'move: invalid argument' in output


def test_second_daemon_on_the_same_address_exits_with_a_clear_line(daemon):
    result = subprocess.run([sys.executable, str(DAEMON_SCRIPT), daemon.config_path], capture_output=True,
                            text=True, env=script_env(), timeout=30, check=False)
    assert result.returncode == 69
    assert 'cannot serve on 127.0.0.1' in result.stdout and 'another c863_focusd' in result.stdout
    assert 'Traceback' not in result.stdout + result.stderr
    assert daemon.status()['status_label'] == 'OFFLINE', 'the first daemon is unaffected'


@BOTH_PROTOCOLS
def test_simulate_runs_the_built_in_simulator_speaking_the_configured_protocol(write_config, tmp_path, protocol):
    config = write_config(serial_port='/dev/replaced-by-the-built-in-simulator')
    with open(tmp_path / 'simulate.log', 'wb') as log:
        process = subprocess.Popen([sys.executable, str(DAEMON_SCRIPT), '--simulate', str(config)],
                                   stdout=log, stderr=subprocess.STDOUT, env=script_env(), cwd=ROOT)
    try:
        def initialized():
            assert process.poll() is None, (tmp_path / 'simulate.log').read_text()
            try:
                with Pyro4.Proxy(DAEMON_URI) as proxy:
                    return proxy.initialize() == CommandStatus.Succeeded
            except Pyro4.errors.CommunicationError:
                return False
        wait_until(initialized, 15, 'the daemon never initialized its built-in simulator')
        with Pyro4.Proxy(DAEMON_URI) as proxy:
            status = proxy.report_status()
        assert status['status_label'] == 'NOT HOMED'
        assert status['controller'].startswith({'gcs': 'C-863.12 s/n', 'native': 'C-863 firmware'}[protocol])
    finally:
        process.terminate()
        process.wait(10)


# ---- the native command set (C-863.10) ---------------------------------------------------------
# A native controller cannot say whether it is referenced: the daemon judges its own reference
# runs, and after a restart recognises a controller it referenced by its motor being on and its
# count not being the marker a reference run starts from (see NativeController).

NATIVE_ONLY = pytest.mark.parametrize('protocol', ['native'])


@NATIVE_ONLY
def test_native_find_edge_heading_away_from_the_switch_fails_and_stays_not_homed(daemon_factory, simulator):
    daemon = daemon_factory(reference_mode='FE3')  # for inverted signals: this stage's is standard
    assert daemon.call('initialize') == CommandStatus.Succeeded
    assert daemon.call('home') == CommandStatus.Failed
    status = wait_for_label(daemon, 'NOT HOMED')
    assert status['referenced'] is False
    assert any(e[1] == 'limit_switch' for e in simulator.events)
    daemon.wait_for_output('FE3 ended on the negative limit switch without finding the reference edge')
    assert not [c for c in motion_commands(simulator) if c.upper() == 'DH125000'], 'no edge was defined'
    assert daemon.call('move', 1000) == CommandStatus.NotHomed


@NATIVE_ONLY
def test_native_daemon_restart_keeps_a_reference_it_made(daemon_factory, simulator):
    first = daemon_factory()
    assert first.call('initialize') == CommandStatus.Succeeded
    assert first.call('home') == CommandStatus.Succeeded
    assert first.call('move', 150000, False) == CommandStatus.Succeeded
    first.stop()
    second = daemon_factory()
    assert second.call('initialize') == CommandStatus.Succeeded
    status = wait_for_label(second, 'IDLE')
    assert status['current_steps'] == status['target_steps'] == 150000


@NATIVE_ONLY
def test_native_daemon_restart_after_a_stopped_home_is_not_homed(daemon_factory, simulator):
    first = daemon_factory()
    assert first.call('initialize') == CommandStatus.Succeeded
    thread, result = in_background(first.call, 'home')
    simulator.wait_for(lambda s: s['referencing'])
    assert first.call('stop') == CommandStatus.Succeeded
    thread.join(10)
    assert result == [CommandStatus.Stopped]
    first.stop()
    second = daemon_factory()
    assert second.call('initialize') == CommandStatus.Succeeded
    assert wait_for_label(second, 'NOT HOMED')['referenced'] is False
    assert simulator.state()['servo'] is True, 'the motor is on: only the count tells the run never finished'
