# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The GCS controller where the evidence about the firmware is thin (doc/gcs-c863.md §2.11).

Four weak points, each against a controller that behaves otherwise than the C-863.12 manual
or our guesses say: parameters refused at connect, an on-target bit that never comes, an error
10 that is not our stop, and a model or status register we do not know. Byte-exact connects run
on the in-memory line (testkit/peer.py); the rest drives the simulator, with the firmware
variant set on it (simulator/gcs.py), from GCSController or the real daemon.
"""
import logging
import time
from contextlib import contextmanager

import pytest

from conftest import make_ready
from rockit.focuser.c863.constants import CommandStatus
from rockit.focuser.c863.controller.axis import trapezoid_time
from rockit.focuser.c863.controller.gcs_axis import GCSController, status_disagreements
from rockit.focuser.c863.errors import NotSupported
from rockit.focuser.c863.gcs import StatusRegister
from test_daemon import start_long_move
from testkit.events import commands
from testkit.peer import expected_protocol

LOGGER = 'rockit.focuser.c863.controller.gcs_axis'
IDN = b'(c)2015 Physik Instrumente (PI) GmbH & Co. KG, C-863.12, 0123456789, 01.000.000\n'

# Everything connect() asks, answered as a C-863.12 at rest on target with its servo on.
CONNECT = [
    (b'*IDN?\n', IDN),
    (b'ERR?\n', b'0\n'),
    (b'SPA? 1 0xE\n', b'1 0xE=10000\n'),
    (b'SPA? 1 0xF\n', b'1 0xF=1\n'),
    (b'VEL? 1\n', b'1=1.5\n'),
    (b'SPA? 1 0xB\n', b'1 0xB=10\n'),
    (b'SPA? 1 0xC\n', b'1 0xC=10\n'),
    (b'SPA? 1 0x36\n', b'1 0x36=10\n'),
    (b'SPA? 1 0x3F\n', b'1 0x3F=0.02\n'),
    (b'TMN? 1\n', b'1=0\n'),
    (b'TMX? 1\n', b'1=25\n'),
    (b'SVO? 1\n', b'1=1\n'),
    (b'\x04', b'0x9000\n'),
    (b'SRG? 1 1\n', b'1 1=0x9000\n'),
    (b'SVO? 1\n', b'1=1\n'),
    (b'ONT? 1\n', b'1=1\n'),
    (b'\x04', b'0x9000\n'),
]
TEN_MM = 100000  # steps


def replaced(request, *exchanges):
    """CONNECT with the (first) exchange of `request` replaced by `exchanges`."""
    index = [sent for sent, _ in CONNECT].index(request)
    return CONNECT[:index] + list(exchanges) + CONNECT[index + 1:]


def failing(request, how):
    """The exchanges of a query the controller does not answer usefully, and the ERR? that
    follows each way of failing."""
    return {
        'refused': [(request, None), (b'ERR?\n', b'54\n')],
        'silent': [(request, None), (b'ERR?\n', b'0\n'), (b'ERR?\n', b'0\n')],
        'garbled': [(request, b'1 0xB=fast\n'), (b'ERR?\n', b'0\n')],
    }[how]


@contextmanager
def connected(steps):
    """A GCSController connected over the in-memory line that expects `steps`."""
    with expected_protocol(lambda url: GCSController(url, 9600, 0.2), steps) as controller:
        controller.connect()
        yield controller


@pytest.fixture
def logged(caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    return caplog


def with_firmware(simulator, firmware):
    """Sets firmware variants and faults (simulator/gcs.py) on a simulator; returns it."""
    for name, value in firmware.items():
        setattr(simulator.firmware, name, value)
    return simulator


@pytest.fixture
def connect_controller(make_simulator):
    """Connects GCSControllers to referenced simulators with the given firmware; closed after."""
    controllers = []

    def connect(firmware=None, **simulator_options):
        simulator = with_firmware(make_simulator(referenced=True, **simulator_options), firmware or {})
        controller = GCSController(simulator.device, simulator.baud, 2.0)
        controllers.append(controller)
        controller.connect()
        return controller
    yield connect
    for controller in controllers:
        controller.close()


@pytest.fixture
def start_daemon_on(make_simulator, daemon_factory):
    """Starts a ready daemon on a referenced simulator with the given firmware; keywords go to
    the config."""
    def start(firmware, **config):
        simulator = with_firmware(make_simulator(referenced=True), firmware)
        return make_ready(daemon_factory(simulator=simulator, **config))
    return start


# ---- 1. parameters that only time a move are optional --------------------------------------

@pytest.mark.parametrize('how', ['refused', 'silent', 'garbled'])
def test_acceleration_refused_as_a_parameter_is_read_with_acc(logged, how):
    steps = replaced(b'SPA? 1 0xB\n', *failing(b'SPA? 1 0xB\n', how), (b'ACC? 1\n', b'1=10\n'))
    with connected(steps) as controller:
        assert controller.expected_motion_time(0, TEN_MM) == trapezoid_time(10, 1.5, 10, 10)
    assert "'SPA? 1 0xB'" in logged.text and 'read with ACC? instead' in logged.text


def test_without_a_velocity_moves_are_not_timed(logged):
    with connected(replaced(b'VEL? 1\n', *failing(b'VEL? 1\n', 'refused'))) as controller:
        assert controller.expected_motion_time(0, TEN_MM) == 0.0
    assert "'VEL? 1'" in logged.text and 'no velocity known' in logged.text


def test_without_acceleration_by_either_query_moves_are_not_timed(logged):
    steps = replaced(b'SPA? 1 0xB\n', *failing(b'SPA? 1 0xB\n', 'refused'), *failing(b'ACC? 1\n', 'refused'))
    with connected(steps) as controller:
        assert controller.expected_motion_time(0, TEN_MM) == 0.0
    assert "'ACC? 1'" in logged.text and 'no acceleration known' in logged.text


@pytest.mark.parametrize('firmware, logged_text', [
    ({'refused_parameters': {0xB}}, 'read with ACC? instead'),
    ({'refused_parameters': {0xB}, 'refused_commands': {'ACC?'}}, 'no acceleration known'),
], ids=['ACC? instead', 'no prediction'])
def test_a_controller_refusing_motion_parameters_connects_and_moves(start_daemon_on, firmware, logged_text):
    daemon = start_daemon_on(firmware)
    assert "'SPA? 1 0xB'" in daemon.wait_for_output(logged_text)
    assert daemon.call('move', 1000) == CommandStatus.Succeeded
    status = daemon.status()
    assert status['current_steps'] == status['target_steps'] == 126000
    assert status['last_error'] is None, 'a refused query leaves no error for a poll to report'


# ---- 2. the end of a move does not wait forever for the on-target bit ------------------------

@pytest.mark.parametrize('pid, text', [(0x36, '10 counts is assumed for 0x36'), (0x3F, '0.1 s is assumed for 0x3F')])
def test_refused_settling_parameters_are_assumed(logged, pid, text):
    request = f'SPA? 1 0x{pid:X}\n'.encode()
    with connected(replaced(request, *failing(request, 'refused'))):
        pass
    assert text in logged.text


def test_a_move_that_never_settles_ends_as_a_controller_error_in_seconds(start_daemon_on):
    daemon = start_daemon_on({'on_target_fault': 'never'}, move_timeout=60)
    deadline = time.monotonic() + 15
    assert daemon.call('move', 1000, timeout=15) == CommandStatus.ControllerError
    assert time.monotonic() < deadline
    text = daemon.status()['last_error']['text']
    assert text.startswith('not settling: at rest at 126000 steps, 0 steps from the target 126000')
    assert 'check parameters 0x36/0x3F' in text


def test_a_stop_does_not_wait_for_an_on_target_bit_that_never_comes(start_daemon_on):
    daemon = start_daemon_on({'on_target_fault': 'never'}, move_timeout=60)
    thread, result = start_long_move(daemon)
    assert daemon.call('stop') == CommandStatus.Succeeded
    thread.join(5)  # a stop waits for the axis at rest: 10 s if the on-target bit were needed
    assert result == [CommandStatus.Stopped]
    status = daemon.status()
    assert status['current_steps'] == status['target_steps']
    assert status['last_error'] is None


def test_a_move_ends_on_target_when_only_ont_says_so(start_daemon_on):
    daemon = start_daemon_on({'on_target_fault': 'register'})
    assert daemon.call('move', 1000, timeout=15) == CommandStatus.Succeeded
    assert daemon.status()['current_steps'] == 126000
    daemon.wait_for_output('but ONT? says on target at 126000 steps')


# ---- 3. error 10 is our stop only if we sent one ---------------------------------------------

@pytest.mark.parametrize('unflagged', [False, True], ids=['error flag set', 'error flag clear'])
def test_home_after_a_stop_sends_frf_and_succeeds(start_daemon_on, unflagged):
    daemon = start_daemon_on({'stop_error_unflagged': unflagged})
    thread, result = start_long_move(daemon)
    assert daemon.call('stop') == CommandStatus.Succeeded
    thread.join(10)
    assert result == [CommandStatus.Stopped]
    daemon.wait_for_output('controller confirmed the stop')  # a poll read ERR?, whatever #4 flagged
    seen = len(daemon.simulator.events)
    assert daemon.call('home') == CommandStatus.Succeeded
    assert 'FRF 1' in commands(daemon.simulator, seen)
    assert daemon.status()['last_error'] is None


def test_someone_elses_stop_is_an_error_to_show(start_daemon_on):
    daemon = start_daemon_on({})
    daemon.simulator.inject_error(10)  # a hand terminal's STP: this daemon sent no stop
    status = daemon.wait_for_status(lambda report: report['last_error'] is not None)
    assert status['last_error']['code'] == 10 and 'not by this daemon' in status['last_error']['text']
    assert status['status_label'] == 'IDLE'


def test_someone_elses_stop_read_in_homes_checks_does_not_keep_frf_back(start_daemon_on):
    daemon = start_daemon_on({'stop_error_unflagged': True})  # no poll reads the 10 then
    daemon.simulator.inject_error(10)
    seen = len(daemon.simulator.events)
    assert daemon.call('home') == CommandStatus.Succeeded
    assert 'FRF 1' in commands(daemon.simulator, seen)
    assert daemon.status()['last_error']['code'] == 10


# ---- 4. identification and the status register ------------------------------------------------

@pytest.mark.parametrize('model', ['C-863.21', 'C-863'])
def test_another_c863_is_driven_with_a_warning(connect_controller, logged, model):
    connect_controller(model=model)
    assert f', {model}, ' in logged.text and 'assumed from the C-863.12 manual' in logged.text


@pytest.mark.parametrize('model', ['C-867.260', 'C-8630'])
def test_a_device_that_is_no_c863_is_refused(connect_controller, model):
    with pytest.raises(NotSupported, match='not a GCS C-863'):
        connect_controller(model=model)


def test_a_status_register_contradicting_ont_is_a_warning_at_connect(connect_controller, logged):
    connect_controller({'on_target_fault': 'register'})
    assert 'ONT? says 1 where #4 has bit 15 (on_target) = 0' in logged.text


def test_a_status_register_contradicting_srg_is_a_warning_naming_the_bits(logged):
    with connected(replaced(b'SRG? 1 1\n', (b'SRG? 1 1\n', b'1 1=0x1004\n'))):
        pass
    assert 'SRG? answered 0x1004 where #4 answered 0x9000 (bit 15 (on_target), bit 2 (positive_limit))' in logged.text


def register(raw):
    return StatusRegister.from_raw(raw)


@pytest.mark.parametrize('before, after, queried, expected', [
    (0x9000, 0x9000, (0x9000, True, True), []),
    (0x9000, 0x9000, (None, None, None), []),
    (0x9000, 0x9000, (0x9000, False, True), ['SVO? says 0 where #4 has bit 12 (servo) = 1']),
    (0x1000, 0x9000, (0x1000, True, False), []),
    (0x1000, 0x1000, (0x9000, True, True), ['SRG? answered 0x9000 where #4 answered 0x1000 (bit 15 (on_target))',
                                            'ONT? says 1 where #4 has bit 15 (on_target) = 0']),
], ids=['agree', 'refused', 'servo', 'settling meanwhile', 'on target'])
def test_status_disagreements(before, after, queried, expected):
    srg, servo, on_target = queried
    assert status_disagreements(register(before), register(after), srg and register(srg), servo,
                                on_target) == expected


def test_a_controller_agreeing_with_itself_logs_no_warning(connect_controller, logged):
    connect_controller()
    assert not [record for record in logged.records if record.levelno >= logging.WARNING]
