# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The Alpaca figures of doc/design.md section 6, measured over plain HTTP (urllib) on a Rig.

- Alpaca GET Position p99: a connected client reading Position back to back; its floor is a
  GET of a static route on the same server (/management/apiversions: Falcon and the HTTP
  server, no daemon), the two alternating so both see the same load.
- Move accepted -> IsMoving true: from the Move response's arrival to the first IsMoving GET
  that answers true; its floor is one GET round trip, measured beside it.
"""
import json
import time
import urllib.parse
import urllib.request

from figures import Figure, ms
from harness import DAEMON_CONFIG, percentile, wait_until

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
