# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""First contact in GCS 2.0, with --motion: how the controller shows motion in #4.

Servo on, then the configured reference run (FRF/FNL/FPL, after RON 1 1 as the daemon sends it)
polled with #4; it comes before the MVR legs because a controller in reference mode refuses
moves until it is referenced (error 5). Then an MVR leg each way polled with #4, and a longer
move stopped half-way with #24, after which #4 (bit 8) and ERR? (10) are read, in that order:
ERR? clears what bit 8 shows. A step that fails ends the sequence with #24.
"""
import functools
from collections import namedtuple

from ..gcs import format_float
from .gcs import ask_on_target
from .session import ABORT_WATCH, START_WATCH, Abandoned, long_leg, run_motion

# A reference run not seen running within this long did not start.
REFERENCE_START_TIME = 2.0
# After the move ends, how long #4 may take to show on target before the leg counts as done.
SETTLE_TIME = 1.0

# One poll: when #4 was asked (what it reads held then or later), the decoded register and its
# exchange (the raw reply).
Poll = namedtuple('Poll', 't register exchange')
Leg = namedtuple('Leg', 'distance polls on_target')


def probe_motion(session, at_rest):
    """The motion steps; at_rest is gcs.AtRest (they need its counts per unit)."""
    if at_rest.counts_per_unit is None:
        session.findings.unreached('no motion: the counts per unit (0xE/0xF) are unknown')
        return
    run_motion(session, functools.partial(_sequence, counts_per_unit=at_rest.counts_per_unit), session.port.stop_all)


def _sequence(session, counts_per_unit):
    port = session.port
    session.need('SVO 1 1', lambda: port.set_servo(True))
    _reference(session)
    legs = [_leg(session, counts_per_unit, distance)
            for distance in (session.options.distance, -session.options.distance)]
    _judge_legs(session, legs)
    _stop_a_move(session, counts_per_unit)


def _poll(session, label):
    exchange = session.check(session.step(f'{label}: #4', session.port.status_register))
    return Poll(exchange.asked_at, exchange.value, exchange)


def _reference(session):
    port, config, findings = session.port, session.config, session.findings
    mode = config.reference_mode
    session.need('RON 1 1', lambda: port.set_reference_mode(True))
    session.need(f'{mode} 1', lambda: port.reference(mode))

    def ended(polls):
        register = polls[-1].register
        seen = any(poll.register.referencing or poll.register.moving for poll in polls)
        return (not (register.referencing or register.moving)
                and (seen or polls[-1].t - polls[0].t >= REFERENCE_START_TIME))
    polls = session.poll_until(lambda: _poll(session, mode), ended, config.home_timeout)
    last = polls[-1].register
    if last.referencing or last.moving:
        raise Abandoned(f'{mode} still running after home_timeout ({config.home_timeout:g} s)')
    referenced = session.step('FRF? 1', port.referenced)
    running = sum(poll.register.referencing for poll in polls)
    findings.judge('referencing-bit', (running > 0 and not last.referencing) if running or referenced.value else None,
                   f'bit 14 set in {running} of {len(polls)} polls; at the end {polls[-1].exchange.show()}; '
                   f'{referenced.show()}')
    findings.judge('referenced-after-run', referenced.value if referenced.ok else None, referenced.show())
    if not referenced.value:
        raise Abandoned(f'{mode} did not reference the axis: {referenced.show()}')


def _leg(session, counts_per_unit, distance):
    """MVR 1 <distance in units>, polled until #4 shows it ended and on target (or SETTLE_TIME
    of rest passed without the bit); ONT? 1 after."""
    port = session.port
    label = f'MVR 1 {format_float(distance / counts_per_unit)}'
    session.need(label, lambda: port.command(label))

    def ended(polls):
        rest = [poll for poll in polls if not poll.register.moving]
        last = polls[-1].register
        return not last.moving and (last.on_target or polls[-1].t - rest[0].t >= SETTLE_TIME)
    polls = session.poll_until(lambda: _poll(session, label), ended, session.config.move_timeout)
    if polls[-1].register.moving:
        raise Abandoned(f'{label} still moving after move_timeout ({session.config.move_timeout:g} s)')
    return Leg(distance, polls, ask_on_target(session))


def _judge_legs(session, legs):
    seen = all(any(poll.register.moving for poll in leg.polls) for leg in legs)
    session.findings.judge('moving-bit', True if seen else None,
                           '; '.join(f'{leg.distance:+d} counts: bit 13 set in '
                                     f'{sum(poll.register.moving for poll in leg.polls)} of {len(leg.polls)} polls, '
                                     f'clear at the end' for leg in legs)
                           + ('' if seen else ' (no poll caught a leg moving: try a larger --distance)'))
    holds = all(leg.polls[-1].register.on_target and leg.on_target.value
                for leg in legs)
    session.findings.judge('on-target-after-move', holds,
                           '; '.join(f'{leg.distance:+d} counts: at the end {leg.polls[-1].exchange.show()}, '
                                     f'{leg.on_target.show()}' for leg in legs))


def _stop_a_move(session, counts_per_unit):
    """A longer MVR, #24 once #4 shows it moving, #4 until it rests (bit 8?), then ERR? (10?)."""
    port, config = session.port, session.config
    position = round(session.need('POS? 1', port.position) * counts_per_unit)
    length = long_leg(position, config.min_position, config.max_position, session.options.distance)
    if not length:
        for guess_id in ('bit8-after-stop', 'error-10-after-stop'):
            session.findings.untested(guess_id, 'no room between min_position and max_position for a longer move')
        return
    label = f'MVR 1 {format_float(length / counts_per_unit)}'
    session.need(label, lambda: port.command(label))
    started = session.poll_until(lambda: _poll(session, label), lambda polls: polls[-1].register.moving, START_WATCH)
    session.need('#24', port.stop_all)
    polls = session.poll_until(lambda: _poll(session, '#24'), lambda polls: not polls[-1].register.moving,
                               ABORT_WATCH)
    if polls[-1].register.moving:
        raise Abandoned(f'#4 still showed motion {ABORT_WATCH:g} s after #24: {polls[-1].exchange.show()}')
    error = session.step('ERR? after #24', port.read_error)
    moved = started[-1].register.moving
    last = polls[-1].register
    session.findings.judge('bit8-after-stop', last.error if moved else None,
                           f'#4 {"moving" if moved else "not yet moving"} before #24; '
                           f'after it {polls[-1].exchange.show()}')
    session.findings.judge('error-10-after-stop', error.value == 10 if moved and error.ok else None, error.show())
