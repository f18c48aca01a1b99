# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The figures of doc/design.md section 6, each measured on a Rig (harness.py).

Latencies come from timestamps, never from sleeps: a Pyro call is timed by the caller's clock,
and what happened on the controller side (the stop byte's arrival, the axis settling on its
target) by the simulator's event log, whose times are time.monotonic() in this process. The
only waits here are load pacing, the random phase of a stop, and the idle window, and none of
them decides an outcome: every "until" waits on a condition with a deadline.

Each figure also carries its physical floor: what the serial line alone would cost at the
baud rate (10 bits per byte), so a reader can tell the daemon's share from the wire's.
"""
import json
import random
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional

from harness import (DAEMON_CONFIG, FOCUS_SCRIPT, ROOT, CommandStatus, byte_time, percentile,
                     proxy, script_env, wait_until)
from pollers import poll_status

POLLERS_SCRIPT = Path(__file__).resolve().parent / 'pollers.py'

# Moves used as stimulus keep well inside the configured 0..250000 steps.
LOW_END, HIGH_END = 20000, 230000
# An idle link has been quiet this long: no exchange is half-way through.
QUIET_LINK = 0.1


@dataclass
class Figure:
    """One measured figure at one baud rate, with its target and physical floor."""
    key: str
    title: str
    baud: int
    value: float
    unit: str
    target: float            # the figure meets it when value <= target
    floor: Optional[float]   # the wire's share alone, in unit (None: the wire plays no part)
    floor_note: str
    samples: int
    note: str = ''
    problems: list[str] = field(default_factory=list)  # wrong results seen while measuring

    @property
    def name(self):
        return f'{self.key}@{self.baud}'

    @property
    def met(self):
        """Within target, and nothing went wrong on the way: a fast wrong answer is no pass."""
        return self.value <= self.target and not self.problems

    def as_json(self):
        floor = None if self.floor is None else round(self.floor, 3)
        return {'value': round(self.value, 3), 'unit': self.unit, 'target': self.target, 'met': self.met,
                'floor': floor, 'floor_note': self.floor_note, 'samples': self.samples, 'baud': self.baud,
                'title': self.title, 'note': self.note, 'problems': self.problems}


def ms(seconds):
    return seconds * 1000.0


# ---- report_status() -----------------------------------------------------------------------

def status_round_trip(rig, samples):
    """report_status() from one client, back to back."""
    latencies = []
    with proxy(rig.uri) as daemon:
        for _ in range(samples):
            began = time.perf_counter()
            daemon.report_status()
            latencies.append(time.perf_counter() - began)
    return Figure('status_p99_1_client', 'report_status() round trip, 1 client, p99', rig.baud,
                  ms(percentile(latencies, 0.99)), 'ms', 2.0, 0.0, 'none: served from the cached report',
                  len(latencies), f'median {ms(statistics.median(latencies)):.2f} ms, max {ms(max(latencies)):.2f} ms')


class Mover:
    """Keeps the axis moving back and forth in a thread, as stimulus for other measurements."""

    def __init__(self, rig, span):
        self._rig = rig
        self._span = span
        self._finish = threading.Event()
        self._thread = threading.Thread(target=self._run, name='mover', daemon=True)
        self.results = []

    def _run(self):
        low = self._rig.status()['current_steps']
        targets = (low + self._span, low)
        while not self._finish.is_set():
            self.results.append(self._rig.call('move', targets[len(self.results) % 2], False))

    def __enter__(self):
        self._thread.start()
        wait_until(lambda: self._rig.simulator.state()['moving'], 10, 'the stimulus move did not start')
        return self

    def __exit__(self, *exc_info):
        self._finish.set()
        self._thread.join(120)
        failed = [r for r in self.results if r != CommandStatus.Succeeded]
        if failed and exc_info[0] is None:
            raise RuntimeError(f'stimulus moves failed: {[CommandStatus.message(r) for r in failed]}')


def status_under_load(rig, clients, rate, duration, mode):
    """report_status() p99 while `clients` clients poll at `rate` Hz and the axis keeps moving.

    mode 'threads': one interpreter, a thread and a proxy per client; 'processes': a process
    per client, so the clients' own GIL contention is not charged to the daemon.
    """
    phases = [i / clients for i in range(clients)]
    with Mover(rig, span=20000):
        if mode == 'threads':
            start = time.monotonic() + 0.1
            with ThreadPoolExecutor(clients) as pool:
                runs = list(pool.map(lambda phase: poll_status(rig.uri, start, duration, rate, phase), phases))
        else:
            runs = _poll_in_processes(rig.uri, phases, duration, rate)
    latencies = [latency for run in runs for latency in run]
    return Figure('status_p99_20_clients', f'report_status() p99, {clients} clients at {rate:g} Hz, moving',
                  rig.baud, ms(percentile(latencies, 0.99)), 'ms', 10.0, 0.0,
                  'none: served from the cached report', len(latencies),
                  f'clients as {mode}; median {ms(statistics.median(latencies)):.2f} ms, '
                  f'max {ms(max(latencies)):.1f} ms')


def _poll_in_processes(uri, phases, duration, rate):
    """Runs one poller process per phase; they start together once all have imported Pyro4."""
    start = time.monotonic() + 1.5 + 0.05 * len(phases)
    processes = [subprocess.Popen([sys.executable, str(POLLERS_SCRIPT), uri, str(start), str(duration),
                                   str(rate), str(phase)], stdout=subprocess.PIPE, env=script_env())
                 for phase in phases]
    runs = []
    for process in processes:
        output, _ = process.communicate(timeout=duration + 60)
        if process.returncode != 0:
            raise RuntimeError(f'a poller process failed with exit status {process.returncode}')
        runs.append(json.loads(output))
    return runs


# ---- stop ------------------------------------------------------------------------------------

def stop_latency(rig, stops, rng):
    """stop() call -> the stop byte's arrival at the controller, during a move, p99.

    Each cycle starts a long move in another thread, waits until the axis moves, waits a random
    fraction of the moving poll period (so stops land at every phase of the daemon's polling,
    including half-way through an exchange), then calls stop() and finds the simulator's
    'stop' event. The move must then return Stopped; anything else is a problem of the figure
    (the stop byte's latency is still measured).
    """
    latencies, problems = [], []
    with ThreadPoolExecutor(1) as mover, proxy(rig.uri) as daemon:
        for _ in range(stops):
            move = mover.submit(rig.call, 'move', _farther_end(rig.status()['current_steps']), False)
            wait_until(lambda move=move: rig.simulator.state()['moving'] or move.done(), 10, 'the move did not start')
            started = time.monotonic()
            time.sleep(rng.uniform(0.0, DAEMON_CONFIG['moving_loop_delay']))  # the stop's phase, not a synchronisation
            called = time.monotonic()
            daemon.stop()
            result = move.result(60)
            if result != CommandStatus.Stopped:
                problems.append(f'a move stopped {ms(called - started):.0f} ms after the axis began to move '
                                f'returned {result} ({CommandStatus.message(result)}); status then: '
                                f'{_positions(rig.status())}')
            arrival = _first_event_after(rig.simulator, 'stop', called)
            latencies.append(arrival - called)
    wire = byte_time(rig.baud)
    return Figure('stop_p99', 'stop: stop() call -> stop byte at the controller, moving, p99', rig.baud,
                  ms(percentile(latencies, 0.99)), 'ms', 30.0 if rig.baud <= 9600 else 5.0, ms(wire),
                  'one stop byte (#24; native !) on the wire', len(latencies),
                  f'median {ms(statistics.median(latencies)):.2f} ms, max {ms(max(latencies)):.2f} ms',
                  problems)


def _positions(report):
    return {key: report.get(key) for key in ('status_label', 'current_steps', 'target_steps')}


def _farther_end(position):
    """The end of the stimulus range farther from position: a move long enough to stop."""
    return LOW_END if position - LOW_END > HIGH_END - position else HIGH_END


def _first_event_after(simulator, name, moment):
    """Time of the first event called name at or after moment (which must have happened)."""
    for when, event, _ in simulator.events:
        if event == name and when >= moment:
            return when
    raise RuntimeError(f'the simulator recorded no {name!r} event after the call')


# ---- move end ----------------------------------------------------------------------------------

def move_end(rig, moves, rng):
    """Controller on target -> move() returns, median, over moves of random length and direction.

    The random lengths put the end of the move at every phase of the daemon's polling. A move
    that does not succeed, or succeeds before the axis is on target, is a problem of the figure.
    """
    latencies, problems = [], []
    with proxy(rig.uri, timeout=120) as daemon:
        for _ in range(moves):
            position = rig.status()['current_steps']
            distance = rng.randint(3000, 10000)
            target = position + distance if position + distance <= HIGH_END else position - distance
            called = time.monotonic()
            result = daemon.move(target, False)
            returned = time.monotonic()
            settled = [when for when, event, _ in rig.simulator.events
                       if event == 'on_target' and called <= when <= returned]
            if result != CommandStatus.Succeeded:
                problems.append(f'move to {target} returned {result} ({CommandStatus.message(result)})')
            elif not settled:
                problems.append(f'move to {target} returned Succeeded before the axis was on target')
            else:
                latencies.append(returned - settled[-1])
    if not latencies:
        raise RuntimeError(f'no move ended as it should: {problems}')
    request, exchange_bytes = rig.status_exchange
    wire = exchange_bytes * byte_time(rig.baud)
    return Figure('move_end_median', 'move end: on target -> move() returns, median', rig.baud,
                  ms(statistics.median(latencies)), 'ms', 60.0, ms(wire),
                  f'one status exchange ({request!r}, {exchange_bytes} bytes)', len(latencies),
                  f'p90 {ms(percentile(latencies, 0.9)):.1f} ms, max {ms(max(latencies)):.1f} ms', problems)


# ---- the focus command -------------------------------------------------------------------------

def focus_status(rig, runs):
    """`focus status` as a person runs it (a whole new process), as a ratio of medians to its floor.

    The floor is a bare `python3 -c 'import Pyro4'`: no client can do less than start Python and
    load Pyro. The two alternate, so both see the same load on a shared machine.
    """
    env = script_env(FOCUSD_CONFIG_PATH=str(rig.config_path))
    commands = {'focus': [sys.executable, str(FOCUS_SCRIPT), 'status'],
                'floor': [sys.executable, '-c', 'import Pyro4']}
    durations = {'focus': [], 'floor': []}
    for _ in range(runs):
        for name, command in commands.items():
            began = time.monotonic()
            result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
            durations[name].append(time.monotonic() - began)
            if result.returncode != 0 or (name == 'focus' and 'Focuser is' not in result.stdout):
                raise RuntimeError(f'{name} failed ({result.returncode}): {result.stdout}{result.stderr}')
    focus, floor = (statistics.median(durations[name]) for name in ('focus', 'floor'))
    return Figure('focus_status_median', "`focus status` median wall time, % of bare `import Pyro4`",
                  rig.baud, 100.0 * focus / floor, '%', 140.0, 100.0,
                  "a bare `python3 -c 'import Pyro4'` in the same run", len(durations['focus']),
                  f'medians: focus status {ms(focus):.0f} ms, bare import Pyro4 {ms(floor):.0f} ms')


# ---- the idle daemon ---------------------------------------------------------------------------

def idle(rig, window):
    """CPU share, resident memory and serial bytes per poll of a daemon left alone for window s.

    The window opens and closes while the link is quiet, so the byte counters hold whole
    exchanges only; a poll cycle is counted at each status request (#4, native %) the controller
    receives.
    """
    rig.wait_for_idle()
    before = _idle_sample(rig)
    time.sleep(window)  # the measurement window itself
    after = _idle_sample(rig)
    wall = after['time'] - before['time']
    cpu_share = 100.0 * (after['cpu'] - before['cpu']) / wall
    commands = [detail for when, event, detail in rig.simulator.events
                if event == 'command' and before['time'] < when <= after['time']]
    request, exchange_bytes = rig.status_exchange
    cycles = commands.count(request)
    if not cycles:
        raise RuntimeError(f'the idle daemon did not poll in {wall:.1f} s')
    per_cycle = (after['bytes'] - before['bytes']) / cycles
    wire = exchange_bytes * byte_time(rig.baud)
    others = sorted({repr(c) for c in commands if c != request})
    return [
        Figure('idle_cpu', 'idle daemon: CPU share', rig.baud, cpu_share, '%', 1.0, None, 'n/a', 1,
               f'over {wall:.1f} s, {cycles} polls'),
        Figure('idle_rss', 'idle daemon: resident memory (VmRSS)', rig.baud, rig.meter.resident_mb(), 'MB',
               40.0, None, 'n/a', 1),
        Figure('idle_poll_bytes', 'serial bytes per idle poll cycle (both ways)', rig.baud, per_cycle, 'bytes',
               float(exchange_bytes), float(exchange_bytes),
               f'one status exchange ({request!r}) = {ms(wire):.1f} ms of wire', cycles,
               f'{cycles} polls; commands besides {request!r}: {", ".join(others) or "none"}'),
    ]


def _idle_sample(rig):
    """Counters read at a moment when no exchange is in progress on the link."""
    def quiet():
        events = rig.simulator.events
        last = max((when for when, event, _ in events if event == 'command'), default=0.0)
        now = time.monotonic()
        return now - last >= QUIET_LINK and now
    moment = wait_until(quiet, 10, 'the idle link never fell quiet')
    state = rig.simulator.state()
    return {'time': moment, 'cpu': rig.meter.cpu_seconds(),
            'bytes': state['bytes_received'] + state['bytes_sent']}


def alpaca_figures(rig, sizes):
    """The Alpaca server's figures (alpaca_figures.py), imported here to keep this file's own."""
    import alpaca_figures
    rig.wait_for_idle()
    return [alpaca_figures.get_position(rig, sizes['status_calls']),
            alpaca_figures.move_to_is_moving(rig, sizes['moves']),
            alpaca_figures.get_under_held_connections(rig, sizes['alpaca_idle'], sizes['alpaca_slow'],
                                                      sizes['alpaca_held_seconds'])]


# The observatory log of the slow-log figures: seconds per message (doc/design.md section 6).
SLOW_LOG_CALL = 0.5


def slow_log_figures(rig, sizes, seed=7):
    """On a rig whose observatory log takes SLOW_LOG_CALL s a message: status during moves and
    the stop latency, which must be what they are without it (the log is written by a thread
    of its own, never inside the daemon's lock or ahead of a stop)."""
    suffix = f', observatory log {SLOW_LOG_CALL:g} s/message'
    with Mover(rig, span=20000):
        status = status_round_trip(rig, sizes['status_calls'])
    rig.wait_for_idle()
    stop = stop_latency(rig, sizes['stops'], random.Random(seed))
    return [replace(status, key='status_p99_slow_log', title=status.title.replace(', p99', ', moving, p99') + suffix),
            replace(stop, key='stop_p99_slow_log', title=stop.title + suffix)]


def native_figures(rig, sizes, seed=7):
    """What differs on a native controller: the stop byte, the end of a move (ended on \\ and
    the position, not a status bit) and the idle poll, named after the status layout."""
    rng = random.Random(seed)
    layout = rig.simulator.firmware.status_layout
    rig.wait_for_idle()
    figures = [stop_latency(rig, sizes['stops'], rng)]
    rig.wait_for_idle()
    figures.append(move_end(rig, sizes['moves'], rng))
    figures.extend(figure for figure in idle(rig, sizes['idle_seconds']) if figure.key == 'idle_poll_bytes')
    return [replace(figure, key=f'native_{layout}_{figure.key}', title=f'native, {layout} status bytes: {figure.title}')
            for figure in figures]


def measure_all(rig, sizes, client_mode, seed=7):
    """Every figure on one rig, idle last (memory after the daemon has served everything)."""
    rng = random.Random(seed)
    figures = [
        status_round_trip(rig, sizes['status_calls']),
        status_under_load(rig, 20, 10.0, sizes['load_seconds'], client_mode),
    ]
    rig.wait_for_idle()
    figures.append(stop_latency(rig, sizes['stops'], rng))
    rig.wait_for_idle()
    figures.append(move_end(rig, sizes['moves'], rng))
    figures.append(focus_status(rig, sizes['focus_runs']))
    figures.extend(alpaca_figures(rig, sizes))
    figures.extend(idle(rig, sizes['idle_seconds']))
    return figures
