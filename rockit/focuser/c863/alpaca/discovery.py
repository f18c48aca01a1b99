# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""Alpaca discovery: answers the 16-byte datagram `alpacadiscovery1` with {"AlpacaPort": N}.

Clients broadcast it to UDP port 32227; only a socket bound to all IPv4 addresses (0.0.0.0)
receives broadcasts. SO_REUSEADDR lets several Alpaca servers on one machine (two focuser
daemons, say) share the port, each answering for itself. A port that cannot be had costs only
discovery: the HTTP server runs on, and clients can still add the focuser by address.
"""
import json
import logging
import os
import socket
import threading

log = logging.getLogger('c863_focusd.alpaca')

DISCOVERY_PORT = 32227
# Moves the responder to another UDP port (0: any free port, logged): for tests, which must
# not answer, or be answered by, another run's daemon on the real port.
DISCOVERY_PORT_VARIABLE = 'C863_FOCUSD_ALPACA_DISCOVERY_PORT'
DISCOVERY_REQUEST = b'alpacadiscovery1'
# How often the receiving thread looks up to see whether it should stop.
STOP_CHECK_INTERVAL = 0.25


def configured_discovery_port():
    return int(os.environ.get(DISCOVERY_PORT_VARIABLE, DISCOVERY_PORT))


class DiscoveryResponder:
    """A thread answering discovery datagrams; start() returns False if the port is unavailable."""

    def __init__(self, alpaca_port, port=None):
        self._reply = json.dumps({'AlpacaPort': alpaca_port}).encode()
        self._wanted_port = configured_discovery_port() if port is None else port
        self._socket = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name='alpaca-discovery', daemon=True)
        self.port = None

    def start(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(('0.0.0.0', self._wanted_port))
        except OSError as e:
            sock.close()
            log.error('Alpaca discovery is off: UDP port %d cannot be had (%s); clients can still add the '
                      'focuser by address', self._wanted_port, e.strerror or e)
            return False
        sock.settimeout(STOP_CHECK_INTERVAL)
        self._socket = sock
        self.port = sock.getsockname()[1]
        self._thread.start()
        log.info('Alpaca discovery on UDP 0.0.0.0:%d', self.port)
        return True

    def stop(self):
        if self._socket is not None:
            self._stopping.set()
            self._thread.join()
            self._socket.close()

    def _run(self):
        while not self._stopping.is_set():
            try:
                data, sender = self._socket.recvfrom(1024)
            except socket.timeout:
                continue
            except OSError as e:
                log.error('Alpaca discovery stopped: %s', e)
                return
            if data.startswith(DISCOVERY_REQUEST):
                try:
                    self._socket.sendto(self._reply, sender)
                except OSError as e:
                    log.warning('Alpaca discovery could not answer %s: %s', sender[0], e)
