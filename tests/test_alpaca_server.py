# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The Alpaca HTTP server under bad and many clients, and the daemon without its packages.

Each test runs the real c863_focusd (alpaca_support.py) and talks raw TCP to 127.0.0.1, as a
broken or idle client would: a request cut short never reaches the app (no 500, no traceback),
connections cost no thread each, and a missing Falcon or waitress stops the daemon at start.
"""
import json
import os
import socket
import subprocess
import sys
import time
from contextlib import suppress

import pytest

from alpaca_support import ALPACA_PORT, connect_raw, get, value
from conftest import DAEMON_SCRIPT, config_for, script_env, wait_until
from rockit.focuser.c863.alpaca.server import CLEANUP_INTERVAL, READ_TIMEOUT, WORKER_THREADS

# A PUT that announces 100 bytes of body and sends 10.
TRUNCATED_PUT = (f'PUT /api/v1/focuser/0/connected HTTP/1.1\r\nHost: 127.0.0.1:{ALPACA_PORT}\r\n'
                 'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n'
                 'Connected=').encode()
# A stalled connection is closed READ_TIMEOUT after its last byte, at the next check.
STALL_CLOSED_WITHIN = READ_TIMEOUT + CLEANUP_INTERVAL + 10
IDLE_CONNECTIONS = 200
# Seconds for the server to accept (or close) the idle connections on a loaded machine.
SETTLE_TIMEOUT = 15
EXIT_CONFIG_ERROR = 78
LISTEN = '0A'  # a listening socket's state in /proc/net/tcp

pytest_plugins = ['alpaca_support']  # its fixture alpaca_daemon


def connect():
    return socket.create_connection(('127.0.0.1', ALPACA_PORT), timeout=STALL_CLOSED_WITHIN)


def read_until_closed(conn):
    """Everything the server sends until it closes the connection."""
    answer = b''
    while True:
        chunk = conn.recv(4096)
        if not chunk:
            return answer
        answer += chunk


def threads(pid):
    with open(f'/proc/{pid}/status') as status:
        return next(int(line.split()[1]) for line in status if line.startswith('Threads:'))


def alpaca_connections(pid):
    """How many TCP connections on the Alpaca port the daemon holds open: its socket
    descriptors (/proc/<pid>/fd) that /proc/net/tcp lists on that local port, not listening."""
    held = set()
    for fd in os.listdir(f'/proc/{pid}/fd'):
        with suppress(OSError):
            held.add(os.readlink(f'/proc/{pid}/fd/{fd}'))
    with open('/proc/net/tcp') as table:
        rows = [line.split() for line in table.readlines()[1:]]
    return sum(1 for row in rows if int(row[1].split(':')[1], 16) == ALPACA_PORT and row[3] != LISTEN
               and f'socket:[{row[9]}]' in held)


@pytest.mark.parametrize('then', ['close', 'half-close', 'stall'])
def test_a_put_shorter_than_its_content_length_is_closed_never_a_500(alpaca_daemon, then):
    with connect() as conn:
        conn.sendall(TRUNCATED_PUT)
        if then == 'close':
            answer = b''
        else:
            if then == 'half-close':
                conn.shutdown(socket.SHUT_WR)
            began = time.monotonic()
            answer = read_until_closed(conn)
            assert time.monotonic() - began < STALL_CLOSED_WITHIN
    status_line = answer.split(b'\r\n', 1)[0]
    assert answer == b'' or status_line.split()[1] in (b'400', b'408'), answer
    connect_raw()
    assert value(get('position')) == 125000
    assert 'Traceback' not in alpaca_daemon.output()


def test_200_idle_connections_hold_no_thread_each_and_a_get_still_answers(alpaca_daemon):
    pid = alpaca_daemon.pid
    threads_before = threads(pid)
    idle = [socket.create_connection(('127.0.0.1', ALPACA_PORT), timeout=5) for _ in range(IDLE_CONNECTIONS)]
    try:
        wait_until(lambda: alpaca_connections(pid) >= IDLE_CONNECTIONS, SETTLE_TIMEOUT,
                   'the server did not accept the idle connections')
        connect_raw()
        assert value(get('position')) == 125000
        # The worker pool was running before; the margin is one pool more, not one per connection.
        assert threads(pid) <= threads_before + WORKER_THREADS
    finally:
        for conn in idle:
            conn.close()
    wait_until(lambda: alpaca_connections(pid) == 0, SETTLE_TIMEOUT, 'the server kept the closed connections')
    assert 'Traceback' not in alpaca_daemon.output()


@pytest.mark.parametrize('package', ['falcon', 'waitress'])
def test_alpaca_port_without_its_package_exits_78_with_one_line_before_anything_starts(tmp_path, package):
    shadow = tmp_path / 'shadow' / package
    shadow.mkdir(parents=True)
    (shadow / '__init__.py').write_text(f'raise ModuleNotFoundError("No module named {package!r}")\n')
    config = tmp_path / 'alpaca.json'
    config.write_text(json.dumps(config_for(serial_port='/dev/c863-absent', alpaca_port=ALPACA_PORT)))
    env = script_env()
    env['PYTHONPATH'] = str(tmp_path / 'shadow') + ':' + env['PYTHONPATH']
    result = subprocess.run([sys.executable, str(DAEMON_SCRIPT), '--simulate', str(config)], capture_output=True,
                            text=True, env=env, timeout=30, check=False)
    assert result.returncode == EXIT_CONFIG_ERROR, result.stdout + result.stderr
    assert result.stdout == ''
    assert result.stderr.count('\n') == 1, result.stderr
    assert f'pip install {package}' in result.stderr and f'python3-{package}' in result.stderr
