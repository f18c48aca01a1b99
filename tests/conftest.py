"""Fixtures shared by the end-to-end tests: a simulated C-863 on a real pty, and the real daemon.

The simulator runs in the test process (so tests can inject faults and read its event log);
the daemon under test is the real `c863_focusd` script in its own process, talking to the
simulator's pseudo-terminal with pyserial and serving real Pyro sockets.
"""
import contextlib
import fcntl
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import Pyro4
import pytest

from rockit.focuser.c863.simulator import Simulator
from rockit.focuser.c863.site import daemons

ROOT = Path(__file__).resolve().parent.parent
DAEMON_SCRIPT = ROOT / 'c863_focusd'
FOCUS_SCRIPT = ROOT / 'focus'


_PORT_CLAIMS = []


def _claim_free_test_daemon():
    """A localhost_test* daemon entry whose port is free, with the lock file that claims it.

    So that two test runs on one machine (or a benchmark beside a test run) never talk to each
    other's daemon: a claim is an exclusive lock file per port, and ports another process is
    listening on are skipped.
    """
    for name in ['localhost_test'] + [f'localhost_test{i}' for i in range(2, 6)]:
        entry = getattr(daemons, name)
        claim = open(os.path.join(tempfile.gettempdir(), f'rockit-focuser-c863-test-{entry.port}.lock'), 'w')
        try:
            fcntl.flock(claim, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            claim.close()
            continue
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((entry.host, entry.port))
            except OSError:
                claim.close()
                continue
        return name, entry.uri, claim
    raise RuntimeError('every localhost_test port (9000-9004) is in use')


def claim_test_daemon():
    """Claims a daemon address for the whole test session (the per-test daemons use it)."""
    name, uri, claim = _claim_free_test_daemon()
    _PORT_CLAIMS.append(claim)
    return name, uri


@contextlib.contextmanager
def spare_test_daemon():
    """Claims another daemon address while a longer-lived daemon (one per module) runs."""
    name, uri, claim = _claim_free_test_daemon()
    try:
        yield name, uri
    finally:
        claim.close()


TEST_DAEMON, DAEMON_URI = claim_test_daemon()

# Fast but realistic: a 25 mm stage at 10000 counts/mm, moving 10 mm/s.
SIMULATOR_SPEED = {'velocity': 10.0, 'reference_velocity': 10.0}
TEST_BAUD = 115200

BASE_CONFIG = {
    'daemon': TEST_DAEMON,
    'log_name': 'focusd@test',
    'control_machines': ['LocalHost'],
    'serial_baud': TEST_BAUD,
    'serial_timeout': 1,
    'nominal_focus_position': 100000,
    'min_position': 0,
    'max_position': 250000,
    'moving_loop_delay': 0.5,
    'idle_loop_delay': 0.5,
    'move_timeout': 30,
    'home_timeout': 60,
}

# What a config for a native (C-863.10) controller adds: the simulator's reference edge, found
# by FE2, is called 125000, where the GCS simulator's reference switch reads 12.5 mm, so that
# both command sets show the same step counts and the tests expect the same numbers of either.
PROTOCOL_CONFIG = {
    'gcs': {},
    'native': {'protocol': 'native', 'reference_mode': 'FE2', 'reference_position': 125000},
}


def wait_until(predicate, timeout=10.0, message='condition not met', interval=0.01):
    """Polls predicate() until it returns a true value (which is returned) or fails the test."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f'{message} (waited {timeout} s)')
        time.sleep(interval)


def subprocess_env(**extra):
    """Environment for the scripts under test: this checkout first on the import path."""
    env = dict(os.environ)
    env['PYTHONPATH'] = str(ROOT) + os.pathsep + env.get('PYTHONPATH', '')
    env.update(extra)
    return env


class DaemonProcess:
    """The real c863_focusd, started on a config file; its output goes to a log file.

    wrapper: a command that runs the daemon's command line (e.g. setpriv, to run it as another
    user); it must exec it, so that the process started here is the daemon.
    """

    def __init__(self, config_path, simulator, log_path, env=None, wrapper=()):
        self.config_path = str(config_path)
        self.simulator = simulator
        self._log_path = log_path
        with open(log_path, 'wb') as log_file:
            self.process = subprocess.Popen([*wrapper, sys.executable, str(DAEMON_SCRIPT), self.config_path],
                                            stdout=log_file, stderr=subprocess.STDOUT,
                                            env=subprocess_env(**(env or {})), cwd=ROOT)
        wait_until(self._answers, 15, f'daemon did not start serving {DAEMON_URI}:\n{self.output()}')

    def _answers(self):
        if self.process.poll() is not None:
            raise AssertionError(f'daemon exited with {self.process.returncode}:\n{self.output()}')
        try:
            with self.proxy(timeout=1) as proxy:
                return proxy.report_status()
        except Pyro4.errors.CommunicationError:
            return None

    def proxy(self, timeout=5):
        proxy = Pyro4.Proxy(DAEMON_URI)
        proxy._pyroTimeout = timeout  # pylint: disable=protected-access
        return proxy

    def status(self):
        with self.proxy() as proxy:
            return proxy.report_status()

    def call(self, method, *args, timeout=120):
        with self.proxy(timeout) as proxy:
            return getattr(proxy, method)(*args)

    def wait_for_status(self, predicate, timeout=10.0, message='daemon status'):
        last = {}

        def check():
            last.clear()
            last.update(self.status())
            return dict(last) if predicate(last) else None
        try:
            return wait_until(check, timeout, message, interval=0.02)
        except AssertionError as e:
            raise AssertionError(f'{e}; last status {last}') from None

    def output(self):
        return Path(self._log_path).read_text(errors='replace')

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def protocol():
    """The command set of the simulated controller and the config. Tests that should hold for
    both override it: @pytest.mark.parametrize('protocol', ['gcs', 'native'])."""
    return 'gcs'


@pytest.fixture
def make_simulator(tmp_path, protocol):
    """Starts simulated C-863s behind symlinks, so an unplugged device comes back at its path."""
    started = []

    def make(referenced=False, baud=TEST_BAUD, **options):
        sim = Simulator(baud=baud, link=str(tmp_path / f'focuser{len(started)}'),
                        referenced=referenced, protocol=protocol, **dict(SIMULATOR_SPEED, **options))
        started.append(sim)
        sim.start()
        return sim
    yield make
    for sim in started:
        sim.close()


@pytest.fixture
def simulator(make_simulator):
    """A controller in its power-on state: servo off, not referenced."""
    return make_simulator()


@pytest.fixture
def write_config(tmp_path, protocol):
    """Writes a test config (BASE_CONFIG for the protocol, plus overrides) and returns its path."""
    def write(**overrides):
        config = {**BASE_CONFIG, **PROTOCOL_CONFIG[protocol], **overrides}
        path = tmp_path / 'focuser.json'
        path.write_text(json.dumps(config))
        return path
    return write


@pytest.fixture
def daemon_factory(request, write_config, tmp_path):
    """Starts the daemon on a config for a simulator (by default the `simulator` fixture's).

    Keyword arguments other than simulator and env override config keys.
    """
    started = []

    def start(simulator=None, env=None, **overrides):
        simulator = simulator or request.getfixturevalue('simulator')
        overrides.setdefault('serial_port', simulator.device)
        process = DaemonProcess(write_config(**overrides), simulator,
                                tmp_path / f'daemon{len(started)}.log', env)
        started.append(process)
        return process
    yield start
    for process in started:
        process.stop()


@pytest.fixture
def daemon(daemon_factory):
    return daemon_factory()


@pytest.fixture
def initialized_daemon(daemon):
    assert daemon.call('initialize') == 0, daemon.output()
    return daemon


@pytest.fixture
def homed_daemon(initialized_daemon):
    assert initialized_daemon.call('home') == 0, initialized_daemon.output()
    return initialized_daemon


@pytest.fixture
def start_ready_daemon(make_simulator, daemon_factory):
    """Starts an initialized daemon on a controller that was referenced before the daemon started.

    That is the daemon-restart case: the daemon comes up IDLE without a reference run, which
    spares each test the seconds of `home` (homing has tests of its own).
    """
    def start(**overrides):
        daemon = daemon_factory(simulator=make_simulator(referenced=True), **overrides)
        assert daemon.call('initialize') == 0, daemon.output()
        daemon.wait_for_status(lambda report: report['status_label'] == 'IDLE')
        return daemon
    return start


@pytest.fixture
def ready_daemon(start_ready_daemon):
    return start_ready_daemon()
