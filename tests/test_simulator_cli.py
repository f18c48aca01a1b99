# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The simulator's command line, run as a real process: what a person or the daemon's
--simulate sees. A client drives the printed device with pyserial; faults go in on stdin."""
import contextlib
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT, script_env, wait_until
from testkit.clients import GCSClient, NativeClient

FAST = ('--baud', '115200', '--velocity', '10', '--reference-velocity', '5')


def oldest_supported_python():
    """A working Python 3.9 if this machine has one: the simulator needs no third-party
    package, so its command line is also run there to catch newer syntax."""
    candidates = [shutil.which('python3.9')] + sorted(glob.glob(
        os.path.expanduser('~/.pyenv/versions/3.9*/bin/python3.9')))
    for path in filter(None, candidates):
        check = subprocess.run([path, '-c', 'import sys; assert sys.version_info[:2] == (3, 9)'],
                               capture_output=True, check=False)
        if check.returncode == 0:
            return [path]
    return []


INTERPRETERS = [sys.executable] + oldest_supported_python()


class SimulatorProcess:
    def __init__(self, *args, python=sys.executable):
        self.process = subprocess.Popen(
            [python, '-m', 'rockit.focuser.c863.simulator', *args], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=script_env(), cwd=ROOT)
        self.device = self.process.stdout.readline().strip()
        self._client = None

    def control(self, line):
        """Sends a control command on stdin and returns the line it answers."""
        self.process.stdin.write(line + '\n')
        self.process.stdin.flush()
        return self.process.stdout.readline().rstrip('\n')

    def client(self):
        """A GCS client on the printed device, opened on first use."""
        if self._client is None:
            self._client = GCSClient(self.device)
        return self._client

    def ask(self, request):
        return self.client().ask(request)

    def port(self):
        return self.client().port

    def terminate(self, signum=signal.SIGTERM):
        """Sends the signal and returns the exit status."""
        if self._client is not None:
            self._client.close()
        self.process.send_signal(signum)
        status = self.process.wait(10)
        self.process.stdin.close()
        self.process.stdout.close()
        self.process.stderr.close()
        return status

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def run():
    processes = []

    def start(*args, **options):
        process = SimulatorProcess(*args, **options)
        processes.append(process)
        return process
    yield start
    for process in processes:
        process.kill()


def read_exactly(port, count, timeout=5.0):
    data = b''
    deadline = time.monotonic() + timeout
    while len(data) < count:
        assert time.monotonic() < deadline, f'only {data!r} of {count} bytes arrived'
        data += port.read(count - len(data))
    return data


@pytest.mark.parametrize('python', INTERPRETERS, ids=os.path.basename)
def test_pty_device_can_be_driven_like_a_c863_and_sigterm_removes_the_link(run, tmp_path, python):
    link = tmp_path / 'focuser'
    sim = run('--pty', '--link', str(link), *FAST, python=python)
    assert sim.device == str(link)
    assert link.is_symlink() and os.readlink(link).startswith('/dev/pts/')
    assert sim.ask(b'*IDN?\n').split(',')[1].strip() == 'C-863.12'
    sim.port().write(b'SVO 1 1\nFRF 1\n')
    wait_until(lambda: sim.ask(b'FRF? 1\n') == '1=1\n')
    sim.port().write(b'MOV 1 14\n')
    wait_until(lambda: sim.ask(b'ONT? 1\n') == '1=1\n')
    assert sim.ask(b'POS? 1\n') == '1=14.000000\n'
    sim.port().write(b'HLT 1\n')
    assert sim.ask(b'ERR?\n') == '10\n'
    assert sim.terminate() == 0
    assert not link.exists() and not link.is_symlink()


def test_without_link_the_pty_path_is_printed_and_sigint_exits_cleanly(run):
    sim = run('--pty', '--baud', '9600', '--address', '2')
    assert sim.device.startswith('/dev/pts/')
    assert sim.ask(b'2 ERR?\n') == '0 2 0\n'
    assert sim.terminate(signal.SIGINT) == 0


def test_referenced_start(run):
    sim = run('--referenced', *FAST)
    assert sim.ask(b'FRF? 1\n') == '1=1\n'
    assert sim.ask(b'SVO? 1\n') == '1=1\n'
    assert sim.ask(b'POS? 1\n') == '1=12.500000\n'


def test_tcp_prints_a_socket_url(run):
    sim = run('--tcp', '0', *FAST)
    assert sim.device.startswith('socket://127.0.0.1:')
    assert sim.ask(b'CSV?\n') == '2.0\n'
    assert sim.terminate() == 0


def test_state_and_fault_commands_on_stdin(run, tmp_path):
    link = tmp_path / 'focuser'
    sim = run('--link', str(link), *FAST)
    state = json.loads(sim.control('state'))
    assert state['servo'] is False and state['referenced'] is False and state['error'] == 0
    assert sim.control('error 7') == 'ok'
    assert sim.ask(b'ERR?\n') == '7\n'
    assert sim.control('error 8') == 'ok'
    assert sim.control('mute') == 'ok'
    sim.port().write(b'ERR?\n')  # executed (the register clears) but not answered
    wait_until(lambda: json.loads(sim.control('state'))['error'] == 0)
    assert sim.control('unmute') == 'ok'
    assert sim.ask(b'CSV?\n') == '2.0\n'
    assert sim.control('garbage 5') == 'ok'
    assert len(read_exactly(sim.port(), 5)) == 5
    assert sim.control('slow 0.2') == 'ok'
    start = time.monotonic()
    assert sim.ask(b'ERR?\n') == '0\n'
    assert time.monotonic() - start >= 0.2
    assert sim.control('fast') == 'ok'
    sim.port().write(b'SVO 1 1\n')
    wait_until(lambda: json.loads(sim.control('state'))['servo'])
    assert sim.control('following-error') == 'ok'
    assert sim.ask(b'ERR?\n') == '1024\n'
    assert sim.ask(b'SVO? 1\n') == '1=0\n'
    assert sim.control('power-cycle') == 'ok'
    assert json.loads(sim.control('state'))['servo'] is False
    assert sim.control('garble') == 'ok'
    assert sim.ask(b'ERR?\n') == '\xb0\n'
    assert sim.control('ungarble') == 'ok'
    assert sim.control('unplug') == 'ok'
    assert not link.exists()
    assert sim.control('replug') == 'ok'
    assert link.exists()
    assert sim.control('launch').startswith('error: unknown control command')
    assert sim.control('error seven').startswith('error: error:')
    assert sim.terminate() == 0


def test_bad_arguments_are_refused(run):
    for args in (('--tcp', '0', '--link', '/tmp/x'), ('--baud', '0'), ('--address', '300'),
                 ('--pty', '--tcp', '0')):
        sim = run(*args)
        assert sim.device == ''
        assert sim.process.wait(10) == 2
        assert 'usage:' in sim.process.stderr.read()


@pytest.fixture
def native_client():
    """Opens NativeClients on devices, selects board 0, closes them after the test."""
    clients = []

    def open_client(device):
        client = NativeClient(device)
        clients.append(client)
        client.send(b'\x010')
        return client
    yield open_client
    for client in clients:
        client.close()


def test_native_firmware_options(run, native_client):
    sim = run('--protocol', 'native', '--status-layout', 'three', '--version-lines', '1', '--echo', *FAST)
    client = native_client(sim.device)
    assert client.ask(b'TS\r') == b'TS\r\nS:61 00 00\r\n\x03'
    assert client.ask(b'VE\r') == (b'VE\r\n(c)2007 Physik Instrumente(PI) Karlsruhe, C-863, Ver. 1.09, 2007-08-28'
                                   b'\r\n\x03')
    assert sim.terminate() == 0


def test_drop_after_motion(run, native_client):
    """The "'" right after MR is lost: once the controller hears again, the first report to
    come is the polling TB's."""
    sim = run('--protocol', 'native', '--referenced', '--drop-after-motion', '0.3', *FAST)
    client = native_client(sim.device)
    client.send(b"MR10\r'")

    def poll():
        client.send(b'TB\r')
        with contextlib.suppress(TimeoutError):
            return client.report(timeout=0.2)
    assert wait_until(poll, message='a report') == b'B:0\r\n\x03'
    assert sim.terminate() == 0


def test_native_firmware_options_need_the_native_protocol(run):
    for args in (('--status-layout', 'three'), ('--echo',), ('--version-lines', '1'),
                 ('--drop-after-motion', '0.017'), ('--protocol', 'native', '--drop-after-motion', '-1')):
        sim = run(*args)
        assert sim.device == ''
        assert sim.process.wait(10) == 2
        assert 'error: --' in sim.process.stderr.read()
