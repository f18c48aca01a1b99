# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The benchmark harness works: `bench/run --quick` produces every figure with a number and a unit.

No timing is asserted here (the machine is shared and noisy); the figures themselves are read
by people from `bench/run`. What is asserted is what a user of bench/run relies on: it starts
the simulator and the daemon, measures every figure of doc/design.md section 6 at both baud rates,
prints them, and writes them as JSON.
"""
import json
import math
import subprocess
import sys

import pytest

from conftest import ROOT
from testkit.addresses import CLAIM_TIMEOUT

BENCH = ROOT / 'bench'
sys.path.insert(0, str(BENCH))

from harness import percentile  # noqa: E402

FIGURES = ('status_p99_1_client', 'status_p99_20_clients', 'stop_p99', 'move_end_median',
           'focus_status_median', 'idle_cpu', 'idle_rss', 'idle_poll_bytes', 'alpaca_position_p99',
           'alpaca_move_to_ismoving', 'alpaca_held_connections_p99', 'status_p99_slow_log', 'stop_p99_slow_log')
BAUD_RATES = (9600, 115200)
# With --native, at 9600 baud only, for each status layout.
NATIVE_FIGURES = tuple(f'native_{layout}_{key}@9600' for layout in ('six', 'three')
                       for key in ('stop_p99', 'move_end_median', 'idle_poll_bytes'))
EXIT_ALL_MET, EXIT_MISSED = 0, 3
# A guard against a hung run, not a speed target: on a loaded two-core machine the quick run
# (three rigs at two baud rates) has taken over two minutes, and each rig may first wait for a
# free daemon address while other runs hold all five (testkit/addresses.py).
QUICK_RUN_TIMEOUT = 600 + 3 * CLAIM_TIMEOUT


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@pytest.fixture(scope='module')
def quick_run(tmp_path_factory):
    json_path = tmp_path_factory.mktemp('bench') / 'figures.json'
    result = subprocess.run([sys.executable, str(BENCH / 'run'), '--quick', '--native', '--json', str(json_path)],
                            capture_output=True, text=True, cwd=ROOT, timeout=QUICK_RUN_TIMEOUT, check=False)
    assert result.returncode in (EXIT_ALL_MET, EXIT_MISSED), result.stdout + result.stderr
    return result.stdout, json.loads(json_path.read_text())


def test_every_figure_is_measured_at_both_baud_rates_and_on_a_native_controller(quick_run):
    _, figures = quick_run
    assert set(figures) == {f'{key}@{baud}' for key in FIGURES for baud in BAUD_RATES} | set(NATIVE_FIGURES)


def test_every_figure_has_a_number_a_unit_a_target_and_its_samples(quick_run):
    _, figures = quick_run
    for name, figure in figures.items():
        assert is_number(figure['value']), name
        assert figure['value'] >= 0, name
        assert figure['unit'] in ('ms', '%', 'MB', 'bytes'), name
        assert is_number(figure['target']), name
        assert figure['met'] == (figure['value'] <= figure['target']), name
        assert figure['floor'] is None or is_number(figure['floor']), name
        assert figure['samples'] >= 1, name


def test_the_wire_floors_follow_the_baud_rate(quick_run):
    """The stop byte's floor is one byte time: 10 bits at the baud rate."""
    _, figures = quick_run
    assert figures['stop_p99@9600']['floor'] == pytest.approx(1000 * 10 / 9600, abs=0.001)
    assert figures['stop_p99@115200']['floor'] == pytest.approx(1000 * 10 / 115200, abs=0.001)


@pytest.mark.parametrize('layout, status_bytes', [('six', 6), ('three', 3)])
def test_a_native_status_exchange_is_the_floor_of_its_poll(quick_run, layout, status_bytes):
    """'%' and 'S:' with the status bytes in two hex digits each, spaces between, CR LF ETX."""
    _, figures = quick_run
    exchange = 1 + 2 + 3 * status_bytes - 1 + 3
    assert figures[f'native_{layout}_idle_poll_bytes@9600']['floor'] == exchange
    assert figures[f'native_{layout}_move_end_median@9600']['floor'] == pytest.approx(1000 * 10 * exchange / 9600,
                                                                                       abs=0.001)


def test_the_table_shows_every_figure_with_its_verdict(quick_run):
    output, figures = quick_run
    rows = [line for line in output.splitlines() if line.endswith((' pass', ' MISS'))]
    assert len(rows) == len(figures)
    for figure in figures.values():
        assert any(row.startswith(figure['title']) and f' {figure["baud"]} ' in row for row in rows), figure
    assert 'machine: ' in output


def test_percentile_is_a_measured_value_by_nearest_rank():
    values = list(range(1, 201))
    assert percentile(values, 0.99) == 198
    assert percentile(values, 0.5) == 100
    assert percentile([7.5], 0.99) == 7.5
    assert percentile([3, 1, 2], 1.0) == 3
