# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The config file (config.py) and the rockit.common stand-in (site.py), as a user meets them.

Every bad file must give one line naming the file, the key and the problem; names must resolve
through rockit.common when it is installed and through the bundled table when it is not.
"""
import importlib.util
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import Pyro4
import pytest
from hypothesis import given, settings, strategies as st

from rockit.focuser.c863 import site
from rockit.focuser.c863.config import PROPERTIES, Config, ConfigError

REPO = Path(__file__).resolve().parent.parent

# doc/design.md section 3.1, byte for byte: existing telescope configs are written like this.
DOCUMENTED_EXAMPLE = '''{"daemon": "onemetre_red_focuser", "log_name": "focusd@onemetre",
 "control_machines": ["OneMetreTCS", "OneMetreDome"], "serial_port": "/dev/focuser",
 "serial_baud": 9600, "serial_timeout": 5, "nominal_focus_position": 9000,
 "max_position": 10000000, "moving_loop_delay": 0.5, "move_timeout": 180}'''


def example_with(**changes):
    """The documented example as a dict, with keys replaced (or removed, for the value ...)."""
    document = json.loads(DOCUMENTED_EXAMPLE)
    document.update(changes)
    return {key: value for key, value in document.items() if value is not ...}


@pytest.fixture
def write(tmp_path):
    """Writes a config (dict -> JSON, str/bytes as they are) and returns its path."""
    def write_config(content, name='focuser.json'):
        path = tmp_path / name
        if isinstance(content, dict):
            content = json.dumps(content)
        if isinstance(content, str):
            content = content.encode()
        path.write_bytes(content)
        return str(path)
    return write_config


def config_error(path):
    """The ConfigError that loading path raises, after checking it is one line naming the file."""
    with pytest.raises(ConfigError) as raised:
        Config(path)
    message = str(raised.value)
    assert message.startswith(f'{path}: ')
    assert '\n' not in message
    return raised.value


# ---- accepted files -------------------------------------------------------------------------

def test_documented_example_is_accepted_exactly_as_written(write):
    config = Config(write(DOCUMENTED_EXAMPLE))

    assert config.daemon_name == 'onemetre_red_focuser'
    assert config.daemon.name == 'onemetre_red_focuser_daemon'
    assert config.log_name == 'focusd@onemetre'
    assert config.control_machines == ['OneMetreTCS', 'OneMetreDome']
    assert config.control_ips == ['10.2.6.201', '10.2.6.202']
    assert config.serial_port == '/dev/focuser'
    assert config.serial_baud == 9600
    assert config.serial_timeout == 5
    assert config.nominal_focus_position == 9000
    assert config.max_position == 10000000
    assert config.moving_loop_delay == 0.5
    assert config.move_timeout == 180


def test_test_config_drives_the_local_test_daemon():
    config = Config(REPO / 'config' / 'test.json')

    assert config.path == str(REPO / 'config' / 'test.json')
    assert config.daemon.uri == 'PYRO:localhost_test_daemon@127.0.0.1:9000'
    assert config.control_ips == ['127.0.0.1']
    assert (config.min_position, config.nominal_focus_position, config.max_position) == (0, 100000, 250000)
    assert (config.moving_loop_delay, config.idle_loop_delay) == (0.5, 1.0)
    assert (config.move_timeout, config.home_timeout) == (60.0, 120.0)


def test_onemetre_config_is_the_w1m_red_focuser():
    config = Config(REPO / 'config' / 'onemetre.json')

    assert config.daemon.uri == 'PYRO:onemetre_red_focuser_daemon@10.2.6.203:9004'
    assert sorted(config.control_ips) == ['10.2.6.201', '10.2.6.202', '10.2.6.203']
    assert config.serial_port == '/dev/focuser'
    assert config.serial_baud == 9600
    assert config.min_position <= config.nominal_focus_position <= config.max_position


def test_optional_keys_take_their_defaults(write):
    config = Config(write(DOCUMENTED_EXAMPLE))

    assert config.min_position == 0
    assert config.idle_loop_delay == 1.0
    assert config.home_timeout == 300.0
    assert config.controller_address == 1
    assert config.protocol == 'gcs'
    assert config.reference_mode == 'FRF'
    assert config.reference_position == 0


@pytest.mark.parametrize('key, value', [
    ('min_position', -25000), ('idle_loop_delay', 2.5), ('home_timeout', 600),
    ('controller_address', 16), ('reference_mode', 'FNL'), ('reference_mode', 'FPL'),
    ('protocol', 'gcs'), ('protocol', 'native'),
])
def test_optional_keys_take_the_value_written(write, key, value):
    assert getattr(Config(write(example_with(**{key: value}))), key) == value


def test_native_protocol_finds_the_edge_automatically_and_calls_it_zero_by_default(write):
    config = Config(write(example_with(protocol='native')))

    assert (config.protocol, config.reference_mode, config.reference_position) == ('native', 'FE2', 0)


@pytest.mark.parametrize('mode', ['FE0', 'FE1', 'FE2', 'FE3'])
def test_native_protocol_takes_any_find_edge_mode_and_edge_position(write, mode):
    config = Config(write(example_with(protocol='native', reference_mode=mode, reference_position=-25000)))

    assert (config.reference_mode, config.reference_position) == (mode, -25000)


def test_native_edge_position_range_is_where_the_controller_counts_referenced_positions():
    from rockit.focuser.c863.config import NATIVE_REFERENCE_RANGE
    from rockit.focuser.c863.controller.native_axis import REFERENCED_FLOOR
    from rockit.focuser.c863.native import MAX_POSITION

    assert NATIVE_REFERENCE_RANGE == (REFERENCED_FLOOR, MAX_POSITION)


def test_floats_stay_floats_and_steps_stay_integers(write):
    config = Config(write(example_with(serial_timeout=0.25, moving_loop_delay=0.05, move_timeout=90.5)))

    assert (config.serial_timeout, config.moving_loop_delay, config.move_timeout) == (0.25, 0.05, 90.5)
    assert all(isinstance(getattr(config, key), float)
               for key in ('serial_timeout', 'moving_loop_delay', 'idle_loop_delay', 'move_timeout', 'home_timeout'))
    assert all(type(getattr(config, key)) is int
               for key in ('nominal_focus_position', 'min_position', 'max_position', 'serial_baud'))


@pytest.mark.parametrize('machines, ips', [
    (['10.2.6.99'], ['10.2.6.99']),
    (['LocalHost', '192.168.1.20'], ['127.0.0.1', '192.168.1.20']),
    (['0:0::1'], ['::1']),
])
def test_literal_ip_addresses_are_accepted_as_control_machines(write, machines, ips):
    assert Config(write(example_with(control_machines=machines))).control_ips == ips


@pytest.mark.parametrize('port', ['/dev/ttyUSB0', 'socket://10.2.6.90:4001', 'rfc2217://10.2.6.90:2217'])
def test_serial_port_may_be_a_device_or_a_pyserial_url(write, port):
    assert Config(write(example_with(serial_port=port))).serial_port == port


@pytest.mark.parametrize('baud', [9600, 19200, 38400, 115200])
def test_every_c863_baud_rate_is_accepted(write, baud):
    assert Config(write(example_with(serial_baud=baud))).serial_baud == baud


# ---- refused files: one line naming the file, the key and the problem ------------------------

def test_missing_file(tmp_path):
    error = config_error(str(tmp_path / 'absent.json'))
    assert error.problem == 'file not found'


def test_unreadable_file(tmp_path):
    assert config_error(str(tmp_path)).problem.startswith('cannot read: ')


def test_file_that_is_not_text(write):
    assert 'not UTF-8' in config_error(write(b'{"daemon": "\xff"}')).problem


def test_empty_file(write):
    assert config_error(write('  \n')).problem == 'file is empty'


def test_invalid_json_gives_line_and_column(write):
    error = config_error(write('{\n  "daemon": "localhost_test",\n  "log_name" "x"\n}'))
    assert error.problem == "invalid JSON at line 3 column 14: Expecting ':' delimiter"


def test_top_level_must_be_an_object(write):
    assert 'top level must be a JSON object' in config_error(write('[1, 2]')).problem


def test_a_key_written_twice_is_refused(write):
    twice = DOCUMENTED_EXAMPLE.replace('"serial_baud": 9600', '"serial_baud": 9600, "serial_baud": 19200')
    error = config_error(write(twice))
    assert (error.key, error.problem) == ('serial_baud', "key 'serial_baud' appears more than once")


def test_unknown_key_is_named_with_a_suggestion(write):
    error = config_error(write(example_with(serial_baud=..., serial_bauds=9600)))
    # The misspelling is the cause; 'missing serial_baud' would only be its symptom.
    assert (error.key, error.problem) == ('serial_bauds', "unknown key 'serial_bauds' (did you mean 'serial_baud'?)")


@pytest.mark.parametrize('key', [key for key, schema in PROPERTIES.items() if 'default' not in schema])
def test_missing_required_key_is_named(write, key):
    error = config_error(write(example_with(**{key: ...})))
    assert (error.key, error.problem) == (key, f"missing required key '{key}'")


# (changes to the documented example, key the message must name, what it must say)
BAD_VALUES = [
    ({'serial_timeout': '5'}, 'serial_timeout', 'serial_timeout: expected a number, got "5"'),
    ({'log_name': 42}, 'log_name', 'log_name: expected a string in double quotes, got 42'),
    ({'control_machines': 'OneMetreTCS'}, 'control_machines', 'control_machines: expected a list'),
    ({'control_machines': ['OneMetreTCS', 7]}, 'control_machines', 'control_machines[1]: expected a string'),
    ({'max_position': True}, 'max_position', 'max_position: expected a whole number (no decimal point), got true'),
    ({'controller_address': False}, 'controller_address', 'got false'),
    ({'nominal_focus_position': 1.5}, 'nominal_focus_position', 'expected a whole number (no decimal point), got 1.5'),
    ({'nominal_focus_position': 9000.0}, 'nominal_focus_position', 'got 9000.0'),
    ({'move_timeout': None}, 'move_timeout', 'move_timeout: expected a number, got null'),
    ({'serial_timeout': 0}, 'serial_timeout', 'serial_timeout: 0 is out of range: must be more than 0 and at most 10'),
    ({'serial_timeout': -1}, 'serial_timeout', '-1 is out of range'),
    ({'move_timeout': 1e6}, 'move_timeout',
     'move_timeout: 1000000.0 is out of range: must be more than 0 and at most 3600'),
    ({'moving_loop_delay': 0}, 'moving_loop_delay', 'must be at least 0.01 and at most 10'),
    ({'idle_loop_delay': 120}, 'idle_loop_delay', 'idle_loop_delay: 120 is out of range'),
    ({'home_timeout': 0}, 'home_timeout', 'home_timeout: 0 is out of range'),
    ({'max_position': 2 ** 40}, 'max_position', 'max_position: 1099511627776 is out of range'),
    ({'serial_baud': 12345}, 'serial_baud', 'serial_baud: 12345 is not one of 9600, 19200, 38400, 115200'),
    ({'serial_baud': 57600}, 'serial_baud', '57600 is not one of'),
    ({'daemon': 'onemetre_red_focusr'}, 'daemon',
     'daemon: "onemetre_red_focusr" is not a known daemon name (did you mean \'onemetre_red_focuser\'?)'),
    ({'daemon': '__class__'}, 'daemon', 'is not a known daemon name'),
    ({'control_machines': ['OneMetreTSC']}, 'control_machines',
     'control_machines[0]: "OneMetreTSC" is neither a known machine name nor an IP address '
     '(did you mean \'OneMetreTCS\'?)'),
    ({'control_machines': ['onemetre.example.org']}, 'control_machines', 'neither a known machine name nor an IP'),
    ({'control_machines': ['10.2.6.300']}, 'control_machines', 'neither a known machine name nor an IP'),
    ({'control_machines': []}, 'control_machines', 'control_machines: must not be empty'),
    ({'log_name': ''}, 'log_name', 'log_name: must not be empty'),
    ({'serial_port': 'COM1'}, 'serial_port', 'serial_port: "COM1" is not a device path'),
    ({'min_position': 10000000}, 'min_position', 'min_position: 10000000 must be less than max_position (10000000)'),
    ({'min_position': 10, 'max_position': 5, 'nominal_focus_position': 7}, 'min_position', 'must be less than'),
    ({'nominal_focus_position': 10000001}, 'nominal_focus_position',
     'nominal_focus_position: 10000001 is outside min_position..max_position (0..10000000)'),
    ({'min_position': 9001}, 'nominal_focus_position', '9000 is outside'),
    ({'reference_mode': 'frf'}, 'reference_mode', 'reference_mode: "frf" is not one of "FRF", "FNL", "FPL"'),
    ({'controller_address': 0}, 'controller_address',
     'controller_address: 0 is out of range: must be at least 1 and at most 16'),
    ({'controller_address': 17}, 'controller_address', '17 is out of range'),
    ({'protocol': 'GCS'}, 'protocol', 'protocol: "GCS" is not one of "gcs", "native"'),
    ({'protocol': 'mercury'}, 'protocol', '"mercury" is not one of'),
    ({'reference_mode': 'FE2'}, 'reference_mode',
     'reference_mode: "FE2" is a native reference mode; with "protocol": "gcs" use one of "FRF", "FNL", "FPL"'),
    ({'protocol': 'native', 'reference_mode': 'FRF'}, 'reference_mode',
     'reference_mode: "FRF" is a GCS reference mode; with "protocol": "native" use one of "FE0", "FE1", "FE2", "FE3"'),
    ({'reference_position': 125000}, 'reference_position',
     'reference_position: applies only with "protocol": "native"'),
    ({'protocol': 'gcs', 'reference_position': 0}, 'reference_position', 'applies only with "protocol": "native"'),
    ({'protocol': 'native', 'reference_position': -500000001}, 'reference_position',
     'reference_position: -500000001 is out of range: must be at least -500000000 and at most 999999999'),
    ({'protocol': 'native', 'reference_position': 0.5}, 'reference_position', 'expected a whole number'),
]


@pytest.mark.parametrize('changes, key, expected', BAD_VALUES)
def test_bad_value_is_refused_naming_the_key(write, changes, key, expected):
    error = config_error(write(example_with(**changes)))
    assert error.key == key
    assert expected in str(error)


@pytest.mark.parametrize('spelling', ['NaN', 'Infinity', '-Infinity', '1e400'])
def test_non_finite_numbers_are_refused(write, spelling):
    error = config_error(write(DOCUMENTED_EXAMPLE.replace('"serial_timeout": 5', f'"serial_timeout": {spelling}')))
    assert error.key == 'serial_timeout'
    assert 'expected a number' in error.problem


# ---- daemon entries and the rockit.common stand-in -------------------------------------------

def test_rockit_common_is_absent_here_so_the_bundled_table_is_used():
    assert importlib.util.find_spec('rockit.common') is None
    assert site.HAVE_ROCKIT_COMMON is False


@pytest.mark.parametrize('name, uri', [
    ('onemetre_red_focuser', 'PYRO:onemetre_red_focuser_daemon@10.2.6.203:9004'),
    ('localhost_test', 'PYRO:localhost_test_daemon@127.0.0.1:9000'),
    ('localhost_test2', 'PYRO:localhost_test_daemon2@127.0.0.1:9001'),
    ('localhost_test3', 'PYRO:localhost_test_daemon3@127.0.0.1:9002'),
    ('localhost_test4', 'PYRO:localhost_test_daemon4@127.0.0.1:9003'),
    ('localhost_test5', 'PYRO:localhost_test_daemon5@127.0.0.1:9004'),
])
def test_bundled_daemon_table(name, uri):
    entry = getattr(site.daemons, name)
    assert f'PYRO:{entry.name}@{entry.host}:{entry.port}' == uri
    assert site.find_daemon(name) is entry
    assert name in site.daemon_names()


def test_bundled_machine_table():
    assert {name: site.machine_ip(name) for name in site.machine_names()} == {
        'LocalHost': '127.0.0.1', 'OneMetreTCS': '10.2.6.201',
        'OneMetreDome': '10.2.6.202', 'OneMetreDAS': '10.2.6.203'}
    assert site.IP.OneMetreDAS == '10.2.6.203'


@pytest.mark.parametrize('name', ['10.2.6', 'localhost', 'OneMetreTCS ', '', '__doc__', None, 167772161])
def test_machine_ip_refuses_what_is_neither_a_name_nor_an_address(name):
    assert site.machine_ip(name) is None


# Pyro4 spells 'no timeout' as 0 (Pyro4.config.COMMTIMEOUT's default).
@pytest.mark.parametrize('timeout, expected', [(None, 5), (0, 0), (2.5, 2.5), (300, 300)])
def test_connect_returns_a_proxy_with_rockit_timeouts(timeout, expected):
    proxy = site.daemons.onemetre_red_focuser.connect(timeout=timeout)
    assert isinstance(proxy, Pyro4.Proxy)
    assert str(proxy._pyroUri) == 'PYRO:onemetre_red_focuser_daemon@10.2.6.203:9004'
    assert proxy._pyroTimeout == expected


def test_stand_in_log_writes_to_the_journal(capsys):
    site.log.info('focusd@test', 'moved to 1000')
    site.log.warning('focusd@test', 'slow reply')
    site.log.error('focusd@test', 'lost serial connection')
    assert capsys.readouterr().out.splitlines() == [
        'INFO focusd@test: moved to 1000', 'WARN focusd@test: slow reply', 'ERROR focusd@test: lost serial connection']


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


SERVE_ECHO = '''
import sys
import Pyro4
from rockit.focuser.c863 import site

class Echo:
    @Pyro4.expose
    def ping(self):
        return 'pong'

    def not_exposed(self):
        return 'leaked'

Pyro4.config.REQUIRE_EXPOSE = True
with Pyro4.Daemon(host='127.0.0.1', port=int(sys.argv[1])) as pyro:
    pyro.register(Echo(), objectId='test_echo_daemon')
    pyro.requestLoop()
'''


def python(script, *args, pythonpath=str(REPO), **popen):
    environment = dict(os.environ, PYTHONPATH=pythonpath)
    return subprocess.Popen([sys.executable, '-c', textwrap.dedent(script), *map(str, args)],
                            env=environment, text=True, **popen)


@pytest.fixture
def echo_entry():
    """A real process serving an Echo object on a free port; yields a daemon entry for it."""
    port = free_port()
    process = python(SERVE_ECHO, port)
    yield site.DaemonEntry('test_echo_daemon', '127.0.0.1', port)
    process.kill()
    process.wait()


def call_when_listening(entry, deadline_seconds=10):
    """Calls ping() as soon as the daemon accepts connections; fails after the deadline."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        try:
            with entry.connect(timeout=2) as proxy:
                return proxy.ping()
        except Pyro4.errors.CommunicationError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_entry_connects_to_exposed_methods_only(echo_entry):
    assert call_when_listening(echo_entry) == 'pong'
    with echo_entry.connect() as proxy, pytest.raises(AttributeError):
        proxy.not_exposed()


INSTALLED_ROCKIT_COMMON = '''
import types

class IP:
    LocalHost = '127.0.0.1'
    SomeTelescopeTCS = '10.9.9.9'

class _Entry:
    def __init__(self, name, host, port):
        self.name, self.host, self.port = name, host, port
    def connect(self, timeout=None):
        raise NotImplementedError

daemons = types.SimpleNamespace(some_focuser=_Entry('some_focuser_daemon', IP.SomeTelescopeTCS, 9123))

class log:
    @staticmethod
    def info(table, message):
        print('OBSERVATORY LOG', table, message)
'''

USE_SITE = '''
import sys
from rockit.focuser.c863 import site
from rockit.focuser.c863.config import Config, ConfigError
print(site.HAVE_ROCKIT_COMMON)
site.log.info('focusd@test', 'hello')
config = Config(sys.argv[1])
print(config.daemon.host, config.daemon.port, config.control_ips)
try:
    Config(sys.argv[2])
except ConfigError as error:
    print(error.problem)
'''


def install_rockit_common(root, source):
    package = root / 'rockit' / 'common'
    package.mkdir(parents=True)
    (package / '__init__.py').write_text(textwrap.dedent(source))
    return f'{root}{os.pathsep}{REPO}'


def test_names_resolve_through_rockit_common_when_it_is_installed(tmp_path, write):
    pythonpath = install_rockit_common(tmp_path / 'installed', INSTALLED_ROCKIT_COMMON)
    theirs = write(example_with(daemon='some_focuser', control_machines=['SomeTelescopeTCS']), 'theirs.json')
    ours_only = write(json.loads(DOCUMENTED_EXAMPLE), 'bundled.json')

    process = python(USE_SITE, theirs, ours_only, pythonpath=pythonpath, stdout=subprocess.PIPE)
    output = process.communicate(timeout=60)[0].splitlines()

    assert process.returncode == 0
    assert output[:3] == ['True', 'OBSERVATORY LOG focusd@test hello', "10.9.9.9 9123 ['10.9.9.9']"]
    assert output[3].startswith('daemon: "onemetre_red_focuser" is not a known daemon name')


def test_a_broken_rockit_common_is_not_silently_replaced(tmp_path):
    pythonpath = install_rockit_common(tmp_path / 'broken', 'import a_dependency_that_is_missing\n')

    process = python('from rockit.focuser.c863 import site', pythonpath=pythonpath, stderr=subprocess.PIPE)
    stderr = process.communicate(timeout=60)[1]

    assert process.returncode != 0
    assert "No module named 'a_dependency_that_is_missing'" in stderr


# ---- whatever is written, the only failure is a ConfigError ----------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=8)


@pytest.fixture(scope='module')
def scratch_file(tmp_path_factory):
    return str(tmp_path_factory.mktemp('hypothesis') / 'focuser.json')


def loaded_or_error(path, document):
    """Config(path) after writing document, or the ConfigError it raised (after checking its form)."""
    with open(path, 'w') as file:
        json.dump(document, file)
    try:
        return Config(path)
    except ConfigError as error:
        assert str(error).startswith(f'{path}: ') and '\n' not in str(error)
        return error


POSITION_KEYS = ('nominal_focus_position', 'min_position', 'max_position')


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(list(PROPERTIES) + ['unknown_key']), value=JSON_VALUES)
def test_any_value_for_any_key_loads_or_gives_a_config_error(scratch_file, key, value):
    result = loaded_or_error(scratch_file, example_with(**{key: value}))
    if isinstance(result, ConfigError):
        # A position can also be refused because of what it does to the other limits.
        related = {'min_position', 'nominal_focus_position'} if key in POSITION_KEYS else set()
        assert result.key in {key} | related
    else:
        attribute = 'daemon_name' if key == 'daemon' else key
        assert getattr(result, attribute) == value


@settings(max_examples=100, deadline=None)
@given(document=JSON_VALUES)
def test_any_document_loads_or_gives_a_config_error(scratch_file, document):
    loaded_or_error(scratch_file, document)


# ---- alpaca_port (the ASCOM Alpaca server) ----------------------------------------------------------

def test_alpaca_is_off_unless_alpaca_port_is_set(write):
    assert Config(write(DOCUMENTED_EXAMPLE)).alpaca_port is None
    assert Config(write(example_with(alpaca_port=11111))).alpaca_port == 11111


@pytest.mark.parametrize('port, expected', [
    (0, 'alpaca_port: 0 is out of range: must be at least 1 and at most 65535'),
    (65536, 'alpaca_port: 65536 is out of range'),
    ('11111', 'alpaca_port: expected a whole number (no decimal point), got "11111"'),
    (11111.0, 'alpaca_port: expected a whole number'),
    (None, 'alpaca_port: expected a whole number'),
    # The documented example's daemon serves Pyro on 9004: the same port cannot serve HTTP too.
    (9004, "alpaca_port: 9004 is the Pyro port of daemon 'onemetre_red_focuser'; choose another port"),
])
def test_bad_alpaca_port_is_refused(write, port, expected):
    error = config_error(write(example_with(alpaca_port=port)))
    assert error.key == 'alpaca_port'
    assert expected in str(error)


# ---- http_hosts (names the setup page may be reached under) -------------------------------------

def test_http_hosts_are_none_unless_listed(write):
    assert Config(write(DOCUMENTED_EXAMPLE)).http_hosts == []
    hosts = ['focuser.example.org', 'w1m-focuser', 'FOCUSER.example.org.', '10.2.6.203']
    assert Config(write(example_with(http_hosts=hosts))).http_hosts == hosts


@pytest.mark.parametrize('hosts, expected', [
    ('focuser.example.org', 'http_hosts: expected a list in square brackets'),
    ([42], 'http_hosts[0]: expected a string in double quotes, got 42'),
    (['focuser.example.org', 'focuser.example.org:11111'],
     'http_hosts[1]: "focuser.example.org:11111" is not a host name such as "focuser.example.org" '
     '(no scheme, port or path)'),
    (['http://focuser.example.org'], 'http_hosts[0]: "http://focuser.example.org" is not a host name'),
    ([''], 'http_hosts[0]: "" is not a host name'),
    (['-focuser'], 'is not a host name'),
    (['a' * 64 + '.example.org'], 'is not a host name'),
])
def test_bad_http_hosts_are_refused(write, hosts, expected):
    error = config_error(write(example_with(http_hosts=hosts)))
    assert error.key == 'http_hosts'
    assert expected in str(error)
