# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""What the Alpaca tests share: a real daemon serving Alpaca, clients, and raw HTTP.

The daemon is the real c863_focusd (conftest's fixtures) with alpaca_port set. Its port is the
session's claimed Pyro port + ALPACA_PORT_OFFSET, so the claim that keeps concurrent test runs
apart covers it too. Discovery runs on a free UDP port the daemon picks and logs (never the
real 32227, which another run or a real Alpaca server may hold).
"""
import re

import pytest
import requests
from alpaca.focuser import Focuser

from conftest import TEST_DAEMON, wait_until
from rockit.focuser.c863.site import daemons

ALPACA_PORT_OFFSET = 2000
ALPACA_PORT = getattr(daemons, TEST_DAEMON).port + ALPACA_PORT_OFFSET
ADDRESS = f'127.0.0.1:{ALPACA_PORT}'
BASE_URL = f'http://{ADDRESS}'
DEVICE_URL = f'{BASE_URL}/api/v1/focuser/0'
DISCOVERY_ENV = {'C863_FOCUSD_ALPACA_DISCOVERY_PORT': '0'}
# What daemon_factory needs to start a daemon serving Alpaca: daemon_factory(**ALPACA).
ALPACA = {'alpaca_port': ALPACA_PORT, 'env': DISCOVERY_ENV}
# A raw client's ClientID; alpyca picks its own at random for the whole process.
RAW_CLIENT = 4242
HTTP_TIMEOUT = 5


@pytest.fixture
def start_alpaca_daemon(start_ready_daemon):
    """Starts a ready (referenced, idle) daemon serving Alpaca; keyword arguments override config keys."""
    def start(**overrides):
        return start_ready_daemon(**{**ALPACA, **overrides})
    return start


@pytest.fixture
def alpaca_daemon(start_alpaca_daemon):
    return start_alpaca_daemon()


# A stage slow enough that a test can act during a move however loaded the machine: 2 mm/s =
# 20000 steps/s, so 40000 steps take 2 s; reference runs at the same speed.
SLOW_STAGE = {'velocity': 2.0, 'reference_velocity': 2.0}


@pytest.fixture
def slow_alpaca_daemon(daemon_factory, make_simulator):
    """A daemon serving Alpaca on a slow stage that is referenced and idle."""
    daemon = daemon_factory(simulator=make_simulator(referenced=True, **SLOW_STAGE), **ALPACA)
    assert daemon.call('initialize') == 0, daemon.output()
    daemon.wait_for_status(lambda report: report['status_label'] == 'IDLE')
    return daemon


@pytest.fixture
def slow_focuser(slow_alpaca_daemon):
    """An alpyca Focuser, connected, on the slow stage."""
    return connected_focuser()


def connected_focuser():
    device = Focuser(ADDRESS, 0)
    device.Connected = True
    return device


@pytest.fixture
def focuser(alpaca_daemon):
    """An alpyca Focuser, connected."""
    return connected_focuser()


def get(member, client=RAW_CLIENT, **params):
    """GET /api/v1/focuser/0/<member>; returns the requests.Response."""
    return requests.get(f'{DEVICE_URL}/{member}', params={'ClientID': client, **params}, timeout=HTTP_TIMEOUT)


def put(member, client=RAW_CLIENT, **form):
    """PUT /api/v1/focuser/0/<member> with a form; returns the requests.Response."""
    return requests.put(f'{DEVICE_URL}/{member}', data={'ClientID': client, **form}, timeout=HTTP_TIMEOUT)


def value(response):
    """The Value of a successful Alpaca answer (asserting it was one)."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body['ErrorNumber'], body['ErrorMessage']) == (0, ''), body
    return body.get('Value')


def error(response):
    """(ErrorNumber, ErrorMessage) of an Alpaca answer that carries an ASCOM error."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert body['ErrorNumber'] != 0, body
    return body['ErrorNumber'], body['ErrorMessage']


def connect_raw(client=RAW_CLIENT):
    value(put('connected', client, Connected='true'))


def wait_until_still(device, timeout=20):
    """Until IsMoving is false (the move, home or stop has ended)."""
    wait_until(lambda: not device.IsMoving, timeout, 'the focuser kept moving')


def discovery_port(daemon):
    """The UDP port the daemon's discovery responder bound (it logs it)."""
    found = wait_until(lambda: re.search(r'Alpaca discovery on UDP 0\.0\.0\.0:(\d+)', daemon.output()),
                       10, 'the daemon never logged its discovery port')
    return int(found.group(1))
