# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""What bench/soak runs against: the simulator and the real daemon (SoakRig), and a telescope
script's status polling beside it (StatusClient)."""
import json
import os
import threading
import time
from pathlib import Path

from harness import DaemonProcess, ProcessMeter, proxy
from rockit.focuser.c863.simulator import Simulator
from testkit.addresses import TEST_DAEMONS, claim_address

STEPS_PER_MM = 10000          # the simulator's counts per unit
VELOCITY = 10.0               # mm/s: a 25 mm stage crossed in 2.5 s compresses a night of moves
# Daemon addresses to try, in order: those a test run takes last first; bench/run's (the last) last.
ADDRESS_ORDER = TEST_DAEMONS[-2::-1] + TEST_DAEMONS[-1:]
CONFIG = {
    'log_name': 'focusd@soak',
    'control_machines': ['LocalHost'],
    'serial_timeout': 0.5,
    'nominal_focus_position': 100000,
    'min_position': 0,
    'max_position': 250000,
    'moving_loop_delay': 0.5,
    'idle_loop_delay': 0.5,
    'move_timeout': 30,
    'home_timeout': 60,
}
STATUS_PERIOD = 0.1           # the status client's poll period


class SoakRig:
    """The simulator behind a symlink (so a re-plugged device is found again) and the daemon."""

    def __init__(self, workdir, baud):
        self.workdir = Path(workdir)
        self.log_path = self.workdir / 'c863_focusd.log'
        self.simulator = Simulator(baud=baud, link=str(self.workdir / 'focuser'), velocity=VELOCITY,
                                   reference_velocity=VELOCITY / 2)
        self.baud = baud
        self.daemon = None
        self.meter = None
        self.uri = None
        self._address = None

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _start(self):
        self.simulator.start()
        self._address = claim_address(ADDRESS_ORDER)
        config = dict(CONFIG, daemon=self._address.name, serial_port=self.simulator.device, serial_baud=self.baud)
        config_path = self.workdir / 'soak.json'
        config_path.write_text(json.dumps(config, indent=2))
        self.daemon = DaemonProcess(config_path, self.simulator, self.log_path)
        self.uri = self.daemon.uri
        self.meter = ProcessMeter(self.daemon.pid)

    def truth(self):
        """Where the controller says the axis is, in steps."""
        return round(self.simulator.state()['position'] * STEPS_PER_MM)

    def output(self):
        return self.daemon.output() if self.daemon is not None else ''

    def process_figures(self):
        """Resident memory, threads and open files of the daemon, from /proc."""
        with open(f'/proc/{self.daemon.pid}/status') as status:
            threads = next(int(line.split()[1]) for line in status if line.startswith('Threads:'))
        return {'rss_mb': self.meter.resident_mb(), 'threads': threads,
                'open_files': len(os.listdir(f'/proc/{self.daemon.pid}/fd'))}

    def close(self):
        if self.daemon is not None:
            self.daemon.stop()
        self.simulator.close()
        if self._address is not None:
            self._address.close()


class StatusClient(threading.Thread):
    """A telescope script's view: report_status() every 100 ms on one proxy, 1 s timeout."""

    def __init__(self, uri):
        super().__init__(name='status client', daemon=True)
        self.uri = uri
        self.latencies = []
        self.failures = []
        self._done = threading.Event()

    def run(self):
        with proxy(self.uri, timeout=1) as daemon:
            while not self._done.wait(STATUS_PERIOD):
                started = time.monotonic()
                try:
                    daemon.report_status()
                except Exception as e:
                    self.failures.append(f'{type(e).__name__}: {e}')
                    daemon._pyroRelease()
                    continue
                self.latencies.append(time.monotonic() - started)

    def stop(self):
        self._done.set()
        self.join(5)
