# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The Alpaca figures of doc/design.md section 6, measured over plain HTTP (urllib) on a Rig.

- Alpaca GET Position p99: a connected client reading Position back to back; its floor is a
  GET of a static route on the same server (/management/apiversions: Falcon and the HTTP
  server, no daemon), the two alternating so both see the same load.
- Move accepted -> IsMoving true: from the Move response's arrival to the first IsMoving GET
  that answers true; its floor is one GET round trip, measured beside it.
- GET Position p99 while many idle and slow (one byte a second) connections are held: against
  the unloaded p99 of the same run, paced alike; with the daemon's thread count, which must not
  grow with the connections.
"""
import json
import select
import socket
import threading
import time
import urllib.parse
import urllib.request

from figures import Figure, ms
from harness import DAEMON_CONFIG, percentile, wait_until
from rockit.focuser.c863.alpaca.server import WORKER_THREADS

MOVING_LOOP_DELAY = DAEMON_CONFIG['moving_loop_delay']
SHORT_MOVE = 20000  # steps: 2 mm, about 1 s at the rig's 2 mm/s

CLIENT_ID = '77'
HTTP_TIMEOUT = 5


class AlpacaClient:
    def __init__(self, rig):
        config = json.loads(rig.config_path.read_text())
        self.base = f'http://127.0.0.1:{config["alpaca_port"]}'

    def request(self, path, method='GET', **form):
        """The JSON answer (Value and errors), raising on an ASCOM error."""
        form = urllib.parse.urlencode({'ClientID': CLIENT_ID, **form})
        if method == 'GET':
            request = urllib.request.Request(f'{self.base}{path}?{form}')
        else:
            request = urllib.request.Request(f'{self.base}{path}', data=form.encode(), method=method)
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
            answer = json.load(response)
        if answer['ErrorNumber']:
            raise RuntimeError(f'{method} {path}: {answer["ErrorMessage"]}')
        return answer.get('Value')

    def device(self, member, method='GET', **form):
        return self.request(f'/api/v1/focuser/0/{member}', method, **form)

    def timed(self, path):
        began = time.perf_counter()
        value = self.request(path)
        return value, time.perf_counter() - began


def get_position(rig, samples):
    client = AlpacaClient(rig)
    client.device('connected', 'PUT', Connected='true')
    latencies, floor, problems = [], [], []
    for _ in range(samples):
        position, latency = client.timed('/api/v1/focuser/0/position')
        latencies.append(latency)
        floor.append(client.timed('/management/apiversions')[1])
    report = rig.status()
    if position != report['current_steps'] - report['min_steps']:
        problems.append(f'Position {position} is not the daemon\'s {report["current_steps"]} - {report["min_steps"]}')
    p99, floor_p99 = percentile(latencies, 0.99), percentile(floor, 0.99)
    return Figure('alpaca_position_p99', 'Alpaca GET Position p99', rig.baud, ms(p99), 'ms', 10.0, ms(floor_p99),
                  'GET /management/apiversions (no daemon) on the same server, p99', len(latencies),
                  f'{p99 / floor_p99:.2f}x the floor; median {ms(sorted(latencies)[len(latencies) // 2]):.2f} ms',
                  problems)


def move_to_is_moving(rig, moves):
    client = AlpacaClient(rig)
    client.device('connected', 'PUT', Connected='true')
    report = rig.status()
    low, start = report['min_steps'], report['current_steps']
    latencies, floor = [], []
    for index in range(moves):
        # Out and back by SHORT_MOVE: longer than a moving poll, and seconds shorter than a
        # move across the stage (the figure ends when IsMoving turns true, whatever the length).
        target = start + SHORT_MOVE if index % 2 == 0 else start
        client.device('move', 'PUT', Position=str(target - low))
        accepted = time.perf_counter()
        wait_until(lambda: client.device('ismoving'), 5, 'IsMoving never became true')
        latencies.append(time.perf_counter() - accepted)
        floor.append(client.timed('/management/apiversions')[1])
        wait_until(lambda: not client.device('ismoving'), 60, 'the move did not end')
    worst = max(latencies)
    return Figure('alpaca_move_to_ismoving', 'Alpaca Move accepted -> IsMoving true (worst)', rig.baud, ms(worst),
                  'ms', ms(MOVING_LOOP_DELAY), ms(max(floor)), 'one GET round trip on the same server (worst)',
                  len(latencies), f'target: one moving poll ({MOVING_LOOP_DELAY:g} s)')


# Unloaded and loaded GETs are paced alike, so that the two p99s differ by the load alone.
GET_PERIOD = 0.02
# The unloaded side is measured for at most this long, before the load is opened.
UNLOADED_SECONDS = 10.0
# What a slow client sends, one byte a second: a request line that a whole load never completes.
SLOW_REQUEST = ('GET /api/v1/focuser/0/position?ClientID=78&padding=' + 'x' * 200).encode()


def daemon_threads(pid):
    with open(f'/proc/{pid}/status') as status:
        return next(int(line.split()[1]) for line in status if line.startswith('Threads:'))


class HeldConnections:
    """`idle` connections that send nothing and `slow` ones that send a request one byte a
    second, held for as long as the block runs. The server closes an idle connection after its
    read timeout: it is opened again at once, as a polling client would, so `idle` stay held."""

    def __init__(self, port, idle, slow):
        self.address = ('127.0.0.1', port)
        self.idle = [self._open() for _ in range(idle)]
        self.slow = [self._open() for _ in range(slow)]
        self.reopened = 0
        self.slow_dropped = 0
        self._sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._pace, name='held-connections', daemon=True)

    def _open(self):
        return socket.create_connection(self.address, timeout=HTTP_TIMEOUT)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()
        for conn in self.idle + self.slow:
            conn.close()

    def _pace(self):
        """One slow connection's byte per step, so each gets one a second; after every round,
        the idle connections the server closed are opened again."""
        step = 1.0 / max(1, len(self.slow))
        index = 0
        while not self._stop.wait(step):
            if self.slow:
                self._send_one_byte(index % len(self.slow))
            index += 1
            if index % max(1, len(self.slow)) == 0:
                self._reopen_closed_idle()

    def _send_one_byte(self, index):
        offset = self._sent % len(SLOW_REQUEST)
        try:
            self.slow[index].sendall(SLOW_REQUEST[offset:offset + 1])
        except OSError:
            self.slow_dropped += 1
            self.slow[index].close()
            self.slow[index] = self._open()
        if index == len(self.slow) - 1:
            self._sent += 1

    def _reopen_closed_idle(self):
        poller = select.poll()
        by_fd = {conn.fileno(): index for index, conn in enumerate(self.idle)}
        for fd in by_fd:
            poller.register(fd, select.POLLIN)
        for fd, _ in poller.poll(0):
            index = by_fd[fd]
            self.idle[index].close()
            self.idle[index] = self._open()
            self.reopened += 1


def _paced_gets(client, seconds, pid):
    """GETs of Position every GET_PERIOD for `seconds`: (latencies, the daemon's peak thread count)."""
    latencies, peak = [], daemon_threads(pid)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        latencies.append(client.timed('/api/v1/focuser/0/position')[1])
        peak = max(peak, daemon_threads(pid))
        time.sleep(GET_PERIOD)
    return latencies, peak


def get_under_held_connections(rig, idle, slow, seconds):
    """GET Position p99 while `idle` + `slow` connections are held for `seconds`, against the
    unloaded p99 of the same run (target: at most twice it), and the daemon's thread count."""
    client = AlpacaClient(rig)
    client.device('connected', 'PUT', Connected='true')
    pid = rig.daemon.pid
    unloaded, threads_before = _paced_gets(client, min(seconds, UNLOADED_SECONDS), pid)
    with HeldConnections(int(client.base.rsplit(':', 1)[1]), idle, slow) as held:
        loaded, threads_peak = _paced_gets(client, seconds, pid)
    p99, unloaded_p99 = percentile(loaded, 0.99), percentile(unloaded, 0.99)
    problems = []
    if threads_peak > threads_before + WORKER_THREADS:
        problems.append(f'the daemon grew from {threads_before} to {threads_peak} threads: a thread per connection?')
    if 'Traceback' in rig.daemon_output():
        problems.append('the daemon logged a traceback while the connections were held')
    return Figure('alpaca_held_connections_p99', f'Alpaca GET p99, {idle} idle + {slow} slow connections held',
                  rig.baud, ms(p99), 'ms', round(2 * ms(unloaded_p99), 2), ms(unloaded_p99),
                  'the unloaded GET p99 of the same run (target: 2x it)', len(loaded),
                  f'{p99 / unloaded_p99:.2f}x unloaded; held {seconds:g} s; daemon threads {threads_before} '
                  f'before, {threads_peak} at most; idle reopened after the read timeout {held.reopened} times; '
                  f'slow dropped {held.slow_dropped}', problems)
