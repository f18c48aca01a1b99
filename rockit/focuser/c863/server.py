# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""Serving the focuser: the hardened Pyro daemon, signals, the built-in simulator and main().

daemon.py is the engine (the poll thread, the state, the methods); this module puts it on the
network and runs it as a systemd service, so that the engine can be read without the plumbing.
"""
import argparse
import contextlib
import ctypes
import importlib
import logging
import signal
import subprocess
import sys

import Pyro4

from . import systemd
from .config import Config, ConfigError
from .daemon import FocuserDaemon
from .daemonlog import queued_log

log = logging.getLogger('c863_focusd')

# Largest Pyro message accepted, in bytes. Pyro otherwise buffers whatever size a header
# announces (up to 2 GB, from anyone who can connect); a status report is under 1 KiB.
MAX_PYRO_MESSAGE = 64 * 1024
# Seconds a new Pyro client has to complete its handshake (it takes a client milliseconds).
PYRO_HANDSHAKE_TIMEOUT = 2.0
# Exit status for a bad configuration (EX_CONFIG): the unit does not restart on it.
EXIT_CONFIG_ERROR = 78
# Exit status when the Pyro address cannot be served (EX_UNAVAILABLE); systemd retries it.
EXIT_UNAVAILABLE = 69
# What alpaca_port needs beyond the daemon's own packages: (import name, pip name, Rocky 9 and
# Debian package), all in the spec's Requires and setup.cfg's install_requires.
ALPACA_PACKAGES = (('falcon', 'falcon', 'python3-falcon'), ('waitress', 'waitress', 'python3-waitress'))


def configure_pyro():
    """Only exposed methods, and never pickle: a Pyro client must not run code in the daemon."""
    Pyro4.config.REQUIRE_EXPOSE = True
    Pyro4.config.SERIALIZERS_ACCEPTED = {'serpent', 'json', 'marshal'}
    Pyro4.config.DETAILED_TRACEBACK = False
    Pyro4.config.MAX_MESSAGE_SIZE = MAX_PYRO_MESSAGE


class BoundedHandshakePyroDaemon(Pyro4.Daemon):
    """A Pyro4 daemon whose connection handshake is bounded in time.

    Pyro4 waits for a new client's handshake without a timeout, and when every worker thread
    is taken it does so in its accept loop: one client that connects and never speaks would
    lock every other client out, status callers included. Connections that completed their
    handshake keep Pyro's defaults (no timeout), because telescope software holds proxies for
    long and calls move() for minutes. Pyro4 4.82 is final (archived), so overriding its
    _handshake is a stable hook.
    """

    def _handshake(self, conn, denied_reason=None):
        previous = conn.timeout
        conn.timeout = PYRO_HANDSHAKE_TIMEOUT
        try:
            return super()._handshake(conn, denied_reason)
        finally:
            conn.timeout = previous


def serve(config):
    """Serves the focuser over Pyro until SIGTERM or SIGINT, then stops motion and closes.

    Returns the exit status: 0 after a signal, EXIT_UNAVAILABLE if the Pyro port cannot be had.
    """
    configure_pyro()
    try:
        pyro = BoundedHandshakePyroDaemon(host=config.daemon.host, port=config.daemon.port)
    except OSError as e:
        log.error('cannot serve on %s:%d: %s (is another c863_focusd running, or is this not %s?)',
                  config.daemon.host, config.daemon.port, e.strerror or e, config.daemon.host)
        return EXIT_UNAVAILABLE
    focuser = FocuserDaemon(config)
    focuser.start()
    # Pyro's request loop swallows KeyboardInterrupt: both signals end it the same way.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGINT, _exit_on_signal)
    alpaca = None
    try:
        alpaca = _start_alpaca(config, focuser)
        with pyro:
            pyro.register(focuser, objectId=config.daemon.name)
            log.info('serving PYRO:%s@%s:%d for %s', config.daemon.name, config.daemon.host,
                     config.daemon.port, ', '.join(config.control_ips))
            systemd.notify('READY=1')
            pyro.requestLoop()
    except (KeyboardInterrupt, SystemExit):
        log.info('exiting on signal')
    finally:
        if alpaca is not None:
            alpaca.stop()
        focuser.close()
    return 0


def _start_alpaca(config, focuser):
    """The ASCOM Alpaca server, when the config sets alpaca_port (imported only then, so that
    Falcon is needed only then). If its port cannot be had it says so, and Pyro serves on."""
    if config.alpaca_port is None:
        return None
    from .alpaca import AlpacaServer
    server = AlpacaServer(config, focuser)
    server.start()
    return server


def missing_alpaca_package(config):
    """One line naming the first package alpaca_port needs that cannot be imported, else None.

    Checked before anything starts: an install without Falcon (it came with the RPM's Requires,
    but not with a bare `pip install --no-deps`) would otherwise fail only once the daemon was
    serving Pyro, and systemd would restart it in a loop."""
    if config.alpaca_port is None:
        return None
    for module, pip_name, distribution_name in ALPACA_PACKAGES:
        try:
            importlib.import_module(module)
        except ImportError:
            return (f'alpaca_port is set but the Python package {module} cannot be imported: install it '
                    f'(pip install {pip_name}; Rocky 9 from EPEL, or Debian: {distribution_name}), '
                    f'or remove alpaca_port from the config')
    return None


def _exit_on_signal(signum, _frame):
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def built_in_simulator(config):
    """Runs the simulator in a child process on a pty and points the config at it.

    The child is told to die with us (PR_SET_PDEATHSIG), so no simulator outlives its daemon,
    and runs in a session of its own, so that Ctrl-C at the terminal reaches the daemon alone,
    which then stops the axis and closes the port before its simulator goes. It is started
    before any other thread (the log's) exists, as a preexec_fn needs.
    """
    def die_with_parent():
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG

    command = [sys.executable, '-m', 'rockit.focuser.c863.simulator', '--pty',
               '--baud', str(config.serial_baud), '--address', str(config.controller_address),
               '--protocol', config.protocol]
    child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True,
                             preexec_fn=die_with_parent, start_new_session=True)
    try:
        device = child.stdout.readline().strip()
        if not device:
            raise RuntimeError(f'the simulator did not start (exit status {child.wait()})')
        config.serial_port = device
        yield device
    finally:
        child.terminate()
        child.wait(timeout=5)


# The probe's short legs: its longer move is ten of them, which must stay within 9 digits.
MAX_PROBE_DISTANCE = 99999999


def main(argv=None):
    """c863_focusd [--simulate] [--probe [--motion [--yes]]] CONFIG: the entry point of the thin script."""
    parser = argparse.ArgumentParser(prog='c863_focusd', description='PI C-863 focuser daemon')
    parser.add_argument('config', help='JSON configuration file, e.g. /etc/focusd/onemetre.json')
    parser.add_argument('--simulate', action='store_true',
                        help='run against a built-in simulated C-863 instead of serial_port')
    parser.add_argument('--trace', action='store_true',
                        help='log every serial exchange (bytes both ways, timing) to the journal '
                             '(as config key trace_serial)')
    probe = parser.add_argument_group('first contact with a controller (doc/probe.md; the daemon must be stopped)')
    probe.add_argument('--probe', action='store_true',
                       help='ask the controller what the daemon assumes of it, report and exit')
    probe.add_argument('--motion', action='store_true', help='with --probe: also move it (motor on, reference run)')
    probe.add_argument('--yes', action='store_true', help='with --motion: do not ask (needed without a terminal)')
    probe.add_argument('--distance', type=int, default=2000, help='with --motion: counts per short leg (2000)')
    probe.add_argument('--output', help='with --probe: the JSON report (default probe-<name>-<UTC time>.json)')
    args = parser.parse_args(argv)
    if not args.probe and (args.motion or args.yes or args.output):
        parser.error('--motion, --yes and --output go with --probe')
    if not 0 < args.distance <= MAX_PROBE_DISTANCE:
        parser.error(f'--distance must be 1 to {MAX_PROBE_DISTANCE} counts (the longer move is ten of them, and a '
                     f'native controller takes at most 9 digits)')
    try:
        config = Config(args.config)
    except ConfigError as e:
        print(f'c863_focusd: {e}', file=sys.stderr)
        return EXIT_CONFIG_ERROR
    if args.probe:
        from .probe import run_probe  # only the probe needs it
        with built_in_simulator(config) if args.simulate else contextlib.nullcontext():
            return run_probe(config, args.motion, args.distance, args.yes, args.output)
    missing = missing_alpaca_package(config)
    if missing:
        print(f'c863_focusd: {missing}', file=sys.stderr)
        return EXIT_CONFIG_ERROR
    with built_in_simulator(config) if args.simulate else contextlib.nullcontext() as simulated, \
            queued_log(config.log_name, trace=args.trace or config.trace_serial):
        if simulated:
            log.info('simulated C-863 on %s', simulated)
        return serve(config)
