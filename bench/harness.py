# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
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
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rockit.focuser.c863.constants import CommandStatus, FocuserStatus  # noqa: E402,F401 (CommandStatus: figures.py)
from rockit.focuser.c863.simulator import Simulator  # noqa: E402
from testkit import slow_log  # noqa: E402
from testkit.addresses import TEST_DAEMONS, claim_address  # noqa: E402
# FOCUS_SCRIPT, script_env and wait_until are here for figures.py and soak too.
from testkit.daemon import FOCUS_SCRIPT, READY_STEPS, DaemonProcess, connect, make_ready, script_env  # noqa: E402,F401
from testkit.waiting import wait_until  # noqa: E402,F401

# A stage like the W1m's: mm units at 10000 counts/mm, 2 mm/s, 10 mm/s2 ramps.
SIMULATOR_VELOCITY = 2.0

# The daemon's config: the documented test config, with the baud rate of the run and the
# address the rig claims (testkit/addresses.py: never one a test run or a soak is using).
DAEMON_CONFIG = {
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
}
# What a native (C-863.10) rig's config adds: the simulator's reference edge is called 125000
# steps, where a referenced simulator starts (as in the tests' config).
NATIVE_CONFIG = {'protocol': 'native', 'reference_mode': 'FE2', 'reference_position': READY_STEPS}
# The address tried first: the last of the test daemons', which a test run takes last.
ADDRESS_ORDER = TEST_DAEMONS[::-1]

# How much of the daemon's log to show when a measurement fails.
LOG_LINES_ON_FAILURE = 40
BITS_PER_BYTE = 10  # 8N1: start bit, 8 data bits, stop bit


def byte_time(baud):
    """Seconds one byte occupies the wire at this baud rate."""
    return BITS_PER_BYTE / baud


def percentile(values, fraction):
    """Nearest-rank percentile: a value that was really measured, never an interpolation."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(len(ordered) * fraction)) - 1]


def proxy(uri, timeout=5.0):
    """A Pyro proxy to the daemon, connected now so that the first call pays no connect."""
    connected = connect(uri, timeout)
    connected._pyroBind()
    return connected


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

    def __init__(self, baud, workdir, observatory_log_delay=None, status_layout=None):
        """observatory_log_delay: seconds each observatory log message takes (a slow
        rockit.common stands in for the real one, testkit/slow_log.py); None: the bundled log.
        status_layout: None for a GCS controller, else a native one whose status report has this
        layout ('six' or 'three' bytes)."""
        self.baud = baud
        self.observatory_log_delay = observatory_log_delay
        self.workdir = Path(workdir)
        self.name = f'{baud}' if status_layout is None else f'{baud}-native-{status_layout}'
        self.config_path = self.workdir / f'bench-{self.name}.json'
        self.log_path = self.workdir / f'c863_focusd-{self.name}.log'
        native = {} if status_layout is None else {'protocol': 'native', 'status_layout': status_layout}
        self.protocol_config = {} if status_layout is None else NATIVE_CONFIG
        self.simulator = Simulator(baud=baud, velocity=SIMULATOR_VELOCITY, referenced=True, **native)
        self.daemon = None
        self.meter = None
        self.uri = None
        self._address = None

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
        self._address = claim_address(ADDRESS_ORDER)
        config = dict(DAEMON_CONFIG, **self.protocol_config, daemon=self._address.name,
                      alpaca_port=self._address.alpaca_port, serial_port=self.simulator.device,
                      serial_baud=self.baud)
        self.config_path.write_text(json.dumps(config, indent=2))
        env = None
        if self.observatory_log_delay is not None:
            env = slow_log.install(self.workdir / f'slow-log-{self.baud}', self._address.name, self._address.uri,
                                   self.observatory_log_delay, self.workdir / f'observatory-{self.baud}.log')
        self.daemon = DaemonProcess(self.config_path, self.simulator, self.log_path, env)
        self.uri = self.daemon.uri
        self.meter = ProcessMeter(self.daemon.pid)
        make_ready(self.daemon)

    @property
    def status_exchange(self):
        """(the status request as the simulator records it, the bytes of one status exchange both
        ways): #4 and '0xHHHH\\n' for GCS; native % and 'S:' with its bytes, CR LF ETX."""
        if self.simulator.protocol == 'gcs':
            return '\x04', 1 + 7
        status_bytes = 6 if self.simulator.firmware.status_layout == 'six' else 3
        return '%', 1 + len('S:') + 3 * status_bytes - 1 + 3

    def call(self, method, *args):
        """One Pyro call on a fresh proxy (for set-up and stimulus; measured calls keep theirs)."""
        return self.daemon.call(method, *args)

    def status(self):
        return self.call('report_status')

    def wait_for_idle(self, timeout=30):
        """Until the daemon reports an idle, referenced axis: the state every figure starts from."""
        self.daemon.wait_for_status(lambda report: report['status'] == FocuserStatus.Idle, timeout,
                                    'the daemon did not become idle')

    def daemon_output(self):
        return self.daemon.output() if self.daemon is not None else ''

    def close(self):
        if self.daemon is not None:
            self.daemon.stop()
        self.simulator.close()
        if self._address is not None:
            self._address.close()
