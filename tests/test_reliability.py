# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""Reliability and security of c863_focusd: faults, load and hostile clients, end to end.

test_daemon.py covers each fault once in the simplest state (mostly idle). This file drives the
same real parts (the real daemon process, real Pyro sockets, the simulated C-863 on a real pty)
into the harder cases: faults in the middle of a move or a reference run, replies that are
garbled, truncated or slow, a stop racing a poll that is waiting for its reply, every error code
the controller can latch, many clients at once, and clients that are not telescope software at
all. Each test checks what a user would see, and that the daemon recovers by itself.
"""
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time

import Pyro4
import Pyro4.errors
import pytest

from conftest import DAEMON_URI, ROOT, TEST_BAUD, daemon_for_module, script_env, wait_until
from rockit.focuser.c863.constants import CommandStatus
from rockit.focuser.c863.gcs import GCSPort
from rockit.focuser.c863.gcs_errors import ERRORS, STOPPED_BY_COMMAND, error_text
from testkit.addresses import CLAIM_TIMEOUT
from test_daemon import STEPS_PER_MM, in_background, start_long_move, wait_for_label
from testkit.events import motion_commands

EXPOSED_METHODS = {'report_status', 'initialize', 'move', 'home', 'stop', 'shutdown'}
FOLLOWING_ERROR_CODES = (1024, -1024)
PYRO_PORT = Pyro4.core.URI(DAEMON_URI).port
# A guard against a hung bench/soak, not a speed target: it includes waiting for a free daemon
# address (testkit/addresses.py CLAIM_TIMEOUT) while other runs on the machine hold all five.
SHORT_SOAK_TIMEOUT = CLAIM_TIMEOUT + 300


def truth(simulator):
    """Where the controller says the axis is, in steps (what current_steps must show)."""
    return round(simulator.state()['position'] * STEPS_PER_MM)


def assert_healthy(daemon, label='IDLE'):
    """The process runs, answers status, shows label, and never logged a traceback."""
    assert daemon.process.poll() is None, daemon.output()
    status = wait_for_label(daemon, label, timeout=15)
    assert 'Traceback' not in daemon.output()
    return status


def commands_received(simulator, prefix):
    return [e[2] for e in simulator.events if e[1] == 'command' and str(e[2]).startswith(prefix)]


# ---- serial link lost in the middle of something -------------------------------------------

def test_unplug_during_a_move_and_replug_while_the_axis_still_moves(start_ready_daemon):
    # 4 mm/s: the controller is still moving (on its own) when the cable comes back.
    daemon = start_ready_daemon({'velocity': 4.0})
    simulator = daemon.simulator
    thread, result = start_long_move(daemon, past_mm=13)
    simulator.unplug()
    thread.join(10)
    assert result == [CommandStatus.CommunicationError]
    status = daemon.status()
    assert status['status_label'] == 'ERROR' and 'current_steps' not in status
    assert simulator.state()['moving'], 'the test needs the axis still moving at the re-plug'
    simulator.replug()
    seen_moving = wait_for_label(daemon, 'MOVING', timeout=15)
    assert 130000 < seen_moving['current_steps'] < 240000
    status = wait_for_label(daemon, 'IDLE', timeout=15)
    assert status['current_steps'] == status['target_steps'] == truth(simulator) == 240000
    assert motion_commands(simulator) == ['MOV 1 24.0'], 'no new move and no reference run'
    assert daemon.wait_for_output('lost the serial link').count('lost the serial link') == 1


def test_unplug_during_a_reference_run_never_reports_success(daemon_factory, make_simulator):
    simulator = make_simulator(velocity=4.0, reference_velocity=4.0)
    daemon = daemon_factory(simulator=simulator)
    assert daemon.call('initialize') == CommandStatus.Succeeded
    thread, result = in_background(daemon.call, 'home')
    simulator.wait_for(lambda s: s['referencing'])
    simulator.unplug()
    thread.join(10)
    assert result == [CommandStatus.CommunicationError]
    assert 'current_steps' not in daemon.status()
    simulator.replug()
    # The controller went on with its reference run meanwhile; the daemon shows its outcome
    # and does not start another one.
    state = simulator.wait_for(lambda s: not s['referencing'], 15)
    status = wait_for_label(daemon, 'IDLE' if state['referenced'] else 'NOT HOMED', timeout=15)
    assert status['referenced'] is state['referenced']
    if state['referenced']:
        assert status['current_steps'] == truth(simulator)
    assert len(commands_received(simulator, 'FRF 1')) == 1


def test_stop_while_the_link_is_down_says_the_link_is_lost(ready_daemon):
    """Not NotConnected, whose message tells the operator to run `focus init` (which would
    only answer 'already connected'): the same code a move gets in this state."""
    ready_daemon.simulator.unplug()
    wait_for_label(ready_daemon, 'ERROR')
    assert ready_daemon.call('move', 1000) == CommandStatus.CommunicationError
    assert ready_daemon.call('stop') == CommandStatus.CommunicationError


def test_a_following_error_while_the_link_is_down_is_not_forgotten(ready_daemon):
    simulator = ready_daemon.simulator
    simulator.unplug()
    wait_for_label(ready_daemon, 'ERROR')
    simulator.following_error()  # e.g. the same power glitch that reset the USB hub
    simulator.replug()
    ready_daemon.wait_for_output('serial link restored', timeout=15)
    status = ready_daemon.status()
    assert (status['last_error'] or {}).get('code') == 1024, 'the latched error must be shown'
    assert status['status_label'] == 'ERROR' and 'focus home' in status['message']


def test_mute_during_a_move_is_reported_and_recovers(start_ready_daemon):
    daemon = start_ready_daemon(serial_timeout=0.3)
    simulator = daemon.simulator
    thread, result = start_long_move(daemon)
    simulator.mute(True)
    thread.join(15)
    assert result == [CommandStatus.CommunicationError]
    status = daemon.status()
    assert status['status_label'] == 'ERROR' and 'no reply' in status['message']
    assert 'current_steps' not in status
    simulator.mute(False)
    status = wait_for_label(daemon, 'IDLE', timeout=15)
    assert status['current_steps'] == truth(simulator)
    assert motion_commands(simulator) == ['MOV 1 24.0']


def test_an_error_read_after_a_silent_poll_is_shown(start_ready_daemon):
    daemon = start_ready_daemon(serial_timeout=3)
    simulator = daemon.simulator
    simulator.mute(True)
    seen = len(simulator.events)
    wait_until(lambda: ('command', '\x04') in [e[1:] for e in simulator.events[seen:]], 5, 'a poll while mute')
    # The poll now waits 3 s for its reply (time enough for this thread on a loaded machine),
    # then asks ERR? to tell silence from refusal.
    simulator.inject_error(555)
    simulator.mute(False)
    status = daemon.wait_for_status(lambda r: (r.get('last_error') or {}).get('code') == 555, 10,
                                    'error 555 in the status')
    assert status['status_label'] == 'IDLE'


# ---- replies that are garbled, cut short or slow -------------------------------------------

@pytest.mark.parametrize('how, problem', [('flip', 'unexpected reply'), ('truncate', 'incomplete reply')])
def test_garbled_replies_are_a_lost_link_until_they_are_clean_again(start_ready_daemon, how, problem):
    daemon = start_ready_daemon(serial_timeout=0.3)
    simulator = daemon.simulator
    simulator.garble_replies(True, how)
    status = wait_for_label(daemon, 'ERROR', timeout=15)
    assert problem in status['message'] and 'current_steps' not in status
    assert daemon.call('move', 1000) == CommandStatus.CommunicationError
    assert motion_commands(simulator) == []
    simulator.garble_replies(False)
    assert assert_healthy(daemon)['current_steps'] == 125000
    assert daemon.call('move', 1000) == CommandStatus.Succeeded
    assert daemon.wait_for_output('lost the serial link').count('lost the serial link') == 1


def test_slow_replies_within_the_timeout_are_no_fault(start_ready_daemon):
    daemon = start_ready_daemon(serial_timeout=3)  # room for a loaded machine on top of the delay
    simulator = daemon.simulator
    simulator.reply_delay = 0.6  # every reply, status polls included
    assert daemon.call('move', 1000) == CommandStatus.Succeeded
    status = daemon.status()
    assert status['current_steps'] == status['target_steps'] == truth(simulator) == 126000
    simulator.reply_delay = 0.0
    assert 'poll failed' not in daemon.output() and 'lost the serial link' not in daemon.output()


def test_replies_slower_than_the_timeout_are_a_lost_link_that_recovers(start_ready_daemon):
    daemon = start_ready_daemon(serial_timeout=0.3)
    simulator = daemon.simulator
    simulator.reply_delay = 0.5
    status = wait_for_label(daemon, 'ERROR', timeout=15)
    assert 'current_steps' not in status
    simulator.reply_delay = 0.0
    assert assert_healthy(daemon)['current_steps'] == 125000
    assert daemon.call('move', -1000) == CommandStatus.Succeeded


# ---- the controller itself -----------------------------------------------------------------

def test_power_cycle_during_a_move_returns_at_once_and_is_not_homed(start_ready_daemon):
    daemon = start_ready_daemon(move_timeout=4)
    simulator = daemon.simulator
    thread, result = start_long_move(daemon, past_mm=13)
    simulator.power_cycle()
    started = time.monotonic()
    thread.join(10)
    waited = time.monotonic() - started
    status = wait_for_label(daemon, 'NOT HOMED')
    assert 'current_steps' not in status, 'a stale position must not be reported as valid'
    assert result and result[0] in (CommandStatus.NotHomed, CommandStatus.ControllerError)
    assert waited < 2, 'the move must end when the controller can no longer reach its target'


def test_following_error_during_a_reference_run(daemon_factory, make_simulator):
    simulator = make_simulator(velocity=4.0, reference_velocity=4.0)
    daemon = daemon_factory(simulator=simulator)
    assert daemon.call('initialize') == CommandStatus.Succeeded
    thread, result = in_background(daemon.call, 'home')
    simulator.wait_for(lambda s: s['referencing'])
    simulator.following_error()
    thread.join(10)
    assert result == [CommandStatus.ControllerError]
    # The fault may first show through the reference command's own ERR? check, before a poll
    # has read the servo state: wait for both.
    status = daemon.wait_for_status(lambda r: r['status_label'] == 'ERROR' and r.get('servo') is False)
    assert status['last_error']['code'] == 1024
    assert 'current_steps' not in status
    assert daemon.call('home') == CommandStatus.Succeeded
    assert assert_healthy(daemon)['current_steps'] == 100000


def test_a_controller_with_an_absurd_travel_range_fails_initialize_cleanly(daemon_factory, make_simulator):
    # TMX set to 1e305 mm by someone's maintenance tool: in steps it does not even fit a float.
    simulator = make_simulator(referenced=True)
    with GCSPort(simulator.device, TEST_BAUD, 1.0) as port:
        port.send('SPA 1 0x15 1e305')
    daemon = daemon_factory(simulator=simulator)
    assert daemon.call('initialize', timeout=3) == CommandStatus.Failed
    status = daemon.status()
    assert status['status_label'] == 'OFFLINE'
    assert 'no position a C-863 can have' in status['message']


# ---- a stop racing a poll that waits for its reply -----------------------------------------

def test_stop_reaches_the_controller_while_a_poll_waits_for_its_reply(start_ready_daemon):
    daemon = start_ready_daemon({'velocity': 1.0}, serial_timeout=3)
    simulator = daemon.simulator
    thread, result = start_long_move(daemon)
    simulator.reply_delay = 1.0
    seen = len(simulator.events)
    # A query that arrives now is answered a second later: the stop must not wait for it.
    query = wait_until(lambda: [e for e in simulator.events[seen:]
                                if e[1] == 'command' and e[2] in ('\x04', 'POS? 1')], 10, 'a poll')[-1]
    called = time.monotonic()
    assert daemon.call('stop') == CommandStatus.Succeeded
    stop = wait_until(lambda: [e for e in simulator.events if e[1] == 'stop'], 5, 'the stop byte')[0]
    simulator.reply_delay = 0.0
    assert stop[2] == '#24'
    assert stop[0] < query[0] + 1.0, 'the stop arrived only after the poll had its reply'
    assert stop[0] - called < 0.5  # a sanity bound: the wire needs 0.09 ms, the poll 1 s
    thread.join(15)
    assert result == [CommandStatus.Stopped]
    status = wait_for_label(daemon, 'IDLE')
    assert status['current_steps'] == status['target_steps'] == truth(simulator)


def test_a_stop_before_the_reference_run_starts_returns_stopped(start_ready_daemon):
    daemon = start_ready_daemon(serial_timeout=3)
    simulator = daemon.simulator
    simulator.reply_delay = 1.0  # home() first asks SVO?: the stop arrives while it waits
    seen = len(simulator.events)
    thread, result = in_background(daemon.call, 'home')
    wait_until(lambda: ('command', 'SVO? 1') in [e[1:] for e in simulator.events[seen:]], 10,
               'home asking SVO?')
    assert daemon.call('stop') == CommandStatus.Succeeded
    simulator.reply_delay = 0.0
    thread.join(15)
    assert result == [CommandStatus.Stopped]
    assert commands_received(simulator, 'FRF 1') == [], 'no reference run after the stop'


# ---- load: many callers at once -------------------------------------------------------------

def test_many_status_callers_and_racing_motion_commands(ready_daemon):
    """20 clients poll status at 50 Hz (1 s timeout, as pipelined uses) while 8 clients send a
    move at the same instant: exactly one wins, the rest are Blocked, status never stalls."""
    done = threading.Event()
    polls = [[] for _ in range(20)]  # per poller: labels seen, or the exception that ended it

    def poll_status(seen):
        with ready_daemon.proxy(timeout=1) as proxy:
            while not done.is_set():
                try:
                    seen.append(proxy.report_status()['status_label'])
                except Exception as e:
                    seen.append(e)
                    return
                done.wait(0.02)  # pacing, not synchronisation

    targets = [200000 + 5000 * i for i in range(8)]
    start_together = threading.Barrier(len(targets))
    results = []

    def race(target):
        with ready_daemon.proxy(timeout=60) as proxy:
            proxy._pyroBind()
            start_together.wait()
            results.append((proxy.move(target, False), target))

    pollers = [threading.Thread(target=poll_status, args=(seen,), daemon=True) for seen in polls]
    racers = [threading.Thread(target=race, args=(target,), daemon=True) for target in targets]
    for thread in pollers + racers:
        thread.start()
    for thread in racers:
        thread.join(30)
    done.set()
    for thread in pollers:
        thread.join(5)

    codes = sorted(code for code, _ in results)
    assert codes == [CommandStatus.Succeeded] + [CommandStatus.Blocked] * 7
    winner = next(target for code, target in results if code == CommandStatus.Succeeded)
    status = assert_healthy(ready_daemon)
    assert status['current_steps'] == status['target_steps'] == winner == truth(ready_daemon.simulator)
    failures = [seen[-1] for seen in polls if not seen or isinstance(seen[-1], Exception)]
    assert failures == []
    assert all('MOVING' in seen for seen in polls), 'status must follow the move live'
    assert ready_daemon.call('move', -1000) == CommandStatus.Succeeded, 'nothing left locked'


# ---- security --------------------------------------------------------------------------------

def test_a_literal_ip_in_control_machines_is_allowed(daemon_factory):
    daemon = daemon_factory(control_machines=['10.2.6.201', '127.0.0.1'])
    assert daemon.call('initialize') == CommandStatus.Succeeded


def test_a_client_using_pickle_is_refused_and_nothing_is_unpickled(daemon, tmp_path):
    marker = tmp_path / 'unpickled'

    class Payload:
        """Unpickling this would create the marker file: code run inside the daemon."""

        def __reduce__(self):
            return (open, (str(marker), 'w'))

    with daemon.proxy() as proxy:
        proxy._pyroSerializer = 'pickle'
        with pytest.raises(Pyro4.errors.CommunicationError, match='serializer that is not accepted'):
            proxy.move(Payload())
    with daemon.proxy() as proxy:
        proxy._pyroBind()
        proxy._pyroSerializer = 'pickle'
        with pytest.raises(Pyro4.errors.SerializeError, match='serializer that is not accepted'):
            proxy.move(Payload())
    assert not marker.exists()
    assert daemon.status()['status_label'] == 'OFFLINE'


NOT_EXPOSED = ['close', 'start', '_command', '_move', '_stop_motion', '_config', '_controller',
               '__dict__', '__class__', '__init__', '__getattribute__', '__reduce__', '__del__']


def test_only_the_exposed_methods_are_reachable(ready_daemon):
    with ready_daemon.proxy() as proxy:
        proxy._pyroBind()
        assert proxy._pyroMethods == EXPOSED_METHODS
        assert proxy._pyroAttrs == set()
        for name in NOT_EXPOSED:
            with pytest.raises(AttributeError, match='attempt to access'):
                proxy._pyroInvoke(name, (), {})
        # Pyro's own attribute messages, aimed at the daemon's state.
        for message, args in [('__getattr__', ('_config',)), ('__getattr__', ('__dict__',)),
                              ('__setattr__', ('_wanted', False)), ('__setattr__', ('move', None))]:
            with pytest.raises(AttributeError):
                proxy._pyroInvoke(message, args, {})
    # close() and start() are public Python methods: reaching them would stop the focuser.
    assert assert_healthy(ready_daemon)['current_steps'] == 125000
    assert ready_daemon.call('move', 1000) == CommandStatus.Succeeded


def pyro_header(data_size):
    """A well-formed Pyro4 message header (protocol 48) announcing data_size bytes of payload."""
    version, msg_type, flags, seq, serializer, annotations = 48, 1, 0, 0, 2, 0
    checksum = (msg_type + version + data_size + annotations + flags + serializer + seq + 0x34E9) & 0xffff
    return struct.pack('!4sHHHHiHHHH', b'PYRO', version, msg_type, flags, seq, data_size, serializer,
                       annotations, 0, checksum)


def test_garbage_on_the_pyro_port_does_not_stop_status(ready_daemon):
    garbage = [b'\x00' * 100, b'GET / HTTP/1.0\r\n\r\n', os.urandom(4096), pyro_header(100)[:10],
               pyro_header(100) + b'not serpent at all' * 6]
    connections = [socket.create_connection(('127.0.0.1', PYRO_PORT)) for _ in garbage]
    for connection, data in zip(connections, garbage):
        connection.sendall(data)
    with ready_daemon.proxy(timeout=1) as proxy:
        for _ in range(5):
            assert proxy.report_status()['status_label'] == 'IDLE'
    for connection in connections:
        connection.close()
    assert ready_daemon.call('move', 1000) == CommandStatus.Succeeded
    assert_healthy(ready_daemon)


def resident_kb(pid):
    with open(f'/proc/{pid}/status') as status:
        return next(int(line.split()[1]) for line in status if line.startswith('VmRSS:'))


def test_a_client_announcing_a_huge_message_cannot_fill_the_memory(ready_daemon):
    """Pyro4 reads a message of the size its header announces, whoever sends it: without a
    MAX_MESSAGE_SIZE, one connection could make the daemon buffer 2 GB."""
    before = resident_kb(ready_daemon.process.pid)
    sent = 0
    with socket.create_connection(('127.0.0.1', PYRO_PORT)) as connection:
        connection.settimeout(5)
        try:
            connection.sendall(pyro_header(2 ** 31 - 1))
            while sent < 64 * 2 ** 20:
                connection.sendall(b'x' * 2 ** 20)
                sent += 2 ** 20
        except OSError:
            pass  # the daemon hung up (reset, broken pipe) or stopped reading: what we want
        grown_mb = (resident_kb(ready_daemon.process.pid) - before) / 1024
    assert grown_mb < 16, f'the daemon buffered {grown_mb:.0f} MB for one client ({sent >> 20} MB sent)'
    assert_healthy(ready_daemon)


POOL_SIZE = Pyro4.config.THREADPOOL_SIZE  # 40: one worker thread per open connection


def new_client_status(daemon):
    """report_status() on a new connection with a 1 s timeout, or the Pyro error it met."""
    try:
        return daemon.call('report_status', timeout=1)
    except Pyro4.errors.CommunicationError as e:
        return e


def test_when_every_pyro_worker_is_held_new_clients_are_refused_at_once_then_served_again(ready_daemon):
    """Documents Pyro4's behaviour (see README, Reliability): each open connection holds one of
    THREADPOOL_SIZE worker threads, even one that never sends a byte. With all of them held,
    a new client is refused at once with Pyro's message (it does not hang), clients already
    connected are still served, and new clients are served as soon as connections close."""
    with ready_daemon.proxy(timeout=1) as held:
        held._pyroBind()
        idle = [socket.create_connection(('127.0.0.1', PYRO_PORT)) for _ in range(POOL_SIZE - 1)]
        try:
            refusal = wait_until(lambda: 'no free workers' in str(new_client_status(ready_daemon)), 10,
                                 'a new client refused while every worker is held', interval=0.05)
            assert refusal
            assert held.report_status()['status_label'] == 'IDLE'
        finally:
            for connection in idle:
                connection.close()
    wait_until(lambda: isinstance(new_client_status(ready_daemon), dict), 10,
               'new clients served again once the connections closed', interval=0.05)
    assert_healthy(ready_daemon)


def test_a_silent_connection_beyond_the_pool_does_not_lock_everyone_out(ready_daemon):
    idle = [socket.create_connection(('127.0.0.1', PYRO_PORT)) for _ in range(POOL_SIZE)]
    silent = None
    try:
        wait_until(lambda: 'no free workers' in str(new_client_status(ready_daemon)), 10,
                   'a new client refused while every worker is held', interval=0.05)
        silent = socket.create_connection(('127.0.0.1', PYRO_PORT))  # connects, never speaks
        new_client_status(ready_daemon)  # queued behind it
        for connection in idle:
            connection.close()
        wait_until(lambda: isinstance(new_client_status(ready_daemon), dict), 3,
                   'status once the pool has free workers again', interval=0.1)
    finally:
        for connection in idle + [silent]:
            if connection is not None:
                connection.close()


# ---- every error code the controller can latch ------------------------------------------------

@pytest.fixture(scope='module')
def shared_daemon(tmp_path_factory):
    # Polls at 20 Hz, so that each injected code is noticed within 50 ms.
    with daemon_for_module(tmp_path_factory.mktemp('errors'), idle_loop_delay=0.05,
                             moving_loop_delay=0.05) as daemon:
        yield daemon


CODES = sorted(set(ERRORS) - {0, STOPPED_BY_COMMAND}) + [9999]


@pytest.mark.parametrize('code', CODES)
def test_each_controller_error_is_shown_with_pi_text(shared_daemon, code):
    simulator = shared_daemon.simulator
    simulator.inject_error(code)
    status = shared_daemon.wait_for_status(lambda r: (r.get('last_error') or {}).get('code') == code)
    assert status['last_error']['text'] == error_text(code)
    assert status['last_error']['text'].startswith(ERRORS[code][0] if code in ERRORS else 'unknown error')
    shared_daemon.wait_for_output(f'controller error {code}: {error_text(code)}')
    if code in FOLLOWING_ERROR_CODES:
        status = wait_for_label(shared_daemon, 'ERROR')
        assert 'following error' in status['message'] and 'focus home' in status['message']
        assert shared_daemon.call('move', 1) == CommandStatus.ControllerError
        assert shared_daemon.call('home') == CommandStatus.Succeeded
    else:
        assert status['status_label'] == 'IDLE'
    target = shared_daemon.status()['target_steps']
    assert shared_daemon.call('move', 1) == CommandStatus.Succeeded
    assert shared_daemon.status()['current_steps'] == target + 1 == truth(simulator)
    assert_healthy(shared_daemon)


def test_error_10_after_our_own_stop_is_no_fault(shared_daemon):
    before = shared_daemon.status()['last_error']
    confirmations = shared_daemon.output().count('controller confirmed the stop')
    assert shared_daemon.call('stop') == CommandStatus.Succeeded
    wait_until(lambda: shared_daemon.output().count('controller confirmed the stop') > confirmations, 5,
               'the daemon reads error 10')
    assert shared_daemon.status()['last_error'] == before
    assert_healthy(shared_daemon)


# ---- the soak, briefly -------------------------------------------------------------------------

def test_a_short_soak_loses_nothing(tmp_path):
    """bench/soak works: ten seeded commands (seed 6 brings a mute and an unplug) against the
    real daemon, every one answered as expected, the position right, the figures written."""
    figures_path = tmp_path / 'soak.json'
    result = subprocess.run([sys.executable, str(ROOT / 'bench' / 'soak'), '--commands', '10', '--seed', '6',
                             '--json', str(figures_path)], capture_output=True, text=True, timeout=SHORT_SOAK_TIMEOUT,
                            env=script_env(), cwd=ROOT, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    figures = json.loads(figures_path.read_text())
    assert figures['commands_total'] >= 10 and figures['faults_total'] >= 1
    assert figures['lost_commands'] == [] and figures['final_position_error_steps'] == 0
    assert figures['status_calls'] > 0 and figures['status_failures'] == []
    assert 'VmRSS' in result.stdout and 'lost commands: 0' in result.stdout
