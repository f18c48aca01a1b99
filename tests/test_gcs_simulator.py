# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The protocol layer driving the simulated C-863 through a real pty, at 9600 and 115200 baud.

This is the session a GCS client has with a real controller: identify, servo on, reference,
move and wait for on-target, read the travel range and counts per unit, halt (error 10
latched), and an out-of-range move refused with error 7.
"""
import time

import pytest

from conftest import wait_until
from rockit.focuser.c863.errors import ControllerError, NoReply
from rockit.focuser.c863.gcs_errors import STOPPED_BY_COMMAND
from rockit.focuser.c863.gcs import GCSPort
from rockit.focuser.c863.simulator import Simulator


@pytest.fixture(params=[9600, 115200])
def port(request):
    with Simulator(baud=request.param, velocity=5.0, reference_velocity=5.0) as sim:
        gcs = GCSPort(sim.device, request.param, timeout=1.0)
        yield gcs
        gcs.close()


@pytest.fixture
def referenced():
    """(simulator, port) on a referenced controller at rest on target, at 115200 baud."""
    with Simulator(baud=115200, referenced=True) as sim:
        gcs = GCSPort(sim.device, 115200, timeout=0.5)
        wait_until(lambda: settled(gcs), 2, 'never on target')
        yield sim, gcs
        gcs.close()


def settled(port):
    status = port.status_register()
    return status.on_target and not status.moving


def test_identify_servo_reference_move_stop(port):
    assert GCSPort.model(port.identify()) == 'C-863.12'
    assert port.read_error() == 0
    assert port.servo() is False and port.referenced() is False

    port.set_servo(True)
    with pytest.raises(ControllerError) as refused:
        port.move(5.0)
    assert refused.value.code == 5, 'an unreferenced axis refuses to move'

    port.set_reference_mode(True)
    port.reference('FRF')
    assert port.status_register().referencing, '#4 shows the reference run'
    wait_until(lambda: not port.status_register().referencing, 10, 'reference run never ended')
    assert port.referenced() is True
    assert port.position() == pytest.approx(12.5)

    assert port.travel_range() == (0.0, 25.0)
    assert port.parameter_float(0xE) / port.parameter_float(0xF) == 10000.0

    port.move(13.25)
    assert port.status_register().moving
    wait_until(lambda: settled(port), 10, 'never on target')
    assert port.position() == pytest.approx(13.25, abs=1e-4)
    assert port.target() == pytest.approx(13.25)

    port.move(20.0)
    wait_until(lambda: port.status_register().moving, 2, 'never started')
    port.stop_all()
    wait_until(lambda: not port.status_register().moving, 5, '#24 did not stop the axis')
    assert port.read_error() == 10, '#24 latches error 10'
    assert port.read_error() == 0, 'ERR? clears it'
    assert port.target() == pytest.approx(port.position(), abs=1e-3)

    with pytest.raises(ControllerError) as refused:
        port.move(99999.0)
    assert refused.value.code == 7
    assert 'out of limits' in refused.value.text.lower()
    assert not port.status_register().moving


def test_unknown_command_times_out_and_reads_error_2(port):
    with pytest.raises(ControllerError) as refused:
        port.query('XYZ?')
    assert refused.value.code == 2


def test_stop_all_byte_aborts_a_reference_run(port):
    port.set_servo(True)
    port.reference('FRF')
    wait_until(lambda: port.status_register().referencing, 2, 'never referencing')
    port.stop_all()
    wait_until(lambda: not port.status_register().referencing, 5, '#24 did not stop the reference run')
    assert port.read_error() == 10
    assert port.referenced() is False


def test_muted_controller_is_a_timeout_naming_the_command():
    with Simulator(baud=115200) as sim:
        port = GCSPort(sim.device, 115200, timeout=0.2)
        sim.mute(True)
        with pytest.raises(NoReply, match='POS'):
            port.position()
        port.close()


@pytest.mark.parametrize('baud,wire_ms', [(9600, 19.8), (115200, 1.65)])
def test_pos_round_trip_costs_at_least_its_wire_time(baud, wire_ms):
    """Pacing sanity (not a benchmark): a POS? exchange cannot beat the line."""
    with Simulator(baud=baud) as sim:
        port = GCSPort(sim.device, baud, timeout=1.0)
        start = time.perf_counter()
        for _ in range(5):
            port.position()
        elapsed_ms = (time.perf_counter() - start) * 1000 / 5
        port.close()
    assert elapsed_ms >= wire_ms * 0.9


# ---- firmware variants and faults (simulator/gcs.py) -------------------------------------------

def test_srg_reads_the_status_register(referenced):
    _, port = referenced
    assert port.status_query() == port.status_register()


def test_refused_parameters_and_commands_are_unknown_to_the_firmware(referenced):
    sim, port = referenced
    sim.firmware.refused_parameters = {0xB}
    sim.firmware.refused_commands = {'ACC?'}
    with pytest.raises(ControllerError) as unknown_parameter:
        port.parameter_float(0xB)
    with pytest.raises(ControllerError) as unknown_command:
        port.acceleration()
    assert (unknown_parameter.value.code, unknown_command.value.code) == (54, 2)
    assert not [line for line in port.query('SPA?') if line.startswith('1 0xB=')]
    assert port.deceleration() == 10.0


@pytest.mark.parametrize('fault, register_bit, ont', [(None, True, True), ('register', False, True),
                                                      ('never', False, False)])
def test_on_target_faults(referenced, fault, register_bit, ont):
    sim, port = referenced
    sim.firmware.on_target_fault = fault
    assert (port.status_register().on_target, port.status_query().on_target, port.on_target()) == (
        register_bit, register_bit, ont)


@pytest.mark.parametrize('unflagged', [False, True])
def test_stop_error_unflagged_keeps_error_10_out_of_the_error_flag(referenced, unflagged):
    sim, port = referenced
    sim.firmware.stop_error_unflagged = unflagged
    port.stop_all()
    wait_until(lambda: any(name == 'stop' for _, name, _ in sim.events), 2, 'the stop')
    assert port.status_register().error is not unflagged
    assert port.read_error() == STOPPED_BY_COMMAND
