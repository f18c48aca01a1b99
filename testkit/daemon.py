# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The real c863_focusd in its own process, as the tests, bench/run and bench/soak start it.

The daemon is the checkout's script, run by this interpreter with the checkout first on the
import path, on a config file the caller wrote; its "daemon" key names the address (claimed with
addresses.claim_address), which is where the launcher looks for it. Its output goes to a log
file that failures quote.
"""
import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import Pyro4
import Pyro4.errors

from rockit.focuser.c863.constants import CommandStatus
from rockit.focuser.c863.site import daemons

from .waiting import WaitTimeout, wait_until

ROOT = Path(__file__).resolve().parent.parent
DAEMON_SCRIPT = ROOT / 'c863_focusd'
FOCUS_SCRIPT = ROOT / 'focus'
START_TIMEOUT = 20  # seconds for a daemon to start serving on a loaded two-core machine
STOP_TIMEOUT = 10   # seconds SIGTERM has before SIGKILL


def script_env(**extra):
    """Environment for the scripts under test: this checkout first on the import path."""
    env = dict(os.environ)
    env['PYTHONPATH'] = str(ROOT) + os.pathsep + env.get('PYTHONPATH', '')
    env.update(extra)
    return env


def connect(uri, timeout=5.0):
    """A Pyro proxy to a daemon with a call timeout (seconds); connects on first use."""
    proxy = Pyro4.Proxy(uri)
    proxy._pyroTimeout = timeout
    return proxy


class DaemonProcess:
    """c863_focusd started on config_path; returns once it answers report_status on the address
    the config names.

    simulator: the simulated controller it drives (kept for the tests' convenience); log_path:
    its output (default: beside the config); env: more environment variables (NOTIFY_SOCKET...);
    wrapper: a command that runs the daemon's command line (e.g. setpriv, to run it as another
    user); it must exec it, so that the process started here is the daemon.
    """

    def __init__(self, config_path, simulator=None, log_path=None, env=None, wrapper=()):
        self.config_path = str(config_path)
        self.log_path = Path(log_path or Path(config_path).with_suffix('.log'))
        self.simulator = simulator
        self.uri = getattr(daemons, json.loads(Path(config_path).read_text())['daemon']).uri
        with open(self.log_path, 'wb') as log_file:
            self.process = subprocess.Popen(
                [*wrapper, sys.executable, str(DAEMON_SCRIPT), self.config_path], stdout=log_file,
                stderr=subprocess.STDOUT, env=script_env(**(env or {})), cwd=ROOT)
        try:
            wait_until(self._answers, START_TIMEOUT, f'c863_focusd did not start serving {self.uri}')
        except WaitTimeout as error:
            self.stop()
            raise WaitTimeout(f'{error}; it logged:\n{self.output()}') from None
        except BaseException:
            self.stop()
            raise

    @property
    def pid(self):
        return self.process.pid

    def _answers(self):
        self._check_running()
        try:
            with self.proxy(timeout=1) as proxy:
                return proxy.report_status()
        except Pyro4.errors.CommunicationError:
            return None

    def _check_running(self):
        if self.process.poll() is not None:
            raise AssertionError(f'c863_focusd exited with {self.process.returncode}:\n{self.output()}')

    @contextmanager
    def _explained(self):
        """A status call that cannot reach the daemon because it has exited says so, with its
        log (a daemon that runs lets the Pyro error through)."""
        try:
            yield
        except Pyro4.errors.CommunicationError:
            self._check_running()
            raise

    def proxy(self, timeout=5.0):
        return connect(self.uri, timeout)

    def call(self, method, *args, timeout=120):
        """One call on a fresh proxy (a connection of its own, like a separate client)."""
        with self.proxy(timeout) as proxy:
            return getattr(proxy, method)(*args)

    def status(self):
        with self._explained():
            return self.call('report_status', timeout=5)

    def wait_for_status(self, predicate, timeout=10.0, message='daemon status'):
        """The first report for which predicate(report) is true; fails with the last one seen."""
        last = {}

        def check():
            last.clear()
            last.update(self.status())
            return dict(last) if predicate(last) else None
        try:
            return wait_until(check, timeout, message, interval=0.02)
        except AssertionError as error:
            raise AssertionError(f'{error}; last status {last}') from None

    def output(self):
        return self.log_path.read_text(errors='replace') if self.log_path.exists() else ''

    def wait_for_output(self, text, count=1, timeout=10.0):
        """The daemon's output once it holds text at least count times. Log lines reach it
        through the daemon's log queue (daemonlog.py), a moment after the call or the state
        they describe: a test that reads the output at once may miss the last line."""
        try:
            return wait_until(lambda: (output := self.output()).count(text) >= count and output, timeout,
                              f'c863_focusd to log {text!r} {count} time(s)', interval=0.02)
        except WaitTimeout as error:
            raise WaitTimeout(f'{error}; it logged:\n{self.output()}') from None

    def stop(self):
        """SIGTERM (SIGKILL if it does not exit in time); returns the exit status."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


# Where a simulator started referenced reads: its reference switch (simulator/native.py).
READY_STEPS = 125000


def make_ready(daemon):
    """Initializes a daemon whose controller was referenced before it started, and waits until
    it is IDLE (the daemon-restart case: no reference run needed). A native controller that
    reports the manual's three-byte status is not trusted to be still referenced (its motor-off
    bit is unproven on this hardware, doc/mercury-native.md section 4): it is homed, then put
    where a referenced simulator starts. RuntimeError, with the daemon's log, if a call fails."""
    calls = [('initialize',)]
    simulator = daemon.simulator
    if simulator is not None and simulator.protocol == 'native' and simulator.firmware.status_layout == 'three':
        calls += [('home',), ('move', READY_STEPS, False)]
    for method, *args in calls:
        result = daemon.call(method, *args)
        if result != CommandStatus.Succeeded:
            raise RuntimeError(f'{method}: {CommandStatus.message(result)}\n{daemon.output()}')
    daemon.wait_for_status(lambda report: report['status_label'] == 'IDLE')
    return daemon
