# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The Alpaca server's life cycle: waitress serving the Falcon app on alpaca_port and the
discovery responder, started after the FocuserDaemon and stopped before it closes.

waitress holds every connection in one event loop (no thread each) and hands complete requests
to a small fixed pool of worker threads, so idle keep-alive clients, slow clients and clients
that connect and stall cost a socket, not a thread. It reads a request's whole body before the
app sees it: a request cut short is closed, never answered from half a body. Requests are not
logged one by one (imaging programs poll several times a second); what waitress itself logs
becomes one debug line, without a traceback.
"""
import logging
import threading

import waitress
from waitress import wasyncore

from .app import make_app
from .device import FocuserDevice
from .discovery import DiscoveryResponder
from .management import Management
from .setuppage import SetupPage

log = logging.getLogger('c863_focusd.alpaca')

# Threads that run the app. Every Alpaca request is answered from the daemon's cached report or
# hands a command to it, in milliseconds, and an observatory has a handful of Alpaca clients:
# four keep a slow request (a Connected that waits for the daemon's lock) from holding up the
# rest, and bound the threads whatever the number of connections.
WORKER_THREADS = 4
# Seconds a connection may be silent (idle between requests, or stalled mid-request) before it
# is closed. Clients that poll reconnect at once; a stalled request never reaches the app.
READ_TIMEOUT = 10
# Seconds between the checks for silent connections: one is closed within READ_TIMEOUT plus this.
CLEANUP_INTERVAL = 2
# Connections held at once; past it new ones wait in the listen backlog until some close. Below
# the 1024 open files a process gets by default, leaving room for Pyro, the serial port and logs.
CONNECTION_LIMIT = 700
# Seconds the worker threads have to finish a request when the daemon stops.
STOP_TIMEOUT = 2
# The event loop's wait when nothing happens (stop() wakes it at once through waitress's trigger).
LOOP_TIMEOUT = 1


class _OneDebugLine(logging.Handler):
    """Re-logs waitress's own records (a client gone mid-answer, a full task queue, an app
    exception) as one debug line of ours: a bad client must not fill the journal with
    tracebacks, nor reach the log's root handler."""

    def emit(self, record):
        log.debug('Alpaca HTTP: %s', record.getMessage())


def _quiet_waitress():
    waitress_log = logging.getLogger('waitress')
    if not any(isinstance(handler, _OneDebugLine) for handler in waitress_log.handlers):
        waitress_log.addHandler(_OneDebugLine())
    waitress_log.propagate = False


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
        self._map = {}
        self._stopping = threading.Event()
        self._thread = None

    def start(self):
        """Starts serving; False (with a logged reason) if the TCP port cannot be had."""
        host, port = self._config.daemon.host, self._config.alpaca_port
        _quiet_waitress()
        try:
            self._http = waitress.create_server(
                self._app, map=self._map, host=host, port=port, threads=WORKER_THREADS,
                channel_timeout=READ_TIMEOUT, cleanup_interval=CLEANUP_INTERVAL,
                connection_limit=CONNECTION_LIMIT, asyncore_use_poll=True,
                asyncore_loop_timeout=LOOP_TIMEOUT, ident='c863_focusd')
        except OSError as e:
            log.error('cannot serve Alpaca on %s:%d: %s (is another program using the port?); '
                      'Pyro serves on', host, port, e.strerror or e)
            return False
        self._thread = threading.Thread(target=self._serve, name='alpaca-http', daemon=True)
        self._thread.start()
        log.info('serving ASCOM Alpaca focuser/0 on http://%s:%d (setup page /setup)', host, port)
        self._discovery.start()
        return True

    def _serve(self):
        """waitress's event loop, one pass at a time so that stop() can end it (its own run()
        returns only once every connection has closed)."""
        while not self._stopping.is_set():
            wasyncore.loop(timeout=LOOP_TIMEOUT, use_poll=True, map=self._map, count=1)

    def stop(self):
        """Stops discovery and the HTTP server: the loop ends, then every connection and the
        listening socket are closed from here, and the workers get STOP_TIMEOUT to finish."""
        self._discovery.stop()
        if self._http is None:
            return
        self._stopping.set()
        self._http.pull_trigger()
        self._thread.join()
        wasyncore.close_all(self._map, ignore_all=True)
        self._http.task_dispatcher.shutdown(timeout=STOP_TIMEOUT)
