"""The `focus` command: a person's (or a shell script's) handle on c863_focusd.

Every command loads the config (to learn where the daemon listens), makes one or two Pyro calls
and exits with the daemon's CommandStatus code, so scripts can test `$?` and people read the
message printed beside it. Nothing here touches the serial port.

Start-up time matters (people type `focus status` often, scripts call it in loops), so help and
usage errors load neither the config nor Pyro4, and everything else is imported only by the
command that needs it.
"""
import argparse
import os
import sys
import time

from .constants import CommandStatus, FocuserStatus

CONFIG_DIR = '/etc/focusd'
CONFIG_ENV = 'FOCUSD_CONFIG_PATH'

# Seconds between progress redraws: often enough for the elapsed time to tick smoothly. The
# position itself changes only as often as the daemon polls a moving axis (moving_loop_delay).
PROGRESS_REFRESH = 0.25
PROGRESS_BAR_WIDTH = 20

# ANSI SGR codes (on, off) for the rich-style markup tags that FocuserStatus.label() produces.
# These few lines spare every run the import of a colour library.
MARKUP_STYLES = {
    'b': ('1', '22'),
    'red': ('31', '39'),
    'green': ('32', '39'),
    'yellow': ('33', '39'),
}

# The command that gets the focuser out of a state it cannot leave without a person, and the hint.
STATE_HINTS = {
    FocuserStatus.Disabled: ('focus init', 'offline: run `focus init` to connect'),
    FocuserStatus.NotHomed: ('focus home', 'not homed: run `focus home` (reference run)'),
}


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
    proxy._pyroBind()  # pylint: disable=protected-access
    proxy._pyroTimeout = None  # pylint: disable=protected-access
    return proxy


# --- terminal output ----------------------------------------------------------------------------

def use_colour(stream):
    """Colour only for a person at a terminal, and never when NO_COLOR is set (no-color.org)."""
    return stream.isatty() and not os.environ.get('NO_COLOR')


def render_markup(text, colour):
    """Turns rich-style tags ([b], [red], [/red] ...) into ANSI codes, or removes them.

    Only the tags in MARKUP_STYLES are touched, so other text in square brackets survives.
    """
    import re

    def replace(tag):
        if not colour:
            return ''
        on, off = MARKUP_STYLES[tag.group(2)]
        return f'\033[{off if tag.group(1) else on}m'

    names = '|'.join(MARKUP_STYLES)
    return re.sub(rf'\[(/?)({names})\]', replace, text)


def paint(text, style, colour):
    """Returns text in one of the MARKUP_STYLES (or unchanged without colour)."""
    return render_markup(f'[{style}]{text}[/{style}]', colour)


def state_label(report, colour):
    return render_markup(FocuserStatus.label(report['status'], formatting=True), colour)


def describe_position(report):
    """Position and target in steps, or why they are unknown."""
    if 'current_steps' not in report:
        return 'unknown (not referenced)'
    current, target = report['current_steps'], report['target_steps']
    if current == target:
        return f'{current} steps'
    return f'{current} steps (target {target})'


def describe_last_error(error, colour):
    if error is None:
        return 'none'
    return paint(f"{error['code']}: {error['text']}", 'red', colour) + f" (at {error['date']})"


def hints(report):
    """What the user should know or do next: the daemon's message, plus the command to run.

    The daemon's message explains the state; the state hint names the command that gets out of
    it, unless the message already does.
    """
    found = []
    message = report.get('message')
    if message:
        found.append(message)
    command, hint = STATE_HINTS.get(report['status'], (None, None))
    if hint and not (message and command in message):
        found.append(hint)
    return found


def format_status(report, colour):
    """The `focus status` block: the state first, then the details a person checks."""
    lines = [f'Focuser is {state_label(report, colour)}']
    if 'controller' in report:
        referenced = 'yes' if report['referenced'] else paint('no', 'yellow', colour)
        lines += [
            f"  Position:    {describe_position(report)}",
            f"  Referenced:  {referenced}",
            f"  Servo:       {'on' if report['servo'] else 'off'}",
            f"  Limits:      {report['min_steps']} to {report['max_steps']} steps"
            f" (nominal focus {report['nominal_steps']})",
            f"  Last error:  {describe_last_error(report['last_error'], colour)}",
            f"  Controller:  {report['controller']}",
        ]
    lines += [f'  Note:        {hint}' for hint in hints(report)]
    lines.append(f"  Updated:     {report['date']}")
    return '\n'.join(lines)


def progress_bar(origin, current, target):
    """A bar that fills as the axis closes the distance from where it started to the target.

    Until the daemon has taken the new target, target equals origin: that shows as 0%, not as
    a full bar that then empties.
    """
    span = abs(target - origin)
    done = 0.0 if span == 0 else max(0.0, min(1.0, 1 - abs(target - current) / span))
    filled = round(done * PROGRESS_BAR_WIDTH)
    return '[' + '#' * filled + '-' * (PROGRESS_BAR_WIDTH - filled) + f'] {done:4.0%}'


def format_progress(report, origin, elapsed, colour):
    """One progress line: state, position -> target and a bar (or what the daemon is doing)."""
    if 'current_steps' in report and origin is not None:
        current, target = report['current_steps'], report['target_steps']
        doing = f'{current} -> {target} steps {progress_bar(origin, current, target)}'
    else:
        doing = report.get('message', '')
    return f'{state_label(report, colour)}  {doing}  {elapsed:5.1f} s'


def format_result(report, elapsed, colour):
    """The line that replaces the progress display when a motion command returns."""
    where = f' at {describe_position(report)}' if 'current_steps' in report else ''
    return f'Focuser is {state_label(report, colour)}{where} after {elapsed:.1f} s'


class ProgressDisplay:
    """Redraws one progress line from report_status() while the main thread waits on a move.

    It runs in its own thread with its own proxy (Pyro proxies must not be shared between
    threads), and only on a terminal: piped output stays free of carriage returns.
    """

    def __init__(self, config, started, stream):
        import threading
        self._config = config
        self._started = started
        self._stream = stream
        self._colour = use_colour(stream)
        self._finished = threading.Event()
        self._thread = threading.Thread(target=self._run, name='progress', daemon=True)
        self._origin = None

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._finished.set()
        self._thread.join()
        self._stream.write('\r\033[K')
        self._stream.flush()

    def _run(self):
        import Pyro4.errors
        try:
            with self._config.daemon.connect() as focuser:
                while not self._finished.is_set():
                    self._draw(focuser.report_status())
                    self._finished.wait(PROGRESS_REFRESH)
        except Pyro4.errors.CommunicationError:
            pass  # the main thread's call fails too and reports it; the display just stops

    def _draw(self, report):
        """Writes the line over the previous one, cut to the terminal width so it never wraps."""
        if 'current_steps' not in report:
            self._origin = None  # referencing: the old position means nothing any more
        elif self._origin is None:
            self._origin = report['current_steps']
        elapsed = time.monotonic() - self._started
        line = format_progress(report, self._origin, elapsed, self._colour)
        plain = format_progress(report, self._origin, elapsed, False)
        width = terminal_width(self._stream)
        if width and len(plain) >= width:
            line = plain[:width - 1]  # cutting through colour codes would garble the terminal
        self._stream.write('\r' + line + '\033[K')
        self._stream.flush()


def terminal_width(stream):
    """Columns of the terminal behind stream, or None when unknown (e.g. a fresh pty)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns or None
    except OSError:
        return None


# --- commands -----------------------------------------------------------------------------------

def show_status(config, _args):
    with config.daemon.connect() as focuser:
        report = focuser.report_status()
    print(format_status(report, use_colour(sys.stdout)))
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
    with connect_for_long_call(config) as focuser:
        return focuser.initialize()


def shutdown(config, _args):
    with connect_for_long_call(config) as focuser:
        return focuser.shutdown()


def run_motion(config, start_motion):
    """Runs a blocking motion call, with live progress on a terminal; Ctrl-C stops the axis.

    start_motion(proxy) makes the blocking call and returns its CommandStatus.
    """
    from contextlib import nullcontext
    started = time.monotonic()
    on_terminal = sys.stdout.isatty()
    with connect_for_long_call(config) as focuser:
        with ProgressDisplay(config, started, sys.stdout) if on_terminal else nullcontext():
            try:
                result = start_motion(focuser)
            except KeyboardInterrupt:
                return stop_after_interrupt(config)
        if on_terminal:
            report = focuser.report_status()
            print(format_result(report, time.monotonic() - started, use_colour(sys.stdout)))
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
        (args.parser if args.command else parser).error(f"unexpected argument: {' '.join(extra)}")
    return parser, args


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
    parser, args = parse_arguments(sys.argv[1:] if argv is None else argv)
    if not args.command:
        parser.print_help()
        return CommandStatus.Succeeded
    try:
        return run(args)
    except KeyboardInterrupt:
        print_error(CommandStatus.message(CommandStatus.TerminatedByUser))
        return CommandStatus.TerminatedByUser
