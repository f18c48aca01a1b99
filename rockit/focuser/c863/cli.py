# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The `focus` command: a person's (or a shell script's) handle on c863_focusd.

Every command loads the config (to learn where the daemon listens), makes one or two Pyro calls
and exits with the daemon's CommandStatus code, so scripts can test `$?` and people read the
message printed beside it. Nothing here touches the serial port; display.py shapes what is
printed.

Start-up time matters (people type `focus status` often, scripts call it in loops), so help and
usage errors load neither the config nor Pyro4, and everything else is imported only by the
command that needs it.
"""
import argparse
import os
import sys
import time

from .constants import CommandStatus

CONFIG_DIR = '/etc/focusd'
CONFIG_ENV = 'FOCUSD_CONFIG_PATH'


class ConfigLookupError(Exception):
    """No single config file could be chosen; the message says how to choose one."""


# --- config and connection ----------------------------------------------------------------------

def find_config_path():
    """Returns the config to use: FOCUSD_CONFIG_PATH if set, else the only *.json in /etc/focusd.

    Guessing between several files could drive the wrong telescope's focuser, so zero or several
    candidates are an error that tells the user how to choose.
    """
    path = os.environ.get(CONFIG_ENV)
    if path:
        return path
    import glob
    candidates = sorted(glob.glob(os.path.join(CONFIG_DIR, '*.json')))
    if len(candidates) == 1:
        return candidates[0]
    how = f'choose one with {CONFIG_ENV}=/path/to/config.json focus <command>'
    if not candidates:
        raise ConfigLookupError(f'no config file found in {CONFIG_DIR}; {how}')
    names = ', '.join(os.path.basename(c) for c in candidates)
    raise ConfigLookupError(f'several config files in {CONFIG_DIR} ({names}); {how}')


def load_config():
    """Returns the ClientConfig for this run; raises ConfigLookupError or ConfigError (one line).

    ClientConfig, not Config: the full schema check would cost more than the rest of the command,
    and the client only needs the daemon's address (see ClientConfig).
    """
    from .config import ClientConfig
    return ClientConfig(find_config_path())


def daemon_address(config):
    """The Pyro URI of the daemon, for messages that must say which daemon could not be reached."""
    daemon = config.daemon
    return f'PYRO:{daemon.name}@{daemon.host}:{daemon.port}'


def connect_for_long_call(config):
    """Returns a proxy that is connected within the usual timeout and then waits without limit.

    A move or a reference run may legitimately take minutes, so the call itself must not time
    out; but connecting with no timeout would hang for minutes on a machine that is down. So
    connect first with the default timeout, then lift it for the call.
    """
    proxy = config.daemon.connect()
    proxy._pyroBind()
    proxy._pyroTimeout = None
    return proxy


# --- commands -----------------------------------------------------------------------------------

def show_status(config, _args):
    from . import display
    with config.daemon.connect() as focuser:
        report = focuser.report_status()
    print(display.format_status(report, display.use_colour(sys.stdout)))
    return CommandStatus.Succeeded


def show_json(config, _args):
    import json
    with config.daemon.connect() as focuser:
        report = focuser.report_status()
    print(json.dumps(report, sort_keys=True))
    return CommandStatus.Succeeded


def set_position(config, args):
    return run_motion(config, lambda focuser: focuser.move(args.position, relative=False))


def offset_position(config, args):
    return run_motion(config, lambda focuser: focuser.move(args.delta, relative=True))


def home(config, _args):
    return run_motion(config, lambda focuser: focuser.home())


def stop(config, _args):
    with config.daemon.connect() as focuser:
        return focuser.stop()


def initialize(config, _args):
    """Connects; on a terminal, says in one line what it found (a script has `focus status`)."""
    with connect_for_long_call(config) as focuser:
        result = focuser.initialize()
        if result == CommandStatus.Succeeded and sys.stdout.isatty():
            from . import display
            print(display.format_connected(focuser.report_status(), display.use_colour(sys.stdout)))
    return result


def shutdown(config, _args):
    with connect_for_long_call(config) as focuser:
        return focuser.shutdown()


def run_motion(config, start_motion):
    """Runs a blocking motion call, with live progress on a terminal; Ctrl-C stops the axis.

    start_motion(proxy) makes the blocking call and returns its CommandStatus.
    """
    from contextlib import nullcontext
    from . import display
    started = time.monotonic()
    on_terminal = sys.stdout.isatty()
    with connect_for_long_call(config) as focuser:
        with display.ProgressDisplay(config, started, sys.stdout) if on_terminal else nullcontext():
            try:
                result = start_motion(focuser)
            except KeyboardInterrupt:
                return stop_after_interrupt(config)
        if on_terminal:
            report = focuser.report_status()
            print(display.format_result(report, time.monotonic() - started, display.use_colour(sys.stdout)))
    return result


def stop_after_interrupt(config):
    """Stops the axis after Ctrl-C, through a fresh proxy: the old one is stuck in the move call.

    Further Ctrl-C presses are ignored meanwhile, so an impatient second press cannot abandon
    the stop and leave the motor running. The proxy's default timeout bounds the wait.
    """
    import signal
    import Pyro4.errors
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with config.daemon.connect() as focuser:
            result = focuser.stop()
        if result != CommandStatus.Succeeded:
            print_error(f'stop failed: {CommandStatus.message(result)}')
    except Pyro4.errors.CommunicationError as error:
        print_error(f'stop failed: cannot reach the daemon at {daemon_address(config)}: {error}')
    return CommandStatus.TerminatedByUser


# name, one-line help, positional argument (name, help) or None, function(config, args) -> code
COMMANDS = (
    ('status', 'print a readable summary of the focuser state', None, show_status),
    ('json', 'print the daemon status report as JSON', None, show_json),
    ('set', 'move to an absolute position',
     ('position', 'target position in steps'), set_position),
    ('offset', 'move by a number of steps from the current target',
     ('delta', 'steps to move by (negative numbers move the other way)'), offset_position),
    ('home', 'reference run, then move to the nominal focus', None, home),
    ('stop', 'stop any motion now', None, stop),
    ('init', 'connect to the controller (never moves the motor)', None, initialize),
    ('kill', 'stop any motion and disconnect from the controller', None, shutdown),
)

COMMAND_NAMES = tuple(name for name, *_ in COMMANDS)


# --- argument parsing ---------------------------------------------------------------------------

def steps(text):
    """A whole number of steps, written the plain way: optional sign, then ASCII digits.

    int() alone would also take '1_000', ' 5' or non-ASCII digits, which in a shell command are
    more likely typos than intent.
    """
    digits = text[1:] if text[:1] in '+-' else text
    if not (digits.isascii() and digits.isdigit()):
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of steps")
    return int(text)


def build_parser():
    parser = argparse.ArgumentParser(
        prog='focus',
        description='Drive the PI C-863 focuser through its daemon (c863_focusd).',
        epilog=f'The config is ${CONFIG_ENV}, else the only *.json in {CONFIG_DIR}. '
               'The exit status is the command status code: 0 on success.')
    commands = parser.add_subparsers(dest='command', title='commands', metavar='<command>')
    commands.required = True  # no command is a usage error (exit 2), as a bad one is
    for name, summary, argument, function in COMMANDS:
        command = commands.add_parser(name, help=summary, description=summary)
        if argument:
            command.add_argument(argument[0], type=steps, help=argument[1])
        command.set_defaults(function=function, parser=command)
    return parser


def parse_arguments(argv):
    """Returns the parsed arguments; exits 2 with the command's usage on a bad argument."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        # Report surplus arguments against the command's own usage, not the general one.
        args.parser.error(f"unexpected argument: {' '.join(extra)}")
    return args


# --- entry point --------------------------------------------------------------------------------

def print_error(message):
    print(f'focus: {message}', file=sys.stderr)


def run(args):
    """Loads the config and runs the chosen command; returns the exit status."""
    from .config import ConfigError
    try:
        config = load_config()
    except (ConfigLookupError, ConfigError) as error:
        print_error(str(error))
        return CommandStatus.Failed

    import Pyro4.errors
    import Pyro4.util
    sys.excepthook = Pyro4.util.excepthook  # shows the daemon's traceback if the daemon fails
    try:
        result = args.function(config, args)
    except Pyro4.errors.CommunicationError as error:
        print_error(f'{CommandStatus.message(CommandStatus.Unreachable)}'
                    f' at {daemon_address(config)} ({error}); is c863_focusd running?')
        return CommandStatus.Unreachable
    if result != CommandStatus.Succeeded:
        print_error(CommandStatus.message(result))
    return result


def main(argv=None):
    """Runs the focus command line; returns the exit status (a CommandStatus code)."""
    args = parse_arguments(sys.argv[1:] if argv is None else argv)
    try:
        return run(args)
    except KeyboardInterrupt:
        print_error(CommandStatus.message(CommandStatus.TerminatedByUser))
        return CommandStatus.TerminatedByUser
