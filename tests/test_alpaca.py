# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The ASCOM Alpaca server of c863_focusd, end to end: the real daemon on the simulator, driven
by alpyca (ASCOM's Python Alpaca client) and by raw HTTP where the protocol itself is tested.

ConformU's focuser rules are in test_alpaca_conform.py, the setup page in test_alpaca_page.py.
"""
import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from alpaca.exceptions import InvalidOperationException, NotConnectedException, NotImplementedException
from alpaca.focuser import Focuser

from alpaca_support import (
    ADDRESS, ALPACA, ALPACA_PORT, BASE_URL, DEVICE_URL, RAW_CLIENT, SLOW_STAGE, connect_raw, connected_focuser,
    discovery_port, error, get, put, value, wait_until_still)
from conftest import wait_until
from testkit.events import motion_commands
from rockit.focuser.c863.constants import FocuserStatus

pytest_plugins = ['alpaca_support']  # its fixtures: alpaca_daemon, focuser, slow_focuser...

BOTH_PROTOCOLS = pytest.mark.parametrize('protocol', ['gcs', 'native'])
NOT_CONNECTED, INVALID_OPERATION, NOT_IMPLEMENTED, ACTION_NOT_IMPLEMENTED = 0x407, 0x40B, 0x400, 0x40C
NOT_A_CONTROL_MACHINE = 0x500 + 3  # DRIVER_ERROR_BASE + CommandStatus.InvalidControlIP
# A documentation address (RFC 5737): a control machine that is not this one. Nothing is sent to it.
OTHER_MACHINE = '192.0.2.10'


def management(path, **params):
    response = requests.get(f'{BASE_URL}/management/{path}', params=params, timeout=5)
    return value(response)


# ---- management and discovery -------------------------------------------------------------------

def test_management_lists_one_focuser_with_a_unique_id_that_survives_a_restart(alpaca_daemon, daemon_factory):
    assert management('apiversions') == [1]
    description = management('v1/description')
    assert description['ServerName'] == 'c863_focusd' and description['Manufacturer']
    devices = management('v1/configureddevices')
    assert [(d['DeviceType'], d['DeviceNumber']) for d in devices] == [('Focuser', 0)]
    first_id = devices[0]['UniqueID']

    alpaca_daemon.stop()
    daemon_factory(simulator=alpaca_daemon.simulator, **ALPACA)
    assert management('v1/configureddevices')[0]['UniqueID'] == first_id


def test_discovery_answers_with_the_alpaca_port_and_ignores_other_datagrams(alpaca_daemon):
    port = discovery_port(alpaca_daemon)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(5)
        client.sendto(b'hello', ('127.0.0.1', port))
        client.sendto(b'alpacadiscovery1', ('127.0.0.1', port))
        reply, sender = client.recvfrom(1024)
    assert json.loads(reply) == {'AlpacaPort': ALPACA_PORT}
    assert sender == ('127.0.0.1', port)


def test_a_busy_discovery_port_leaves_http_serving_and_says_so(start_alpaca_daemon):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind(('0.0.0.0', 0))  # without SO_REUSEADDR: nobody else may bind it
        busy = holder.getsockname()[1]
        daemon = start_alpaca_daemon(env={'C863_FOCUSD_ALPACA_DISCOVERY_PORT': str(busy)})
        assert management('apiversions') == [1]
    daemon.wait_for_output(f'Alpaca discovery is off: UDP port {busy} cannot be had')


def test_a_busy_alpaca_port_leaves_pyro_serving_and_says_so(start_alpaca_daemon):
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past earlier tests' TIME_WAIT
        holder.bind(('127.0.0.1', ALPACA_PORT))
        holder.listen()
        daemon = start_alpaca_daemon()
        assert daemon.status()['status'] == FocuserStatus.Idle
    daemon.wait_for_output(f'cannot serve Alpaca on 127.0.0.1:{ALPACA_PORT}')


def test_stopping_the_daemon_stops_the_alpaca_server(alpaca_daemon):
    assert management('apiversions') == [1]
    alpaca_daemon.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f'{BASE_URL}/management/apiversions', timeout=5)


def test_without_alpaca_port_nothing_serves_alpaca(ready_daemon):
    with pytest.raises(requests.ConnectionError):
        requests.get(f'{BASE_URL}/management/apiversions', timeout=5)


# ---- connecting -----------------------------------------------------------------------------------

def test_common_members(focuser):
    assert focuser.InterfaceVersion == 4
    assert focuser.SupportedActions == ['home']
    assert focuser.DriverVersion == '1.0'
    assert 'C-863' in focuser.Name and 'C-863' in focuser.Description and focuser.DriverInfo


def test_device_members_need_a_connected_client(alpaca_daemon):
    device = Focuser(ADDRESS, 0)
    assert device.Connected is False
    with pytest.raises(NotConnectedException):
        device.Position
    assert error(put('move', Position=1000))[0] == NOT_CONNECTED
    device.Connected = True
    assert device.Position == alpaca_daemon.status()['current_steps']


@BOTH_PROTOCOLS
def test_connecting_initializes_an_offline_daemon_without_moving(daemon_factory, simulator):
    daemon = daemon_factory(**ALPACA)
    assert daemon.status()['status'] == FocuserStatus.Disabled
    device = Focuser(ADDRESS, 0)
    device.Connected = True
    assert device.Connected is True
    assert daemon.status()['status'] == FocuserStatus.NotHomed
    assert simulator.state()['moving'] is False
    with pytest.raises(InvalidOperationException, match='not homed'):
        device.Move(1000)


def test_clients_connecting_at_once_to_an_offline_daemon_all_connect(daemon_factory, simulator):
    daemon = daemon_factory(**ALPACA)
    clients = range(1, 5)
    with ThreadPoolExecutor(len(clients)) as pool:
        answers = list(pool.map(lambda client: put('connected', client, Connected='true').json(), clients))
    assert [answer['ErrorMessage'] for answer in answers] == [''] * len(clients)
    assert all(value(get('connected', client)) for client in clients)
    assert daemon.status()['status'] == FocuserStatus.NotHomed


def test_connected_is_per_client_and_disconnecting_keeps_the_daemon_connected(focuser, alpaca_daemon):
    other = RAW_CLIENT
    assert value(get('connected', other)) is False
    connect_raw(other)
    assert value(get('connected', other)) is True
    value(put('connected', other, Connected='false'))
    assert value(get('connected', other)) is False
    assert focuser.Connected is True

    focuser.Connected = False
    assert focuser.Connected is False
    assert alpaca_daemon.status()['status'] == FocuserStatus.Idle  # the serial link stays open


def test_connect_runs_in_the_background_and_disconnect_forgets_the_client(alpaca_daemon):
    value(put('connect'))
    wait_until(lambda: not value(get('connecting')), 10, 'Connecting stayed true')
    assert value(get('connected')) is True
    value(put('disconnect'))
    assert value(get('connected')) is False
    assert alpaca_daemon.status()['status'] == FocuserStatus.Idle


def test_a_daemon_shut_down_over_pyro_shows_as_disconnected(focuser, alpaca_daemon):
    assert alpaca_daemon.call('shutdown') == 0
    assert focuser.Connected is False
    with pytest.raises(NotConnectedException, match='offline'):
        focuser.Position
    focuser.Connected = True  # connecting again initializes it again
    assert focuser.Position == alpaca_daemon.status()['current_steps']


# ---- motion -------------------------------------------------------------------------------------

@BOTH_PROTOCOLS
def test_move_returns_at_once_and_is_moving_until_on_target(slow_focuser, slow_alpaca_daemon):
    focuser, alpaca_daemon = slow_focuser, slow_alpaca_daemon
    target = focuser.Position + 40000
    began = time.monotonic()
    focuser.Move(target)
    returned = time.monotonic()
    assert focuser.IsMoving is True
    wait_until_still(focuser)
    arrived = [when for when, event, _ in alpaca_daemon.simulator.events if event == 'on_target' and when > began]
    assert arrived and arrived[0] > returned  # Move returned while the axis was on its way
    assert focuser.Position == target
    report = alpaca_daemon.status()
    assert (report['current_steps'], report['target_steps']) == (target, target)


def test_positions_count_from_the_effective_minimum_limit(start_alpaca_daemon):
    daemon = start_alpaca_daemon(min_position=50000, nominal_focus_position=100000)
    device = Focuser(ADDRESS, 0)
    device.Connected = True
    report = daemon.status()
    assert device.MaxStep == report['max_steps'] - 50000 == device.MaxIncrement
    assert device.Position == report['current_steps'] - 50000
    device.Move(0)
    wait_until_still(device)
    assert daemon.status()['current_steps'] == 50000 and device.Position == 0


def test_halt_stops_a_move_short_of_its_target(slow_focuser, slow_alpaca_daemon):
    focuser, alpaca_daemon = slow_focuser, slow_alpaca_daemon
    start = focuser.Position
    target = 0 if start > focuser.MaxStep / 2 else focuser.MaxStep
    focuser.Move(target)
    wait_until(lambda: abs(focuser.Position - start) > 10000, 10, 'the move did not get under way')
    focuser.Halt()
    wait_until_still(focuser)
    stopped_at = focuser.Position
    assert abs(stopped_at - target) > 1000
    assert alpaca_daemon.status()['target_steps'] == stopped_at


def test_a_second_move_while_one_runs_is_an_invalid_operation(slow_focuser):
    focuser = slow_focuser
    focuser.Move(0 if focuser.Position > focuser.MaxStep / 2 else focuser.MaxStep)
    connect_raw()
    number, message = error(put('move', Position=1000))
    assert number == INVALID_OPERATION and 'another motion' in message
    focuser.Halt()
    wait_until_still(focuser)


def test_with_the_serial_link_down_moves_are_invalid_and_position_unknown(focuser, alpaca_daemon):
    alpaca_daemon.simulator.unplug()
    alpaca_daemon.wait_for_status(lambda report: report['status'] == FocuserStatus.Error)
    with pytest.raises(InvalidOperationException, match='serial link lost'):
        focuser.Move(1000)
    with pytest.raises(InvalidOperationException, match='serial link lost'):
        focuser.Position
    assert focuser.Connected is True  # the daemon keeps retrying; the client stays connected
    alpaca_daemon.simulator.replug()
    alpaca_daemon.wait_for_status(lambda report: report['status'] == FocuserStatus.Idle)
    assert focuser.Position == alpaca_daemon.status()['current_steps']


@BOTH_PROTOCOLS
def test_home_action_runs_the_reference_run_and_halt_stops_it(daemon_factory, make_simulator):
    daemon = daemon_factory(simulator=make_simulator(**SLOW_STAGE), **ALPACA)
    device = connected_focuser()
    with pytest.raises(InvalidOperationException, match='position unknown'):
        device.Position

    assert device.Action('home', '') == ''
    assert device.IsMoving is True
    daemon.wait_for_status(lambda report: report['status'] == FocuserStatus.Homing)
    device.Halt()
    wait_until_still(device)
    assert daemon.status()['status'] == FocuserStatus.NotHomed

    device.Action('Home', '')
    wait_until_still(device, timeout=60)
    report = daemon.status()
    assert report['status'] == FocuserStatus.Idle
    assert device.Position == report['nominal_steps'] - report['min_steps']


# ---- errors and the protocol ----------------------------------------------------------------------

@BOTH_PROTOCOLS
def test_step_size_is_in_micrometres_where_the_controller_has_units(focuser, protocol):
    if protocol == 'gcs':
        assert focuser.StepSize == pytest.approx(0.1)  # the simulated stage: 10000 counts per mm
    else:
        with pytest.raises(NotImplementedException, match='step size unknown'):
            focuser.StepSize


def test_unsupported_members_are_not_implemented(focuser):
    connect_raw()
    assert error(put('tempcomp', TempComp='true'))[0] == NOT_IMPLEMENTED
    value(put('tempcomp', TempComp='false'))
    assert error(get('temperature'))[0] == NOT_IMPLEMENTED
    for member in ('commandblind', 'commandbool', 'commandstring'):
        assert error(put(member, Command='MOV 1 1', Raw='true'))[0] == NOT_IMPLEMENTED
    number, message = error(put('action', Action='selfdestruct', Parameters=''))
    assert number == ACTION_NOT_IMPLEMENTED and 'home' in message


def test_transaction_ids(alpaca_daemon):
    first = get('interfaceversion', ClientTransactionID=77).json()
    second = get('interfaceversion', ClientTransactionID=78).json()
    assert (first['ClientTransactionID'], second['ClientTransactionID']) == (77, 78)
    assert second['ServerTransactionID'] == first['ServerTransactionID'] + 1
    assert first['ServerTransactionID'] >= 1
    assert put('connected', Connected='true', ClientTransactionID=79).json()['ClientTransactionID'] == 79
    assert get('interfaceversion').json()['ClientTransactionID'] == 0
    assert get('interfaceversion', ClientTransactionID='abc').json()['ClientTransactionID'] == 0


def test_get_parameter_names_are_case_insensitive(alpaca_daemon):
    connect_raw()
    response = requests.get(f'{DEVICE_URL}/connected', params={'clientid': RAW_CLIENT, 'CLIENTTRANSACTIONID': 5},
                            timeout=5)
    assert value(response) is True and response.json()['ClientTransactionID'] == 5


@pytest.mark.parametrize('method, path, form, reason', [
    ('PUT', 'focuser/0/move', {}, 'missing parameter Position'),
    ('PUT', 'focuser/0/move', {'position': '1000'}, '(PUT parameter names are case-sensitive)'),
    ('PUT', 'focuser/0/move', {'Position': 'abc'}, "Position='abc' is not a whole number"),
    ('PUT', 'focuser/0/move', {'Position': '1.5'}, 'is not a whole number'),
    ('PUT', 'focuser/0/move', {'Position': '99999999999'}, 'outside the 32-bit integer range'),
    ('PUT', 'focuser/0/connected', {'Connected': 'yes'}, "Connected='yes' is not true or false"),
    ('PUT', 'focuser/0/connected', {'connected': 'true'}, 'missing parameter Connected'),
    ('PUT', 'focuser/0/action', {'Parameters': ''}, 'missing parameter Action'),
    ('GET', 'focuser/1/position', {}, 'no device focuser/1'),
    ('GET', 'camera/0/position', {}, 'no device camera/0'),
    ('GET', 'focuser/0/Position', {}, "no member 'Position'"),
    ('GET', 'focuser/0/slewtotarget', {}, "no member 'slewtotarget'"),
])
def test_malformed_requests_get_http_400_with_a_reason(alpaca_daemon, method, path, form, reason):
    connect_raw()
    response = requests.request(method, f'{BASE_URL}/api/v1/{path}', data=form, timeout=5)
    assert response.status_code == 400
    assert response.headers['Content-Type'].startswith('text/plain')
    assert reason in response.text
    assert alpaca_daemon.simulator.state()['moving'] is False


def test_a_read_only_member_refuses_put_with_405(alpaca_daemon):
    assert requests.put(f'{DEVICE_URL}/position', data={'Position': '5'}, timeout=5).status_code == 405


@pytest.mark.parametrize('position', ['1_000', '\uff11\uff10\uff10\uff10', ' 100', '100 ', '1e3', '0x10', '', '+-1'])
def test_an_integer_parameter_is_a_sign_and_ascii_digits_only(alpaca_daemon, position):
    """Python's int() reads '1_000' and full-width digits as 1000; Alpaca's integers are plainer."""
    connect_raw()
    before = len(alpaca_daemon.simulator.events)
    response = put('move', Position=position)
    assert response.status_code == 400
    assert f'Position={position!r} is not a whole number: an optional sign and the digits 0-9' in response.text
    assert motion_commands(alpaca_daemon.simulator, since=before) == []


@pytest.mark.parametrize('position, steps', [('+100', 100), ('-0', 0), ('0100', 100)])
def test_a_signed_or_zero_padded_integer_parameter_is_taken(alpaca_daemon, position, steps):
    connect_raw()
    value(put('move', Position=position))
    report = alpaca_daemon.wait_for_status(lambda r: r['status'] == FocuserStatus.Idle and not value(get('ismoving')))
    assert report['target_steps'] == report['min_steps'] + steps


@pytest.mark.parametrize('sent', ['1_000', '\uff11\uff10\uff10\uff10', ' 1000', '1e3'])
def test_a_client_transaction_id_that_is_not_plain_digits_counts_as_0(alpaca_daemon, sent):
    """As ConformU's protocol checks expect: still answered (200), with ClientTransactionID 0."""
    assert get('interfaceversion', ClientTransactionID=sent).json()['ClientTransactionID'] == 0


# ---- access control -------------------------------------------------------------------------------

def test_commands_from_outside_control_machines_are_refused(daemon_factory, simulator):
    daemon = daemon_factory(control_machines=[OTHER_MACHINE], **ALPACA)
    number, message = error(put('connected', Connected='true'))
    assert number == NOT_A_CONTROL_MACHINE and 'not a control machine' in message
    assert daemon.status()['status'] == FocuserStatus.Disabled
    assert value(get('interfaceversion')) == 4  # reading stays open
    for command in ({'command': 'stop'}, {'command': 'move', 'steps': 1000}, {'command': 'home'}):
        response = requests.post(f'{BASE_URL}/setup/v1/focuser/0/command', json=command, timeout=5)
        assert response.json() == {'ok': False, 'message': 'command not accepted from this IP'}
    assert simulator.state()['moving'] is False


# ---- Action without Parameters ---------------------------------------------------------------------

def test_action_home_without_parameters_starts_the_home(slow_focuser, slow_alpaca_daemon):
    """alpyca's one-argument Action('home') sends no Parameters: taken as empty (doc/alpaca.md)."""
    assert slow_focuser.Action('home') == ''
    slow_alpaca_daemon.wait_for_status(lambda report: report['status'] == FocuserStatus.Homing)
    slow_focuser.Halt()
    wait_until_still(slow_focuser)
