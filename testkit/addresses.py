# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""Claiming a Pyro address for a daemon under test, so that concurrent runs never meet.

The bundled site table (rockit/focuser/c863/site.py) names 24 localhost test daemons on
ports 9000-9023 (rockit.common, where installed, names the first five). Test runs (each parallel
worker of one), bench/run and bench/soak on one machine each claim one with an exclusive lock
file per port (released when the claim is closed or the process dies) and skip ports another
program already listens on, so one run never talks to another run's daemon. A run that finds
them all taken waits for one (several engineers' runs share a machine).
"""
import fcntl
import os
import socket
import tempfile

from rockit.focuser.c863.site import daemons

from .waiting import wait_until

TEST_DAEMONS = tuple(name for name in vars(daemons) if name.startswith('localhost_test'))
CLAIM_TIMEOUT = 600  # seconds to wait for a free address while other runs hold them all
ALPACA_PORT_OFFSET = 2000  # a test daemon's Alpaca server listens on its Pyro port + this


class AddressClaim:
    """A daemon name from the site table, its URI and port, held until close()."""

    def __init__(self, entry_name, entry, lock_file):
        self.name = entry_name
        self.uri = entry.uri
        self.port = entry.port
        self.alpaca_port = entry.port + ALPACA_PORT_OFFSET
        self._lock_file = lock_file

    def close(self):
        self._lock_file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def _lock_path(port):
    return os.path.join(tempfile.gettempdir(), f'rockit-focuser-c863-test-{port}.lock')


def _try_claim(order):
    for name in order:
        entry = getattr(daemons, name)
        lock_file = open(_lock_path(entry.port), 'w')
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind((entry.host, entry.port))
        except OSError:
            lock_file.close()
            continue
        return AddressClaim(name, entry, lock_file)
    return None


def claim_address(order=TEST_DAEMONS, timeout=CLAIM_TIMEOUT):
    """The first daemon of `order` whose port is neither claimed nor in use, claimed. When all
    are taken (several runs on one machine), waits up to timeout seconds for one to be freed."""
    return wait_until(lambda: _try_claim(order), timeout,
                      f'every test daemon address ({", ".join(order)}) stayed claimed or in use', interval=0.2)
