# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The focus command, run as a user runs it: a real subprocess against the real daemon.

The daemon (conftest) is the real c863_focusd process on a simulated C-863 behind a real
pseudo-terminal. Output that depends on a terminal (colour, the progress bar) is checked by
running focus with its stdout on a pty; everything else with pipes, as scripts run it.
"""
import fcntl
import json
import os
import pty
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from conftest import FOCUS_SCRIPT, ROOT, TEST_DAEMON, script_env, wait_until
from rockit.focuser.c863 import cli, display
from rockit.focuser.c863.config import Config, ConfigError
from rockit.focuser.c863.constants import CommandStatus
from rockit.focuser.c863.site import daemons
from testkit.daemon import READY_STEPS
from testkit.events import motion_commands

ANSI = re.compile(r'\x1b\[[0-9;]*[A-Za-z]')
PROGRESS_BAR = re.compile(rf'\[[#-]{{{display.PROGRESS_BAR_WIDTH}}}\]')
# Commands the simulator sees only when something asks the axis to move, home or stop: the
# mnemonic followed by its arguments or the line's end, never by '?' (the daemon's polls ask
# `POS? 1`, `SVO? 1` and `FRF? 1` at any time).
COMMAND_TIMEOUT = 60


def exit_status(code):
    """What a shell sees in $? for a CommandStatus code (-100 shows as 156, -101 as 155)."""
    return code % 256


def focus(*args, config_path=None, timeout=COMMAND_TIMEOUT, **env):
    """Runs the focus command with pipes, as a script would; returns the CompletedProcess."""
    if config_path is not None:
        env['FOCUSD_CONFIG_PATH'] = str(config_path)
    return subprocess.run([sys.executable, str(FOCUS_SCRIPT), *args], capture_output=True, text=True,
                          env=script_env(**env), cwd=ROOT, timeout=timeout, check=False)


def start_focus(*args, config_path, **popen_args):
    """Starts the focus command in the background; the caller waits for it."""
    return subprocess.Popen([sys.executable, str(FOCUS_SCRIPT), *args], text=True,
                            env=script_env(FOCUSD_CONFIG_PATH=str(config_path)), cwd=ROOT,
                            **popen_args)


def focus_on_terminal(*args, config_path, columns=100, **env):
    """Runs focus with stdout and stderr on a pseudo-terminal; returns (exit code, raw output)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', 24, columns, 0, 0))
    env['FOCUSD_CONFIG_PATH'] = str(config_path)
    process = subprocess.Popen([sys.executable, str(FOCUS_SCRIPT), *args], stdin=subprocess.DEVNULL,
                               stdout=slave, stderr=slave, env=script_env(**env), cwd=ROOT)
    os.close(slave)
    try:
        output = read_until_closed(master, time.monotonic() + COMMAND_TIMEOUT)
    finally:
        os.close(master)
    return process.wait(COMMAND_TIMEOUT), output.decode()


def read_until_closed(master, deadline):
    """Everything written to the pty until the last writer closed it (Linux then reads EIO)."""
    output = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f'focus did not finish; output so far: {bytes(output)!r}'
        readable, _, _ = select.select([master], [], [], remaining)
        if not readable:
            continue
        try:
            chunk = os.read(master, 4096)
        except OSError:
            return bytes(output)
        if not chunk:
            return bytes(output)
        output += chunk


def plain(text):
    return ANSI.sub('', text)


def terminal_frames(output):
    """What a person saw, line by line: each carriage return starts a redrawn line.

    The pty turns every newline into CR LF; those are real line ends, not redraws.
    """
    return plain(output).replace('\r\n', '\n').split('\r')


LOG_BARRIER = "move('barrier', True) requested by"


def requests_logged(daemon):
    """Lines in which the daemon logged a command it received, every one logged so far: a
    request with a bad argument (refused, nothing changes) is logged behind them in the log
    queue, so once its line is in, so are theirs. The barrier requests are left out."""
    barriers = daemon.output().count(LOG_BARRIER)
    assert daemon.call('move', 'barrier') == CommandStatus.InvalidArgument
    output = daemon.wait_for_output(LOG_BARRIER, count=barriers + 1)
    return [line for line in output.splitlines() if 'requested by' in line and LOG_BARRIER not in line]


def wait_for_axis_moving(simulator):
    wait_until(lambda: simulator.state()['moving'], 10, 'the simulated axis never started moving')


@pytest.fixture
def slow_ready_daemon(start_ready_daemon):
    """A ready daemon on a 1 mm/s stage: a move to 250000 steps lasts 12.5 s, so a test that acts
    while it moves (another focus run, Ctrl-C) still finds it moving on a loaded machine, where
    starting a focus process can take over a second. The test stops the move: it costs nothing."""
    return start_ready_daemon(simulator_options={'velocity': 1.0})


# --- help and usage: no config, no daemon ------------------------------------------------------

def test_help_lists_every_command_with_one_line():
    for args in (('-h',), ('--help',)):
        result = focus(*args)
        assert result.returncode == 0, result.stderr
        for name, summary, _, _ in cli.COMMANDS:
            assert re.search(rf'^\s+{name}\s+{re.escape(summary)}$', result.stdout, re.M), result.stdout


def test_no_command_is_a_usage_error(tmp_path):
    """As the README says of usage errors: the usage, exit 2, and the config is never read."""
    result = focus(config_path=tmp_path / 'missing.json')
    assert (result.returncode, result.stdout) == (2, '')
    assert result.stderr.startswith('usage: focus ')
    assert 'required: <command>' in result.stderr


@pytest.mark.parametrize('name, summary', [(name, summary) for name, summary, _, _ in cli.COMMANDS])
def test_each_command_has_its_own_help(name, summary):
    result = focus(name, '-h')
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f'usage: focus {name}')
    assert summary in result.stdout


@pytest.mark.parametrize('args, complaint', [
    (('set',), 'required: position'),
    (('offset',), 'required: delta'),
    (('set', 'abc'), "'abc' is not a whole number of steps"),
    (('set', '1.5'), "'1.5' is not a whole number of steps"),
    (('set', '1_000'), "'1_000' is not a whole number of steps"),
    (('offset', '--5'), 'required: delta'),
    (('set', '1', '2'), 'unexpected argument: 2'),
    (('offset', '-500', '7'), 'unexpected argument: 7'),
    (('status', 'now'), 'unexpected argument: now'),
    (('home', '100'), 'unexpected argument: 100'),
    (('zero',), "invalid choice: 'zero'"),
])
def test_bad_arguments_print_usage_and_never_load_the_config(args, complaint, tmp_path):
    """A missing config would fail with exit 1: exit 2 shows focus stopped before reading it."""
    result = focus(*args, config_path=tmp_path / 'missing.json')
    assert result.returncode == 2
    assert result.stdout == ''
    command = args[0] if args[0] in cli.COMMAND_NAMES else ''
    assert result.stderr.startswith(f'usage: focus {command}'.rstrip() + ' ')
    assert complaint in result.stderr
    assert 'missing.json' not in result.stderr


def test_bad_arguments_send_nothing_to_a_running_daemon(idle_daemon):
    sim = idle_daemon.simulator
    events_before, requests_before = len(sim.events), requests_logged(idle_daemon)
    for args in (('set', 'abc'), ('set', '1', '2'), ('offset',), ('stop', 'now'), ('init', '-1')):
        assert focus(*args, config_path=idle_daemon.config_path).returncode == 2
    assert requests_logged(idle_daemon) == requests_before
    assert motion_commands(sim, events_before, stops=True) == []


def test_completion_offers_exactly_the_commands():
    script = (f'source {ROOT / "completion" / "focus"}; COMP_WORDS=(focus "$1"); COMP_CWORD=1; _focus; '
              'printf "%s\\n" "${COMPREPLY[@]}"')

    def complete(word):
        result = subprocess.run(['bash', '-c', script, 'bash', word], capture_output=True, text=True,
                                check=True)
        return result.stdout.split()

    assert sorted(complete('')) == sorted(cli.COMMAND_NAMES)
    assert complete('of') == ['offset']
    assert sorted(complete('s')) == ['set', 'status', 'stop']
    registered = subprocess.run(['bash', '-c', f'source {ROOT / "completion" / "focus"}; complete -p focus'],
                                capture_output=True, text=True, check=True)
    assert '-F _focus' in registered.stdout


# --- choosing the config -------------------------------------------------------------------------

def focus_with_config_dir(config_dir, *args):
    """focus with /etc/focusd replaced by config_dir and FOCUSD_CONFIG_PATH unset.

    The real command code runs in a real process; only the directory it searches differs, so
    the test neither needs nor touches the machine's /etc.
    """
    code = ('import sys; from rockit.focuser.c863 import cli; '
            'cli.CONFIG_DIR = sys.argv.pop(1); sys.exit(cli.main())')
    env = script_env()
    env.pop('FOCUSD_CONFIG_PATH', None)
    return subprocess.run([sys.executable, '-c', code, str(config_dir), *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=COMMAND_TIMEOUT, check=False)


def test_no_config_anywhere_says_how_to_choose_one(tmp_path):
    result = focus_with_config_dir(tmp_path, 'status')
    assert result.returncode == CommandStatus.Failed
    assert result.stderr == (f'focus: no config file found in {tmp_path}; choose one with '
                             'FOCUSD_CONFIG_PATH=/path/to/config.json focus <command>\n')


def test_several_configs_are_not_guessed_between(tmp_path):
    for name in ('a.json', 'b.json'):
        (tmp_path / name).write_text('{}')
    result = focus_with_config_dir(tmp_path, 'status')
    assert result.returncode == CommandStatus.Failed
    assert result.stderr == (f'focus: several config files in {tmp_path} (a.json, b.json); choose one with '
                             'FOCUSD_CONFIG_PATH=/path/to/config.json focus <command>\n')


def test_the_only_config_in_the_directory_is_used(daemon, tmp_path):
    config_dir = tmp_path / 'focusd'
    config_dir.mkdir()
    (config_dir / 'telescope.json').write_text(Path(daemon.config_path).read_text())
    (config_dir / 'notes.txt').write_text('not a config')
    result = focus_with_config_dir(config_dir, 'json')
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)['status_label'] == 'OFFLINE'


@pytest.mark.parametrize('content', [None, '{"daemon": ', '[]', '{"serial_bauds": 9600}'])
def test_a_bad_config_gives_the_same_one_line_error_as_the_daemon(content, tmp_path):
    path = tmp_path / 'focuser.json'
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError) as expected:
        Config(str(path))
    result = focus('status', config_path=path)
    assert result.returncode == CommandStatus.Failed
    assert result.stderr == f'focus: {expected.value}\n'
    assert str(path) in result.stderr


def test_a_good_config_is_read_without_the_schema_validator(daemon):
    """The client checks only what it uses (ClientConfig): its start-up is what people wait for."""
    result = focus('json', config_path=daemon.config_path, PYTHONPROFILEIMPORTTIME='1')
    assert result.returncode == 0, result.stderr
    imported = [line.rsplit('|', 1)[-1].strip() for line in result.stderr.splitlines()
                if line.startswith('import time:')]
    assert 'Pyro4' in imported
    assert [name for name in imported if name.split('.')[0] == 'jsonschema'] == []


# --- the daemon is not there ---------------------------------------------------------------------

@pytest.fixture
def absent_daemon_config(tmp_path):
    """A config naming a daemon address on which nobody can listen while the test runs.

    It is the session's own address (claimed for this run, so no concurrent run uses it; no
    daemon of this test runs on it), bound but not listening, so connecting to it is refused,
    exactly as when c863_focusd is not running.
    """
    with open(ROOT / 'config' / 'test.json') as file:
        config = json.load(file)
    entry = getattr(daemons, TEST_DAEMON)
    with socket.socket() as blocker:
        # SO_REUSEADDR: the last daemon on this port may have left connections in TIME_WAIT.
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        blocker.bind((entry.host, entry.port))
        config['daemon'] = TEST_DAEMON
        path = tmp_path / 'absent.json'
        path.write_text(json.dumps(config))
        yield path, entry.uri


@pytest.mark.parametrize('args', [('status',), ('json',), ('set', '100'), ('offset', '-100'), ('home',),
                                  ('stop',), ('init',), ('kill',)])
def test_unreachable_daemon_exits_minus_101_naming_its_address(args, absent_daemon_config):
    path, address = absent_daemon_config
    result = focus(*args, config_path=path)
    assert result.returncode == exit_status(CommandStatus.Unreachable) == 155
    assert result.stdout == ''
    assert result.stderr.startswith(f'focus: unable to communicate with focus daemon at {address} (')
    assert result.stderr.endswith('is c863_focusd running?\n')


# --- commands against the real daemon ----------------------------------------------------------

def test_offline_daemon_status_tells_to_init(daemon):
    result = focus('status', config_path=daemon.config_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == 'Focuser is OFFLINE'
    assert 'focus init' in result.stdout
    assert 'Position' not in result.stdout
    assert not ANSI.search(result.stdout)


@pytest.mark.parametrize('args', [('set', '1000'), ('offset', '10'), ('home',), ('stop',), ('kill',)])
def test_commands_before_init_exit_not_connected(args, daemon):
    result = focus(*args, config_path=daemon.config_path)
    assert result.returncode == CommandStatus.NotConnected
    assert result.stdout == ''
    assert result.stderr == f'focus: {CommandStatus.message(CommandStatus.NotConnected)}\n'


def test_init_connects_once_and_kill_disconnects(daemon):
    result = focus('init', config_path=daemon.config_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, '', '')
    assert daemon.status()['status_label'] == 'NOT HOMED'
    again = focus('init', config_path=daemon.config_path)
    assert again.returncode == CommandStatus.NotDisconnected
    assert again.stderr == f'focus: {CommandStatus.message(CommandStatus.NotDisconnected)}\n'
    result = focus('kill', config_path=daemon.config_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, '', '')
    assert daemon.status()['status_label'] == 'OFFLINE'


def test_init_failure_exits_failed(daemon_factory, tmp_path):
    daemon = daemon_factory(serial_port=str(tmp_path / 'no-such-device'))
    result = focus('init', config_path=daemon.config_path)
    assert result.returncode == CommandStatus.Failed
    assert result.stderr == f'focus: {CommandStatus.message(CommandStatus.Failed)}\n'
    status = focus('status', config_path=daemon.config_path).stdout
    assert 'no-such-device' in status


def test_not_homed_status_and_moves_refused(initialized_daemon):
    path = initialized_daemon.config_path
    events_before = len(initialized_daemon.simulator.events)
    status = focus('status', config_path=path)
    assert status.returncode == 0
    lines = [line.strip() for line in status.stdout.splitlines()]
    assert lines[0] == 'Focuser is NOT HOMED'
    assert 'Position:    unknown (not referenced)' in lines
    assert 'Referenced:  no' in lines
    assert 'Limits:      0 to 250000 steps (nominal focus 100000)' in lines
    assert 'focus home' in status.stdout
    for args in (('set', '1000'), ('offset', '-10')):
        result = focus(*args, config_path=path)
        assert result.returncode == CommandStatus.NotHomed
        assert result.stderr == f'focus: {CommandStatus.message(CommandStatus.NotHomed)}\n'
    assert motion_commands(initialized_daemon.simulator, events_before, stops=True) == []


@pytest.mark.parametrize('protocol', ['gcs', 'native'])
def test_home_finds_the_reference_and_goes_to_nominal_focus(initialized_daemon):
    result = focus('home', config_path=initialized_daemon.config_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, '', '')
    report = initialized_daemon.status()
    assert report['referenced'] is True
    assert report['current_steps'] == report['target_steps'] == 100000


@pytest.mark.parametrize('protocol', ['gcs', 'native'])
def test_set_and_offset_move_quietly_when_piped(ready_daemon):
    path = ready_daemon.config_path
    result = focus('set', '120000', config_path=path)
    assert (result.returncode, result.stdout, result.stderr) == (0, '', '')
    assert_at(ready_daemon, 120000)
    result = focus('offset', '-500', config_path=path)
    assert (result.returncode, result.stdout, result.stderr) == (0, '', '')
    assert_at(ready_daemon, 119500)
    result = focus('offset', '+1500', config_path=path)
    assert result.returncode == 0, result.stderr
    assert_at(ready_daemon, 121000)


def assert_at(daemon, steps):
    """The daemon reports the axis at steps, and the simulated stage agrees (10000 counts/mm)."""
    report = daemon.status()
    assert (report['current_steps'], report['target_steps']) == (steps, steps)
    assert daemon.simulator.state()['target'] == pytest.approx(steps / 10000)


@pytest.mark.parametrize('protocol', ['gcs', 'native'])
def test_status_block_when_idle(ready_daemon):
    focus('set', '123456', config_path=ready_daemon.config_path)
    result = focus('status', config_path=ready_daemon.config_path)
    assert result.returncode == 0
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert lines[0] == 'Focuser is IDLE'
    assert 'Position:    123456 steps' in lines
    assert 'Referenced:  yes' in lines
    assert 'Servo:       on' in lines
    assert 'Last error:  none' in lines
    assert any(line.startswith('Controller:  ') and 'C-863' in line for line in lines)
    assert re.search(r'^Updated: +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$', lines[-1])
    assert not ANSI.search(result.stdout)


def test_json_is_the_status_report(idle_daemon):
    result = focus('json', config_path=idle_daemon.config_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count('\n') == 1
    report = json.loads(result.stdout)
    expected = idle_daemon.status()
    del report['date'], expected['date']
    assert report == expected


def test_outside_limits_moves_nothing(idle_daemon):
    events_before = len(idle_daemon.simulator.events)
    for args in (('set', '250001'), ('set', '-1'), ('offset', str(250001 - READY_STEPS))):
        result = focus(*args, config_path=idle_daemon.config_path)
        assert result.returncode == CommandStatus.PositionOutsideLimits
        assert result.stderr == f'focus: {CommandStatus.message(CommandStatus.PositionOutsideLimits)}\n'
    assert motion_commands(idle_daemon.simulator, events_before, stops=True) == []
    assert_at(idle_daemon, READY_STEPS)


def test_a_huge_step_count_is_an_invalid_argument(idle_daemon):
    result = focus('set', str(2 ** 40), config_path=idle_daemon.config_path)
    assert result.returncode == CommandStatus.InvalidArgument
    assert result.stderr == f'focus: {CommandStatus.message(CommandStatus.InvalidArgument)}\n'
    assert_at(idle_daemon, READY_STEPS)


def test_a_second_move_is_blocked_and_stop_ends_the_first(slow_ready_daemon):
    path = slow_ready_daemon.config_path
    first = start_focus('set', '250000', config_path=path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for_axis_moving(slow_ready_daemon.simulator)
    blocked = focus('offset', '10', config_path=path)
    assert blocked.returncode == CommandStatus.Blocked
    assert blocked.stderr == f'focus: {CommandStatus.message(CommandStatus.Blocked)}\n'
    stopped = focus('stop', config_path=path)
    assert (stopped.returncode, stopped.stderr) == (0, '')
    _, stderr = first.communicate(timeout=COMMAND_TIMEOUT)
    assert first.returncode == CommandStatus.Stopped
    assert stderr == f'focus: {CommandStatus.message(CommandStatus.Stopped)}\n'
    assert_stopped_short_of(slow_ready_daemon, 250000)


def assert_stopped_short_of(daemon, target):
    """The axis is at rest before target, and the target now says where it stopped."""
    wait_until(lambda: not daemon.simulator.state()['moving'], 10, 'the simulated axis kept moving')
    state = daemon.simulator.state()
    assert state['target'] == pytest.approx(state['position'], abs=0.002)
    assert state['position'] < target / 10000
    daemon.wait_for_status(lambda r: r['status_label'] == 'IDLE')
    report = daemon.status()
    assert report['target_steps'] == report['current_steps'] < target


def test_ctrl_c_stops_the_axis_and_exits_terminated_by_user(slow_ready_daemon):
    process = start_focus('set', '250000', config_path=slow_ready_daemon.config_path,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for_axis_moving(slow_ready_daemon.simulator)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=COMMAND_TIMEOUT)
    assert process.returncode == exit_status(CommandStatus.TerminatedByUser) == 156
    assert stdout == ''
    assert stderr == 'focus: terminated by user\n'
    assert_stopped_short_of(slow_ready_daemon, 250000)
    slow_ready_daemon.wait_for_output('stop() requested by')


def test_a_move_that_times_out_is_stopped(start_ready_daemon):
    daemon = start_ready_daemon(move_timeout=0.5)
    result = focus('set', '250000', config_path=daemon.config_path)
    assert result.returncode == CommandStatus.Timeout
    assert result.stderr == f'focus: {CommandStatus.message(CommandStatus.Timeout)}\n'
    assert_stopped_short_of(daemon, 250000)


def test_control_from_a_machine_not_in_control_machines_is_refused(daemon_factory):
    daemon = daemon_factory(control_machines=['OneMetreTCS'])
    for args in (('init',), ('set', '1000'), ('home',), ('stop',), ('kill',)):
        result = focus(*args, config_path=daemon.config_path)
        assert result.returncode == CommandStatus.InvalidControlIP
        assert result.stderr == f'focus: {CommandStatus.message(CommandStatus.InvalidControlIP)}\n'
    assert focus('status', config_path=daemon.config_path).returncode == 0
    assert daemon.status()['status_label'] == 'OFFLINE'


def test_a_controller_fault_is_shown_and_refuses_moves(ready_daemon):
    ready_daemon.simulator.following_error()
    ready_daemon.wait_for_status(lambda r: r['status_label'] == 'ERROR')
    result = focus('set', '100000', config_path=ready_daemon.config_path)
    assert result.returncode == CommandStatus.ControllerError
    assert result.stderr == f'focus: {CommandStatus.message(CommandStatus.ControllerError)}\n'
    status = focus('status', config_path=ready_daemon.config_path).stdout
    assert status.splitlines()[0] == 'Focuser is ERROR'
    assert re.search(r'Last error: +1024: .+ \(at \d{4}-', status)
    assert 'Servo:       off' in status
    assert 'focus home' in status


def test_a_lost_serial_link_is_shown_and_refuses_moves(ready_daemon):
    ready_daemon.simulator.unplug()
    ready_daemon.wait_for_status(lambda r: r['status_label'] == 'ERROR')
    result = focus('offset', '100', config_path=ready_daemon.config_path)
    assert result.returncode == CommandStatus.CommunicationError
    assert result.stderr == f'focus: {CommandStatus.message(CommandStatus.CommunicationError)}\n'
    status = focus('status', config_path=ready_daemon.config_path).stdout
    assert status.splitlines()[0] == 'Focuser is ERROR'
    assert 'serial link lost' in status


# --- on a terminal -----------------------------------------------------------------------------

def test_status_on_a_terminal_is_coloured(ready_daemon):
    code, output = focus_on_terminal('status', config_path=ready_daemon.config_path)
    assert code == 0
    assert output.startswith('Focuser is \x1b[1m\x1b[32mIDLE\x1b[39m\x1b[22m')
    assert plain(output).splitlines()[0] == 'Focuser is IDLE'


def test_no_color_turns_colour_off_on_a_terminal(ready_daemon):
    code, output = focus_on_terminal('status', config_path=ready_daemon.config_path, NO_COLOR='1')
    assert code == 0
    assert not ANSI.search(output)


def test_set_on_a_terminal_shows_progress_then_the_result(ready_daemon):
    code, output = focus_on_terminal('set', '110000', config_path=ready_daemon.config_path)
    assert code == 0, output
    frames = terminal_frames(output)
    progress = [frame for frame in frames if PROGRESS_BAR.search(frame)]
    assert progress, output
    assert re.search(r'-> 110000 steps \[', progress[-1])
    assert re.search(r'\d+\.\d s', progress[-1])
    assert re.fullmatch(r'Focuser is IDLE at 110000 steps after \d+\.\d s\n', frames[-1])
    assert_at(ready_daemon, 110000)


def test_progress_never_wraps_on_a_narrow_terminal(ready_daemon):
    code, output = focus_on_terminal('offset', '-20000', config_path=ready_daemon.config_path, columns=40)
    assert code == 0, output
    frames = [frame for frame in terminal_frames(output) if PROGRESS_BAR.search(frame) or '->' in frame]
    assert frames
    assert all(len(frame.rstrip('\n')) < 40 for frame in frames), frames


@pytest.mark.parametrize('protocol', ['gcs', 'native'])
def test_init_on_a_terminal_says_what_it_found_in_one_line(daemon):
    code, output = focus_on_terminal('init', config_path=daemon.config_path)
    assert code == 0, output
    report = daemon.status()
    assert plain(output) == f"{report['controller']} ready, NOT HOMED\r\n"
    assert report['controller'].startswith('C-863')


def test_home_on_a_terminal_shows_homing(initialized_daemon):
    code, output = focus_on_terminal('home', config_path=initialized_daemon.config_path)
    assert code == 0, output
    text = plain(output)
    assert 'HOMING' in text
    assert re.search(r'Focuser is IDLE at 100000 steps after \d+\.\d s', text)


def test_a_failure_on_a_terminal_ends_with_its_message(ready_daemon):
    code, output = focus_on_terminal('set', '999999', config_path=ready_daemon.config_path)
    assert code == CommandStatus.PositionOutsideLimits
    message = CommandStatus.message(CommandStatus.PositionOutsideLimits)
    assert plain(output).rstrip().endswith(f'focus: {message}')
