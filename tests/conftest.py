# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""Fixtures shared by the end-to-end tests: a simulated C-863 on a real pty, and the real daemon.

The simulator runs in the test process (so tests can inject faults and read its event log);
the daemon under test is the real `c863_focusd` script in its own process, talking to the
simulator's pseudo-terminal with pyserial and serving real Pyro sockets.
"""
import json
import os
import signal
import sys
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout's testkit/

# DAEMON_SCRIPT, FOCUS_SCRIPT, ROOT, script_env and wait_until are imported for the test modules too.
from rockit.focuser.c863.constants import CommandStatus
from rockit.focuser.c863.simulator import Simulator
from testkit.addresses import claim_address
from testkit.clients import CLIENTS
from testkit.daemon import DAEMON_SCRIPT, FOCUS_SCRIPT, ROOT, DaemonProcess, make_ready, script_env  # noqa: F401
from testkit.peer import Wire, raw_pty
from testkit.waiting import wait_until  # noqa: F401

# The Alpaca tests' helpers assert: rewritten for pytest's detailed messages, which works only
# if registered before the first test module imports them.
pytest.register_assert_rewrite('alpaca_support')

# A run started in the background by a non-interactive shell (`tests/soak-suite &`, some CI
# runners) inherits SIGINT ignored and passes that on to every process it starts: focus would
# never see the tests' Ctrl-C and would finish its move. A handler here is reset to the default
# in each child, as a terminal's foreground job has it.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# The address of every per-test daemon, claimed for the whole session (testkit/addresses.py).
_SESSION_ADDRESS = claim_address()
TEST_DAEMON, DAEMON_URI = _SESSION_ADDRESS.name, _SESSION_ADDRESS.uri

# Fast but realistic: a 25 mm stage at 10000 counts/mm, moving 10 mm/s.
SIMULATOR_SPEED = {'velocity': 10.0, 'reference_velocity': 10.0}
TEST_BAUD = 115200

BASE_CONFIG = {
    'daemon': TEST_DAEMON,
    'log_name': 'focusd@test',
    'control_machines': ['LocalHost'],
    'serial_baud': TEST_BAUD,
    'serial_timeout': 2,  # a loaded machine can hold the simulator's thread for over a second
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


@pytest.fixture
def protocol():
    """The command set of the simulated controller and the config. Tests that should hold for
    both override it: @pytest.mark.parametrize('protocol', ['gcs', 'native'])."""
    return 'gcs'


@pytest.fixture
def simulator_options():
    """Options of every simulator a test starts (a module overrides it for its own pace)."""
    return dict(SIMULATOR_SPEED, baud=TEST_BAUD)


@pytest.fixture
def status_layout():
    """The TS report layout of native simulators: 'six' (the default) or 'three'. Tests that
    should hold for both: @pytest.mark.parametrize('status_layout', ['six', 'three'])."""
    return 'six'


@pytest.fixture
def make_simulator(tmp_path, protocol, simulator_options, status_layout):
    """Starts simulated C-863s (on a pty behind a symlink unless given a TCP port, so an
    unplugged device comes back at its path); closed at the end of the test."""
    started = []

    def make(**options):
        options = {'protocol': protocol, **simulator_options, **options}
        if options['protocol'] == 'native':
            options.setdefault('status_layout', status_layout)
        if 'tcp_port' not in options:
            options.setdefault('link', str(tmp_path / f'focuser{len(started)}'))
        sim = Simulator(**options)
        started.append(sim)
        sim.start()
        return sim
    yield make
    for sim in started:
        sim.close()


@pytest.fixture
def connect():
    """Opens byte-level clients (testkit/clients.py, by the simulator's command set) on
    simulators' devices; closed at the end of the test."""
    clients = []

    def open_client(sim, baud=None):
        client = CLIENTS[sim.protocol](sim.device, baud or sim.baud)
        clients.append(client)
        return client
    yield open_client
    for client in clients:
        client.close()


@pytest.fixture
def simulator(make_simulator):
    """A controller in its power-on state: servo off, not referenced."""
    return make_simulator()


def config_for(protocol='gcs', **overrides):
    """The test config for a command set (BASE_CONFIG and PROTOCOL_CONFIG), plus overrides."""
    return {**BASE_CONFIG, **PROTOCOL_CONFIG[protocol], **overrides}


@pytest.fixture
def write_config(tmp_path, protocol):
    """Writes a test config (BASE_CONFIG for the protocol, plus overrides) and returns its path."""
    def write(**overrides):
        path = tmp_path / 'focuser.json'
        path.write_text(json.dumps(config_for(protocol, **overrides)))
        return path
    return write


@pytest.fixture
def daemon_factory(request, write_config, tmp_path):
    """Starts the daemon on a config for a simulator (by default the `simulator` fixture's).

    Keyword arguments other than simulator, env and wrapper (testkit.daemon.DaemonProcess)
    override config keys.
    """
    started = []

    def start(simulator=None, env=None, wrapper=(), **overrides):
        simulator = simulator or request.getfixturevalue('simulator')
        overrides.setdefault('serial_port', simulator.device)
        process = DaemonProcess(write_config(**overrides), simulator,
                                tmp_path / f'daemon{len(started)}.log', env, wrapper)
        started.append(process)
        return process
    yield start
    for process in started:
        process.stop()


# The controllers the daemon drives: both command sets, and the native one in both layouts of
# its status report (doc/mercury-native.md section 2), which the daemon must never depend on.
EVERY_CONTROLLER = pytest.mark.parametrize('protocol, status_layout', [
    ('gcs', 'six'), ('native', 'six'), ('native', 'three')], ids=['gcs', 'native', 'native-three-byte'])


@contextmanager
def daemon_for_module(directory, protocol='gcs', **config):
    """A ready daemon (make_ready) on an address of its own, for the tests of a whole module,
    which must leave it as they found it."""
    with claim_address() as address, \
            Simulator(referenced=True, protocol=protocol, **SIMULATOR_SPEED, baud=TEST_BAUD) as simulator:
        path = directory / 'shared.json'
        path.write_text(json.dumps(config_for(protocol, daemon=address.name, serial_port=simulator.device,
                                              **config)))
        daemon = DaemonProcess(path, simulator, directory / 'shared.log')
        try:
            yield make_ready(daemon)
        finally:
            daemon.stop()


@pytest.fixture(scope='module')
def module_ready_daemon(tmp_path_factory):
    with daemon_for_module(tmp_path_factory.mktemp('ready')) as daemon:
        yield daemon


@pytest.fixture
def idle_daemon(module_ready_daemon):
    """The module's ready daemon (GCS), for a test that only reads it or checks that something
    is refused and changes nothing: it starts IDLE at 125000 steps and must leave it so.
    events_before: the simulator's event count when the test began."""
    daemon = module_ready_daemon
    daemon.wait_for_status(lambda report: report['status_label'] == 'IDLE')
    daemon.events_before = len(daemon.simulator.events)
    return daemon


@pytest.fixture
def daemon(daemon_factory):
    return daemon_factory()


@pytest.fixture
def initialized_daemon(daemon):
    assert daemon.call('initialize') == CommandStatus.Succeeded, daemon.output()
    return daemon


@pytest.fixture
def homed_daemon(initialized_daemon):
    assert initialized_daemon.call('home') == CommandStatus.Succeeded, initialized_daemon.output()
    return initialized_daemon


@pytest.fixture
def start_ready_daemon(make_simulator, daemon_factory):
    """Starts a ready daemon (make_ready) on a simulator that is referenced before it starts,
    which spares each test the seconds of `home` (homing has tests of its own).
    simulator_options go to the simulator, other keywords to the config."""
    def start(simulator_options=None, **overrides):
        return make_ready(daemon_factory(simulator=make_simulator(referenced=True, **(simulator_options or {})),
                                         **overrides))
    return start


@pytest.fixture
def ready_daemon(start_ready_daemon):
    return start_ready_daemon()


# ---- a protocol layer against a controller played on a pty (testkit/peer.py) -----------------

@pytest.fixture
def pty_pair():
    """(master fd, slave fd) of a raw pseudo-terminal. The test keeps the slave open so
    the device exists until the test unplugs it by closing the master."""
    master, slave = raw_pty()
    yield master, slave
    for fd in (master, slave):
        with suppress(OSError):  # already closed by an unplug test
            os.close(fd)


@pytest.fixture
def wire(pty_pair):
    return Wire(pty_pair[0])


@pytest.fixture
def device(pty_pair):
    return os.ttyname(pty_pair[1])


@pytest.fixture
def open_port(device, port_class):
    """Opens ports of the module's port_class (GCSPort, NativePort) on the pty and closes them
    all after the test."""
    ports = []

    def opener(**options):
        options.setdefault('timeout', 2.0)
        port = port_class(device, **options)
        ports.append(port)
        return port
    yield opener
    for port in ports:
        port.close()


@pytest.fixture
def port(open_port):
    return open_port()
