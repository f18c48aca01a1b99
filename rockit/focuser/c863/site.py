# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""Where this focuser sits in the observatory: daemon names, machine addresses and the log.

On telescope machines these come from rockit.common (installed from RPMs, not on PyPI), so a
name such as `onemetre_red_focuser` or `OneMetreTCS` means the same here as in every other
rockit daemon. Where rockit.common is not installed (a developer's laptop, CI) a bundled table
of the same shape stands in, holding the names this project's own configs and tests use.

Exports:
  daemons   attribute per daemon: an entry with .name .host .port .connect()
  IP        class attribute per machine name: its IP address string
  log       .info/.warning/.error(table, message)
  HAVE_ROCKIT_COMMON   True when the three above come from rockit.common
  find_daemon(name), machine_ip(name), daemon_names(), machine_names()

Pyro4 is imported only inside the methods that need it: the focus command loads this module
on every run and its start-up time is measured.
"""
import types

try:
    from rockit.common import daemons, IP, log
    HAVE_ROCKIT_COMMON = True
except ModuleNotFoundError as error:
    # Only the absence of rockit.common itself selects the stand-in. A rockit.common that is
    # installed but broken (say, missing one of its own dependencies) must fail loudly: silently
    # falling back would stop forwarding to the observatory log without anyone noticing.
    if error.name not in ('rockit', 'rockit.common'):
        raise
    HAVE_ROCKIT_COMMON = False


DEFAULT_PROXY_TIMEOUT = 5


class DaemonEntry:
    """Where one Pyro daemon listens, and how to reach it (the shape of rockit.common's entries)."""

    def __init__(self, name, host, port, default_timeout=DEFAULT_PROXY_TIMEOUT):
        self.name = name
        self.host = host
        self.port = port
        self.default_timeout = default_timeout

    @property
    def uri(self):
        return f'PYRO:{self.name}@{self.host}:{self.port}'

    def __repr__(self):
        return f'<DaemonEntry {self.uri}>'

    def connect(self, timeout=None):
        """Returns a Pyro4 proxy to the daemon.

        timeout None uses the 5 s default; 0 means wait forever (what a client blocked in a long
        move needs); a positive number is that many seconds. Same rules as rockit.common, because
        callers written against it pass these values.
        """
        import Pyro4
        proxy = Pyro4.Proxy(self.uri)
        if timeout is None:
            proxy._pyroTimeout = self.default_timeout
        elif timeout > 0:
            proxy._pyroTimeout = timeout
        return proxy


class _BundledIP:
    """Machine addresses used by this project's configs (values as in rockit.common.IP)."""
    LocalHost = '127.0.0.1'
    OneMetreTCS = '10.2.6.201'
    OneMetreDome = '10.2.6.202'
    OneMetreDAS = '10.2.6.203'


# (attribute, Pyro object name, host, port), as in rockit.common.daemons. The test daemons go
# beyond rockit.common's five (localhost_test ... localhost_test5, ports 9000-9004) to 24,
# so that the suite's parallel workers and a bench run on one machine each have an address.
_TEST_DAEMON_COUNT = 24
_BUNDLED_DAEMONS = (
    ('onemetre_red_focuser', 'onemetre_red_focuser_daemon', _BundledIP.OneMetreDAS, 9004),
    *((f'localhost_test{suffix}', f'localhost_test_daemon{suffix}', _BundledIP.LocalHost, 9000 + index)
      for index, suffix in enumerate(['', *range(2, _TEST_DAEMON_COUNT + 1)])),
)


class _JournalLog:
    """Stands in for rockit.common.log: writes to stdout only, which systemd puts in the journal.

    There is no observatory log to forward to without rockit.common, so nothing else happens.
    """

    @staticmethod
    def _write(level, table, message):
        print(f'{level} {table}: {message}', flush=True)

    def info(self, table, message):
        self._write('INFO', table, message)

    def warning(self, table, message):
        self._write('WARN', table, message)

    def error(self, table, message):
        self._write('ERROR', table, message)


if not HAVE_ROCKIT_COMMON:
    daemons = types.SimpleNamespace(**{attribute: DaemonEntry(name, host, port)
                                       for attribute, name, host, port in _BUNDLED_DAEMONS})
    IP = _BundledIP
    log = _JournalLog()


def _is_daemon_entry(value):
    """True for a daemon entry; rockit.common.daemons also holds modules and classes."""
    return not isinstance(value, type) and all(
        hasattr(value, attribute) for attribute in ('name', 'host', 'port', 'connect'))


def daemon_names():
    """Every daemon name that `daemon` in a config may use."""
    return [name for name, value in vars(daemons).items()
            if not name.startswith('_') and _is_daemon_entry(value)]


def machine_names():
    """Every machine name that `control_machines` in a config may use."""
    return [name for name, value in vars(IP).items()
            if not name.startswith('_') and isinstance(value, str)]


def find_daemon(name):
    """Returns the daemon entry called name, or None if there is none."""
    if not isinstance(name, str) or name.startswith('_'):
        return None
    entry = getattr(daemons, name, None)
    return entry if _is_daemon_entry(entry) else None


def machine_ip(name):
    """Returns the IP address of a machine name (from IP) or of a literal IP address, else None.

    Host names are deliberately not looked up in DNS: a daemon must not hang at start-up on a
    resolver, and access control compares the peer address Pyro records, which is numeric.
    Literal addresses come back in canonical form (as a socket reports a peer: '::1', not '0::1').
    """
    if not isinstance(name, str):
        return None
    if name in machine_names():
        return getattr(IP, name)
    import ipaddress
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        return None
