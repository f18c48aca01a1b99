# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""What the focus command prints: the status block, and live progress while the axis moves.

Only the commands that print a report load this module (see cli.py), and it loads nothing
else until it is used: people wait for `focus status` to start.
"""
import os
import time

from .constants import FocuserStatus

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
    # A problem the daemon found itself (a move that came to rest short of its target) has no code.
    code = '' if error['code'] is None else f"{error['code']}: "
    return paint(f"{code}{error['text']}", 'red', colour) + f" (at {error['date']})"


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


def format_connected(report, colour):
    """The line `focus init` prints on a terminal: the controller it found and the state,
    which says whether `focus home` is needed next."""
    controller = report.get('controller', 'the controller')
    return f'{controller} ready, {state_label(report, colour)}'


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
    """One progress line: state, the leg of a two-leg move, position -> target and a bar (or
    what the daemon is doing). The bar measures the distance to the move's own target, so it
    passes 100% and drops back while the overshoot leg goes past it."""
    if 'current_steps' in report and origin is not None:
        current, target = report['current_steps'], report['target_steps']
        leg = f"{report['approach']} leg: " if report.get('approach') else ''
        doing = f'{leg}{current} -> {target} steps {progress_bar(origin, current, target)}'
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
