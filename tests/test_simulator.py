# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The simulated C-863, driven as a client drives a real one: bytes through a real pty.

Every test talks GCS through pyserial on sim.device (opened exclusively, like the daemon) and
checks what a person at a terminal would see. "No reply" is proven without waiting for a
timeout: replies come in order, so if the next query's reply is the first thing that arrives,
the earlier request produced none.
"""
import math
import time

import pytest
import serial

from rockit.focuser.c863.simulator import Simulator
from testkit.clients import GCSClient

FAST = {'baud': 115200, 'velocity': 10.0, 'reference_velocity': 5.0}


@pytest.fixture
def simulator_options():
    return dict(FAST)


@pytest.fixture
def sim(make_simulator):
    return make_simulator()


@pytest.fixture
def client(sim, connect):
    return connect(sim)


@pytest.fixture
def homed(make_simulator, connect):
    """A client on a simulator that is referenced, servo on, at 12.5 mm, fast to move."""
    sim = make_simulator(referenced=True)
    client = connect(sim)
    client.do('ACC 1 50')
    client.do('DEC 1 50')
    client.sim = sim
    return client


def travel_time(distance, velocity, acceleration, deceleration):
    """Duration of a trapezoidal (or triangular) move from rest to rest."""
    peak = math.sqrt(distance / (1 / (2 * acceleration) + 1 / (2 * deceleration)))
    if peak <= velocity:
        return peak / acceleration + peak / deceleration
    ramps = velocity ** 2 / (2 * acceleration) + velocity ** 2 / (2 * deceleration)
    return velocity / acceleration + velocity / deceleration + (distance - ramps) / velocity


def event_time(sim, name, detail=None, after=0.0):
    """Time of the first event of that name (and detail) after a time."""
    for when, event, what in sim.events:
        if event == name and when > after and (detail is None or what == detail):
            return when
    raise AssertionError(f'no {name} {detail or ""} event after {after}: {sim.events}')


def status(client):
    return int(client.ask(b'\x04').rstrip('\n'), 16)


ON_TARGET, REFERENCING, IN_MOTION, SERVO_ON, ERROR_FLAG = 1 << 15, 1 << 14, 1 << 13, 1 << 12, 1 << 8
NEGATIVE_LIMIT, REFERENCE_SIGNAL, POSITIVE_LIMIT = 1 << 0, 1 << 1, 1 << 2


# --- identification, as PIPython, EPICS and Odemis parse it --------------------------------------

def test_identification_names_the_model_in_the_second_field(client):
    idn = client.ask(b'*IDN?\n')
    assert idn.endswith('\n') and idn.count('\n') == 1
    fields = [field.strip() for field in idn.split(',')]
    assert fields[0].startswith('(c)') and 'Physik Instrumente' in fields[0]
    assert fields[1] == 'C-863.12'
    assert client.ask(b'CSV?\n') == '2.0\n'
    assert client.ask(b'SAI?\n') == '1\n'
    assert client.ask(b'SAI? ALL\n') == '1\n'


def test_model_can_be_the_older_gcs_firmware(make_simulator, connect):
    client = connect(make_simulator(model='C-863.11'))
    assert client.ask(b'*IDN?\n').split(',')[1].strip() == 'C-863.11'


def test_multi_line_replies_end_every_line_but_the_last_in_space_lf(client):
    for query in (b'VER?\n', b'HLP?\n', b'HPA?\n', b'SPA?\n'):
        reply = client.ask(query)
        lines = reply.split('\n')[:-1]
        assert len(lines) > 2, query
        assert all(line.endswith(' ') for line in lines[:-1]), query
        assert not lines[-1].endswith(' '), query
        assert '\r' not in reply


def test_help_lists_every_command_between_a_heading_and_end_of_help(client):
    lines = [line.rstrip() for line in client.ask(b'HLP?\n').split('\n')[:-1]]
    assert lines[-1] == 'end of help'
    listed = [line.split()[0] for line in lines[1:-1]]
    for mnemonic in ('#4', '#5', '#7', '#24', '*IDN?', 'ERR?', 'SVO', 'FRF', 'FRF?', 'MOV', 'MVR',
                     'POS?', 'ONT?', 'HLT', 'STP', 'SPA?', 'TMN?', 'TMX?', 'VEL', 'RBT'):
        assert mnemonic in listed
    # Every listed line command exists: with nonsense arguments it is refused, but not as unknown.
    for mnemonic in listed:
        if not mnemonic.startswith('#'):
            assert client.refused(f'{mnemonic} 1 0xZZ 9 9\n'.encode()) not in (0, 2), mnemonic


def test_parameter_list_gives_hex_id_and_type_in_the_fourth_token(client):
    lines = [line for line in client.ask(b'HPA?\n').split('\n') if '=' in line]
    assert len(lines) >= 13
    ids = []
    for line in lines:
        tokens = line.split()
        assert tokens[0].startswith('0x') and tokens[0].endswith('=')
        assert tokens[3] in ('INT', 'FLOAT', 'CHAR')
        ids.append(int(tokens[0][:-1], 16))
    for pid in (0xA, 0xB, 0xC, 0xE, 0xF, 0x14, 0x15, 0x16, 0x30, 0x32, 0x36, 0x3F, 0x50):
        assert pid in ids
        assert client.ask(f'SPA? 1 0x{pid:X}\n'.encode()).startswith(f'1 0x{pid:X}=')


def test_multi_line_replies_can_start_with_a_nul(sim, client):
    sim.firmware.nul_before_multiline = True
    assert client.ask(b'HLP?\n').startswith('\x00The following commands')
    assert client.ask(b'ERR?\n') == '0\n'


def test_stage_capabilities_and_travel_range(client):
    assert client.value('TRS? 1') == '1'
    assert client.value('LIM? 1') == '1'
    assert client.value('CST? 1')
    assert client.number('TMN? 1') == 0.0
    assert client.number('TMX? 1') == 25.0
    assert client.value('SPA? 1 0xE') == '10000'
    assert client.value('SPA? 1 0xF') == '1'
    assert client.number('SPA? 1 0x16') == 12.5


# --- power-on state ------------------------------------------------------------------------------

def test_power_on_state_is_servo_off_unreferenced_no_error(client):
    assert client.value('SVO? 1') == '0'
    assert client.value('RON? 1') == '1'
    assert client.value('FRF? 1') == '0'
    assert client.number('POS? 1') == 0.0
    assert client.value('ONT? 1') == '0'
    assert client.ask(b'\x04') == '0x0000\n'
    assert client.ask(b'\x05') == '0\n'
    assert client.port.write(b'\x07') and client.reply() == b'\xb1\n'
    assert client.error() == 0


def test_limit_switch_bits_can_be_active_low(sim, client):
    sim.firmware.limit_switches_active_low = True
    assert client.ask(b'\x04') == '0x0005\n'  # like the manual's 0x9005 example: no switch hit


def test_servo_on_holds_position_and_settles_on_target(client):
    client.do('SVO 1 1')
    assert client.value('SVO? 1') == '1'
    client.wait(lambda: client.value('ONT? 1') == '1', message='on target after servo on')
    assert status(client) == ON_TARGET | SERVO_ON
    assert client.number('MOV? 1') == client.number('POS? 1')


# --- referencing ---------------------------------------------------------------------------------

def test_reference_run_takes_time_and_sets_the_reference_value(sim, client):
    client.do('SVO 1 1')
    client.do('ACC 1 50')
    client.do('DEC 1 50')
    client.do('FRF 1')
    assert client.port.write(b'\x07') and client.reply() == b'\xb0\n'
    busy = REFERENCING | IN_MOTION | SERVO_ON
    assert status(client) & busy == busy
    assert client.ask(b'\x05') == '1\n'
    assert client.value('FRF? 1') == '0'
    client.wait(lambda: client.ask(b'\x07') == '\xb1\n', message='ready after FRF')
    assert client.value('FRF? 1') == '1'
    assert client.number('POS? 1') == 12.5
    assert client.error() == 0
    # From 7.5 mm (physical) coarse to 0.5 mm before the switch at VEL, then the rest at 0x50.
    expected = travel_time(4.5, 10, 50, 50) + travel_time(0.5, 5, 50, 50)
    started = event_time(sim, 'command', 'FRF 1')
    assert event_time(sim, 'reference_done', 'FRF') - started == pytest.approx(expected, abs=1e-6)


def test_reference_to_the_limit_switches(homed):
    for setting in ('SPA 1 0x4A 1000', 'SPA 1 0x4B 1000', 'ACC 1 1000', 'DEC 1 1000',
                    'SPA 1 0xA 100', 'VEL 1 100', 'SPA 1 0x50 20'):
        homed.do(setting)
    homed.do('FNL 1')
    homed.wait(lambda: homed.value('FRF? 1') == '1', message='FNL done')
    assert homed.number('POS? 1') == 0.0
    assert status(homed) & (NEGATIVE_LIMIT | POSITIVE_LIMIT) == NEGATIVE_LIMIT
    homed.do('FPL 1')
    homed.wait(lambda: homed.value('FRF? 1') == '1', message='FPL done')
    assert homed.number('POS? 1') == 25.0
    assert status(homed) & (NEGATIVE_LIMIT | POSITIVE_LIMIT) == POSITIVE_LIMIT


def test_reference_run_is_refused_without_servo_or_reference_mode(client):
    assert client.refused(b'FRF 1\n') == 5
    client.do('SVO 1 1')
    client.do('RON 1 0')
    assert client.refused(b'FRF 1\n') == 50
    assert client.ask(b'\x07') == '\xb1\n'


def test_motion_commands_are_refused_during_a_reference_run(sim, client):
    client.do('SVO 1 1')
    client.do('ACC 1 50')
    client.do('DEC 1 50')
    client.do('FRF 1')
    assert client.refused(b'MOV 1 3\n') == 1005
    assert client.refused(b'SVO 1 0\n') == 1005
    assert client.refused(b'FRF 1\n') == 1005
    assert client.value('SVO? 1') == '1'
    assert client.ask(b'\x07') == '\xb0\n'
    sim.wait_for(lambda state: state['referenced'])
    assert client.number('MOV? 1') == 12.5


def test_stop_aborts_a_reference_run_and_it_stays_unreferenced(client):
    for stop in (b'STP\n', b'\x18'):
        client.do('SVO 1 1')
        client.do('FRF 1')
        assert client.ask(b'\x07') == '\xb0\n'
        client.send(stop)
        assert client.error() == 10
        assert client.ask(b'\x07') == '\xb1\n'
        assert client.ask(b'\x05') == '0\n'
        assert client.value('FRF? 1') == '0'


def test_position_can_be_set_with_reference_mode_off(client):
    assert client.refused(b'POS 1 3\n') == 88
    client.do('RON 1 0')
    client.do('POS 1 3')
    assert client.value('FRF? 1') == '1'
    assert client.number('POS? 1') == 3.0
    client.do('RON 1 1')
    client.do('SVO 1 1')
    client.do('MOV 1 4')
    client.wait(lambda: client.value('ONT? 1') == '1', message='on target at 4')
    assert client.number('POS? 1') == 4.0


# --- motion --------------------------------------------------------------------------------------

def test_move_follows_a_trapezoid_and_settles_on_target(homed):
    sim = homed.sim
    homed.do('VEL 1 5')
    homed.do('MOV 1 17.5')
    assert homed.number('MOV? 1') == 17.5
    assert status(homed) & (IN_MOTION | ON_TARGET) == IN_MOTION
    halfway = homed.number('POS? 1')
    assert 12.5 < halfway < 17.5
    homed.wait(lambda: homed.value('ONT? 1') == '1', message='on target')
    assert homed.number('POS? 1') == 17.5
    assert homed.ask(b'\x05') == '0\n'
    # 0.1 s ramps at 50 mm/s2 and 0.9 s at 5 mm/s, then the 0.02 s settle time.
    started = event_time(sim, 'command', 'MOV 1 17.5')
    assert event_time(sim, 'on_target', after=started) - started == pytest.approx(1.12, abs=1e-6)


def test_settle_time_delays_on_target(homed):
    sim = homed.sim
    homed.do('SPA 1 0x3F 0.5')
    homed.do('MOV 1 13')
    sim.wait_for(lambda state: state['on_target'])
    started = event_time(sim, 'command', 'MOV 1 13')
    on_target = event_time(sim, 'on_target', after=started)
    assert on_target - started == pytest.approx(travel_time(0.5, 10, 50, 50) + 0.5, abs=1e-6)


def test_on_target_needs_the_servo(homed):
    homed.wait(lambda: homed.value('ONT? 1') == '1', message='on target')
    homed.do('SVO 1 0')
    assert homed.value('ONT? 1') == '0'
    assert status(homed) & (ON_TARGET | SERVO_ON) == 0


def test_relative_move_adds_to_the_last_target_even_while_moving(homed):
    homed.do('MOV 1 20')
    homed.do('MVR 1 -5')
    assert homed.number('MOV? 1') == 15.0
    homed.wait(lambda: homed.value('ONT? 1') == '1', message='on target')
    assert homed.number('POS? 1') == 15.0


def test_a_new_target_during_a_move_is_reached(homed):
    homed.do('MOV 1 20')
    homed.wait(lambda: homed.number('POS? 1') > 14, message='moving up')
    homed.do('MOV 1 10')
    homed.wait(lambda: homed.value('ONT? 1') == '1', message='on target')
    assert homed.number('POS? 1') == 10.0


def test_floats_in_every_client_format_are_accepted(homed):
    for text, value in (('+0012.600000', 12.6), ('1.27e1', 12.7), ('12.8', 12.8), ('13', 13.0),
                        ('013.000000', 13.0)):
        homed.do(f'MOV 1 {text}')
        assert homed.number('MOV? 1') == value
    for bad in ('abc', 'nan', 'inf', '1,5', '0x10', ''):
        assert homed.refused(f'MOV 1 {bad}\n'.encode()) == 1, bad
    assert homed.number('MOV? 1') == 13.0


def test_out_of_range_move_is_refused_and_nothing_moves(homed):
    for target in ('25.0001', '-0.5', '1000'):
        assert homed.refused(f'MOV 1 {target}\n'.encode()) == 7
    assert homed.refused(b'MVR 1 13\n') == 7
    assert homed.ask(b'\x05') == '0\n'
    assert homed.number('MOV? 1') == 12.5


def test_moves_need_the_servo_and_a_reference(make_simulator, connect):
    client = connect(make_simulator())
    assert client.refused(b'MOV 1 1\n') == 5
    client.do('SVO 1 1')
    assert client.refused(b'MOV 1 1\n') == 5
    assert client.refused(b'MVR 1 1\n') == 5
    homed = connect(make_simulator(referenced=True))
    homed.do('SVO 1 0')
    assert homed.refused(b'MOV 1 1\n') == 5
    assert homed.ask(b'\x05') == '0\n'


def test_velocity_above_the_maximum_is_refused(homed):
    assert homed.number('SPA? 1 0xA') == 10.0
    assert homed.refused(b'VEL 1 10.5\n') == 8
    assert homed.refused(b'VEL 1 0\n') == 8
    assert homed.number('VEL? 1') == 10.0
    homed.do('VEL 1 2.5')
    assert homed.number('VEL? 1') == 2.5
    assert homed.number('SPA? 1 0x49') == 2.5


def test_limit_switch_stops_a_move_that_runs_past_the_end(homed):
    homed.do('RON 1 0')
    homed.do('POS 1 5')  # physically at 12.5: the reported range is now shifted by -7.5
    homed.send(b'MOV 1 20\n')
    homed.wait(lambda: homed.ask(b'\x05') == '0\n', message='stopped')
    assert homed.error() == 216
    assert homed.number('POS? 1') == 17.5
    assert homed.number('MOV? 1') == 17.5
    assert status(homed) & POSITIVE_LIMIT


# --- stopping ------------------------------------------------------------------------------------

@pytest.mark.parametrize('stop, name', [(b'HLT 1\n', 'HLT'), (b'STP\n', 'STP'), (b'\x18', '#24')])
def test_stops_latch_error_10_and_leave_target_at_the_position(homed, stop, name):
    homed.do('MOV 1 24')
    homed.wait(lambda: homed.number('POS? 1') > 14, message='moving')
    homed.send(stop)
    assert homed.error() == 10
    assert homed.error() == 0
    homed.wait(lambda: homed.ask(b'\x05') == '0\n', message='at rest')
    position = homed.number('POS? 1')
    assert 14 < position < 24
    assert homed.number('MOV? 1') == pytest.approx(position, abs=1e-4)
    homed.wait(lambda: homed.value('ONT? 1') == '1', message='on target after the stop')
    assert [detail for _, event, detail in homed.sim.events if event == 'stop'] == [name]


def test_halt_decelerates_to_rest(homed):
    homed.do('DEC 1 10')  # 1 s to brake from 10 mm/s
    homed.do('MOV 1 24')
    homed.wait(lambda: homed.number('POS? 1') > 14, message='at speed')
    homed.send(b'HLT 1\n')
    assert homed.error() == 10
    assert homed.ask(b'\x05') == '1\n'  # still braking
    braking_from = homed.number('POS? 1')
    homed.wait(lambda: homed.ask(b'\x05') == '0\n', message='at rest')
    rest = homed.number('POS? 1')
    assert braking_from < rest < 24
    assert homed.number('MOV? 1') == pytest.approx(rest, abs=1e-4)


def test_stop_is_abrupt(homed):
    homed.do('MOV 1 24')
    homed.wait(lambda: homed.number('POS? 1') > 14, message='at speed')
    homed.send(b'STP\n')
    assert homed.error() == 10
    assert homed.ask(b'\x05') == '0\n'
    assert homed.number('MOV? 1') == pytest.approx(homed.number('POS? 1'), abs=1e-4)


def test_stop_byte_is_handled_on_arrival_while_a_long_reply_is_on_the_wire(make_simulator, connect):
    sim = make_simulator(baud=9600, referenced=True)
    client = connect(sim)
    client.do('MOV 1 24')
    client.send(b'SPA?\n\x18')  # a ~400-byte reply takes ~0.4 s on the wire at 9600
    parameters = client.reply()
    received = time.monotonic()
    assert parameters.count(b'\n') > 15
    stopped = event_time(sim, 'stop', '#24')
    assert stopped < received - 0.2
    assert client.error() == 10
    assert not sim.state()['moving']


# --- bad input -----------------------------------------------------------------------------------

def test_unknown_command_gets_no_reply_and_error_2(client):
    assert client.refused(b'XYZ?\n') == 2
    assert client.refused(b'ONL 1 1\n') == 2
    assert client.refused(b'ERR?\r\n') == 2  # a CR is not a line end
    assert client.error() == 0


def test_mnemonics_are_case_insensitive(client):
    assert client.ask(b'pos? 1\n') == '1=0.000000\n'
    assert client.ask(b'*idn?\n').startswith('(c)')


def test_unknown_parameter_gets_no_reply_and_error_54(client):
    assert client.refused(b'SPA? 1 0x9999\n') == 54
    assert client.refused(b'SPA 1 0x9999 1\n') == 54
    assert client.refused(b'SPA? 1 zz\n') == 1


def test_wrong_axis_gets_no_reply_and_error_15(client):
    assert client.refused(b'POS? 2\n') == 15
    assert client.refused(b'SVO A 1\n') == 15
    assert client.refused(b'SPA? 2 0xE\n') == 15
    assert client.value('SVO? 1') == '0'


def test_a_line_is_all_or_nothing_one_element_per_line(homed):
    assert homed.refused(b'MOV 1 13 1 14\n') == 1
    assert homed.refused(b'SPA 1 0xB 20 1 0xC 20\n') == 1
    assert homed.refused(b'POS? 1 1\n') == 1
    assert homed.refused(b'MOV 1\n') == 1
    assert homed.refused(b'SVO 1 2\n') == 1
    assert homed.number('MOV? 1') == 12.5
    assert homed.number('ACC? 1') == 50.0


def test_bad_parameter_values_change_nothing(client):
    assert client.refused(b'SPA 1 0xE 1.5\n') == 1
    assert client.refused(b'SPA 1 0x36 -1\n') == 17
    assert client.refused(b'ACC 1 51\n') == 17
    assert client.value('SPA? 1 0xE') == '10000'
    assert client.value('SPA? 1 0x36') == '10'


def test_error_register_keeps_the_last_error_until_read(client):
    client.send(b'MOV 1 99\n')
    client.send(b'POS? 7\n')
    assert client.error() == 15
    assert client.error() == 0
    assert status(client) & ERROR_FLAG == 0
    client.send(b'XYZ\n')
    assert status(client) & ERROR_FLAG
    assert client.error() == 2


def test_overlong_line_is_discarded_with_error_3(client):
    assert client.refused(b'POS? ' + b'1' * 300 + b'\n') == 3
    assert client.ask(b'POS? 1\n') == '1=0.000000\n'


def test_empty_lines_are_ignored(client):
    client.send(b'\n\n   \n')
    assert client.ask(b'ERR?\n') == '0\n'


# --- parameters ----------------------------------------------------------------------------------

def test_parameter_ids_in_decimal_or_hex(client):
    assert client.ask(b'SPA? 1 14\n') == '1 14=10000\n'
    assert client.ask(b'SPA? 1 0xE\n') == '1 0xE=10000\n'
    assert client.ask(b'SPA? 1 0xe\n') == '1 0xe=10000\n'
    client.do('SPA 1 11 20')
    assert client.number('ACC? 1') == 20.0
    client.do('SPA 1 0x3F 0.05')
    assert client.number('SPA? 1 63') == 0.05
    client.do('DEC 1 30')
    assert client.number('SPA? 1 0xC') == 30.0


# --- addressing and framing ----------------------------------------------------------------------

def test_addressed_requests_get_the_address_on_the_first_reply_line(client):
    assert client.ask(b'1 POS? 1\n') == '0 1 1=0.000000\n'
    assert client.ask(b'1 0 POS? 1\n') == '0 1 1=0.000000\n'
    assert client.ask(b'1 \x04') == '0 1 0x0000\n'
    assert client.ask(b'1 \x05\n') == '0 1 0\n'
    assert client.ask(b'1 0 \x07') == '0 1 \xb1\n'
    version = client.ask(b'1 VER?\n').split('\n')
    assert version[0].startswith('0 1 (c)')
    assert all(not line.startswith('0 1') for line in version[1:])
    assert client.ask(b'ERR?\n') == '0\n'


def test_lines_for_other_addresses_are_ignored(client):
    client.send(b'2 SVO 1 1\n2 ERR?\n3 \x04')
    assert client.ask(b'ERR?\n') == '0\n'
    assert client.value('SVO? 1') == '0'


def test_broadcast_is_executed_but_never_answered(client):
    client.send(b'255 SVO 1 1\n255 ERR?\n')
    assert client.value('SVO? 1') == '1'


def test_a_controller_at_another_address_answers_only_its_address(make_simulator, connect):
    client = connect(make_simulator(address=2))
    client.send(b'ERR?\n1 ERR?\n')
    assert client.ask(b'2 ERR?\n') == '0 2 0\n'
    assert client.ask(b'2 \x04') == '0 2 0x0000\n'


def test_single_bytes_are_commands_even_inside_a_partial_line(client):
    client.send(b'POS')
    assert client.ask(b'\x05') == '0\n'
    assert client.ask(b'? 1\n') == '1=0.000000\n'


def test_pipelined_requests_are_answered_in_order(client):
    client.send(b'ERR?\n\x05SVO? 1\nXYZ?\nCSV?\n')
    assert client.reply() == b'0\n'
    assert client.reply() == b'0\n'
    assert client.reply() == b'1=0\n'
    assert client.reply() == b'2.0\n'
    assert client.error() == 2


# --- pacing --------------------------------------------------------------------------------------

def round_trip(client, request=b'POS? 1\n'):
    start = time.monotonic()
    client.ask(request)
    return time.monotonic() - start


def test_replies_are_paced_at_the_baud_rate(make_simulator, connect):
    slow = connect(make_simulator(baud=9600))
    wire_time = (len(b'POS? 1\n') + len(b'1=0.000000\n')) * 10 / 9600
    assert min(round_trip(slow) for _ in range(5)) >= wire_time
    fast = connect(make_simulator(baud=115200))
    # The quickest of twenty: on a loaded machine any single exchange may wait for the CPU.
    assert min(round_trip(fast) for _ in range(20)) < wire_time / 2


def test_reply_delay_slows_every_reply(sim, client):
    sim.reply_delay = 0.2
    assert round_trip(client) >= 0.2
    sim.reply_delay = 0
    assert round_trip(client) < 0.2


# --- faults --------------------------------------------------------------------------------------

def test_unplug_fails_the_client_and_replug_works_through_the_link(make_simulator, connect,
                                                                   tmp_path):
    link = tmp_path / 'focuser'
    sim = make_simulator(link=str(link), referenced=True)
    assert sim.device == str(link)
    client = connect(sim)
    assert client.ask(b'ERR?\n') == '0\n'
    old_pty = link.resolve()
    sim.unplug()
    assert not link.exists()
    with pytest.raises(serial.SerialException):
        client.ask(b'ERR?\n')
    sim.replug()
    assert link.resolve() != old_pty  # a new device (the old one is still held open)
    client.close()
    again = connect(sim)
    assert again.value('FRF? 1') == '1'  # the controller kept its state
    assert sim.state()['plugged']


def test_a_second_client_cannot_open_the_device(sim, client):
    with pytest.raises(serial.SerialException):
        GCSClient(sim.device)
    assert client.ask(b'ERR?\n') == '0\n'


def test_mute_executes_commands_but_never_replies(sim, client):
    sim.mute(True)
    client.send(b'SVO 1 1\nSVO? 1\n')
    client.wait(lambda: ('command', 'SVO? 1') in [event[1:] for event in sim.events],
                message='SVO? received')
    sim.mute(False)
    assert client.ask(b'CSV?\n') == '2.0\n'
    assert sim.state()['servo']


def test_garbage_arrives_as_sent(sim, client):
    sim.send_garbage(b'\xff\x00junk\n')
    assert client.reply() == b'\xff\x00junk\n'
    assert client.ask(b'ERR?\n') == '0\n'


def test_garbled_replies(sim, client):
    sim.garble_replies(True)
    assert client.ask(b'ERR?\n') == '\xb0\n'
    sent = sim.state()['bytes_sent']
    sim.garble_replies(True, how='truncate')
    client.send(b'ERR?\nCSV?\n')
    sim.wait_for(lambda state: state['bytes_sent'] >= sent + 4)
    sim.garble_replies(False)
    assert client.ask(b'ERR?\n') == '02.00\n'
    with pytest.raises(ValueError):
        sim.garble_replies(True, how='shuffle')


def test_power_cycle_forgets_reference_and_servo_but_not_where_the_carriage_is(homed):
    sim = homed.sim
    homed.do('MOV 1 20')
    homed.wait(lambda: homed.value('ONT? 1') == '1', message='at 20')
    sim.inject_error(7)
    sim.power_cycle()
    assert homed.value('SVO? 1') == '0'
    assert homed.value('FRF? 1') == '0'
    assert homed.value('RON? 1') == '1'
    assert homed.number('POS? 1') == 0.0
    assert homed.number('ACC? 1') == 10.0  # RAM parameters reloaded
    assert homed.error() == 0
    assert sim.state()['physical_position'] == 20.0


def test_reboot_is_deaf_for_a_while_then_at_power_on(sim, client):
    sim.firmware.reboot_seconds = 0.3
    client.do('SVO 1 1')
    start = time.monotonic()
    client.send(b'RBT\n\x07')
    while True:  # the controller answers nothing until the reboot is over
        client.send(b'ERR?\n')
        try:
            reply = client.reply(timeout=0.05)
            break
        except TimeoutError:
            assert time.monotonic() - start < 5, 'never came back from RBT'
    assert reply == b'0\n'
    assert time.monotonic() - start >= 0.3
    assert client.value('SVO? 1') == '0'


def test_following_error_drops_the_servo_and_stops_the_axis(homed):
    sim = homed.sim
    homed.do('MOV 1 24')
    homed.wait(lambda: homed.number('POS? 1') > 14, message='moving')
    sim.following_error()
    assert homed.value('SVO? 1') == '0'
    assert homed.ask(b'\x05') == '0\n'
    assert status(homed) & (SERVO_ON | ERROR_FLAG) == ERROR_FLAG
    assert homed.error() == 1024
    stopped_at = homed.number('POS? 1')
    assert 14 < stopped_at < 24
    assert homed.number('POS? 1') == stopped_at
    assert homed.refused(b'MOV 1 12\n') == 5


def test_injected_error_is_latched(sim, client):
    sim.inject_error(555)
    assert client.error() == 555
    assert client.error() == 0


def test_state_and_events(homed):
    sim = homed.sim
    state = sim.state()
    assert state['referenced'] and state['servo'] and not state['moving']
    assert state['counts_per_unit'] == 10000
    assert (state['min'], state['max']) == (0.0, 25.0)
    homed.do('MOV 1 13')
    assert sim.wait_for(lambda s: s['on_target'])['position'] == 13.0
    names = [name for _, name, _ in sim.events]
    assert 'on_target' in names and names.count('command') >= 4
    times = [when for when, _, _ in sim.events]
    assert times == sorted(times)
    with pytest.raises(TimeoutError):
        sim.wait_for(lambda s: s['position'] > 100, timeout=0.05)


# --- TCP -----------------------------------------------------------------------------------------

def test_tcp_serves_the_same_controller_to_one_client_at_a_time(make_simulator, connect):
    sim = make_simulator(tcp_port=0)
    assert sim.device.startswith('socket://127.0.0.1:')
    client = connect(sim)
    assert client.ask(b'*IDN?\n').split(',')[1].strip() == 'C-863.12'
    intruder = serial.serial_for_url(sim.device, timeout=0.5)
    intruder.write(b'SVO 1 1\n')
    with pytest.raises(serial.SerialException):
        intruder.read(10)  # closed by the server
    intruder.close()
    assert client.value('SVO? 1') == '0'
    client.close()
    again = connect(sim)
    assert again.ask(b'ERR?\n') == '0\n'
    sim.unplug()  # the terminal server goes away
    with pytest.raises(serial.SerialException):
        again.ask(b'ERR?\n')
    sim.replug()
    assert connect(sim).ask(b'ERR?\n') == '0\n'


def test_link_and_tcp_do_not_mix():
    with pytest.raises(ValueError):
        Simulator(link='/tmp/x', tcp_port=0)


def test_a_file_in_the_way_of_the_link_is_left_alone(tmp_path):
    path = tmp_path / 'focuser'
    path.write_text('not a device')
    sim = Simulator(link=str(path))
    with pytest.raises(FileExistsError):
        sim.start()
    sim.close()
    assert path.read_text() == 'not a device'


def test_closing_twice_is_harmless():
    with Simulator(tcp_port=0) as sim:
        assert sim.device.startswith('socket://')
    sim.close()
