# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The focuser's JSON configuration (/etc/focusd/<name>.json): schema, checks and Config.

The daemon and the focus command read the same file. A mistake in it must stop the daemon at
start with one line that names the file, the key and the problem, because that line is what an
engineer sees in `systemctl status` at 3 a.m.; so jsonschema's own messages are rewritten here.

The keys, names and the documented example are a contract shared with the rockit daemons this
one replaces (doc/design.md section 3.1): keep them compatible.
"""
import functools
import json
import math
import os

from . import site
from .constants import REFERENCE_MODES, STEP_LIMIT

# The C-863 takes its baud rate from DIP switches 5 and 6: four rates (see
# doc/gcs-c863.md section 1.1, "Physical layer").
BAUD_RATES = [9600, 19200, 38400, 115200]

# The command set the controller speaks: GCS 2.0 (C-863.11/.12) or PI's older native Mercury
# commands (C-863.10). See controller/ for what the daemon can know with each.
PROTOCOLS = ['gcs', 'native']

DEFAULT_REFERENCE_MODES = {'gcs': 'FRF', 'native': 'FE2'}

# The count a native reference run gives the edge must lie where the native controller's
# counter keeps referenced positions: controller.REFERENCED_FLOOR .. native.MAX_POSITION
# (not imported: the focus command would pay for loading the serial layers at start-up).
NATIVE_REFERENCE_RANGE = (-500000000, 999999999)

# Native servo tuning commands that may be sent after every MN (doc/mercury-native.md section 3):
# gains DP, DI, DD, integration limit DL, maximum following error SM, velocity SV, acceleration
# SA, each with its value (at most 9 digits, MS176E p. 18).
SERVO_TUNING_PATTERN = r'^(DP|DI|DD|DL|SM|SV|SA)[0-9]{1,9}$'
# A DNS host name (letters, digits and hyphens in dot-separated labels of at most 63), as the
# Host header of a request to the Alpaca server may name this machine: no scheme, port or path.
HOST_NAME_PATTERN = (r'^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
                     r'(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$')
# Keys that only a native controller uses: (key, why not with GCS).
NATIVE_ONLY = {
    'reference_position': 'a GCS controller keeps the reference value in its parameter 0x16',
    'servo_tuning': 'a GCS controller keeps its servo parameters in its own flash',
    'settle_window': "a GCS controller judges on target itself (its parameters 0x36 and 0x3F)",
    'motion_pause': 'the pause is a native controller\'s need',
}



def _steps(**default):
    return {'type': 'integer', 'minimum': -STEP_LIMIT, 'maximum': STEP_LIMIT, **default}


def _seconds(maximum, minimum=None, **default):
    """A duration in seconds; a lower bound keeps a typo from turning a poll loop into a busy loop."""
    lower = {'exclusiveMinimum': 0} if minimum is None else {'minimum': minimum}
    return {'type': 'number', **lower, 'maximum': maximum, **default}


# In the order of the documented example, which is also the order errors are reported in.
# A key with a default is optional; every other key is required.
PROPERTIES = {
    'daemon': {'type': 'string', 'knownDaemon': True},
    'log_name': {'type': 'string', 'minLength': 1},
    'control_machines': {'type': 'array', 'minItems': 1, 'items': {'type': 'string', 'knownMachine': True}},
    'serial_port': {'type': 'string', 'pattern': r'^(/|[A-Za-z][A-Za-z0-9+.-]*://)',
                    'description': 'a device path (such as /dev/focuser) or a pyserial URL '
                                   '(such as socket://host:port)'},
    'serial_baud': {'type': 'integer', 'enum': BAUD_RATES},
    # At most 10 s: a silent controller costs two timeouts per reconnect attempt (*IDN?, then
    # ERR?), which must stay well inside the unit's 30 s watchdog.
    'serial_timeout': _seconds(10),
    'nominal_focus_position': _steps(),
    'min_position': _steps(default=0),
    'max_position': _steps(),
    'moving_loop_delay': _seconds(10, minimum=0.01),
    'idle_loop_delay': _seconds(60, minimum=0.01, default=1.0),
    'move_timeout': _seconds(3600),
    'home_timeout': _seconds(3600, default=300.0),
    'controller_address': {'type': 'integer', 'minimum': 1, 'maximum': 16, 'default': 1},
    'protocol': {'type': 'string', 'enum': PROTOCOLS, 'default': 'gcs'},
    # None: DEFAULT_REFERENCE_MODES for the protocol.
    'reference_mode': {'type': 'string', 'enum': [*REFERENCE_MODES['gcs'], *REFERENCE_MODES['native']],
                       'default': None},
    # Native only: what DH makes of the reference edge (GCS controllers keep it in parameter 0x16).
    'reference_position': {'type': 'integer', 'minimum': NATIVE_REFERENCE_RANGE[0],
                           'maximum': NATIVE_REFERENCE_RANGE[1], 'default': 0},
    # Every serial exchange logged to the journal (c863_focusd --trace does the same).
    'trace_serial': {'type': 'boolean', 'default': False},
    # The ASCOM Alpaca HTTP server's TCP port, on the daemon's host address; None: no Alpaca.
    'alpaca_port': {'type': 'integer', 'minimum': 1, 'maximum': 65535, 'default': None},
    # Names besides the machine's own under which browsers reach the setup page (a DNS alias):
    # a setup command whose Host header names none of them is refused (alpaca/origin.py).
    'http_hosts': {'type': 'array', 'default': [], 'items': {
        'type': 'string', 'pattern': HOST_NAME_PATTERN,
        'description': 'a host name such as "focuser.example.org" (no scheme, port or path)'}},
    # Backlash: every move ends travelling in the direction of this sign, from this far away
    # (approach.py); 0: moves go straight to their target.
    'approach_steps': _steps(default=0),
    # Native only: commands sent after every MN, such as ["DP350"] (the telescope's D-term).
    'servo_tuning': {'type': 'array', 'default': [], 'items': {
        'type': 'string', 'pattern': SERVO_TUNING_PATTERN,
        'description': 'a tuning command DP, DI, DD, DL, SM, SV or SA with a value of 1 to 9 digits, such as "DP350"'}},
    # Native only: how close to its target (steps) an axis at rest must be for a move to succeed.
    'settle_window': {'type': 'integer', 'minimum': 0, 'maximum': 100000, 'default': 10},
    # Native only: seconds of silence after a motion command before the next byte (EPICS found
    # that a C-862 drops characters sent at once).
    'motion_pause': _seconds(1, minimum=0, default=0.02),
}

SCHEMA = {
    'type': 'object',
    'additionalProperties': False,
    'required': [key for key, schema in PROPERTIES.items() if 'default' not in schema],
    'properties': PROPERTIES,
}

# How a type is named to the person who wrote the file.
_EXPECTED = {
    'integer': 'a whole number (no decimal point)',
    'number': 'a number',
    'string': 'a string in double quotes',
    'array': 'a list in square brackets, such as ["OneMetreTCS"] or ["DP350"]',
    'object': 'a JSON object such as {"daemon": ...}',
    'boolean': 'true or false',
}


class ConfigError(Exception):
    """A config file that cannot be used. str() is one line: 'path: problem'.

    `key` names the offending key when there is one (None for a missing file, bad JSON...).
    """

    def __init__(self, path, problem, key=None):
        super().__init__(f'{path}: {problem}')
        self.path = path
        self.problem = problem
        self.key = key


class Config:
    """A validated focuser config; every value is an attribute.

    `daemon` is the daemon entry (with .connect(timeout=None), as in
    rockit.common.daemons) and `daemon_name` the name written in the file; `control_ips` are the
    addresses of `control_machines`. Durations are floats in seconds, positions integer steps.
    `protocol` is 'gcs' or 'native'; `reference_mode` is always set (the protocol's default if the
    file has none); `reference_position` is 0 unless a native config says otherwise.
    Raises ConfigError.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        values = _validated(_read_document(self.path), self.path)

        self.daemon_name = values['daemon']
        self.daemon = site.find_daemon(self.daemon_name)
        self.log_name = values['log_name']
        self.control_machines = values['control_machines']
        self.control_ips = [site.machine_ip(name) for name in self.control_machines]
        self.serial_port = values['serial_port']
        self.serial_baud = values['serial_baud']
        self.serial_timeout = float(values['serial_timeout'])
        self.nominal_focus_position = values['nominal_focus_position']
        self.min_position = values['min_position']
        self.max_position = values['max_position']
        self.moving_loop_delay = float(values['moving_loop_delay'])
        self.idle_loop_delay = float(values['idle_loop_delay'])
        self.move_timeout = float(values['move_timeout'])
        self.home_timeout = float(values['home_timeout'])
        self.controller_address = values['controller_address']
        self.protocol = values['protocol']
        self.reference_mode = values['reference_mode']
        self.reference_position = values['reference_position']
        self.trace_serial = values['trace_serial']
        self.alpaca_port = values['alpaca_port']
        self.http_hosts = values['http_hosts']
        self.approach_steps = values['approach_steps']
        self.servo_tuning = tuple(values['servo_tuning'])
        self.settle_window = values['settle_window']
        self.motion_pause = float(values['motion_pause'])


class ClientConfig:
    """What the focus command needs from the config: `daemon` (the entry) and `daemon_name`.

    The focus command runs often and its start-up is measured, while the full schema check
    costs more than the rest of the command (jsonschema's import alone). So the client checks
    only the file's shape and the key it uses: readable JSON, an object, no unknown key, no
    missing key, a known daemon name. Only when that finds something wrong does it run the full
    validation, so the error is the daemon's own one line. The values the client does not use
    are checked in full by the daemon, which refuses to start on a bad file. Raises ConfigError.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        document = _read_document(self.path)
        if not _fits_client(document):
            Config(self.path)  # raises the ConfigError that names the first problem
        self.daemon_name = document['daemon']
        self.daemon = site.find_daemon(self.daemon_name)


def _fits_client(document):
    """True when the document passes every check the focus command relies on (see ClientConfig)."""
    return (isinstance(document, dict) and document.keys() <= PROPERTIES.keys()
            and all(key in document for key in SCHEMA['required'])
            and site.find_daemon(document['daemon']) is not None)


def _read_document(path):
    """Returns the parsed JSON of the file, or raises ConfigError saying why it cannot."""
    try:
        with open(path, 'rb') as file:
            raw = file.read()
    except FileNotFoundError:
        raise ConfigError(path, 'file not found') from None
    except OSError as error:
        raise ConfigError(path, f'cannot read: {error.strerror or error}') from None

    try:
        text = raw.decode('utf-8-sig')
    except UnicodeDecodeError as error:
        raise ConfigError(path, f'not UTF-8 text (byte 0x{raw[error.start]:02x} at offset {error.start})') from None
    if not text.strip():
        raise ConfigError(path, 'file is empty')

    try:
        return json.loads(text, object_pairs_hook=functools.partial(_object_without_duplicates, path))
    except json.JSONDecodeError as error:
        raise ConfigError(path, f'invalid JSON at line {error.lineno} column {error.colno}: {error.msg}') from None
    except ValueError as error:  # e.g. an integer with more digits than Python will convert
        raise ConfigError(path, f'invalid JSON: {error}') from None
    except RecursionError:
        raise ConfigError(path, 'invalid JSON: nested too deeply') from None


def _object_without_duplicates(path, pairs):
    """Builds a JSON object, refusing a key written twice (json would silently keep the last)."""
    document = {}
    for key, value in pairs:
        if key in document:
            raise ConfigError(path, f'key {_name(key)} appears more than once', key)
        document[key] = value
    return document


def _validated(document, path):
    """Returns every key's value (defaults filled in) or raises ConfigError for the first problem."""
    errors = sorted(_validator().iter_errors(document), key=_relevance)
    if errors:
        raise _config_error(errors[0], path)

    values = {key: document.get(key, schema.get('default')) for key, schema in PROPERTIES.items()}
    values['reference_mode'] = values['reference_mode'] or DEFAULT_REFERENCE_MODES[values['protocol']]
    problem = _limits_problem(values) or _protocol_problem(values, document) or _alpaca_problem(values)
    if problem:
        key, text = problem
        raise ConfigError(path, f'{key}: {text}', key)
    return values


def _protocol_problem(values, document):
    """Returns (key, problem) if a key does not fit the protocol, else None."""
    protocol, mode = values['protocol'], values['reference_mode']
    if mode not in REFERENCE_MODES[protocol]:
        other = 'native' if protocol == 'gcs' else 'GCS'
        choices = ', '.join(f'"{choice}"' for choice in REFERENCE_MODES[protocol])
        return 'reference_mode', (f'"{mode}" is a {other} reference mode; with "protocol": "{protocol}" '
                                  f'use one of {choices}')
    if protocol == 'gcs':
        for key, reason in NATIVE_ONLY.items():
            if key in document:
                return key, f'applies only with "protocol": "native" ({reason})'
    return None


def _alpaca_problem(values):
    """Returns (key, problem) if the Alpaca port is the daemon's own Pyro port, else None."""
    port, daemon = values['alpaca_port'], site.find_daemon(values['daemon'])
    if port is not None and port == daemon.port:
        return 'alpaca_port', f'{port} is the Pyro port of daemon {values["daemon"]!r}; choose another port'
    return None


def _limits_problem(values):
    """Returns (key, problem) if the positions contradict each other, else None."""
    low, high, nominal = values['min_position'], values['max_position'], values['nominal_focus_position']
    if low >= high:
        return 'min_position', f'{low} must be less than max_position ({high})'
    if not low <= nominal <= high:
        return 'nominal_focus_position', f'{nominal} is outside min_position..max_position ({low}..{high})'
    approach = values['approach_steps']
    if abs(approach) >= high - low:
        return 'approach_steps', (f'{approach} is not shorter than the travel from min_position to '
                                  f'max_position ({high - low} steps); a little more than the backlash is enough')
    return None


@functools.cache
def _validator():
    """Builds the schema validator on first use.

    jsonschema is imported here, not at the top, because it costs tens of milliseconds and the
    focus command's start-up is measured: this import is the price of checking the config.
    The type checks are redefined so that they mean the same on every jsonschema version:
    true/false are never numbers, 1.0 is not an integer (steps are whole numbers, written as
    such), and NaN/Infinity are not numbers.
    """
    import jsonschema

    checker = jsonschema.Draft7Validator.TYPE_CHECKER.redefine_many(
        {'integer': _is_integer, 'number': _is_finite_number})
    validator_class = jsonschema.validators.extend(
        jsonschema.Draft7Validator, type_checker=checker,
        validators={'knownDaemon': _check_daemon_name, 'knownMachine': _check_machine_name})
    return validator_class(SCHEMA)


def _is_integer(_checker, value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_finite_number(checker, value):
    return _is_integer(checker, value) or (isinstance(value, float) and math.isfinite(value))


def _check_daemon_name(_validator, _enabled, instance, _schema):
    """jsonschema keyword: the name of a daemon in site.daemons (a type error is reported apart)."""
    import jsonschema
    if isinstance(instance, str) and site.find_daemon(instance) is None:
        yield jsonschema.ValidationError(f'{instance!r} is not a known daemon')


def _check_machine_name(_validator, _enabled, instance, _schema):
    """jsonschema keyword: a machine name in site.IP or a literal IP address."""
    import jsonschema
    if isinstance(instance, str) and site.machine_ip(instance) is None:
        yield jsonschema.ValidationError(f'{instance!r} is not a known machine or IP address')


def _relevance(error):
    """Sort key putting the error that best explains the file first.

    An unknown key comes first (a misspelt key also shows up as a missing one, and the
    misspelling is the cause), then missing keys, then bad values in the documented key order,
    a wrong type before anything else about the same value.
    """
    if not error.path:
        return ({'type': 0, 'additionalProperties': 1, 'required': 2}.get(error.validator, 3), 0, 0)
    return (4, list(PROPERTIES).index(error.path[0]), error.validator != 'type')


def _config_error(error, path):
    """Turns a jsonschema error into a ConfigError a person can act on."""
    if error.validator == 'additionalProperties':
        unknown = [key for key in error.instance if key not in PROPERTIES]
        return ConfigError(path, _unknown_keys_problem(unknown), unknown[0])
    if error.validator == 'required':
        missing = [key for key in error.validator_value if key not in error.instance]
        return ConfigError(path, f'missing required {_plural("key", missing)} {_quoted(missing)}', missing[0])
    if not error.path:
        return ConfigError(path, f'the top level must be {_EXPECTED["object"]}, not {_show(error.instance)}')
    key = error.path[0]
    location = key + ''.join(f'[{index}]' for index in list(error.path)[1:])
    return ConfigError(path, f'{location}: {_value_problem(error)}', key)


def _value_problem(error):
    """Describes what is wrong with one value."""
    keyword, value, schema = error.validator, error.instance, error.schema
    if keyword == 'type':
        return f'expected {_EXPECTED[schema["type"]]}, got {_show(value)}'
    if keyword == 'enum':
        return f'{_show(value)} is not one of {", ".join(_show(choice) for choice in schema["enum"])}'
    if keyword in ('minimum', 'exclusiveMinimum', 'maximum'):
        return f'{_show(value)} is out of range: {_range_text(schema)}'
    if keyword in ('minLength', 'minItems'):
        return 'must not be empty'
    if keyword == 'pattern':
        return f'{_show(value)} is not {schema["description"]}'
    if keyword == 'knownDaemon':
        return f'{_show(value)} is not a known daemon name{_suggestion(value, site.daemon_names())}'
    if keyword == 'knownMachine':
        return (f'{_show(value)} is neither a known machine name nor an IP address'
                f'{_suggestion(value, site.machine_names())}')
    return ' '.join(error.message.split())


def _unknown_keys_problem(unknown):
    if len(unknown) == 1:
        return f'unknown key {_name(unknown[0])}{_suggestion(unknown[0], PROPERTIES)}'
    return f'unknown keys {_quoted(unknown)}'


def _range_text(schema):
    if 'exclusiveMinimum' in schema:
        return f'must be more than {schema["exclusiveMinimum"]} and at most {schema["maximum"]}'
    return f'must be at least {schema["minimum"]} and at most {schema["maximum"]}'


def _suggestion(word, candidates):
    """' (did you mean 'x'?)' for a near miss among candidates, else ''."""
    import difflib
    matches = difflib.get_close_matches(word, list(candidates), n=1)
    return f' (did you mean {matches[0]!r}?)' if matches else ''


def _show(value):
    """A value as it is spelt in JSON (true, null, "text"), shortened to fit on one line."""
    if isinstance(value, dict):
        return 'an object'
    if isinstance(value, list):
        return 'a list'
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + '...'


def _name(key):
    """A key as quoted in a message, shortened to fit on one line."""
    text = repr(key)
    return text if len(text) <= 40 else text[:36] + "...'"


def _quoted(keys):
    return ', '.join(_name(key) for key in keys)


def _plural(word, items):
    return word if len(items) == 1 else word + 's'
