# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""c863_focusd --probe, run as an engineer runs it at the telescope: the real script in its own
process against a simulated controller on a pty, judged by what the engineer reads (the text
report, the JSON file) and by what the controller was sent (the simulator's event log).

The simulated controllers play both native status layouts (six bytes as the hardware drivers
read them, three as the manual tabulates them) and GCS, at the suite's fast stage speed.
"""
import json
import os
import pty
import re
import subprocess
import sys

import pytest
import serial

from conftest import DAEMON_SCRIPT, ROOT, script_env
from rockit.focuser.c863.probe.guesses import GCS, GUESSES, NATIVE
from testkit.events import commands, motion_commands

PROBE_TIMEOUT = 120  # seconds: a safety net for a hung probe, never a synchronisation
# Legs long enough (0.4 s and more on the fast simulated stage) that a poll catches them moving
# even when a loaded machine holds the probe for a moment.
MOTION = ('--motion', '--yes', '--distance', '20000')
VERDICT = re.compile(r'^(CONFIRMED|CONTRADICTED|NOT TESTED) +([a-z0-9-]+): ', re.MULTILINE)


def run_daemon_script(*args, cwd, stdin=subprocess.DEVNULL):
    """c863_focusd ARGS with pipes and (by default) no terminal, as a script runs it."""
    return subprocess.run([sys.executable, str(DAEMON_SCRIPT), *args], stdin=stdin, capture_output=True, text=True,
                          env=script_env(), cwd=cwd, timeout=PROBE_TIMEOUT, check=False)


def run_probe(config_path, *options, cwd, stdin=subprocess.DEVNULL):
    """c863_focusd --probe OPTIONS CONFIG."""
    return run_daemon_script('--probe', *options, str(config_path), cwd=cwd, stdin=stdin)


def verdicts(text):
    """{guess id: 'confirmed' | 'contradicted' | 'not tested'} from the text report."""
    return {guess_id: verdict.lower() for verdict, guess_id in VERDICT.findall(text)}


def evidence(text, guess_id):
    """The evidence line printed under a guess."""
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if re.match(rf'[A-Z ]+ {guess_id}: ', line))
    return lines[index + 1].strip()


def probed(make_simulator, write_config, tmp_path, *options, **simulator_options):
    """Starts a simulator, probes it with the test config; (simulator, result, JSON document)."""
    simulator = make_simulator(**simulator_options)
    result = run_probe(write_config(serial_port=simulator.device), *options, '--output',
                       str(tmp_path / 'probe.json'), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    return simulator, result, json.loads((tmp_path / 'probe.json').read_text())


def assert_every_byte_recorded(simulator, document):
    """The JSON holds every byte both ways, each chunk with its time, in order."""
    chunks = [chunk for exchange in document['exchanges'] for chunk in exchange['chunks']]
    times = [chunk['t'] for chunk in chunks]
    assert times == sorted(times)
    written = sum(len(bytes.fromhex(chunk['hex'])) for chunk in chunks if chunk['direction'] == 'out')
    read = sum(len(bytes.fromhex(chunk['hex'])) for chunk in chunks if chunk['direction'] != 'out')
    state = simulator.state()
    assert (written, read) == (state['bytes_received'], state['bytes_sent'])


def assert_reports_agree(result, document, protocol):
    """Text and JSON name every guess of the command set, with the same verdicts."""
    in_json = {guess['id']: guess['verdict'] for guess in document['guesses']}
    assert list(in_json) == [guess.id for guess in GUESSES[protocol]]
    assert verdicts(result.stdout) == in_json


LAYOUTS = [('six', 'six-byte', 'confirmed'), ('three', 'three-byte', 'contradicted')]


@pytest.mark.parametrize('protocol', ['native'])
@pytest.mark.parametrize('status_layout, layout_name, six_bytes', LAYOUTS)
def test_native_probe_without_motion_names_the_layout_and_moves_nothing(
        make_simulator, write_config, tmp_path, layout_name, six_bytes):
    simulator = make_simulator()
    result = run_probe(write_config(serial_port=simulator.device), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    [report_file] = tmp_path.glob('probe-focuser-*Z.json')  # the default name, in the current directory
    document = json.loads(report_file.read_text())

    assert result.stdout.splitlines()[1].startswith(f'Status layout: {layout_name}')
    found = verdicts(result.stdout)
    assert found['status-six-bytes'] == six_bytes
    assert found['deaf-until-selected'] == 'confirmed'
    assert found['tb-board-number'] == 'confirmed'
    assert found['error-number-byte'] == 'confirmed'
    assert found['error-cleared-by-reading'] == 'confirmed'
    assert found['dh-does-not-move'] == 'not tested'
    assert evidence(result.stdout, 'dh-does-not-move') == 'needs --motion'
    assert found['motor-off-bit'] == 'not tested'
    assert '1 (motor off)' in evidence(result.stdout, 'motor-off-bit')
    assert_reports_agree(result, document, 'native')
    assert_every_byte_recorded(simulator, document)
    assert motion_commands(simulator, stops=True) == []
    assert not [command for command in commands(simulator) if command.upper().startswith('MN')]


@pytest.mark.parametrize('protocol', ['native'])
@pytest.mark.parametrize('status_layout, layout_name, six_bytes', LAYOUTS)
def test_native_probe_with_motion_watches_every_motion_it_starts(
        make_simulator, write_config, tmp_path, status_layout, layout_name, six_bytes):
    simulator, result, document = probed(make_simulator, write_config, tmp_path, *MOTION)

    assert result.stdout.startswith('With --motion the probe will move the focuser')
    assert f'Status layout: {layout_name}' in result.stdout
    found = verdicts(result.stdout)
    assert found['status-six-bytes'] == six_bytes
    for guess_id in ('motor-off-bit', 'moving-flag', 'at-rest-bits', 'settles-within-window', 'dh-does-not-move',
                     'find-edge-bit', 'find-edge-moving-flag', 'abort-stops'):
        assert found[guess_id] == 'confirmed', evidence(result.stdout, guess_id)
    six_only = 'confirmed' if status_layout == 'six' else 'not tested'
    assert (found['busy-bit'], found['direction-bit']) == (six_only, six_only)
    assert_reports_agree(result, document, 'native')
    assert_every_byte_recorded(simulator, document)
    # The longer move heads for the farther limit and stops there at most (max_position 250000).
    assert motion_commands(simulator, stops=True) == ['MR20000', 'MR-20000', 'DH-900000000', 'FE2', 'DH125000',
                                                      'MR125000']
    assert [detail for _, name, detail in simulator.events if name == 'stop'] == ['!']


@pytest.mark.parametrize('protocol', ['gcs'])
def test_gcs_probe_without_motion_asks_both_ways_and_moves_nothing(make_simulator, write_config, tmp_path):
    simulator, result, document = probed(make_simulator, write_config, tmp_path)

    assert result.stdout.splitlines()[1].startswith('Status layout: GCS #4 register')
    found = verdicts(result.stdout)
    for guess_id in ('idn-c863', 'status-register-format', 'status-register-cross-check', 'counts-per-unit',
                     'optional-parameters', 'travel-range', 'addressed-query'):
        assert found[guess_id] == 'confirmed', evidence(result.stdout, guess_id)
    assert found['bit8-after-stop'] == 'not tested'
    assert "b'1 POS? 1\\n' -> b'0 1 1=" in evidence(result.stdout, 'addressed-query')
    assert_reports_agree(result, document, 'gcs')
    assert_every_byte_recorded(simulator, document)
    assert motion_commands(simulator, stops=True) == []
    assert not [command for command in commands(simulator) if command.upper().startswith(('SVO 1', 'RON'))]


@pytest.mark.parametrize('protocol', ['gcs'])
def test_gcs_probe_with_motion_reads_the_stop_in_the_register_and_the_error(make_simulator, write_config, tmp_path):
    simulator, result, document = probed(make_simulator, write_config, tmp_path, *MOTION)

    found = verdicts(result.stdout)
    for guess_id in ('referencing-bit', 'referenced-after-run', 'moving-bit', 'on-target-after-move',
                     'bit8-after-stop', 'error-10-after-stop'):
        assert found[guess_id] == 'confirmed', evidence(result.stdout, guess_id)
    assert_reports_agree(result, document, 'gcs')
    assert_every_byte_recorded(simulator, document)
    assert motion_commands(simulator, stops=True) == ['FRF 1', 'MVR 1 2.0', 'MVR 1 -2.0', 'MVR 1 12.5', '\x18']


@pytest.mark.parametrize('protocol', ['native', 'gcs'])
def test_motion_without_a_terminal_needs_yes_and_sends_nothing(make_simulator, write_config, tmp_path):
    simulator = make_simulator()
    result = run_probe(write_config(serial_port=simulator.device), '--motion', cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr == 'c863_focusd: --motion without a terminal needs --yes: nothing was sent\n'
    assert commands(simulator) == []
    assert not list(tmp_path.glob('probe-*.json'))


@pytest.mark.parametrize('protocol', ['native'])
def test_motion_on_a_terminal_asks_and_a_no_sends_nothing(make_simulator, write_config, tmp_path):
    simulator = make_simulator()
    terminal, stdin = pty.openpty()
    try:
        os.write(terminal, b'n\n')  # typed ahead: the terminal keeps it until the probe reads
        result = run_probe(write_config(serial_port=simulator.device), '--motion', cwd=tmp_path, stdin=stdin)
    finally:
        os.close(stdin)
        os.close(terminal)

    assert result.returncode == 2
    assert 'MN (motor on)' in result.stdout
    assert result.stdout.endswith('Move the focuser as above? [y/N] ')
    assert result.stderr == 'c863_focusd: not confirmed: nothing was sent\n'
    assert commands(simulator) == []


@pytest.mark.parametrize('protocol', ['native'])
def test_a_port_held_by_the_daemon_says_how_to_stop_it(make_simulator, write_config, tmp_path):
    simulator = make_simulator()
    with serial.serial_for_url(simulator.device, exclusive=True):
        result = run_probe(write_config(serial_port=simulator.device), cwd=tmp_path)

    assert result.returncode != 0
    assert result.stderr.count('\n') == 1
    assert 'held by another process' in result.stderr
    assert '`systemctl stop c863_focusd@focuser`' in result.stderr
    assert commands(simulator) == []


def test_the_statements_in_doc_probe_are_the_ones_the_probe_judges():
    doc = (ROOT / 'doc' / 'probe.md').read_text()
    rows = [[cell.strip() for cell in line.strip('|').split('|')]
            for line in doc.splitlines() if line.startswith('| `')]
    assert rows == [[f'`{guess.id}`', guess.statement, guess.kind, guess.source, 'yes' if guess.motion else '']
                    for guess in NATIVE + GCS]


@pytest.mark.parametrize('options', [['--motion'], ['--yes'], ['--output', 'probe.json']])
def test_the_probe_options_go_with_probe(tmp_path, options):
    result = run_daemon_script(*options, str(tmp_path / 'focuser.json'), cwd=tmp_path)
    assert result.returncode == 2
    assert 'c863_focusd: error: --motion, --yes and --output go with --probe' in result.stderr


@pytest.mark.parametrize('distance', ['0', '-5', '100000000'])
def test_a_distance_the_controller_cannot_take_is_a_usage_error(tmp_path, distance):
    result = run_daemon_script('--probe', '--motion', '--yes', '--distance', distance,
                               str(tmp_path / 'focuser.json'), cwd=tmp_path)
    assert result.returncode == 2
    assert '--distance must be 1 to 99999999 counts' in result.stderr
