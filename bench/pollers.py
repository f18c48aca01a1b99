# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""A telescope-software client polling report_status() at a fixed rate, as pipelined does.

Run in a thread (poll_status) or as a process of its own
(`python3 pollers.py URI START DURATION RATE PHASE`, which prints its latencies as JSON), so
the benchmark can tell the daemon's latency from the GIL contention of many clients in one
interpreter. Only Pyro4 is imported: a process client starts as fast as a real one.
"""
import json
import sys
import time

import Pyro4


def poll_status(uri, start, duration, rate, phase):
    """Calls report_status() at rate Hz from start + phase/rate until start + duration.

    start is a time.monotonic() value shared by all clients; phase (0..1) spreads the clients
    over the period, as independent machines would be. A call that overruns its slot skips the
    slots it missed rather than bunching up. Returns the round trips in seconds.
    """
    period = 1.0 / rate
    daemon = Pyro4.Proxy(uri)
    daemon._pyroTimeout = 5
    daemon._pyroBind()
    latencies = []
    slot = start + phase * period
    with daemon:
        while slot < start + duration:
            _pace_until(slot)
            began = time.perf_counter()
            daemon.report_status()
            latencies.append(time.perf_counter() - began)
            slot += period
            while slot < time.monotonic():
                slot += period
    return latencies


def _pace_until(moment):
    """Waits for a client's next slot: pacing a load generator, not synchronising with anything."""
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)


if __name__ == '__main__':
    uri, start, duration, rate, phase = sys.argv[1], *map(float, sys.argv[2:6])
    json.dump(poll_status(uri, start, duration, rate, phase), sys.stdout)
