"""The bench rig: a simulated C-863 in this process and the real c863_focusd process on it.

The rig is what an observatory has, minus the hardware: the daemon is the real script in its
own process, opening the simulator's pseudo-terminal with pyserial at the configured baud rate,
and serving real Pyro sockets. The simulator runs here so that the benchmarks can read its
event log, whose times (time.monotonic(), comparable across processes on Linux) say when a
byte really arrived at the controller and when the axis really settled.
"""
import json
import math
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import Pyro4

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# pylint: disable=wrong-import-position
from rockit.focuser.c863.config import Config  # noqa: E402
from rockit.focuser.c863.constants import CommandStatus, FocuserStatus  # noqa: E402
from rockit.focuser.c863.simulator import Simulator  # noqa: E402

DAEMON_SCRIPT = ROOT / 'c863_focusd'
FOCUS_SCRIPT = ROOT / 'focus'

# A stage like the W1m's: mm units at 10000 counts/mm, 2 mm/s, 10 mm/s2 ramps.
SIMULATOR_VELOCITY = 2.0

# The daemon's config: the documented test config, with the baud rate of the run. The last of
# the localhost test daemons (port 9004) keeps the bench out of the way of a test run.
DAEMON_CONFIG = {
    'daemon': 'localhost_test5',
    'log_name': 'focusd@bench',
    'control_machines': ['LocalHost'],
    'serial_timeout': 2,
    'nominal_focus_position': 100000,
    'min_position': 0,
    'max_position': 250000,
    'moving_loop_delay': 0.5,
    'idle_loop_delay': 1,
    'move_timeout': 60,
    'home_timeout': 120,
    'alpaca_port': 11004,  # the test daemons' offset (Pyro port + 2000)
}

# How much of the daemon's log to show when a measurement fails.
LOG_LINES_ON_FAILURE = 40
BITS_PER_BYTE = 10  # 8N1: start bit, 8 data bits, stop bit


def byte_time(baud):
    """Seconds one byte occupies the wire at this baud rate."""
    return BITS_PER_BYTE / baud


def wait_until(predicate, timeout, what):
    """Polls predicate() until it returns a true value (returned); RuntimeError at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f'{what} (waited {timeout} s)')
        time.sleep(0.005)


def percentile(values, fraction):
    """Nearest-rank percentile: a value that was really measured, never an interpolation."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(len(ordered) * fraction)) - 1]


def script_env(**extra):
    """Environment for the scripts under test: this checkout first on the import path."""
    env = dict(os.environ)
    env['PYTHONPATH'] = str(ROOT) + os.pathsep + env.get('PYTHONPATH', '')
    env.update(extra)
    return env


def proxy(uri, timeout=5.0):
    """A Pyro proxy to the daemon, connected now so that the first call pays no connect."""
    connected = Pyro4.Proxy(uri)
    connected._pyroTimeout = timeout  # pylint: disable=protected-access
    connected._pyroBind()  # pylint: disable=protected-access
    return connected


def _check_port_free(host, port):
    """Refuses to start beside another daemon on our port, whose answers would be taken for ours."""
    with socket.socket() as probe:
        probe.settimeout(1)
        if probe.connect_ex((host, port)) == 0:
            raise RuntimeError(f'something already listens on {host}:{port} (another c863_focusd?); stop it first')


class ProcessMeter:
    """CPU time and resident memory of a process, read from /proc like top does."""

    def __init__(self, pid):
        self.pid = pid
        self._ticks_per_second = os.sysconf('SC_CLK_TCK')

    def cpu_seconds(self):
        """utime + stime, in seconds (the kernel counts in clock ticks, usually 10 ms)."""
        with open(f'/proc/{self.pid}/stat') as stat:
            # The command name (field 2) may contain spaces; fields after ')' are fixed.
            fields = stat.read().rsplit(')', 1)[1].split()
        utime, stime = int(fields[11]), int(fields[12])
        return (utime + stime) / self._ticks_per_second

    def resident_mb(self):
        with open(f'/proc/{self.pid}/status') as status:
            for line in status:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1]) / 1024
        raise RuntimeError(f'no VmRSS for process {self.pid}')


class Rig:
    """The simulator and the daemon at one baud rate, initialized on a referenced axis.

    The simulator starts referenced (as a controller does that was homed before the daemon
    restarted), so the daemon takes it as it is: the bench measures the daemon, not a
    reference run.
    """

    def __init__(self, baud, workdir):
        self.baud = baud
        self.workdir = Path(workdir)
        self.config_path = self.workdir / f'bench-{baud}.json'
        self.log_path = self.workdir / f'c863_focusd-{baud}.log'
        self.simulator = Simulator(baud=baud, velocity=SIMULATOR_VELOCITY, referenced=True)
        self.daemon = None
        self.meter = None
        self.uri = None

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, exc_type, *_):
        if exc_type is not None:
            lines = self.daemon_output().splitlines()[-LOG_LINES_ON_FAILURE:]
            print(f'--- the last lines of {self.log_path.name} ---', *lines, sep='\n', file=sys.stderr)
        self.close()

    def start(self):
        self.simulator.start()
        config = dict(DAEMON_CONFIG, serial_port=self.simulator.device, serial_baud=self.baud)
        self.config_path.write_text(json.dumps(config, indent=2))
        address = Config(str(self.config_path)).daemon
        self.uri = address.uri
        _check_port_free(address.host, address.port)
        with open(self.log_path, 'wb') as log:
            self.daemon = subprocess.Popen([sys.executable, str(DAEMON_SCRIPT), str(self.config_path)],
                                           stdout=log, stderr=subprocess.STDOUT, env=script_env(), cwd=ROOT)
        self.meter = ProcessMeter(self.daemon.pid)
        wait_until(self._answers, 20, f'c863_focusd did not start serving {self.uri}')
        result = self.call('initialize')
        if result != CommandStatus.Succeeded:
            raise RuntimeError(f'initialize: {CommandStatus.message(result)}\n{self.daemon_output()}')
        self.wait_for_idle()

    def _answers(self):
        if self.daemon.poll() is not None:
            raise RuntimeError(f'c863_focusd exited with {self.daemon.returncode}:\n{self.daemon_output()}')
        try:
            with proxy(self.uri, timeout=1) as daemon:
                return daemon.report_status()
        except Pyro4.errors.CommunicationError:
            return None

    def call(self, method, *args):
        """One Pyro call on a fresh proxy (for set-up and stimulus; measured calls keep theirs)."""
        with proxy(self.uri, timeout=120) as daemon:
            return getattr(daemon, method)(*args)

    def status(self):
        return self.call('report_status')

    def wait_for_idle(self, timeout=30):
        """Until the daemon reports an idle, referenced axis: the state every figure starts from."""
        wait_until(lambda: self.status()['status'] == FocuserStatus.Idle, timeout,
                   f'the daemon did not become idle; last status {self.status()}')

    def daemon_output(self):
        return self.log_path.read_text(errors='replace') if self.log_path.exists() else ''

    def close(self):
        if self.daemon is not None and self.daemon.poll() is None:
            self.daemon.terminate()
            try:
                self.daemon.wait(10)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait()
        self.simulator.close()
