# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The Alpaca server's life cycle: a threaded WSGI server on alpaca_port and the discovery
responder, started after the FocuserDaemon and stopped before it closes.

The WSGI server is the standard library's wsgiref with a thread per connection (Falcon does
the routing). Each connection gets a socket timeout, so a client that connects and stalls holds
a thread for a bounded time only; requests are not logged one by one (imaging programs poll
several times a second), errors are.
"""
import logging
import socketserver
import threading
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .app import make_app
from .device import FocuserDevice
from .discovery import DiscoveryResponder
from .management import Management
from .setuppage import SetupPage

log = logging.getLogger('c863_focusd.alpaca')

# Seconds a connection may stall mid-request before its thread gives up on it.
CONNECTION_TIMEOUT = 10.0


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        log.debug('Alpaca connection from %s failed', client_address[0], exc_info=True)


class _RequestHandler(WSGIRequestHandler):
    timeout = CONNECTION_TIMEOUT

    def log_message(self, format, *args):
        log.debug('Alpaca %s: ' + format, self.address_string(), *args)


class AlpacaServer:
    """Serves focuser 0 over Alpaca on the daemon's host address and config.alpaca_port."""

    def __init__(self, config, focuser):
        self._config = config
        self.device = FocuserDevice(config, focuser)
        self._discovery = DiscoveryResponder(config.alpaca_port)
        management = Management(config, self.device.get_name(None))
        setup = SetupPage(config, focuser, self.device, lambda: self._discovery.port)
        self._app = make_app(self.device, management, setup)
        self._http = None
        self._thread = None

    def start(self):
        """Starts serving; False (with a logged reason) if the TCP port cannot be had."""
        host, port = self._config.daemon.host, self._config.alpaca_port
        try:
            self._http = make_server(host, port, self._app, server_class=_ThreadingWSGIServer,
                                     handler_class=_RequestHandler)
        except OSError as e:
            log.error('cannot serve Alpaca on %s:%d: %s (is another program using the port?); '
                      'Pyro serves on', host, port, e.strerror or e)
            return False
        self._thread = threading.Thread(target=self._http.serve_forever, kwargs={'poll_interval': 0.25},
                                        name='alpaca-http', daemon=True)
        self._thread.start()
        log.info('serving ASCOM Alpaca focuser/0 on http://%s:%d (setup page /setup)', host, port)
        self._discovery.start()
        return True

    def stop(self):
        self._discovery.stop()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._thread.join()
