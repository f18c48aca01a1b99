# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""What --motion will do, said before anything is sent, and the engineer's go-ahead.

The probe moves a focuser on a telescope that may not be watched, so the motion is never
implied: on a terminal the engineer reads the plan and answers; without one (a script, ssh
without a tty) --yes must say it, else nothing at all is sent.
"""
import sys

from ..controller.native_axis import UNREFERENCED_POSITION
from .session import LONG_LEG_FACTOR, POLL_INTERVAL, long_leg
from .native_motion import DH_WATCH


def motion_plan(config, distance):
    """The lines that say what --motion will do on this config's controller."""
    poll = f'{POLL_INTERVAL * 1000:.0f} ms'
    if config.protocol == 'native':
        tuning = f', then the servo tuning {" ".join(config.servo_tuning)}' if config.servo_tuning else ''
        stop_leg = long_leg(config.reference_position, config.min_position, config.max_position, distance)
        steps = [f'MN (motor on){tuning}',
                 f'MR{distance} then MR-{distance} (counts), polled with %, \\ and \' every {poll}',
                 f'DH{UNREFERENCED_POSITION} (redefines the count, moves nothing), polled for {DH_WATCH:g} s',
                 f'{config.reference_mode} (the reference run, up to {config.home_timeout:g} s), '
                 'polled with single characters only',
                 f'DH{config.reference_position} at the reference edge',
                 f'MR{stop_leg}, stopped with ! once it moves']
        where = f'board {config.controller_address - 1}, native commands'
    else:
        steps = ['SVO 1 1 (servo on)',
                 f'RON 1 1 and {config.reference_mode} 1 (the reference run, up to {config.home_timeout:g} s), '
                 f'#4 polled every {poll}',
                 f'MVR of +{distance} then -{distance} counts, #4 polled every {poll}',
                 f'an MVR of up to {LONG_LEG_FACTOR * distance} counts towards the farther configured limit, '
                 'stopped with #24 once it moves; then #4 and ERR?']
        where = f'address {config.controller_address}, GCS'
    return ([f'With --motion the probe will move the focuser on {config.serial_port} ({where}):']
            + [f'  {number}. {step}' for number, step in enumerate(steps, 1)])


def go_ahead(yes):
    """None if the motion may go ahead, else the one line that says why not. Asks on a terminal
    unless yes; without a terminal only yes lets it go."""
    if yes:
        return None
    if not sys.stdin.isatty():
        return '--motion without a terminal needs --yes: nothing was sent'
    try:
        answer = input('Move the focuser as above? [y/N] ')
    except EOFError:
        answer = ''
    return None if answer.strip().lower() in ('y', 'yes') else 'not confirmed: nothing was sent'
