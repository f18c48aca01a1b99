# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""First contact in native Mercury commands, with --motion: how the controller shows motion.

MN and the servo tuning (as the daemon sends them), an MR leg each way polled with %, \\ and ',
the daemon's marker DH watched for motion, the reference run (FE) polled with single characters
only (a line command would cut it short), DH<reference_position> at the edge as the daemon does,
then a longer MR stopped half-way with !. A step that fails ends the sequence with a stop.
"""
from collections import namedtuple

from ..controller.native_axis import SEARCH_START_TIME, SETTLE_TIME, SETTLED_FOR, UNREFERENCED_POSITION
from ..native_status import SIX_BYTE
from .native import judge_at_rest, moving_direction_positive, no_such_bit
from .session import ABORT_WATCH, START_WATCH, Abandoned, long_leg, run_motion

# How long the probe watches for motion after the marker DH.
DH_WATCH = 0.5
# ! must bring \ to 0 within this long (the probe polls up to ABORT_WATCH to see it happen late).
ABORT_TIME = 0.5

# One poll: when its \ was asked (what it reads held then or later), that answer, the decoded %
# and its exchange (the raw report), and '.
Poll = namedtuple('Poll', 't moving status report position')
Leg = namedtuple('Leg', 'distance target position polls')


def probe_motion(session):
    run_motion(session, _sequence, session.port.abort)


def _sequence(session):
    _motor_on(session)
    legs = [_leg(session, distance) for distance in (session.options.distance, -session.options.distance)]
    _judge_legs(session, legs)
    _define_home_without_motion(session)
    _find_edge(session)
    _stop_a_move(session)


def _poll(session, label):
    """One poll, single characters only: \\ (the time it was asked is the poll's), % and '."""
    port = session.port
    moving = session.check(session.step(f'{label}: \\', port.moving))
    report = session.check(session.step(f'{label}: %', port.status))
    position = session.need(f"{label}: '", port.position)
    return Poll(moving.asked_at, moving.value, report.value, report, position)


def _motor_on(session):
    port, findings = session.port, session.findings
    exchange = session.check(session.step('MN', lambda: port.command('MN')))
    status = exchange.value
    findings.judge('motor-off-bit', None if status.motor_off is None else not status.motor_off,
                   f'the % after MN: {status.text}; {exchange.show()}')
    for command in session.config.servo_tuning:
        session.need(command, lambda command=command: port.command(command))


def _leg(session, distance):
    """MR<distance>, polled until \\ reads 0 and the position has settled (or SETTLE_TIME passed)."""
    port, window = session.port, session.config.settle_window
    label = f'MR{distance}'
    goal = session.need(f'{label}: TT before', port.target) + distance
    session.need(label, lambda: port.command(label))

    def settled(polls):
        """At rest within the window in the last two polls, SETTLED_FOR apart (as the daemon
        judges a move's end: the on-target bit, if any, comes only once the servo has settled),
        or at rest for SETTLE_TIME whatever the position."""
        rest = [poll for poll in polls if not poll.moving]
        if polls[-1].moving or not rest:
            return False
        resting = rest[-2:] if len(rest) >= 2 and not polls[-2].moving else []
        return ((len(resting) == 2 and all(abs(poll.position - goal) <= window for poll in resting)
                 and resting[1].t - resting[0].t >= SETTLED_FOR) or polls[-1].t - rest[0].t >= SETTLE_TIME)
    polls = session.poll_until(lambda: _poll(session, label), settled, session.config.move_timeout)
    if polls[-1].moving:
        raise Abandoned(f'{label} still moving after move_timeout ({session.config.move_timeout:g} s)')
    target = session.need(f'{label}: TT after', port.target)
    position = session.need(f'{label}: TP after', lambda: port.report_value('TP', 'P'))
    return Leg(distance, target, position, polls)


def _judge_legs(session, legs):
    findings, window = session.findings, session.config.settle_window
    seen = all(any(poll.moving for poll in leg.polls) for leg in legs)
    findings.judge('moving-flag', True if seen else None,
                   '; '.join(f'MR{leg.distance}: \\ 1 in {sum(p.moving for p in leg.polls)} of '
                             f'{len(leg.polls)} polls, 0 at the end' for leg in legs)
                   + ('' if seen else ' (no poll caught a leg moving: try a larger --distance)'))
    ends = [leg.polls[-1].status for leg in legs]
    judge_at_rest(findings, ends, '; '.join(f'after MR{leg.distance}: {end.text}' for leg, end in zip(legs, ends)))
    _judge_busy(session, legs, seen)
    if ends[0].layout == SIX_BYTE:
        findings.judge('direction-bit', [moving_direction_positive(end) for end in ends] == [True, False],
                       '; '.join(f'after MR{leg.distance}: {end.text}' for leg, end in zip(legs, ends)))
    else:
        findings.untested('direction-bit', no_such_bit(ends[0], 'direction'))
    errors = [leg.position - leg.target for leg in legs]
    findings.judge('settles-within-window', all(abs(error) <= window for error in errors),
                   '; '.join(f'MR{leg.distance}: TP {leg.position}, TT {leg.target}, error {error:+d}'
                             for leg, error in zip(legs, errors)) + f' (settle_window {window})')


def _judge_busy(session, legs, seen):
    """busy-bit: set in a poll that saw \\ at 1, clear at rest, and differing from \\ at most
    once a leg (a poll that straddles the end of the move)."""
    if legs[0].polls[-1].status.layout != SIX_BYTE:
        session.findings.untested('busy-bit', no_such_bit(legs[0].polls[-1].status, 'busy'))
        return
    if not seen:
        session.findings.untested('busy-bit', 'no poll caught a leg moving (try a larger --distance)')
        return
    holds, texts = True, []
    for leg in legs:
        agree = sum(poll.status.busy == poll.moving for poll in leg.polls)
        holds &= (any(poll.moving and poll.status.busy for poll in leg.polls) and not leg.polls[-1].status.busy
                  and len(leg.polls) - agree <= 1)
        texts.append(f'MR{leg.distance}: busy equal to \\ in {agree} of {len(leg.polls)} polls, '
                     f'{int(leg.polls[-1].status.busy)} at the end')
    session.findings.judge('busy-bit', holds, '; '.join(texts))


def _define_home_without_motion(session):
    """The daemon's marker DH, then DH_WATCH seconds of polls: nothing may move."""
    port, window = session.port, session.config.settle_window
    label = f'DH{UNREFERENCED_POSITION}'
    session.need(label, lambda: port.command(label))
    polls = session.poll_until(lambda: _poll(session, label), lambda _polls: False, DH_WATCH)
    positions = [poll.position for poll in polls]
    moving = sum(poll.moving for poll in polls)
    session.findings.judge(
        'dh-does-not-move', not moving and all(abs(p - UNREFERENCED_POSITION) <= window for p in positions),
        f'{len(polls)} polls over {polls[-1].t - polls[0].t:.2f} s: \\ 1 in {moving}; '
        f"' read {min(positions)}..{max(positions)} (settle_window {window})")


def _find_edge(session):
    """FE<mode>, polled with single characters until \\ is 0 again (or never became 1 within
    SEARCH_START_TIME); then, as the daemon does, DH<reference_position> at the edge."""
    port, config, findings = session.port, session.config, session.findings
    mode = config.reference_mode
    session.need(mode, lambda: port.command(mode))

    def ended(polls):
        running = any(poll.moving for poll in polls)
        return not polls[-1].moving and (running or polls[-1].t - polls[0].t >= SEARCH_START_TIME)
    polls = session.poll_until(lambda: _poll(session, mode), ended, config.home_timeout)
    if polls[-1].moving:
        raise Abandoned(f'{mode} still running after home_timeout ({config.home_timeout:g} s)')
    running = [poll for poll in polls if poll.moving]
    end = polls[-1].status
    moved = abs(polls[-1].position - polls[0].position) > config.settle_window
    findings.judge('find-edge-moving-flag', True if running else (False if moved else None),
                   f'\\ 1 in {len(running)} of {len(polls)} polls, 0 at the end; '
                   f"' read {polls[0].position} then {polls[-1].position}")
    bits = [poll.status.referencing for poll in running]
    told = running and end.referencing is not None
    findings.judge('find-edge-bit', (any(bits) and not end.referencing) if told else None,
                   f'set in {sum(map(bool, bits))} of {len(running)} polls while \\ was 1; '
                   f'at the end {polls[-1].report.show()}')
    if end.positive_limit or end.negative_limit or end.servo is False or end.error:
        raise Abandoned(f'{mode} ended without finding the reference edge: {end.describe()}')
    label = f'DH{config.reference_position}'
    session.need(label, lambda: port.command(label))


def _stop_a_move(session):
    """A longer MR, ! once it is seen moving, then polls until \\ is 0; TT and TP after."""
    port, config = session.port, session.config
    length = long_leg(config.reference_position, config.min_position, config.max_position, session.options.distance)
    if not length:
        session.findings.untested('abort-stops', 'no room between min_position and max_position for a longer move')
        return
    label = f'MR{length}'
    session.need(label, lambda: port.command(label))
    started = session.poll_until(lambda: _poll(session, label), lambda polls: polls[-1].moving, START_WATCH)
    stopped_at = session.check(session.step('!', port.abort)).asked_at
    polls = session.poll_until(lambda: _poll(session, '!'), lambda polls: not polls[-1].moving, ABORT_WATCH)
    times = ', '.join(f'{int(poll.moving)} at +{(poll.t - stopped_at) * 1000:.1f} ms' for poll in polls)
    if polls[-1].moving:
        session.findings.judge('abort-stops', False, f'{label}: after ! \\ read {times}')
        raise Abandoned(f'the axis still moved {polls[-1].t - stopped_at:.1f} s after !')
    target = session.need('!: TT after', port.target)
    position = session.need('!: TP after', lambda: port.report_value('TP', 'P'))
    # Only a 1 read more than ABORT_TIME after ! contradicts: a late first poll that reads 0 cannot.
    late = [poll for poll in polls if poll.moving and poll.t - stopped_at > ABORT_TIME]
    session.findings.judge('abort-stops', (not late and target == position) if started[-1].moving else None,
                           f'{label}: \\ {"was 1" if started[-1].moving else "never 1"} before !; after it '
                           f'{times}; TT {target}, TP {position}')
