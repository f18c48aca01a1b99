# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""A stand-in rockit.common whose observatory log is slow, for the daemon under test or bench.

On a telescope, rockit.common.log makes a network call per message. install() writes a package
`rockit.common` into a folder of the caller's; with that folder first on the daemon's import
path (before the checkout), the daemon takes it for the real one: the same daemons/IP/log shape,
with one daemon entry (the caller's claimed address), and a log whose every call takes `delay`
seconds and then appends "LEVEL table: message" to a file, so a test can read what arrived.
"""
import os

import Pyro4.core

from .daemon import ROOT

_PACKAGE = '''
"""rockit.common as a telescope has it, but with an observatory log that takes {delay} s a call."""
import time
import types


class IP:
    LocalHost = '127.0.0.1'


class _Entry:
    def __init__(self, name, host, port):
        self.name, self.host, self.port = name, host, port

    def connect(self, timeout=None):
        raise NotImplementedError('the daemon never calls itself')


daemons = types.SimpleNamespace({attribute}=_Entry({name!r}, {host!r}, {port}))


def _send(level, table, message):
    print(level, table, message, flush=True)  # rockit.common prints locally, then forwards
    time.sleep({delay})
    with open({record!r}, 'a') as record:
        record.write(f'{{level}} {{table}}: {{message}}\\n')


class log:
    @staticmethod
    def info(table, message):
        _send('INFO', table, message)

    @staticmethod
    def warning(table, message):
        _send('WARN', table, message)

    @staticmethod
    def error(table, message):
        _send('ERROR', table, message)
'''


def install(folder, daemon_name, uri, delay, record):
    """Writes into folder the slow rockit.common whose one daemon entry, daemon_name, serves at
    the Pyro uri; returns the environment that puts it first on the daemon's import path."""
    address = Pyro4.core.URI(uri)
    package = os.path.join(folder, 'rockit', 'common')
    os.makedirs(package, exist_ok=True)
    with open(os.path.join(package, '__init__.py'), 'w') as source:
        source.write(_PACKAGE.format(delay=delay, attribute=daemon_name, name=address.object,
                                     host=address.host, port=address.port, record=str(record)))
    return {'PYTHONPATH': os.pathsep.join([str(folder), str(ROOT)])}
